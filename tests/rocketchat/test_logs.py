"""`chambre-bot run` on Rocket.Chat (the faithful fake) at `info`, in JSON: one line per
command with the backend, the room and the command's name; neither the bot's password, nor
the session token it got, nor what the member typed. (Matrix: tests/matrix/test_operating.py.)"""
from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
from pathlib import Path
from typing import Any

from bot.app import send_key
from tests.rocketchat.conftest import BOT_PASSWORD
from tests.rocketchat.test_process import CHAMBRE_BOT, caught_up, stop, write_config
from tests.support import outbox_settled, wait_until


async def test_the_log_names_the_command_and_keeps_secrets_and_words_out(fake: Any, tmp_path: Path):
    db = tmp_path / "chambre.db"
    config = write_config(tmp_path / "config.toml", fake.url, db)
    secrets_file = tmp_path / "secrets.env"
    secrets_file.write_text(f"CHAMBRE_ROCKETCHAT_PASSWORD={BOT_PASSWORD}\n", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("CHAMBRE_")}
    log = tmp_path / "bot.log"
    with open(log, "ab") as out:
        proc = subprocess.Popen([CHAMBRE_BOT, "run", "-c", str(config), "--env-file", str(secrets_file),
                                 "--log-level", "info", "--log-format", "json"],
                                env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    chambre = fake.rooms_by_name["chambre"]
    try:
        await caught_up(fake)
        typed = await fake.post_as("alice", chambre, "!odj ajouter Zorglub-secret de la réunion")
        await fake.wait_for(lambda: fake.message(send_key("reply", "rocketchat", typed["_id"])), timeout=60)
        await wait_until(lambda: outbox_settled(db, [typed["_id"]]), 30, "the outbox never drained", interval=0.05)
    finally:
        stop(proc, signal.SIGTERM)
    assert proc.returncode == 0
    text = log.read_text(encoding="utf-8")
    records = [json.loads(line) for line in text.splitlines()]
    [line] = [r for r in records if r.get("command")]
    assert {k: line[k] for k in ("level", "backend", "room", "command", "outcome", "event")} == {
        "level": "info", "backend": "rocketchat", "room": chambre, "command": "topic add", "outcome": "done",
        "event": typed["_id"]}
    with sqlite3.connect(db) as conn:
        token = conn.execute("SELECT value FROM backend_state WHERE backend = 'rocketchat' AND key = 'auth_token'"
                             ).fetchone()[0]
    conn.close()
    for never in (BOT_PASSWORD, token, "Zorglub"):
        assert never not in text, never
