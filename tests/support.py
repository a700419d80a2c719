"""Small test doubles and helpers shared by the tests."""
from __future__ import annotations

import asyncio
import inspect
import sqlite3
import time
from datetime import timedelta
from pathlib import Path
from typing import Any, Callable, Iterable

import pytest

from bot.clock import ManualClock

# The specification shared by the project's engineers, beside the repository. The only test
# input read from outside the repository; the repository keeps a copy of each file it uses.
SHARED_SPEC = Path(__file__).resolve().parents[2] / "shared" / "spec"


def shared_spec(name: str) -> Path:
    """The shared specification's file `name` (time_examples.jsonl, listening_examples.jsonl).
    Where the shared folder is absent (a clone on its own), the calling test is skipped and
    says so."""
    path = SHARED_SPEC / name
    if not path.is_file():
        pytest.skip(f"no shared specification at {path}: the repository's copy is not compared")
    return path


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


async def advance_until(clock: ManualClock, predicate: Callable[[], Any], step: timedelta = timedelta(seconds=1),
                        timeout: float = 5.0, message: str | Callable[[], str] = "timed out") -> Any:
    """Move `clock` forward `step` at a time until `predicate` (plain or async) holds, and
    return its value: whatever waits on the clock (a backoff, the scheduler) runs as its time
    comes, and the test never sleeps a fixed time."""

    async def moved() -> Any:
        value = predicate()
        if inspect.isawaitable(value):
            value = await value
        if not value:
            clock.advance(step)
        return value

    return await wait_until(moved, timeout, message)


def outbox_settled(db: Path | str, event_ids: Iterable[str] = ()) -> bool:
    """Whether a running bot (another process, say) has handled these events and sent all it
    queued, read from its database: from then on nothing more can be posted for them, so a
    count of replies is final (a redelivered event is not handled twice)."""
    ids = list(event_ids)
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        pending = conn.execute("SELECT count(*) FROM outbox WHERE sent_at IS NULL").fetchone()[0]
        handled = conn.execute(f"SELECT count(*) FROM handled_events WHERE event_id IN ({','.join('?' * len(ids))})",
                               ids).fetchone()[0] if ids else 0
    except sqlite3.OperationalError:  # not created yet
        return False
    finally:
        conn.close()
    return pending == 0 and handled == len(ids)
