"""A reply longer than Rocket.Chat takes (`Message_MaxAllowedSize`, counted as JavaScript
counts: an emoji outside the first plane is two) arrives whole, as several messages in
order, each within the server's limit, each once: with the default limit, with a lower one
the server was set to, and with one lowered while the bot runs."""
from __future__ import annotations

import re

import pytest

from bot.app import App
from bot.backends.rocketchat import RocketChatBackend, js_length
from bot.config import ChambreConfig, Config
from commands.registry import REGISTRY
from storage.store import Store
from tests.rocketchat.conftest import BOT, FAST, make_config


@pytest.fixture
async def start_app(fake, tmp_path):
    apps: list[App] = []

    async def start() -> App:
        config = Config(chambre=ChambreConfig(language="fr", database=str(tmp_path / "chambre.db")),
                        rocketchat=make_config(fake.url), path=tmp_path / "config.toml")
        app = App(config, db_path=str(tmp_path / "chambre.db"))
        app.backends["rocketchat"] = RocketChatBackend(config.rocketchat, app.state_for("rocketchat"), app.clock, **FAST)
        apps.append(app)
        await app.start()
        await fake.wait_for(lambda: fake.live_sessions(BOT) >= 1)
        return app

    yield start
    for app in apps:
        await app.stop()


def long_brick_name(k: int) -> str:
    return (f"{k:03d} " + "🧱 & " * 40)[:120]


async def answer(fake, app: App, rid: str, text: str, **post) -> list[str]:
    """The bot's messages answering `text`, once all it queued is sent."""
    before = len(fake.messages_by(BOT, rid))
    await fake.post_as("alice", rid, text, **post)
    await fake.wait_for(lambda: len(fake.messages_by(BOT, rid)) > before, timeout=10)
    await app.drained("rocketchat")
    return [m["msg"] for m in fake.messages_by(BOT, rid)[before:]]


def numbered(parts: list[str]) -> bool:
    return [p.splitlines()[-1] for p in parts] == [f"({k}/{len(parts)})" for k in range(1, len(parts) + 1)]


async def test_a_long_list_arrives_in_several_messages_within_the_default_limit(fake, start_app):
    app = await start_app()

    def add_bricks(d) -> list[int]:
        with d.atomic():
            return [Store(d).add_brick(long_brick_name(k), "brick", "", "alice", app.clock.now()).id for k in range(140)]

    ids = await app.db.run(add_bricks)
    chambre = fake.rooms_by_name["chambre"]
    root = await fake.post_as("carol", chambre, "Les briques, où en est-on ?")
    parts = await answer(fake, app, chambre, "!brique liste", tmid=root["_id"])

    assert len(parts) > 3 and numbered(parts)
    assert all(js_length(p) <= 5000 for p in parts)
    assert all(m.get("tmid") == root["_id"] for m in fake.messages_by(BOT, chambre))  # all in the thread
    shown = [line for p in parts for line in p.splitlines() if "🧱" in line]
    assert [int(re.match(r"- \*(\d+)\. ", line).group(1)) for line in shown] == ids  # each once, in order


async def test_a_lower_limit_set_on_the_server_is_read_and_kept(fake, start_app):
    fake.max_message_size = 1500
    app = await start_app()
    chambre = fake.rooms_by_name["chambre"]
    parts = await answer(fake, app, chambre, "!aide")
    assert len(parts) >= 3 and numbered(parts)
    assert all(js_length(p) <= 1500 for p in parts)
    shown = "\n".join(parts).replace("\\", "")
    assert all(cmd.example("fr") in shown for cmd in REGISTRY.commands)
    assert sum(1 for _, endpoint, status in fake.calls if endpoint == "settings.public" and status == 200) == 1


async def test_a_limit_lowered_while_the_bot_runs_is_learnt_from_the_refusal(fake, start_app):
    app = await start_app()
    chambre = fake.rooms_by_name["chambre"]
    assert len(await answer(fake, app, chambre, "!agenda")) == 1  # the bot has read the limit: 5000
    fake.max_message_size = 2000  # an administrator lowers it
    parts = await answer(fake, app, chambre, "!aide")
    assert len(parts) >= 3 and numbered(parts) and all(js_length(p) <= 2000 for p in parts)
    refused = [status for _, endpoint, status in fake.calls if endpoint == "chat.sendMessage" and status != 200]
    assert refused == [400]  # one refusal, then parts that fit
    shown = "\n".join(parts).replace("\\", "")
    assert all(cmd.example("fr") in shown for cmd in REGISTRY.commands)
