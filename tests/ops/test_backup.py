"""`chambre-bot backup` and `restore` through the installed script: a consistent copy while
the bot writes, checked; a restore that refuses while a bot serves the database, refuses a
file it cannot use, and keeps what it replaces (its last commits included)."""
from __future__ import annotations

import contextlib
import os
import re
import sqlite3
import stat
import subprocess
import sys
import time
from pathlib import Path
from typing import Iterator

import pytest
import sqlite_utils

from storage.backup import FILES_TABLE, backup, restore
from storage.db import StorageError
from storage.lock import is_served
from storage.migrations import MIGRATIONS
from tests.core.conftest import chambre_bot, export, run_cli

NOW = "2026-12-01T10:00"
# What a database of this version says of its schema.
MIGRATED = f"{len(MIGRATIONS._migrations)} migrations, the last {MIGRATIONS._migrations[-1].name}"


def topics(db: Path) -> list[str]:
    return [t["text"] for t in export(db)["topics"]]


@pytest.fixture
def database(tmp_path: Path) -> Path:
    db = tmp_path / "chambre.db"
    run_cli("console", "--now", NOW, "--db", str(db), "--user", "alice",
            stdin="!réunion proposer vendredi 19h ; Atelier briques ; MESHS\n!odj ajouter Premier point\n")
    return db


def replaced_files(folder: Path) -> list[Path]:
    """The databases a restore put aside (not their -wal and -shm)."""
    return [p for p in folder.iterdir() if re.fullmatch(r"chambre\.db\.replaced-[0-9-]+", p.name)]


def wait_served(db: Path, proc: subprocess.Popen, timeout: float = 30.0) -> None:
    """Until the bot holds the database and has migrated it: it takes the lock first, so a
    backup in between (on a loaded machine) found a database with no migrations yet."""
    deadline = time.monotonic() + timeout
    while not (is_served(db) and migrated(db)):
        assert proc.poll() is None and time.monotonic() < deadline, "the bot never took the database"
        time.sleep(0.02)


def migrated(db: Path) -> bool:
    if not db.exists():
        return False
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return len(MIGRATIONS.applied(sqlite_utils.Database(conn))) == len(MIGRATIONS._migrations)
    except sqlite3.OperationalError:  # the bot is still creating it
        return False
    finally:
        conn.close()


