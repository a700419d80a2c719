"""Starting and stopping: the backend's stop event, and the waits it cuts short.

Every wait here is on the bot's clock (bot/clock.py) with the one backoff (bot/backoff.py);
`stop()` sets the event, and whatever waits on it unwinds by raising `Stopped`.
"""
from __future__ import annotations

import asyncio
import logging
from typing import Any, Awaitable, Callable, Coroutine, TypeVar

from bot.backends.matrix.transport import MatrixError, Unavailable
from bot.backoff import Backoff
from bot.clock import Clock

log = logging.getLogger(__name__)
T = TypeVar("T")


class Stopped(Exception):
    """stop() was called: unwind to run(), which returns."""


def _being_cancelled() -> bool:
    task = asyncio.current_task()
    return task is not None and task.cancelling() > 0


class Lifecycle:
    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.stopping = asyncio.Event()

    def check(self) -> None:
        if self.stopping.is_set():
            raise Stopped

    async def sleep(self, seconds: float) -> None:
        """Sleep on the clock, or raise Stopped as soon as stop() is called."""
        await self.clock.sleep(seconds, self.stopping)
        self.check()

    async def interruptible(self, coro: Coroutine[Any, Any, T]) -> T:
        """Await `coro` (a long poll) unless stop() comes first."""
        if self.stopping.is_set():
            coro.close()
            raise Stopped
        task = asyncio.ensure_future(coro)
        stop = asyncio.ensure_future(self.stopping.wait())
        try:
            await asyncio.wait({task, stop}, return_when=asyncio.FIRST_COMPLETED)
        except asyncio.CancelledError:
            task.cancel()  # the caller is cancelled: do not leave the request running
            raise
        finally:
            stop.cancel()
        if task.done():
            return task.result()
        task.cancel()
        try:
            await task
        except asyncio.CancelledError:
            if _being_cancelled():
                raise  # our own cancellation, not only the request's
        except Exception:
            pass  # the request's failure no longer matters: we are stopping
        raise Stopped

    async def retrying(self, step: Callable[[], Awaitable[T]], backoff: Backoff) -> T:
        """Run a start-up step until the homeserver answers (an outage, a rate limit)."""
        backoff.succeeded()
        while True:
            self.check()
            try:
                return await step()
            except Unavailable as e:
                delay = backoff.failed()
                log.warning("matrix: homeserver away (%s); retrying in %.1fs", e, delay)
            except MatrixError as e:
                if not e.rate_limited:
                    raise
                delay = max(backoff.failed(), e.retry_after)
            await self.sleep(delay)

    async def wait_for_end(self, task: asyncio.Task[Any] | None, timeout: float) -> None:
        """After stop(): until `task` (run) has returned, at most `timeout` seconds. A
        cancellation of the caller itself is passed on, not swallowed."""
        if task is None or task is asyncio.current_task() or task.done():
            return
        try:
            await asyncio.wait_for(asyncio.shield(task), timeout=timeout)
        except asyncio.CancelledError:
            if _being_cancelled():
                raise
        except Exception:  # run() ended on its own error (it was logged there), or too slowly
            pass
