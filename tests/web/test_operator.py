"""The operator's side of the board: [web] checked key by key, `chambre-bot serve` alone on
a database, `run` serving it beside the console, and /healthz with each backend's state."""
from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import subprocess
from datetime import timedelta
from pathlib import Path

import aiohttp
import pytest

from bot.backends.base import Backend, BackendStatus, Outgoing
from bot.clock import ManualClock
from bot.config import Config, ConfigError, WebConfig, parse_config
from bot.web import WebServer
from storage.db import DatabaseThread
from tests.core.conftest import chambre_bot, run_cli
from tests.support import wait_until
from tests.web.conftest import NOW, TOKEN


def test_the_web_section_is_checked_key_by_key():
    config = parse_config({"web": {}}, env={})
    assert config.web == WebConfig() and config.web.host_port == ("127.0.0.1", 8080)
    assert parse_config({}, env={}).web is None  # no section: no web server
    with pytest.raises(ConfigError) as err:
        parse_config({"web": {"listen": "8080", "base_url": "chambre.example.org", "language": "de", "show_names": "no",
                              "token": "short", "public": 0, "colour": "green"}}, env={})
    problems = "\n".join(err.value.problems)
    for expected in ("[web] listen = '8080': expected an address and port", "[web] base_url = 'chambre.example.org': expected an http",
                     "[web] language = 'de'", "[web] show_names = 'no': expected true or false",
                     "[web] token: expected at least 16", "[web] public = 0: expected true or false", "[web] colour: unknown key"):
        assert expected in problems
    assert "short" not in problems  # a secret, even a wrong one, is not printed
    with pytest.raises(ConfigError, match="public = false: expected a token"):
        parse_config({"web": {"public": False}}, env={})
    # the commands that read a configuration without its secrets (export, digest) still can
    assert parse_config({"web": {"public": False}}, env={}, secrets=False).web.public is False
    private = parse_config({"web": {"public": False, "base_url": "https://c.example.org/"}}, env={"CHAMBRE_WEB_TOKEN": TOKEN})
    assert private.web.token == TOKEN and private.web.base_url == "https://c.example.org"
    assert parse_config({"web": {"listen": "[::1]:0"}}, env={}).web.host_port == ("::1", 0)
    with pytest.raises(ConfigError, match="CHAMBRE_WEB_TOKEN: expected at least 16") as err:
        parse_config({"web": {}}, env={"CHAMBRE_WEB_TOKEN": "abc"})
    assert "abc" not in str(err.value)


def test_check_config_says_where_the_board_listens(tmp_path: Path):
    path = tmp_path / "config.toml"
    path.write_text('[web]\nlisten = "0.0.0.0:8099"\n', encoding="utf-8")
    assert "web board on 0.0.0.0:8099" in run_cli("check-config", "-c", str(path)).stdout
    path.write_text('[web]\npublic = false\ntoken = "tiny"\n', encoding="utf-8")
    proc = run_cli("check-config", "-c", str(path), check=False)
    assert proc.returncode == 1 and "[web] token: expected at least 16" in proc.stdout and "tiny" not in proc.stdout


def test_the_example_configuration_has_the_web_section():
    text = (Path(__file__).resolve().parents[2] / "config.example.toml").read_text(encoding="utf-8")
    section = text.split("[web]", 1)[1]
    for key in ("listen", "base_url", "language", "show_names", "token", "public"):
        assert re.search(rf"^#? ?{key} = ", section, re.M), key


def _board_address(proc: subprocess.Popen) -> str:
    line = proc.stderr.readline()
    found = re.search(r"the board is on (http://\S+)/ ", line)
    assert found, line
    return found.group(1)


async def _get(url: str) -> tuple[int, str]:
    async with aiohttp.ClientSession() as session, session.get(url) as r:
        return r.status, await r.text()


async def test_serve_shows_the_board_alone_on_a_database(tmp_path: Path):
    db = tmp_path / "chambre.db"
    run_cli("console", "--now", "2026-12-01T10:00", "--db", str(db), "--user", "alice",
            stdin="!réunion proposer vendredi 19h ; Atelier briques ; MESHS\n")
    # a rhythm in the configuration only: stored when the board opens the database, as the bot does
    config = tmp_path / "config.toml"
    config.write_text('[rhythm]\nrule = "un jeudi sur deux à 18h"\nplace = "MESHS"\n[web]\npublic = false\n',
                      encoding="utf-8")
    # a private board's token from the service's EnvironmentFile, as `run --env-file` reads it
    secrets = tmp_path / "secrets.env"
    secrets.write_text(f"CHAMBRE_WEB_TOKEN={TOKEN}\n", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("CHAMBRE_")}
    proc = subprocess.Popen([*chambre_bot(), "serve", "-c", str(config), "--env-file", str(secrets), "--db", str(db),
                             "--listen", "127.0.0.1:0"],
                            cwd=tmp_path, stderr=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env)
    try:
        url = await asyncio.to_thread(_board_address, proc)
        assert (await _get(url + "/reunions/8"))[0] == 401
        status, page = await _get(url + f"/reunions/8?token={TOKEN}")
        assert status == 200 and "Atelier briques" in page
        status, page = await _get(url + f"/?token={TOKEN}")
        assert status == 200 and "Rythme : un jeudi sur deux à 18h" in page and "Pas de séance prévue" not in page
        status, health = await _get(url + f"/healthz?token={TOKEN}")
        assert status == 200 and json.loads(health) == {"status": "ok", "database": "ok", "backends": {}}
    finally:
        proc.send_signal(signal.SIGTERM)
        out, err = await asyncio.to_thread(proc.communicate, timeout=30)
    assert proc.returncode == 0, err
    assert "Traceback" not in err


