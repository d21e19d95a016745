"""`bot.notify.dispatcher.Scheduler` over PTB's JobQueue (APScheduler): a repeating job that
wakes the dispatcher. Nothing lives only in the job store; the queue is in the database."""

from __future__ import annotations

from typing import Any

from telegram.ext import Application, CallbackContext, Job, JobQueue

from bot.notify.dispatcher import TickCallback


class JobQueueTicker:
    """Ticks through the Application's JobQueue."""

    def __init__(self, app: Application[Any, Any, Any, Any, Any, Any]) -> None:
        self._app = app
        self._job: Job[Any] | None = None

    def every(self, interval: float, callback: TickCallback) -> None:
        async def tick(_context: CallbackContext[Any, Any, Any, Any]) -> None:
            callback()

        queue: JobQueue[Any] | None = self._app.job_queue
        if queue is None:
            raise RuntimeError("python-telegram-bot was installed without its job-queue extra")
        self._job = queue.run_repeating(tick, interval=interval, first=0.0, name="notifications")

    def cancel(self) -> None:
        if self._job is not None:
            self._job.schedule_removal()
            self._job = None
