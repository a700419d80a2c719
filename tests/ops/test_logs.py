"""The operator's log at `info`: one line per command handled and per post made, with the
backend, the room and the command's name; never what the member typed after the command;
as text, or as one JSON object per line (`--log-format json`). The chats' own runs, where
the secrets are checked too: tests/matrix/test_operating.py (Synapse) and
tests/rocketchat/test_logs.py (the fake Rocket.Chat)."""
from __future__ import annotations

import json
import logging
from pathlib import Path

from bot.logs import JsonFormatter, event
from tests.core.conftest import run_cli

# Words a member types that the log must not repeat: a title, a place, a topic, a note.
PRIVATE = ("Zorglub-atelier", "Chez-Marguerite", "Zorglub-point", "Zorglub-note")
SESSION = ("!réunion proposer vendredi 19h ; Zorglub-atelier ; Chez-Marguerite\n"
           "!odj ajouter Zorglub-point\n"
           "!brique note 1 ; Zorglub-note\n"
           "!réunion confirmer 8\n"  # the first after the seven seeded meetings to organise
           "!zorglub-inconnu\n"
           "!réunion annuler 99 ; Zorglub-note\n"
           "/avance 7 jours\n")


def test_text_lines_name_backend_room_and_command_only(tmp_path: Path):
    proc = run_cli("console", "--db", str(tmp_path / "c.db"), "--now", "2026-12-01T10:00", "--log-level", "info",
                   "--user", "root", stdin=SESSION)
    lines = [line for line in proc.stderr.splitlines() if " bot.app: " in line]
    said = [line.split(" bot.app: ", 1)[1] for line in lines]
    assert said[:6] == ["console console: meeting propose, done", "console console: topic add, done",
                        "console console: brick note, done", "console console: meeting confirm, done",
                        "console console: ?, unknown", "console console: meeting cancel, refused"]
    # The clock moved a week: the organiser's reminder (a direct message) and the digest.
    assert said[6:] == ["console root: post reminder/meeting/8/2026-12-04T19:00+01:00/root queued",
                        "console console: post digest/2026-12-07T09:00+01:00/console queued"]
    for word in PRIVATE + ("zorglub-inconnu",):
        assert word not in proc.stderr, word
    assert all(line.split(" ")[2] == "INFO" for line in lines)


def test_json_lines_for_log_collectors(tmp_path: Path):
    proc = run_cli("console", "--db", str(tmp_path / "c.db"), "--now", "2026-12-01T10:00", "--log-level", "info",
                   "--log-format", "json", "--user", "root", stdin=SESSION)
    records = [json.loads(line) for line in proc.stderr.splitlines()]  # every line is one JSON object
    commands = [r for r in records if "command" in r]
    assert [(r["backend"], r["room"], r["command"], r["outcome"]) for r in commands] == [
        ("console", "console", "meeting propose", "done"), ("console", "console", "topic add", "done"),
        ("console", "console", "brick note", "done"), ("console", "console", "meeting confirm", "done"),
        ("console", "console", "?", "unknown"), ("console", "console", "meeting cancel", "refused")]
    for r in commands:
        assert r["level"] == "info" and r["logger"] == "bot.app" and r["event"].startswith("console-")
        assert r["time"].endswith("+00:00")
    posts = [r for r in records if "post" in r]
    assert [(r["backend"], r["room"], r["post"].split("/")[0]) for r in posts] == [
        ("console", "root", "reminder"), ("console", "console", "digest")]
    for word in PRIVATE:
        assert word not in proc.stderr, word


def test_the_default_level_says_nothing_of_ordinary_commands(tmp_path: Path):
    proc = run_cli("console", "--db", str(tmp_path / "c.db"), "--now", "2026-12-01T10:00", stdin=SESSION)
    assert proc.stderr == ""


def test_a_traceback_stays_one_json_line():
    try:
        raise ValueError("boom")
    except ValueError:
        record = logging.getLogger("bot.test").makeRecord("bot.test", logging.ERROR, __file__, 1, "failed %s", ("x",),
                                                          exc_info=__import__("sys").exc_info(),
                                                          extra=event(backend="matrix", command="agenda"))
    line = JsonFormatter().format(record)
    assert "\n" not in line
    data = json.loads(line)
    assert data["message"] == "failed x" and data["backend"] == "matrix" and data["command"] == "agenda"
    assert "ValueError: boom" in data["exception"]
