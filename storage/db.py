"""The bot's SQLite database, on a thread of its own.

sqlite-utils is synchronous; every call goes through `DatabaseThread.run(fn)`, which runs `fn` on
the one database thread, so the event loop never blocks on disk and no two pieces of code
touch the connection at once. Work that must be atomic runs inside `db.atomic()` in `fn`.

Other processes may use the same file at the same time (an operator's `console`, `export` or
`digest` beside the running bot): SQLite waits for their writes (a busy timeout), and every
transaction takes the write lock when it begins (`BEGIN IMMEDIATE`). A transaction that read
first and wrote later would otherwise fail at once with "database is locked" whenever another
process wrote in between, because SQLite cannot wait for that case. A transaction that still
finds the file locked after the busy timeout is retried, with a warning, for a while.

Opening refuses, in one sentence an operator can act on (`StorageError`): a path that is a
directory, not writable, or not SQLite; a database written by a newer chambre-bot; and, for
the commands that only read the records, a database that does not exist yet.
"""
from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import logging
import os
import sqlite3
import time
from pathlib import Path
from typing import Callable, Iterator, TypeVar

import sqlite_utils

from storage.migrations import MIGRATIONS, unknown_migrations

T = TypeVar("T")
log = logging.getLogger(__name__)

# How long one statement waits for another process's write before SQLite answers "locked";
# a transaction that still finds the file locked is retried until LOCK_PATIENCE.
BUSY_TIMEOUT = 10.0
LOCK_PATIENCE = 120.0


class StorageError(Exception):
    """The database cannot be used as asked. The message is one sentence for the operator
    (the command line prints it alone, without a traceback)."""


class ChambreDatabase(sqlite_utils.Database):
    """sqlite-utils' Database whose outermost `atomic()` takes the write lock at once."""

    @contextlib.contextmanager
    def atomic(self) -> Iterator["ChambreDatabase"]:
        if self.conn.in_transaction:  # nested: a savepoint in the open transaction
            with super().atomic():
                yield self
            return
        _begin_immediate(self.conn)
        try:
            yield self
        except BaseException:
            if self.conn.in_transaction:
                self.conn.rollback()
            raise
        self.conn.commit()

    @contextlib.contextmanager
    def snapshot(self) -> Iterator["ChambreDatabase"]:
        """A read transaction: everything read in it is one state of the database (an export
        is a consistent backup), and, the file being in WAL mode, a running bot goes on
        writing meanwhile. Nested in a transaction, that transaction is the snapshot."""
        if self.conn.in_transaction:
            yield self
            return
        self.conn.execute("BEGIN")  # deferred: no write lock
        try:
            yield self
        finally:
            if self.conn.in_transaction:
                self.conn.commit()


def _locked(err: sqlite3.OperationalError) -> bool:
    return "locked" in str(err) or "busy" in str(err)


def _begin_immediate(conn: sqlite3.Connection) -> None:
    started = time.monotonic()
    while True:
        try:
            conn.execute("BEGIN IMMEDIATE")
            return
        except sqlite3.OperationalError as err:
            waited = time.monotonic() - started
            if not _locked(err):
                raise
            if waited >= LOCK_PATIENCE:
                raise StorageError(f"the database stayed locked by another process for {waited:.0f} seconds "
                                   "(a long write beside the bot: an sqlite3 shell, a copy?)") from None
            log.warning("database locked by another process for %.0f s; still waiting", waited)


def _wal(conn: sqlite3.Connection) -> None:
    """Switch a new file to WAL. The switch needs the file to itself, and SQLite may answer
    "locked" at once, without its busy wait, while another process opens or migrates the
    same new file: wait for it as for a write."""
    started = time.monotonic()
    while True:
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as err:
            if not _locked(err) or time.monotonic() - started >= LOCK_PATIENCE:
                raise
            time.sleep(0.05)


def connect(path: str | Path, create: bool = True) -> ChambreDatabase:
    """Open and migrate the database; to be called on its own thread. Creates the file when
    `create`, else refuses a path where there is no database (a mistyped --db)."""
    memory = str(path) == ":memory:"
    path = Path(path)
    if not memory:
        _check_path(path, create)
    try:
        conn = sqlite3.connect(str(path), timeout=BUSY_TIMEOUT)
    except sqlite3.Error as err:
        raise StorageError(f"{path}: cannot open the database ({err})") from None
    try:
        db = ChambreDatabase(conn)
        _wal(conn)
        db.execute("PRAGMA foreign_keys=ON")
        # WAL with synchronous=NORMAL stays consistent after a crash and is much faster; an OS
        # crash could lose the last commits, a process kill cannot.
        db.execute("PRAGMA synchronous=NORMAL")
        _migrate(db, path)
    except sqlite3.DatabaseError as err:
        conn.close()
        raise StorageError(_explain(path, err)) from None
    except BaseException:
        conn.close()
        raise
    return db


def _check_path(path: Path, create: bool) -> None:
    if path.is_dir():
        raise StorageError(f"{path} is a directory, not a database file")
    if path.exists():
        if not os.access(path, os.R_OK | os.W_OK):
            raise StorageError(f"{path} is read-only: the bot writes to its database "
                               "(give it write access, or copy the file to read it)")
        return
    if not create:
        raise StorageError(f"{path}: no such database (check the path; only `chambre-bot run` "
                           "and `chambre-bot console` create one)")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise StorageError(f"{path}: cannot create the database's folder ({err.strerror})") from None


def _explain(path: Path, err: sqlite3.DatabaseError) -> str:
    text = str(err)
    if "not a database" in text:
        return f"{path} is not a SQLite database (is the path right?)"
    if "readonly" in text or "unable to open" in text:
        return (f"{path}: cannot write to the database or beside it (the bot needs write access to "
                f"the file and to its folder, for {path.name}-wal)")
    return f"{path}: cannot use the database ({text})"


def _migrate(db: ChambreDatabase, path: Path) -> None:
    # Under the write lock: of two processes opening a new file together, one migrates and
    # the other finds it done. An upgrade is all or nothing.
    with db.atomic():
        unknown = unknown_migrations(db)
        if unknown:
            raise StorageError(f"{path} was written by a newer chambre-bot (migrations this version does not "
                               f"know: {', '.join(unknown)}); upgrade the bot to use it")
        if not MIGRATIONS.applied(db) and set(db.table_names()) - {MIGRATIONS.migrations_table}:
            raise StorageError(f"{path} is a SQLite database of another program, not chambre-bot's")
        MIGRATIONS.apply(db)


class DatabaseThread:
    """The bot's database and the one thread that uses it: `run(fn)` calls `fn` with the
    connection (a ChambreDatabase) on that thread. Not named Database: sqlite-utils' class of
    that name is the connection itself."""

    def __init__(self, path: str | Path, create: bool = True) -> None:
        self.path = path
        self.create = create
        self._executor = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="chambre-db")
        self._db: ChambreDatabase | None = None

    def _get(self) -> ChambreDatabase:
        if self._db is None:
            self._db = connect(self.path, self.create)
        return self._db

    async def open(self) -> None:
        await self.run(lambda db: None)

    async def run(self, fn: Callable[[ChambreDatabase], T]) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, lambda: fn(self._get()))

    def run_sync(self, fn: Callable[[ChambreDatabase], T]) -> T:
        """For the command line tools that have no event loop."""
        return self._executor.submit(lambda: fn(self._get())).result()

    def close(self) -> None:
        def _close() -> None:
            if self._db is not None:
                self._db.close()
                self._db = None

        self._executor.submit(_close).result()
        self._executor.shutdown(wait=True)