def test_serve_refuses_a_missing_database_and_a_wrong_address(tmp_path: Path):
    proc = run_cli("serve", "--db", str(tmp_path / "nope.db"), "--listen", "127.0.0.1:0", check=False, cwd=tmp_path)
    assert proc.returncode == 1 and "no such database" in proc.stderr and "Traceback" not in proc.stderr
    proc = run_cli("serve", "--db", str(tmp_path / "nope.db"), "--listen", "localhost", check=False, cwd=tmp_path)
    assert proc.returncode == 2 and "expected an address and port" in proc.stderr


async def test_run_serves_the_board_beside_the_console_and_says_when_the_port_is_taken(tmp_path: Path):
    config = tmp_path / "config.toml"
    config.write_text('[web]\nlisten = "127.0.0.1:0"\n', encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("CHAMBRE_")}
    env["CHAMBRE_LOG"] = "info"  # the address is logged at info
    proc = subprocess.Popen([*chambre_bot(), "run", "-c", str(config)], cwd=tmp_path, stdin=subprocess.PIPE,
                            stderr=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env)
    try:
        def address() -> str:
            for line in proc.stderr:
                found = re.search(r"the board is on (http://\S+)/", line)
                if found:
                    return found.group(1)
            raise AssertionError("no address logged")

        url = await asyncio.to_thread(address)
        proc.stdin.write("!odj ajouter Salle pour janvier\n")
        proc.stdin.flush()

        async def shown() -> bool:
            return "Salle pour janvier" in (await _get(url + "/"))[1]

        await wait_until(shown, 20, "the topic never showed on the board")
        status, health = await _get(url + "/healthz")
        assert status == 200 and json.loads(health)["backends"]["console"]["connected"] is True
        port = url.rsplit(":", 1)[1]
        busy = tmp_path / "busy.toml"
        busy.write_text(f'[chambre]\ndatabase = "other.db"\n[web]\nlisten = "127.0.0.1:{port}"\n', encoding="utf-8")
        taken = run_cli("run", "-c", str(busy), stdin="", check=False, cwd=tmp_path)
        assert taken.returncode == 1 and f"cannot listen on 127.0.0.1:{port}" in taken.stderr
        assert "Traceback" not in taken.stderr
    finally:
        # the console's input ends (communicate closes it): the bot stops
        await asyncio.to_thread(proc.communicate, timeout=30)
    assert proc.returncode == 0


class Quiet(Backend):
    """A chat that stays connected until stopped, and says when it last heard something."""

    name = "quiet"

    def __init__(self, heard) -> None:
        self.heard = heard
        self.stopped = asyncio.Event()

    async def run(self, deliver) -> None:
        await self.stopped.wait()

    async def send(self, out: Outgoing) -> None:
        raise ConnectionError("never sends: its outbox fills up")

    async def stop(self) -> None:
        self.stopped.set()

    def status(self) -> BackendStatus:
        return BackendStatus(connected=True, last_event=self.heard)


async def test_healthz_gives_each_backends_state_and_503_when_the_database_cannot_be_read(tmp_path: Path):
    from bot.app import App

    clock = ManualClock(NOW)
    backend = Quiet(NOW - timedelta(seconds=42))
    config = Config(web=WebConfig(listen="127.0.0.1:0"))
    app = App(config, clock=clock, backends=[backend], db_path=str(tmp_path / "chambre.db"))
    app.schedule = False
    await app.start()
    server = WebServer(config, app.db, clock, app=app)
    await server.start()
    try:
        def queue(db):
            with db.atomic():
                from storage.store import Store

                for k in range(3):
                    Store(db).enqueue(f"key{k}", "quiet", "[]", NOW, room="!r")
        await app.db.run(queue)
        status, body = await _get(server.url + "/healthz")
        assert status == 200
        state = json.loads(body)["backends"]["quiet"]
        assert state["connected"] is True and state["last_event_age_seconds"] == 42.0 and state["outbox"] == 3
        await backend.stop()  # its run() ends: down, whatever it says
        await wait_until(lambda: not app.backend_status()["quiet"].connected)
        assert json.loads((await _get(server.url + "/healthz"))[1])["backends"]["quiet"]["connected"] is False
    finally:
        await server.stop()
        await app.stop()

    broken = tmp_path / "broken.db"
    broken.write_text("not a database, an operator's mistake\n" * 100)
    db = DatabaseThread(broken)
    server = WebServer(Config(web=WebConfig(listen="127.0.0.1:0", token=TOKEN)), db)
    await server.start()
    try:
        status, body = await _get(server.url + f"/healthz?token={TOKEN}")
        assert status == 503 and json.loads(body)["status"] == "error" and "not a SQLite database" in body
    finally:
        await server.stop()
        db.close()