@contextlib.contextmanager
def bot_process(args: list[str], cwd: Path) -> Iterator[subprocess.Popen]:
    """`chambre-bot run` with no chat configured: the console, reading the commands written
    to its stdin, until that is closed (then it must exit cleanly)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CHAMBRE_")}
    with open(cwd / "bot.log", "w", encoding="utf-8") as log, \
            subprocess.Popen([*chambre_bot(), *args], cwd=cwd, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                             stderr=log, text=True, env=env) as proc:
        try:
            yield proc
        finally:
            proc.stdin.close()
            status = proc.wait(timeout=60)
    assert status == 0, (cwd / "bot.log").read_text(encoding="utf-8")


def files_beside(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


# ---- backup ------------------------------------------------------------------------------------

def test_a_backup_is_one_checked_private_file_with_every_record(database: Path, tmp_path: Path):
    copy = tmp_path / "backups" / "2026-12-01.db"
    copy.parent.mkdir()
    proc = run_cli("backup", "--db", str(database), str(copy))
    assert proc.stdout == (f"{copy}: a copy of {database}, checked: integrity ok; {MIGRATED}; "
                           f"8 meetings, 0 permanences, 12 bricks, 1 topic, 0 pledges; "
                           f"{round(copy.stat().st_size / 1000)} kB\n")
    assert files_beside(copy.parent) == ["2026-12-01.db"]  # nothing half-written left, no -wal
    assert stat.S_IMODE(copy.stat().st_mode) == 0o600  # it holds the bot's chat tokens
    with sqlite3.connect(copy) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"  # one self-contained file
    conn.close()
    assert export(copy) == export(database)


def test_a_backup_while_the_bot_writes_is_a_consistent_snapshot(tmp_path: Path):
    """`chambre-bot run` (the console, with no chat configured) adds topics one by one while
    backups are taken: each backup holds the first k topics, none missing in between, and
    its integrity check passes."""
    folder = tmp_path / "bot"
    folder.mkdir()
    db = folder / "chambre.db"
    seen: list[int] = []
    with bot_process(["run"], folder) as proc:
        wait_served(db, proc)
        for n in range(1, 41):
            proc.stdin.write(f"!odj ajouter point {n}\n")
            proc.stdin.flush()
            if n % 8 == 0:
                copy = tmp_path / f"copy{n}.db"
                run_cli("backup", "--db", str(db), str(copy))
                got = topics(copy)
                assert got == [f"point {k}" for k in range(1, len(got) + 1)], got
                seen.append(len(got))
        assert is_served(db)  # the copies were taken while the bot held the database
    last = tmp_path / "last.db"
    run_cli("backup", "--db", str(db), str(last))
    assert topics(last) == [f"point {k}" for k in range(1, 41)]
    assert seen == sorted(seen)


def test_backup_refusals_change_nothing(database: Path, tmp_path: Path):
    other = tmp_path / "other.db"
    with sqlite3.connect(other) as conn:
        conn.execute("CREATE TABLE photos (id INTEGER PRIMARY KEY)")
    conn.close()
    text = tmp_path / "notes.txt"
    text.write_text("pas une base\n" * 100, encoding="utf-8")
    existing = tmp_path / "yesterday.db"
    existing.write_bytes(b"yesterday's backup")
    before = files_beside(tmp_path)
    cases = [
        (["--db", str(tmp_path / "chambre.bd"), str(tmp_path / "b.db")], "chambre.bd: no such database"),
        (["--db", str(text), str(tmp_path / "b.db")], f"{text} is not a SQLite database"),
        (["--db", str(other), str(tmp_path / "b.db")], f"{other} is not a chambre-bot database"),
        (["--db", str(database), str(existing)], f"{existing} already exists: nothing written"),
        (["--db", str(database), str(database)], "is the database itself"),
        (["--db", str(database), str(tmp_path / "no" / "b.db")], f"{tmp_path / 'no'}: no such folder"),
        (["--db", str(database), str(tmp_path)], f"{tmp_path} is a directory"),
    ]
    for args, said in cases:
        proc = run_cli("backup", *args, check=False)
        assert proc.returncode == 1 and said in proc.stderr, (args, proc.stderr)
        assert "Traceback" not in proc.stderr and len(proc.stderr.splitlines()) == 1
    assert files_beside(tmp_path) == before
    assert existing.read_bytes() == b"yesterday's backup"
    run_cli("backup", "--db", str(database), str(existing), "--overwrite")
    assert export(existing) == export(database)


def test_backup_reads_the_configured_database_and_needs_no_secret(tmp_path: Path):
    """A backup run from cron, or a restore by hand, reads the service's configuration
    without its secrets file: neither needs the chats' password or token (nor does the
    console, export, digest or minutes; `run` does)."""
    config = tmp_path / "config.toml"
    config.write_text('[chambre]\ndatabase = "state/chambre.db"\n[matrix]\nhomeserver = "https://m.example.org"\n'
                      'user_id = "@chambre:example.org"\n', encoding="utf-8")
    run_cli("console", "-c", str(config), "--now", NOW, stdin="!odj ajouter Depuis la configuration\n")
    run_cli("backup", "-c", str(config), str(tmp_path / "b.db"))
    assert topics(tmp_path / "b.db") == ["Depuis la configuration"]
    assert "Depuis la configuration" in run_cli("export", "-c", str(config)).stdout
    assert "Depuis la configuration" in run_cli("digest", "-c", str(config), "--now", "2026-12-07T09:00").stdout
    run_cli("console", "-c", str(config), "--now", NOW, stdin="!séance ouvrir Sans secret\n!info Lu par cron\n!séance clore\n")
    assert "Lu par cron" in run_cli("minutes", "-c", str(config), "1", "--format", "md").stdout
    run_cli("restore", "-c", str(config), str(tmp_path / "b.db"))
    refused = run_cli("run", "-c", str(config), check=False)
    assert refused.returncode == 2 and "[matrix] password or access_token: missing" in refused.stderr
    proc = run_cli("backup", "-c", str(config), "--db", str(tmp_path / "x.db"), str(tmp_path / "c.db"), check=False)
    assert proc.returncode == 2 and "not allowed with argument" in proc.stderr  # one or the other


# ---- restore -----------------------------------------------------------------------------------

def test_restore_replaces_the_database_and_keeps_the_old_one(database: Path, tmp_path: Path):
    copy = tmp_path / "b.db"
    run_cli("backup", "--db", str(database), str(copy))
    run_cli("console", "--now", NOW, "--db", str(database), stdin="!odj ajouter Après la sauvegarde\n")
    before = export(database)
    proc = run_cli("restore", "--db", str(database), str(copy))
    [replaced] = replaced_files(tmp_path)
    assert proc.stdout.splitlines() == [
        f"{database}: restored from {copy} (integrity ok; {MIGRATED}; "
        f"8 meetings, 0 permanences, 12 bricks, 1 topic, 0 pledges; {round(copy.stat().st_size / 1000)} kB)",
        f"The database it replaced is kept as {replaced}",
    ]
    assert topics(database) == ["Premier point"]
    assert export(replaced) == before  # "Après la sauvegarde" is there, kept


def test_the_replaced_database_keeps_commits_still_in_its_wal(database: Path, tmp_path: Path):
    """A bot killed before SQLite moved its last commits from `-wal` into the database file:
    the restore keeps the two together, so the replaced database still has them."""
    copy = tmp_path / "b.db"
    run_cli("backup", "--db", str(database), str(copy))
    killed = ("import os, sqlite3, sys\n"
              "c = sqlite3.connect(sys.argv[1]); c.execute('PRAGMA wal_autocheckpoint = 0')\n"
              "c.execute(\"INSERT INTO topics (text, added_by, room, created_at) VALUES "
              "('Dans le wal', 'alice', 'console', '2026-12-01T09:00:00+00:00')\"); c.commit()\n"
              "os._exit(0)\n")
    subprocess.run([sys.executable, "-c", killed, str(database)], check=True)
    assert (tmp_path / "chambre.db-wal").stat().st_size > 0
    run_cli("restore", "--db", str(database), str(copy))
    [replaced] = replaced_files(tmp_path)
    assert (tmp_path / (replaced.name + "-wal")).exists()
    assert topics(replaced) == ["Premier point", "Dans le wal"]
    assert topics(database) == ["Premier point"]


def test_restore_onto_another_machine(database: Path, tmp_path: Path):
    copy = tmp_path / "b.db"
    run_cli("backup", "--db", str(database), str(copy))
    elsewhere = tmp_path / "machine2" / "var" / "chambre.db"
    proc = run_cli("restore", "--db", str(elsewhere), str(copy))
    assert "kept as" not in proc.stdout  # nothing was there to replace
    assert export(elsewhere) == export(database)
    session = run_cli("console", "--db", str(elsewhere), "--now", NOW, stdin="!réunion liste\n")
    assert "Atelier briques" in session.stdout


def test_restore_refuses_while_a_bot_serves_the_database(database: Path, tmp_path: Path):
    copy = tmp_path / "b.db"
    run_cli("backup", "--db", str(database), str(copy))
    config = tmp_path / "config.toml"
    config.write_text(f'[chambre]\ndatabase = "{database}"\n', encoding="utf-8")
    with bot_process(["run", "-c", str(config)], tmp_path) as proc:
        wait_served(database, proc)
        before = export(database)
        refused = run_cli("restore", "-c", str(config), str(copy), check=False)
        assert refused.returncode == 1
        assert refused.stderr == (f"chambre-bot: {database} is served by a running chambre-bot (process {proc.pid}): "
                                  "stop it first (systemctl stop chambre-bot), then restore\n")
        assert export(database) == before
        assert not [p for p in tmp_path.iterdir() if "replaced" in p.name or "restoring" in p.name]
    run_cli("restore", "-c", str(config), str(copy))  # stopped: now it restores


def test_restore_refuses_a_file_it_cannot_use(database: Path, tmp_path: Path):
    good = tmp_path / "good.db"
    run_cli("backup", "--db", str(database), str(good))
    damaged = tmp_path / "damaged.db"
    with sqlite3.connect(good) as conn:
        page = conn.execute("PRAGMA page_size").fetchone()[0]
        root = conn.execute("SELECT rootpage FROM sqlite_master WHERE name = 'bricks'").fetchone()[0]
    conn.close()
    data = bytearray(good.read_bytes())
    start = (root - 1) * page + 8  # the bricks table's cell pointers, scribbled on
    data[start:start + 64] = b"\xff" * 64
    damaged.write_bytes(bytes(data))
    newer = tmp_path / "newer.db"
    run_cli("backup", "--db", str(database), str(newer))
    with sqlite3.connect(newer) as conn:
        conn.execute("INSERT INTO _sqlite_migrations (migration_set, name, applied_at) VALUES "
                     "('chambre', '0099_future', '2030-01-01')")
    conn.close()
    other = tmp_path / "other.db"
    with sqlite3.connect(other) as conn:
        conn.execute("CREATE TABLE photos (id INTEGER PRIMARY KEY)")
    conn.close()
    text = tmp_path / "notes.txt"
    text.write_text("pas une base\n", encoding="utf-8")
    before = export(database)
    cases = [(damaged, f"{damaged} is damaged ("),
             (newer, f"{newer} was written by a newer chambre-bot (migrations this version does not know: "
                     "0099_future): upgrade this one first"),
             (other, f"{other} is not a chambre-bot database"),
             (text, f"{text} is not a SQLite database"),
             (tmp_path / "missing.db", "missing.db: no such file"),
             (database, "is the database itself")]
    for path, said in cases:
        proc = run_cli("restore", "--db", str(database), str(path), check=False)
        assert proc.returncode == 1 and said in proc.stderr, (path, proc.stderr)
        assert len(proc.stderr.splitlines()) == 1 and "Traceback" not in proc.stderr
    assert export(database) == before
    assert not [p for p in tmp_path.iterdir() if "replaced" in p.name or "restoring" in p.name]


@pytest.mark.skipif(os.geteuid() != 0, reason="only root can give a file to another user")
def test_a_restore_run_as_root_leaves_the_files_to_the_bots_user(database: Path, tmp_path: Path):
    """The service's state folder belongs to its own user: a restore run with sudo must leave
    it a database, and a lock file, that this user can write, on a new machine or not."""
    copy = tmp_path / "b.db"
    run_cli("backup", "--db", str(database), str(copy))
    for folder in (tmp_path, tmp_path / "machine2"):
        folder.mkdir(exist_ok=True)
        os.chown(folder, 4321, 4322)
        run_cli("restore", "--db", str(folder / "chambre.db"), str(copy))
        for name in ("chambre.db", "chambre.db.lock"):
            st = (folder / name).stat()
            assert (st.st_uid, st.st_gid) == (4321, 4322), (folder, name)


# ---- the Matrix crypto store, carried in the same file -----------------------------------------

BOT, DEVICE, KEY = "@chambre:example.org", "BOTDEVICE", "a-test-store-key-not-the-default"


def make_store(folder: Path) -> dict[str, str]:
    """A crypto store as the bot's Matrix backend keeps one (nio's SqliteStore: one SQLite
    file per device, the account pickled with the store key); the device's identity keys."""
    from nio.crypto import OlmAccount
    from nio.store import SqliteStore

    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    store = SqliteStore(BOT, DEVICE, str(folder), KEY)
    account = OlmAccount()
    store.save_account(account)
    store.database.close()
    return account.identity_keys


