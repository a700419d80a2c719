"""Fixtures for the core tests: a real SQLite file, a Context on it, the installed command line."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

import pytest

from bot.config import Config
from bot.export import export_json
from commands.context import Context
from commands.dispatcher import dispatch
from storage.db import connect
from storage.store import Store

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 12, 1, 9, 0, tzinfo=timezone.utc)  # 10:00 in Lille


def chambre_bot() -> list[str]:
    """The installed entry point, else the module."""
    script = Path(sys.executable).parent / "chambre-bot"
    return [str(script)] if script.exists() else [sys.executable, "-m", "bot.cli"]


def run_cli(*args: str, stdin: str | None = None, cwd: Path | None = None, check: bool = True) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CHAMBRE_")}
    proc = subprocess.run([*chambre_bot(), *args], input=stdin, capture_output=True, text=True,
                          cwd=cwd, env=env, timeout=60)
    if check and proc.returncode != 0:
        raise AssertionError(f"chambre-bot {' '.join(args)} exited {proc.returncode}\n{proc.stdout}\n{proc.stderr}")
    return proc


def console_replies(db: Path, script: str, *extra: str, now: str) -> list[str]:
    """`chambre-bot console` on `db`, clock at `now`: the replies, one block per answered line
    (a reply holds no blank line, but minutes do)."""
    out = run_cli("console", "--now", now, "--db", str(db), *extra, stdin=script).stdout
    return [block for block in out.split("\n\n") if block.strip()]


def export(db: Path) -> dict:
    """`chambre-bot export --db`, read back."""
    return json.loads(run_cli("export", "--db", str(db)).stdout)


class Chat:
    """The command layer on a real SQLite file, as one room of the bot sees it."""

    def __init__(self, path: Path, config: Config) -> None:
        self.db = connect(path)
        self.store = Store(self.db)
        self.config = config
        self.now = NOW
        self.counter = 0

    def context(self, sender: str = "alice", organiser: bool = True, lang: str = "fr") -> Context:
        self.counter += 1
        return Context(store=self.store, config=self.config, now=self.now, lang=lang, sender=sender, room="!room:test",
                       backend="console", is_organiser=organiser, event_id=f"ev{self.counter}")

    def say(self, text: str, sender: str = "alice", organiser: bool = True, lang: str = "fr") -> str | None:
        """Dispatch in a transaction, as the App does; the reply as plain text."""
        with self.db.atomic():
            reply = dispatch(self.context(sender, organiser, lang), text)
        return None if reply is None else reply.plain()

    def doc(self, text: str, sender: str = "alice", organiser: bool = True, lang: str = "fr"):
        with self.db.atomic():
            return dispatch(self.context(sender, organiser, lang), text)

    def export(self) -> dict:
        return export_json(self.store, self.config)

    def close(self) -> None:
        self.db.close()


@pytest.fixture
def chat(tmp_path: Path):
    c = Chat(tmp_path / "chambre.db", Config())
    yield c
    c.close()


def dumps(data: dict) -> str:
    return json.dumps(data, sort_keys=True, ensure_ascii=False)
