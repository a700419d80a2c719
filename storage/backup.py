"""Backups of the bot's state, checked, and restoring one.

A backup is one SQLite file: a copy of the database made with SQLite's online backup API,
which reads one consistent snapshot while the bot goes on writing (the database is in WAL
mode, so the bot is never blocked by it). The copy is switched to a rollback journal, so that
it is one self-contained file: `sqlite3`, `chambre-bot export --db` and `restore` open it as
it is, and a plain `cp` or `scp` of it is safe. It is made beside its destination and renamed
into place only once checked (`PRAGMA integrity_check`, the migrations recorded), so a failed
or interrupted backup never leaves a file that looks like a good one.

State that the bot keeps in directories of its own (`STATE_DIRS`: the Matrix crypto store,
`chambre.db.crypto/` or `[matrix] store_path`) goes into the same file, one row per file in
`FILES_TABLE` named `<state>/<file>`, so that a backup stays one file to keep and to move;
`restore` puts those directories back where this machine keeps them and removes the table
from the restored database. With no such directory, the backup is the database and nothing
more, as a 0.1.0 backup was; restoring one leaves the directories in place.

A restore refuses while a `chambre-bot run` serves the database (storage/lock.py), and holds
that lock itself meanwhile, so that no bot starts on a half-restored file. The database it
replaces is renamed, never deleted: `<database>.replaced-<date>`, with its `-wal` if it had one.
"""
from __future__ import annotations

import os
import shutil
import sqlite3
import stat
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Mapping

import sqlite_utils

from storage.db import StorageError
from storage.lock import hold_serve_lock, is_served, serving_process
from storage.migrations import MIGRATIONS, unknown_migrations

# Directories that are part of the bot's state, by their name inside a backup, with where
# they are when the configuration does not say: beside the database, the database's name
# and this suffix. The crypto store holds the bot's device keys and the room keys it was
# sent: without it a restored bot is a new device that cannot read the encrypted rooms.
STATE_DIRS: dict[str, str] = {"crypto": ".crypto"}
# Files in those directories that a backup leaves out: an SQLite database's journals (its
# copy is made with the online backup, which reads through them) and the bot's write probe.
SKIPPED_SUFFIXES = ("-journal", "-wal", "-shm", ".write-test")
SQLITE_HEADER = b"SQLite format 3\x00"
FILES_TABLE = "_chambre_backup_files"
# The records an operator recognises, counted in what a backup or restore says.
RECORDS = ("meetings", "permanences", "bricks", "topics", "pledges")


@dataclass
class Checked:
    """What a checked database or backup file holds."""

    path: Path
    migrations: list[str]
    records: dict[str, int]
    files: int = 0  # companion files carried in a backup
    size: int = 0
    newer: list[str] = field(default_factory=list)  # migrations this version does not know
    pending: list[str] = field(default_factory=list)  # migrations this version will apply

    def describe(self) -> str:
        counts = ", ".join(f"{n} {name if n != 1 else name[:-1]}" for name, n in self.records.items())
        last = self.migrations[-1] if self.migrations else "none"
        files = f"; the crypto store, {self.files} file(s)" if self.files else ""
        return (f"integrity ok; {len(self.migrations)} migrations, the last {last}; {counts}{files}; "
                f"{_size(self.size)}")


def _size(n: int) -> str:
    return f"{n / 1_000_000:.1f} MB" if n >= 1_000_000 else f"{max(1, round(n / 1000))} kB"


def state_dirs(db_path: Path, configured: Mapping[str, Path | str | None] | None = None) -> dict[str, Path]:
    """Where each directory of the bot's state is: as configured (`{"crypto": store_path}`),
    else beside the database."""
    dirs: dict[str, Path] = {}
    for name, suffix in STATE_DIRS.items():
        where = (configured or {}).get(name)
        dirs[name] = Path(where) if where else db_path.with_name(db_path.name + suffix)
    return dirs


def _read_only(path: Path) -> sqlite3.Connection:
    """A connection that writes nothing: a backup must not change the database it copies (not
    even migrate it: an operator backs up before an upgrade), nor a check the file it checks.
    Not SQLite's read-only mode: on a database in WAL mode, that leaves `-wal` and `-shm`
    files behind, owned by whoever ran the command, which a bot running as another user
    then cannot write to. (The caller has made sure the file exists: connect would create it.)"""
    try:
        conn = sqlite3.connect(path, timeout=10.0)
        conn.execute("PRAGMA query_only = ON")
    except sqlite3.Error as err:
        raise StorageError(f"{path}: cannot open it ({err})") from None
    return conn


