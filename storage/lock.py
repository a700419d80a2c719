"""Which process serves a database: `chambre-bot run` holds an OS lock on `<database>.lock`
for its life, so that a second `run` on the same file refuses to start instead of making
every scheduled post twice; a console looks whether the lock is held before it schedules."""
from __future__ import annotations

import errno
import fcntl
import os
import time
from pathlib import Path
from typing import IO

from storage.db import StorageError


def _lock_path(path: Path) -> Path:
    return path.with_name(path.name + ".lock")


def hold_serve_lock(path: str | Path) -> IO[str]:
    """Take the lock, held for as long as the returned file stays open; else StorageError
    naming the process that holds it. The `.lock` file may stay on disk: the OS releases the
    lock itself when its holder exits, however it exits."""
    path = Path(path)
    lock_path = _lock_path(path)
    try:
        lock_path.parent.mkdir(parents=True, exist_ok=True)
        fh = open(lock_path, "a+", encoding="utf-8")
    except OSError as err:
        raise StorageError(f"{lock_path}: cannot create the lock file ({err.strerror})") from None
    # A console looking whether the database is served holds the lock for an instant: try
    # for half a second before saying another bot holds it.
    for attempt in range(10):
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
            break
        except OSError as err:
            if err.errno not in (errno.EWOULDBLOCK, errno.EACCES):
                fh.close()
                raise StorageError(f"{lock_path}: cannot lock ({err.strerror})") from None
            if attempt < 9:
                time.sleep(0.05)
    else:
        fh.seek(0)
        holder = fh.read().strip()
        fh.close()
        raise StorageError(f"{path} is already served by another chambre-bot run"
                           f"{f' (process {holder})' if holder else ''}; stop it first, "
                           "or give this one another [chambre] database")
    fh.seek(0)
    fh.truncate()
    fh.write(f"{os.getpid()}\n")
    fh.flush()
    return fh


def serving_process(path: str | Path) -> str:
    """The process id the serving bot wrote in the lock file ("" if none can be read)."""
    try:
        return _lock_path(Path(path)).read_text(encoding="utf-8").strip()
    except OSError:
        return ""


def is_served(path: str | Path) -> bool:
    """Whether a `chambre-bot run` holds this database's lock now."""
    lock_path = _lock_path(Path(path))
    if not lock_path.exists():
        return False
    try:
        with open(lock_path, encoding="utf-8") as fh:
            fcntl.flock(fh, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except OSError:
        return True
    return False
