"""What the Rocket.Chat backend tells /healthz: connected while live on the stream, with
the last stream event's time; connected again once a dropped socket is back, not after a stop."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from bot.clock import ManualClock
from tests.rocketchat.conftest import Harness


async def test_the_status_follows_the_stream(any_fake):
    h = Harness(any_fake)
    clock = ManualClock(datetime.now(timezone.utc))
    h.backend.clock = clock
    await h.start()
    try:
        status = h.backend.status()
        assert status.connected and status.last_event == clock.now()
        clock.advance(timedelta(minutes=5))
        await h.barrier()  # a message on the stream: heard now
        assert h.backend.status().last_event == clock.now()
        connects = h.backend.connects
        await any_fake.drop_sockets("abrupt")
        await h.wait(lambda: not h.backend.status().connected or h.backend.connects > connects)

        def back() -> bool:
            if clock.sleepers:  # the reconnection waits its backoff on the bot's clock: move it
                clock.advance(timedelta(minutes=1))
            return h.backend.connects > connects and h.backend.status().connected

        await h.wait(back, timeout=15)
    finally:
        await h.stop()
    assert not h.backend.status().connected