def check(path: Path, integrity: bool = True) -> Checked:
    """Open `path` read-only and check it is a whole chambre-bot database: StorageError with
    one sentence for the operator otherwise. Without `integrity`, only that it is one (the
    database a backup copies: its copy is checked in full)."""
    if path.is_dir():
        raise StorageError(f"{path} is a directory, not a database or backup file")
    if not path.exists():
        raise StorageError(f"{path}: no such file")
    conn = _read_only(path)
    try:
        return _inspect(conn, path, integrity)
    except sqlite3.DatabaseError as err:
        if "not a database" in str(err):
            raise StorageError(f"{path} is not a SQLite database") from None
        raise StorageError(f"{path} is damaged ({err})") from None
    finally:
        conn.close()


def _inspect(conn: sqlite3.Connection, path: Path, integrity: bool) -> Checked:
    if integrity:
        problems = [row[0] for row in conn.execute("PRAGMA integrity_check").fetchall()]
        if problems != ["ok"]:
            # One line for the operator: the first problem SQLite found, and how many more.
            lines = [line for p in problems for line in p.splitlines() if line.strip()]
            more = f", and {len(lines) - 1} more" if len(lines) > 1 else ""
            raise StorageError(f"{path} is damaged (SQLite's integrity check: {lines[0]}{more})")
    else:
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()  # is it SQLite at all
    db = sqlite_utils.Database(conn)
    migrations = [m.name for m in MIGRATIONS.applied(db)]
    if not migrations:
        raise StorageError(f"{path} is not a chambre-bot database (no migrations recorded)")
    tables = set(db.table_names())
    records = {name: conn.execute(f"SELECT count(*) FROM {name}").fetchone()[0] for name in RECORDS if name in tables}
    files = conn.execute(f"SELECT count(*) FROM {FILES_TABLE}").fetchone()[0] if FILES_TABLE in tables else 0
    return Checked(path=path, migrations=migrations, records=records, files=files, size=path.stat().st_size,
                   newer=unknown_migrations(db), pending=[m.name for m in MIGRATIONS.pending(db)])


def _sync_dir(folder: Path) -> None:
    """A rename is durable once its folder is written to disk."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _empty_private_file(path: Path) -> None:
    """The file a copy goes into, readable by its owner only: the database holds the bot's
    Matrix access token, and a copy of it must not be more readable than the bot's own."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    os.close(fd)


def backup(db_path: Path, dest: Path, overwrite: bool = False,
           state: Mapping[str, Path | str | None] | None = None) -> Checked:
    """Copy the database at `db_path` (running or not) to `dest`, with the directories of
    state (`state_dirs`: as configured in `state`, else beside the database), and check the
    copy. Returns what the copy holds."""
    db_path, dest = Path(db_path), Path(dest)
    source = check_source(db_path)
    if dest.is_dir():
        raise StorageError(f"{dest} is a directory: give the backup's file name (e.g. {dest / 'chambre-backup.db'})")
    if not dest.parent.is_dir():
        raise StorageError(f"{dest.parent}: no such folder")
    if dest.exists():
        if dest.resolve() == db_path.resolve():
            raise StorageError(f"{dest} is the database itself: give another file for the backup")
        if not overwrite:
            raise StorageError(f"{dest} already exists: nothing written (give another name, or --overwrite)")
    partial = dest.with_name(f".{dest.name}.partial-{os.getpid()}")
    try:
        _empty_private_file(partial)
        src = _read_only(db_path)
        try:
            out = sqlite3.connect(partial)
            try:
                # One step: the whole database from one read transaction, a consistent snapshot.
                src.backup(out)
                out.execute("PRAGMA journal_mode=DELETE")
                # The database first, then the crypto store: the two cannot be read at one
                # instant, and a store newer than the database (the sync position) only holds
                # more room keys, while an older one would lose those received in between.
                _store_state(out, state_dirs(db_path, state))
                out.commit()
            finally:
                out.close()
        except sqlite3.Error as err:
            raise StorageError(f"{db_path}: the copy failed ({err})") from None
        finally:
            src.close()
        with open(partial, "rb") as fh:
            os.fsync(fh.fileno())
        copy = check(partial)
        if copy.migrations != source.migrations:
            raise StorageError(f"{partial}: the copy's migrations differ from the database's")
        os.replace(partial, dest)
        _sync_dir(dest.parent)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    copy.path, copy.size = dest, dest.stat().st_size
    return copy


def check_source(db_path: Path) -> Checked:
    try:
        return check(db_path, integrity=False)
    except StorageError:
        if not db_path.exists():
            raise StorageError(f"{db_path}: no such database (check the path, or -c / --db)") from None
        raise


