"""The benchmark baseline: a bare PTB bot answering every /start with one message.

Run by bench/booking_throughput.py as its own process, configured like bookbot through
TELEGRAM_BOT_TOKEN and TELEGRAM_API_BASE_URL, with the same HTTP pool and concurrency;
long polling, or PTB's own webhook server when ECHO_WEBHOOK_PORT is set. PTB's stock
HTTP transport (httpx), or bookbot's (bot/telegram_http.py) when ECHO_TRANSPORT=aiohttp.
"""

from __future__ import annotations

import os

from telegram import Update
from telegram.ext import ApplicationBuilder, CommandHandler, ContextTypes

from bot.app import HTTP_POOL_SIZE
from bot.telegram_http import AiohttpRequest


async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Reply to /start."""
    assert update.effective_chat is not None
    await context.bot.send_message(update.effective_chat.id, "Hello!")


def main() -> None:
    """Poll until terminated."""
    builder = (
        ApplicationBuilder()
        .token(os.environ["TELEGRAM_BOT_TOKEN"])
        .base_url(os.environ["TELEGRAM_API_BASE_URL"])
        .concurrent_updates(512)
    )
    if os.environ.get("ECHO_TRANSPORT") == "aiohttp":
        builder = builder.request(
            AiohttpRequest(pool_size=HTTP_POOL_SIZE, pool_timeout=30)
        ).get_updates_request(AiohttpRequest())
    else:
        builder = builder.connection_pool_size(HTTP_POOL_SIZE).pool_timeout(30)
    app = builder.build()
    app.add_handler(CommandHandler("start", echo))
    port = os.environ.get("ECHO_WEBHOOK_PORT")
    if port:
        app.run_webhook(
            listen="127.0.0.1",
            port=int(port),
            url_path="telegram",
            secret_token=os.environ["ECHO_WEBHOOK_SECRET"],
            webhook_url=f"http://127.0.0.1:{port}/telegram",
        )
    else:
        app.run_polling(timeout=2, poll_interval=0)


if __name__ == "__main__":
    main()
