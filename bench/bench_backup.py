"""Backup and restore of a large Chambre, and what a backup costs a bot writing meanwhile.

    .venv/bin/python bench/bench_backup.py [--meetings 10000] [--bricks 500] [--history 20]
                                           [--room-keys 0]

Fills a database as bench/bench_core.py does (its `fill`), then times `backup` (the online
copy, the switch to one file, the full check), `restore` onto a new path, and the longest a
writer waited for one small transaction (a topic added, as a command does) while backups ran
in a loop beside it, against the same writer alone. With `--room-keys N`, a Matrix crypto
store beside the database (nio's, the bot's account and N room keys received) goes into each
backup and is restored with it. No goal is set by the issue; the numbers go in
docs/operating.md.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.bench_core import fill  # noqa: E402
from storage.backup import backup, restore  # noqa: E402
from storage.db import connect  # noqa: E402


def writer_waits(db_path: Path, stop: threading.Event, out: list[float]) -> None:
    db = connect(db_path)
    try:
        while not stop.is_set():
            started = time.perf_counter()
            with db.atomic():
                db.execute("INSERT INTO topics (text, added_by, room, created_at) VALUES "
                           "('point', 'bench', 'console', '2026-12-01T09:00:00+00:00')")
            out.append(time.perf_counter() - started)
            time.sleep(0.005)
    finally:
        db.close()


def fill_store(folder: Path, room_keys: int) -> None:
    """A crypto store as the bot keeps one: its account and `room_keys` megolm sessions."""
    from nio.crypto import InboundGroupSession, OlmAccount, OutboundGroupSession
    from nio.store import SqliteStore

    folder.mkdir()
    store = SqliteStore("@chambre:example.org", "BENCH", str(folder), "a-bench-store-key-of-16+")
    account = OlmAccount()
    store.save_account(account)
    keys = account.identity_keys
    with store.database.atomic():
        for n in range(room_keys):
            outbound = OutboundGroupSession()
            store.save_inbound_group_session(InboundGroupSession(
                outbound.session_key, keys["ed25519"], keys["curve25519"], f"!room{n % 50}:example.org"))
    store.database.close()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--meetings", type=int, default=10_000)
    ap.add_argument("--bricks", type=int, default=500)
    ap.add_argument("--history", type=int, default=20)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--room-keys", type=int, default=0, help="a crypto store with this many room keys (0: none)")
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        path = tmp / "chambre.db"
        db = connect(path)
        fill(db, args.meetings, args.bricks, args.history)
        db.close()
        size = path.stat().st_size
        store = path.with_name("chambre.db.crypto")
        if args.room_keys:
            fill_store(store, args.room_keys)
        store_size = sum(f.stat().st_size for f in store.glob("*")) if args.room_keys else 0

        times = []
        for n in range(args.repeats):
            started = time.perf_counter()
            backup(path, tmp / f"b{n}.db")
            times.append(time.perf_counter() - started)
        restores = []
        for n in range(args.repeats):
            started = time.perf_counter()
            restore(tmp / "b0.db", tmp / f"r{n}" / "chambre.db")
            restores.append(time.perf_counter() - started)

        alone: list[float] = []
        stop = threading.Event()
        t = threading.Thread(target=writer_waits, args=(path, stop, alone))
        t.start()
        time.sleep(2.0)
        stop.set()
        t.join()

        beside: list[float] = []
        stop = threading.Event()
        t = threading.Thread(target=writer_waits, args=(path, stop, beside))
        t.start()
        for n in range(args.repeats):
            backup(path, tmp / f"w{n}.db")
        stop.set()
        t.join()

    print(f"database: {size / 1e6:.1f} MB ({args.meetings} meetings, {args.bricks} bricks x {args.history} entries)"
          + (f"; crypto store: {store_size / 1e6:.1f} MB ({args.room_keys} room keys)" if args.room_keys else ""))
    print(f"backup (copy + check): median {statistics.median(times) * 1000:.0f} ms, max {max(times) * 1000:.0f} ms")
    print(f"restore: median {statistics.median(restores) * 1000:.0f} ms, max {max(restores) * 1000:.0f} ms")
    print(f"a writer's transaction alone: median {statistics.median(alone) * 1000:.2f} ms, "
          f"max {max(alone) * 1000:.1f} ms ({len(alone)} transactions)")
    print(f"the same while backups ran:   median {statistics.median(beside) * 1000:.2f} ms, "
          f"max {max(beside) * 1000:.1f} ms ({len(beside)} transactions)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