def _store_state(out: sqlite3.Connection, dirs: Mapping[str, Path]) -> None:
    files = [(name, folder, path) for name, folder in dirs.items() if folder.is_dir()
             for path in sorted(folder.rglob("*")) if path.is_file() and not path.name.endswith(SKIPPED_SUFFIXES)]
    if not files:
        return
    out.execute(f"CREATE TABLE {FILES_TABLE} (path TEXT PRIMARY KEY, mode INTEGER NOT NULL, data BLOB NOT NULL)")
    with TemporaryDirectory(prefix="chambre-backup-") as scratch:
        for name, folder, path in files:
            rel = f"{name}/{path.relative_to(folder).as_posix()}"
            out.execute(f"INSERT INTO {FILES_TABLE} VALUES (?, ?, ?)",
                        [rel, stat.S_IMODE(path.stat().st_mode), _read_state_file(path, Path(scratch) / "copy")])


def _read_state_file(path: Path, scratch: Path) -> bytes:
    """A file's bytes; an SQLite database's (nio's crypto store is one per device) through
    SQLite's online backup, so that a store the running bot is writing is copied whole, with
    the transactions still in its journal, and checked."""
    with open(path, "rb") as fh:
        if fh.read(len(SQLITE_HEADER)) != SQLITE_HEADER:
            return path.read_bytes()
    scratch.unlink(missing_ok=True)
    src = _read_only(path)
    try:
        out = sqlite3.connect(scratch)
        try:
            src.backup(out)
            out.execute("PRAGMA journal_mode=DELETE")
            problems = [row[0] for row in out.execute("PRAGMA quick_check").fetchall()]
        finally:
            out.close()
    except sqlite3.Error as err:
        raise StorageError(f"{path}: the copy failed ({err})") from None
    finally:
        src.close()
    if problems != ["ok"]:
        raise StorageError(f"{path} is damaged (SQLite's check: {problems[0]}): nothing written")
    return scratch.read_bytes()


@dataclass
class Restored:
    backup: Checked
    replaced: Path | None  # where the database it replaced now is
    # Each directory of state put back (its place), with where the one it replaced now is.
    state: dict[Path, Path | None] = field(default_factory=dict)


def restore(backup_file: Path, db_path: Path, now: datetime | None = None,
            state: Mapping[str, Path | str | None] | None = None) -> Restored:
    """Put the backup in place of the database at `db_path` (which may not exist yet: a new
    machine), and the directories of state it carries where this machine keeps them (as
    `backup`'s `state`). Refuses while a bot serves that database, or a backup it cannot use."""
    backup_file, db_path = Path(backup_file), Path(db_path)
    if is_served(db_path):
        holder = serving_process(db_path)
        raise StorageError(f"{db_path} is served by a running chambre-bot{f' (process {holder})' if holder else ''}: "
                           "stop it first (systemctl stop chambre-bot), then restore")
    checked = check(backup_file)
    if checked.newer:
        raise StorageError(f"{backup_file} was written by a newer chambre-bot (migrations this version does not "
                           f"know: {', '.join(checked.newer)}): upgrade this one first, then restore")
    if db_path.exists() and backup_file.resolve() == db_path.resolve():
        raise StorageError(f"{backup_file} is the database itself: nothing to restore")
    if db_path.is_dir():
        raise StorageError(f"{db_path} is a directory, not a database file")
    db_path.parent.mkdir(parents=True, exist_ok=True)
    lock = hold_serve_lock(db_path)  # no bot starts on a half-restored database
    try:
        _give_to_bot(db_path.with_name(db_path.name + ".lock"))
        return Restored(checked, *_swap(backup_file, db_path, now or datetime.now(), state_dirs(db_path, state)))
    finally:
        lock.close()


def _swap(backup_file: Path, db_path: Path, now: datetime,
          dirs: Mapping[str, Path]) -> tuple[Path | None, dict[Path, Path | None]]:
    incoming = db_path.with_name(f".{db_path.name}.restoring-{os.getpid()}")
    staged: list[tuple[Path, Path]] = []  # (state directory restored aside, its place)
    try:
        _empty_private_file(incoming)
        src = _read_only(backup_file)
        try:
            out = sqlite3.connect(incoming)
            try:
                src.backup(out)
                staged = _unpack_state(out, dirs)
                out.commit()
            finally:
                out.close()
        finally:
            src.close()
        with open(incoming, "rb") as fh:
            os.fsync(fh.fileno())
        _give_to_bot(incoming)
        for folder, _ in staged:
            _give_to_bot(folder)
        # From here on, only renames, each in its folder: the old state aside, the new one in place.
        replaced = _move_aside(db_path, now)
        os.replace(incoming, db_path)
        put: dict[Path, Path | None] = {}
        for folder, place in staged:
            put[place] = _move_state_aside(place, db_path, replaced, now)
            os.replace(folder, place)
            _sync_dir(place.parent)
        _sync_dir(db_path.parent)
        return replaced, put
    except sqlite3.Error as err:
        raise StorageError(f"{backup_file}: the restore failed ({err}); the database was not changed") from None
    finally:
        incoming.unlink(missing_ok=True)
        for folder, _ in staged:
            if folder.exists():
                shutil.rmtree(folder)