def identity(folder: Path) -> dict[str, str] | None:
    from nio.store import SqliteStore

    store = SqliteStore(BOT, DEVICE, str(folder), KEY)
    try:
        account = store.load_account()
        return account.identity_keys if account else None
    finally:
        store.database.close()


def test_the_crypto_store_beside_the_database_travels_inside_the_backup(database: Path, tmp_path: Path):
    """The store at its default place (`chambre.db.crypto/`): in the one backup file, put back
    beside the restored database on another machine with the same device keys; restoring over
    a store keeps the replaced one beside the replaced database."""
    store = tmp_path / "chambre.db.crypto"
    keys = make_store(store)
    (store / f"{BOT}_{DEVICE}.db-journal").write_bytes(b"")  # a journal: the online backup reads through it
    copy = tmp_path / "b.db"
    made = run_cli("backup", "--db", str(database), str(copy)).stdout
    assert "and its crypto store" in made and "the crypto store, 1 file(s)" in made
    assert stat.S_IMODE(copy.stat().st_mode) == 0o600  # the store's keys are no more readable than the bot's

    elsewhere = tmp_path / "machine2" / "chambre.db"
    done = run_cli("restore", "--db", str(elsewhere), str(copy)).stdout
    restored = tmp_path / "machine2" / "chambre.db.crypto"
    assert f"The crypto store is back in {restored}" in done
    assert identity(restored) == keys
    assert [p.name for p in restored.iterdir()] == [f"{BOT}_{DEVICE}.db"]
    assert stat.S_IMODE(restored.stat().st_mode) == 0o700
    with sqlite3.connect(elsewhere) as conn:  # the files went back to their folder, not left in the database
        assert not conn.execute("SELECT 1 FROM sqlite_master WHERE name = ?", [FILES_TABLE]).fetchone()
    conn.close()
    assert export(elsewhere) == export(database)

    newer = make_store(store)  # a store made since (a new device): restoring over it keeps it
    done = restore(copy, database)
    assert identity(tmp_path / (done.replaced.name + ".crypto")) == newer
    assert identity(store) == keys
    assert done.state == {store: tmp_path / (done.replaced.name + ".crypto")}


