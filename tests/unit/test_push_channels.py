"""`PushChannels.verify`: a notification counts only with the channel's token (made with any
configured key, so rotating TOKEN_ENCRYPTION_KEY keeps channels) and its resource id."""

from __future__ import annotations

from datetime import timedelta

from bot.clock import ManualClock
from bot.sync.push import Notification, PushChannels
from storage.db import Database
from storage.sync_state import PushChannel, SyncStateRepository


async def test_verify_checks_token_channel_and_resource(
    salon_db: Database, clock: ManualClock
) -> None:
    state = SyncStateRepository(salon_db)
    old = PushChannels(address="https://x/google/push", keys=[b"old"], state=state)
    expires = clock.now() + timedelta(days=7)
    channel = PushChannel(channel_id="chan1", resource_id="res1", expires_at=expires)
    await state.save_channel(1, "anna@example.com", channel, now=clock.now())
    headers = {
        "X-Goog-Channel-ID": "chan1",
        "X-Goog-Channel-Token": old.channel_token("chan1"),
        "X-Goog-Resource-ID": "res1",
        "X-Goog-Resource-State": "exists",
    }
    rotated = PushChannels(address="https://x/google/push", keys=[b"new", b"old"], state=state)
    expected = Notification(1, "anna@example.com", "exists")
    assert await old.verify(headers) == expected
    assert await rotated.verify(headers) == expected
    assert rotated.channel_token("chan1") != old.channel_token("chan1")  # new ones: new key
    other = PushChannels(address="https://x/google/push", keys=[b"other"], state=state)
    assert await other.verify(headers) is None
    assert await old.verify({**headers, "X-Goog-Resource-ID": "res2"}) is None
    assert await old.verify({**headers, "X-Goog-Channel-Token": "\udcff"}) is None
    await state.save_channel(1, "anna@example.com", None, now=clock.now())  # stopped
    assert await old.verify(headers) is None
