"""The one clock. Everything that asks "what time is it" asks a Clock, so tests and the
console's `/avance` move time instead of sleeping."""
from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone


class Clock:
    """Wall-clock time, aware, in UTC."""

    def now(self) -> datetime:
        return datetime.now(timezone.utc)

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
        self._moved = asyncio.Condition() if _has_loop() else None

    def now(self) -> datetime:
        return self._now

    def set(self, when: datetime) -> None:
        self._now = when.astimezone(timezone.utc)
        self._notify()

    def advance(self, delta: timedelta) -> None:
        self.set(self._now + delta)

    def _notify(self) -> None:
        cond = self._condition()
        if cond is None:
            return

        async def notify() -> None:
            async with cond:
                cond.notify_all()

        asyncio.get_running_loop().create_task(notify())

    def _condition(self) -> asyncio.Condition | None:
        if self._moved is None and _has_loop():
            self._moved = asyncio.Condition()
        return self._moved

    async def sleep_until(self, when: datetime, wake: asyncio.Event | None = None) -> None:
        cond = self._condition()
        assert cond is not None
        while self._now < when and not (wake is not None and wake.is_set()):
            async with cond:
                waiter = asyncio.ensure_future(cond.wait())
                waker = asyncio.ensure_future(wake.wait()) if wake is not None else None
                tasks = [waiter] + ([waker] if waker else [])
                try:
                    await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
                finally:
                    for t in tasks:
                        if not t.done():
                            t.cancel()


def _has_loop() -> bool:
    try:
        asyncio.get_running_loop()
        return True
    except RuntimeError:
        return False
