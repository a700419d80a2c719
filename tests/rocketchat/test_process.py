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


async def caught_up(fake: Any, syncs_before: int = 0) -> None:
    """The bot is subscribed and has caught up: what is posted from now on is for it."""
    await fake.wait_for(lambda: fake.live_sessions(BOT) >= 1
                        and sum(1 for c in fake.calls if c[1] == "chat.syncMessages") > syncs_before, timeout=60)


@pytest.fixture(params=list(ERAS))
async def era_server(request: pytest.FixtureRequest) -> AsyncIterator[Any]:
    server = await start_fake("faithful", request.param)
    try:
        server.rooms_by_name = await populate(server)
        yield server
    finally:
        await server.close()


async def test_a_bot_killed_mid_burst_applies_and_answers_every_command_once(era_server, tmp_path):
    fake = era_server
    chambre, bureau = fake.rooms_by_name["chambre"], fake.rooms_by_name["bureau"]
    db = tmp_path / "burst.db"
    config = write_config(tmp_path / "config.toml", fake.url, db)
    proc = run_bot(config)
    try:
        await caught_up(fake)
        warm = await fake.post_as("alice", chambre, "!agenda")
        await fake.wait_for(lambda: fake.message(send_key("reply", "rocketchat", warm["_id"])), timeout=60)

        typed: list[dict] = []
        texts: list[str] = []

        async def type_burst(who: str, rid: str) -> None:
            for n in range(15):
                texts.append(f"point {who} {n}")
                typed.append(await fake.post_as(who, rid, f"!odj ajouter point {who} {n}"))
                await asyncio.sleep(0)  # three people typing at once

        def answered() -> int:
            return sum(1 for c in typed if fake.message(send_key("reply", "rocketchat", c["_id"])))

        burst = asyncio.gather(type_burst("alice", chambre), type_burst("bob", chambre), type_burst("alice", bureau))
        # Killed once it has answered some of the burst, with more still coming.
        await wait_until(lambda: answered() >= 5, 60, "the bot answered nothing of the burst", interval=0.005)
        stop(proc, signal.SIGKILL)
        await burst
        answered_before = answered()
        assert len(typed) == 45 and answered_before < 45, "the kill came too late to test anything"

        syncs = sum(1 for c in fake.calls if c[1] == "chat.syncMessages")
        proc = run_bot(config)
        await caught_up(fake, syncs)
        await fake.wait_for(lambda: answered() == 45, timeout=60)
        # A last command, answered once everything before it was: the counts below are final.
        last = await fake.post_as("bob", chambre, "!odj liste")
        await fake.wait_for(lambda: fake.message(send_key("reply", "rocketchat", last["_id"])), timeout=60)
    finally:
        stop(proc)
    log = (tmp_path / "bot.log").read_text(errors="replace")
    expected = {send_key("reply", "rocketchat", c["_id"]) for c in [warm, *typed, last]}
    mine = [m["_id"] for m in fake.messages_by(BOT)]
    assert sorted(mine) == sorted(expected), log[-3000:]  # one reply each, nothing else
    out = subprocess.run([CHAMBRE_BOT, "export", "--db", str(db)], capture_output=True, text=True, check=True)
    assert sorted(t["text"] for t in json.loads(out.stdout)["topics"]) == sorted(texts)
    assert {status for _, e, status in fake.calls if e == "chat.sendMessage"} <= {200, 400}  # 400: a resent _id


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
            assert "Traceback" not in log and log.count(f"nothing at {url} answered") == 1, log
    finally:
        await web_server.cleanup()