def test_a_store_configured_elsewhere_is_backed_up_and_restored_there(tmp_path: Path):
    """`[matrix] store_path` elsewhere: `-c` finds it (with no secret given, as from cron), and
    a restore on a machine whose configuration names another place puts it there."""
    def configure(folder: Path, store: str) -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        config = folder / "config.toml"
        config.write_text(f'[chambre]\ndatabase = "state/chambre.db"\n[matrix]\nhomeserver = "https://m.example.org"\n'
                          f'user_id = "{BOT}"\nstore_path = "{store}"\n', encoding="utf-8")
        return config

    config = configure(tmp_path / "one", "keys")
    run_cli("console", "-c", str(config), "--now", NOW, stdin="!odj ajouter Avant la sauvegarde\n")
    keys = make_store(tmp_path / "one" / "keys")
    copy = tmp_path / "b.db"
    assert "and its crypto store" in run_cli("backup", "-c", str(config), str(copy)).stdout

    other = configure(tmp_path / "two", str(tmp_path / "two" / "elsewhere" / "crypto"))
    old = make_store(tmp_path / "two" / "elsewhere" / "crypto")  # the store there before
    run_cli("restore", "-c", str(other), str(copy))
    assert identity(tmp_path / "two" / "elsewhere" / "crypto") == keys
    assert topics(tmp_path / "two" / "state" / "chambre.db") == ["Avant la sauvegarde"]
    aside = [p for p in (tmp_path / "two" / "elsewhere").iterdir() if p.name.startswith("crypto.replaced-")]
    assert len(aside) == 1 and identity(aside[0]) == old
    assert not (tmp_path / "two" / "state" / "chambre.db.crypto").exists()


