"""Two processes on one database: an operator's console beside a running bot, two consoles at
once. Every command is applied once and answered; a second `run` on a served database refuses
to start, and a console beside a running bot leaves the scheduled posts to it."""
from __future__ import annotations

import json
import os
import subprocess
import threading
import time
from pathlib import Path

import pytest

from storage.db import StorageError, connect
from storage.lock import hold_serve_lock, is_served
from storage.migrations import MIGRATIONS
from tests.core.conftest import chambre_bot, run_cli

COMMANDS = 200


def start_console(db: Path, who: str, lines: list[str], *extra: str) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CHAMBRE_")}
    return subprocess.Popen([*chambre_bot(), "console", "--db", str(db), "--user", who, *extra],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)


def test_two_console_writers_every_command_applied_once_and_answered(tmp_path: Path):
    db = tmp_path / "chambre.db"
    lines = {who: [f"!odj ajouter {who}-{n}" for n in range(COMMANDS)] for who in ("alice", "bob")}
    procs = {who: start_console(db, who, lines[who]) for who in lines}
    # Both read their input at once: their commands interleave on the database.
    outputs = {}
    feeders = [threading.Thread(target=lambda who=who: outputs.__setitem__(
        who, procs[who].communicate("\n".join(lines[who]) + "\n", timeout=300))) for who in procs]
    for feeder in feeders:
        feeder.start()
    for feeder in feeders:
        feeder.join()
    for who, proc in procs.items():
        out, err = outputs[who]
        assert proc.returncode == 0 and "Traceback" not in err and "locked" not in err, err[-2000:]
        answered = [line.split(" : ", 1)[1] for line in out.splitlines() if "ajouté à l'ordre du jour" in line]
        assert answered == [f"{who}-{n}" for n in range(COMMANDS)]  # each answered once, in order
    topics = json.loads(run_cli("export", "--db", str(db)).stdout)["topics"]
    texts = sorted(t["text"] for t in topics)
    assert texts == sorted(f"{who}-{n}" for who in lines for n in range(COMMANDS))
    assert sorted(t["id"] for t in topics) == list(range(1, 2 * COMMANDS + 1))


def test_a_fresh_database_opened_by_several_at_once_is_migrated_once(tmp_path: Path):
    path = tmp_path / "fresh.db"
    errors: list[BaseException] = []

    def open_it() -> None:
        try:
            connect(path).close()
        except BaseException as err:  # noqa: BLE001 - reported below
            errors.append(err)

    threads = [threading.Thread(target=open_it) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    db = connect(path)
    try:
        assert [m.name for m in MIGRATIONS.applied(db)] == [m.name for m in MIGRATIONS._migrations]
        assert db.execute("SELECT count(*) FROM bricks").fetchone()[0] == 12  # seeded once
    finally:
        db.close()


def test_a_second_run_on_a_served_database_refuses_to_start(tmp_path: Path):
    db = tmp_path / "chambre.db"
    config = tmp_path / "config.toml"
    config.write_text(f'[chambre]\ndatabase = "{db}"\n', encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("CHAMBRE_")}
    # The first: `run` with no chat configured, the console, waiting for its input.
    first = subprocess.Popen([*chambre_bot(), "run", "-c", str(config)], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        deadline = time.monotonic() + 60
        while not is_served(db):
            assert first.poll() is None and time.monotonic() < deadline, "the first run never took its lock"
            time.sleep(0.05)
        second = run_cli("run", "-c", str(config), stdin="!odj ajouter ne doit pas passer\n", check=False)
        assert second.returncode == 1 and "Traceback" not in second.stderr, second.stderr
        assert f"{db} is already served by another chambre-bot run (process {first.pid})" in second.stderr
        assert "ne doit pas passer" not in second.stdout
        with pytest.raises(StorageError, match="already served"):
            hold_serve_lock(db)  # nor in this process
    finally:
        out, err = first.communicate("!odj ajouter depuis la première\n", timeout=60)
    assert first.returncode == 0 and "depuis la première" in out, err
    again = run_cli("run", "-c", str(config), stdin="!odj liste\n")  # released with its holder
    assert "depuis la première" in again.stdout and "ne doit pas passer" not in again.stdout


def test_a_console_beside_a_running_bot_leaves_it_the_scheduled_posts(tmp_path: Path):
    db = tmp_path / "chambre.db"
    session = "!odj ajouter Un point\n/avance 2 heures\n"
    # Monday 08:30: the weekly digest (Mondays 09:00) falls due during the session.
    lock = hold_serve_lock(db)
    try:
        beside = run_cli("console", "--db", str(db), "--now", "2026-12-07T08:30", stdin=session)
    finally:
        lock.close()
    assert "Un point" in beside.stdout and "La semaine de la Chambre" not in beside.stdout
    alone = run_cli("console", "--db", str(tmp_path / "alone.db"), "--now", "2026-12-07T08:30", stdin=session)
    assert "La semaine de la Chambre" in alone.stdout  # the same session alone makes the post

