"""The bot's SQLite database, on a thread of its own.

sqlite-utils is synchronous; every call goes through `Database.run(fn)`, which runs `fn` on
the one database thread, so the event loop never blocks on disk and no two pieces of code
touch the connection at once. Work that must be atomic runs inside `db.atomic()` in `fn`.
"""
from __future__ import annotations

import asyncio
import concurrent.futures
import sqlite3
from pathlib import Path
from typing import Callable, TypeVar

import sqlite_utils

from storage.migrations import MIGRATIONS

T = TypeVar("T")


def connect(path: str | Path) -> sqlite_utils.Database:
    """Open (creating if needed) and migrate the database; to be called on its own thread."""
    if str(path) != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(str(path), timeout=30)
    db = sqlite_utils.Database(conn)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA foreign_keys=ON")
    # WAL with synchronous=NORMAL stays consistent after a crash and is much faster; an OS
    # crash could lose the last commits, a process kill cannot.
    db.execute("PRAGMA synchronous=NORMAL")
    MIGRATIONS.apply(db)
    return db


class Database:
    def __init__(self, path: str | Path) -> None:
        self.path = path
        self._executor = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="chambre-db")
        self._db: sqlite_utils.Database | None = None

    def _get(self) -> sqlite_utils.Database:
        if self._db is None:
            self._db = connect(self.path)
        return self._db

    async def open(self) -> None:
        await self.run(lambda db: None)

    async def run(self, fn: Callable[[sqlite_utils.Database], T]) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, lambda: fn(self._get()))

    def run_sync(self, fn: Callable[[sqlite_utils.Database], T]) -> T:
        """For the command line tools that have no event loop."""
        return self._executor.submit(lambda: fn(self._get())).result()

    def close(self) -> None:
        def _close() -> None:
            if self._db is not None:
                self._db.close()
                self._db = None

        self._executor.submit(_close).result()
        self._executor.shutdown(wait=True)
