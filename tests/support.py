"""Small test doubles and helpers shared by the backend tests."""
from __future__ import annotations

import asyncio
import inspect
import time
from typing import Any, Callable


class MemoryState:
    """BackendState in a dict; the real one lives in the bot's database (bot.app.DbState)."""

    def __init__(self) -> None:
        self.data: dict[str, str] = {}

    async def get(self, key: str) -> str | None:
        return self.data.get(key)

    async def set(self, key: str, value: str) -> None:
        self.data[key] = value


async def wait_until(predicate: Callable[[], Any], timeout: float = 5.0,
                     message: str | Callable[[], str] = "timed out", interval: float = 0.01) -> Any:
    """Poll `predicate` (plain or async) until it returns something true, and return that.
    After `timeout` seconds, fail with `message` (a text, or a function giving one, called
    then so that it can show what was seen)."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if inspect.isawaitable(value):
            value = await value
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(message() if callable(message) else message)
        await asyncio.sleep(interval)