def test_a_backup_without_a_store_leaves_the_store_in_place(database: Path, tmp_path: Path):
    """A backup made before the crypto store existed (0.1.0's, or a plain copy of the
    database made as its README said) restores the database and leaves the store alone: the
    bot's login finds whether it still holds the restored device's keys."""
    plain = tmp_path / "plain.db"
    with sqlite3.connect(database) as src, sqlite3.connect(plain) as out:
        src.backup(out)  # `sqlite3 chambre.db ".backup plain.db"`
    src.close()
    out.close()
    keys = make_store(tmp_path / "chambre.db.crypto")
    done = run_cli("restore", "--db", str(database), str(plain)).stdout
    assert "crypto store" not in done
    assert identity(tmp_path / "chambre.db.crypto") == keys
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".crypto") and p.name != "chambre.db.crypto"]


def test_a_backup_naming_a_file_outside_the_state_is_refused(database: Path, tmp_path: Path):
    make_store(tmp_path / "chambre.db.crypto")
    copy = tmp_path / "b.db"
    backup(database, copy)
    up_and_out = "/".join(["crypto", "..", "..", "etc", "cron.d", "x"])  # joined: no path literal here
    for hostile in (up_and_out, "/".join(["", "etc", "cron.d", "x"]), "elsewhere/x", "crypto"):
        with sqlite3.connect(copy) as conn:
            conn.execute(f"UPDATE {FILES_TABLE} SET path = ?", [hostile])
        conn.close()
        with pytest.raises(StorageError, match="a file outside the bot's state"):
            restore(copy, tmp_path / "machine2" / "chambre.db")
        assert not (tmp_path / "machine2" / "chambre.db").exists()
        assert not (tmp_path / "machine2" / "chambre.db.crypto").exists()
    assert not (tmp_path / "etc").exists()
