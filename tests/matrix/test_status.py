"""What the Matrix backend tells /healthz: connected while the homeserver answers its
syncs, with the last one's time; not once the long poll has been silent too long, nor after
a stop."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from bot.clock import ManualClock


async def test_the_status_follows_the_syncs(bot_account, start_bot):
    clock = ManualClock(datetime.now(timezone.utc))
    bot = await start_bot(bot_account, clock=clock)
    status = bot.backend.status()
    assert status.connected and status.last_event == clock.now()
    # a long poll returns at least every sync_timeout_ms: a minute more of silence is an outage
    clock.advance(timedelta(milliseconds=bot.backend.sync_timeout_ms, minutes=1, seconds=1))
    silent = bot.backend.status()
    assert not silent.connected and silent.last_event == clock.now() - timedelta(
        milliseconds=bot.backend.sync_timeout_ms, minutes=1, seconds=1)
    await bot.stop()
    assert not bot.backend.status().connected
