"""`chambre-bot run` as a process against the fake Rocket.Chat: killed in the middle of a
burst in each era, and started against a URL where no Rocket.Chat answers."""
from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any, AsyncIterator

import pytest

from bot.app import send_key
from tests.rocketchat.conftest import BOT, BOT_PASSWORD, ERAS, closed_port, plain_web_server, populate, start_fake
from tests.support import wait_until

CHAMBRE_BOT = str(Path(sys.executable).parent / "chambre-bot")


def write_config(path: Path, url: str, db: Path) -> Path:
    path.write_text(
        "[chambre]\n"
        f"database = {json.dumps(str(db))}\n"
        'language = "fr"\n'
        "[rocketchat]\n"
        f"url = {json.dumps(url)}\n"
        f"username = {json.dumps(BOT)}\n"
        'channels = ["chambre", "bureau"]\n'
    )
    return path


def run_bot(config: Path) -> subprocess.Popen:
    env = {**os.environ, "CHAMBRE_ROCKETCHAT_PASSWORD": BOT_PASSWORD}
    with open(config.parent / "bot.log", "ab") as log:
        return subprocess.Popen([CHAMBRE_BOT, "run", "-c", str(config)], env=env, stdout=log,
                                stderr=subprocess.STDOUT, start_new_session=True)


def stop(proc: subprocess.Popen, sig: int = signal.SIGTERM) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, sig)
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


# ---- a URL where no Rocket.Chat answers ------------------------------------------------------


async def test_run_against_a_url_where_no_rocketchat_answers_exits_1(tmp_path):
    """On first start, a wrong port, a name that does not resolve and a plain web server are
    configuration errors: `run` says so and exits with status 1 (after its 30 s of tries)
    instead of retrying for ever. The three run side by side."""
    web_server = await plain_web_server()
    try:
        web_port = web_server.addresses[0][1]
        cases = {
            "port": (f"http://127.0.0.1:{closed_port()}", "connection refused"),
            "name": ("http://chambre-bot-nowhere.invalid", "the name does not resolve"),
            "web": (f"http://127.0.0.1:{web_port}", "/api/info answered HTTP 404"),
        }
        procs = {}
        for name, (url, _) in cases.items():
            (tmp_path / name).mkdir()
            config = write_config(tmp_path / name / "config.toml", url, tmp_path / name / "chambre.db")
            procs[name] = run_bot(config)
        try:
            await wait_until(lambda: all(p.poll() is not None for p in procs.values()), 90,
                             "run kept retrying against a server that never answered as Rocket.Chat", interval=0.1)
        finally:
            for proc in procs.values():
                stop(proc)
        for name, (url, reason) in cases.items():
            log = (tmp_path / name / "bot.log").read_text(errors="replace")
            assert procs[name].returncode == 1, log
            assert f"nothing at {url} answered as a Rocket.Chat server in 30 s ({reason}" in log, log
            assert "check url in [rocketchat]" in log
    finally:
        await web_server.cleanup()
