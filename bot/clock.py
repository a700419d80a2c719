"""The one clock. Everything that asks "what time is it", and every wait the bot decides on
(a scheduled post, a backoff, a rate limit's "come back in 3 s"), asks a Clock, so tests and
the console's `/avance` move time instead of sleeping.

What stays outside: timeouts on a live connection (an HTTP request, a websocket's heartbeat).
They measure the other side, whose time no test can move."""
from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone


class Clock:
    """Wall-clock time, aware, in UTC."""

    def now(self) -> datetime:
        return datetime.now(timezone.utc)

    async def sleep(self, seconds: float, wake: asyncio.Event | None = None) -> None:
        """Sleep `seconds` of this clock's time, or until `wake` is set, whichever comes first."""
        await self.sleep_until(self.now() + timedelta(seconds=max(seconds, 0.0)), wake)

    async def sleep_until(self, when: datetime, wake: asyncio.Event | None = None) -> None:
        """Sleep until `when` or until `wake` is set, whichever comes first."""
        delay = (when - self.now()).total_seconds()
        if delay <= 0:
            return
        if wake is None:
            await asyncio.sleep(delay)
            return
        try:
            await asyncio.wait_for(wake.wait(), timeout=delay)
        except asyncio.TimeoutError:
            pass


class ManualClock(Clock):
    """A clock that only moves when told to. Sleepers wake when it passes their instant."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("ManualClock needs an aware datetime")
        self._now = start.astimezone(timezone.utc)
        # One event per sleeper, set when the clock moves (set from the event loop's thread).
        self._sleepers: set[asyncio.Event] = set()

    def now(self) -> datetime:
        return self._now

    @property
    def sleepers(self) -> int:
        """How many wait for this clock to move: a test waits for the scheduler to be asleep
        before it moves the clock, rather than sleeping a while."""
        return len(self._sleepers)

    def set(self, when: datetime) -> None:
        self._now = when.astimezone(timezone.utc)
        for moved in list(self._sleepers):
            moved.set()

    def advance(self, delta: timedelta) -> None:
        self.set(self._now + delta)

    async def sleep_until(self, when: datetime, wake: asyncio.Event | None = None) -> None:
        while self._now < when and not (wake is not None and wake.is_set()):
            moved = asyncio.Event()
            self._sleepers.add(moved)
            waits = [asyncio.ensure_future(moved.wait())]
            if wake is not None:
                waits.append(asyncio.ensure_future(wake.wait()))
            try:
                await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
            finally:
                self._sleepers.discard(moved)
                for task in waits:
                    task.cancel()
