"""One backoff on the one clock: the waits after failures in a row, and a wait that a test
ends by moving the clock, or a stop ends at once."""
from __future__ import annotations

import asyncio
import random
from datetime import datetime, timedelta, timezone

from bot.backoff import Backoff
from bot.clock import ManualClock
from tests.support import wait_until

NOW = datetime(2026, 12, 1, 9, tzinfo=timezone.utc)


def test_each_failure_in_a_row_doubles_the_wait_up_to_the_maximum():
    backoff = Backoff(first=1.0, maximum=10.0, rng=random.Random(4))
    waits = [backoff.failed() for _ in range(8)]
    ceilings = [1, 2, 4, 8, 10, 10, 10, 10]
    # Each wait is between half and all of its ceiling: bots that lost a server together
    # do not all come back at the same instant.
    assert all(c / 2 <= w <= c for w, c in zip(waits, ceilings)), waits
    assert backoff.failures == 8
    backoff.succeeded()
    assert backoff.failed() <= 1.0


def test_a_count_kept_elsewhere_gives_the_same_waits():
    backoff = Backoff(first=0.5, maximum=60.0)
    assert 0.25 <= backoff.delay(1) <= 0.5
    assert 30 <= backoff.delay(1000) <= 60  # however many failures, never more than the maximum
    assert 0.25 <= backoff.delay(0) <= 0.5


async def test_a_wait_ends_when_the_clock_passes_it_or_at_once_on_stop():
    clock = ManualClock(NOW)
    woken: list[str] = []

    async def sleeper(name: str, seconds: float, stop: asyncio.Event | None = None) -> None:
        await clock.sleep(seconds, stop)
        woken.append(name)

    stop = asyncio.Event()
    tasks = [asyncio.create_task(sleeper("short", 2)), asyncio.create_task(sleeper("long", 60)),
             asyncio.create_task(sleeper("stopped", 3600, stop))]
    await wait_until(lambda: clock.sleepers == 3)
    clock.advance(timedelta(seconds=2))
    await wait_until(lambda: woken == ["short"])
    stop.set()
    await wait_until(lambda: woken == ["short", "stopped"])
    clock.advance(timedelta(seconds=58))
    await asyncio.gather(*tasks)
    assert woken == ["short", "stopped", "long"]