def _unpack_state(conn: sqlite3.Connection, dirs: Mapping[str, Path]) -> list[tuple[Path, Path]]:
    """The directories of state carried in the backup, written aside (to be renamed into
    place with the database), and their table dropped from the restored database."""
    if not conn.execute("SELECT 1 FROM sqlite_master WHERE name = ?", [FILES_TABLE]).fetchone():
        return []
    for (rel,) in conn.execute(f"SELECT path FROM {FILES_TABLE}"):  # all checked before one is written
        parts = Path(rel).parts
        if len(parts) < 2 or ".." in parts or parts[0] not in dirs:
            raise StorageError(f"the backup holds a file outside the bot's state ({rel}): not restored")
    staged: dict[Path, Path] = {}
    try:
        for rel, mode, data in conn.execute(f"SELECT path, mode, data FROM {FILES_TABLE} ORDER BY path"):
            parts = Path(rel).parts
            place = dirs[parts[0]]
            place.parent.mkdir(parents=True, exist_ok=True)
            aside = staged.setdefault(place, place.with_name(f".{place.name}.restoring-{os.getpid()}"))
            aside.mkdir(mode=0o700, exist_ok=True)  # private, as the bot makes its store
            target = aside.joinpath(*parts[1:])
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
            target.chmod(mode & 0o777)
        conn.execute(f"DROP TABLE {FILES_TABLE}")
    except BaseException:
        for aside in staged.values():
            shutil.rmtree(aside, ignore_errors=True)
        raise
    return [(aside, place) for place, aside in staged.items()]


def _move_aside(db_path: Path, now: datetime) -> Path | None:
    """Rename the database (with its -wal and -shm, which may hold its last commits, and its
    companion directories) to a free `<name>.replaced-<date>`; None if there was none."""
    if not db_path.exists():
        return None
    stamp = now.strftime("%Y%m%d-%H%M%S")
    replaced = db_path.with_name(f"{db_path.name}.replaced-{stamp}")
    n = 2
    while replaced.exists():
        replaced = db_path.with_name(f"{db_path.name}.replaced-{stamp}-{n}")
        n += 1
    for suffix in ("-wal", "-shm"):
        part = db_path.with_name(db_path.name + suffix)
        if part.exists():
            os.replace(part, replaced.with_name(replaced.name + suffix))
    os.replace(db_path, replaced)
    return replaced


def _move_state_aside(place: Path, db_path: Path, replaced: Path | None, now: datetime) -> Path | None:
    """Rename a directory of state the backup replaces: beside the replaced database, with the
    same suffix (`chambre.db.replaced-<date>.crypto`, so that a backup of that database takes
    it too), or, kept elsewhere, `<directory>.replaced-<date>`; None if there was none."""
    if not place.exists():
        return None
    for suffix in STATE_DIRS.values():
        if replaced is not None and place == db_path.with_name(db_path.name + suffix):
            aside = replaced.with_name(replaced.name + suffix)
            break
    else:
        stamp = now.strftime("%Y%m%d-%H%M%S")
        aside, n = place.with_name(f"{place.name}.replaced-{stamp}"), 2
        while aside.exists():
            aside, n = place.with_name(f"{place.name}.replaced-{stamp}-{n}"), n + 1
    os.replace(place, aside)
    return aside


def _give_to_bot(path: Path) -> None:
    """A restore run as root, for a bot that runs as its own user: what it writes belongs to
    the owner of the database's folder (the service's StateDirectory, owned by the bot's
    user), or that bot could not write to its own database, nor take its lock."""
    if os.geteuid() != 0:
        return
    folder = path.parent.stat()
    if (folder.st_uid, folder.st_gid) == (0, 0):
        return
    for part in [path, *(path.rglob("*") if path.is_dir() else [])]:
        os.chown(part, folder.st_uid, folder.st_gid, follow_symlinks=False)
