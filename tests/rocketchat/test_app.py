"""The whole bot on the fake Rocket.Chat: people type commands, the App answers through its
outbox, and the replies are read back from the fake server as a member would see them."""
from __future__ import annotations

import pytest

from bot.app import App
from bot.backends.rocketchat import RocketChatBackend
from bot.config import ChambreConfig, Config
from tests.rocketchat.conftest import BOT, FAST, make_config


@pytest.fixture
async def app(fake, tmp_path):
    config = Config(chambre=ChambreConfig(language="fr", database=str(tmp_path / "chambre.db")),
                    rocketchat=make_config(fake.url), path=tmp_path / "config.toml")
    app = App(config, db_path=str(tmp_path / "chambre.db"))
    # the production backend with test-sized timers (App would build it with the defaults)
    app.backends["rocketchat"] = RocketChatBackend(config.rocketchat, app.state_for("rocketchat"), app.clock, **FAST)
    await app.start()
    try:
        await fake.wait_for(lambda: fake.live_sessions(BOT) >= 1)
        yield app
    finally:
        await app.stop()


def bot_replies(fake, rid: str) -> list[dict]:
    return fake.messages_by(BOT, rid)


async def test_commands_typed_in_a_channel_are_answered(fake, app):
    chambre = fake.rooms_by_name["chambre"]
    await fake.post_as("alice", chambre, "!réunion proposer vendredi 19h ; Atelier ; MESHS")
    await fake.wait_for(lambda: len(bot_replies(fake, chambre)) == 1)
    assert "Atelier" in bot_replies(fake, chambre)[0]["msg"]
    await fake.post_as("bob", chambre, "!agenda")
    await fake.post_as("bob", chambre, "!aide")
    await fake.wait_for(lambda: len(bot_replies(fake, chambre)) == 3)
    agenda, aide = bot_replies(fake, chambre)[1:]
    assert "Atelier" in agenda["msg"]
    assert "!réunion" in aide["msg"].replace("\\", "")
    assert all(m.get("tmid") is None for m in bot_replies(fake, chambre))


async def test_a_command_in_a_thread_is_answered_in_that_thread(fake, app):
    chambre = fake.rooms_by_name["chambre"]
    root = await fake.post_as("carol", chambre, "Préparons la séance")
    await fake.post_as("alice", chambre, "!odj ajouter budget 2027", tmid=root["_id"])
    await fake.wait_for(lambda: len(bot_replies(fake, chambre)) == 1)
    assert bot_replies(fake, chambre)[0]["tmid"] == root["_id"]


async def test_a_drop_in_the_middle_of_a_burst_answers_each_command_once(fake, app):
    chambre = fake.rooms_by_name["chambre"]
    for n in range(10):
        await fake.post_as("alice", chambre, f"!odj ajouter point {n}")
        if n == 4:
            await fake.drop_sockets("abrupt")
    await fake.wait_for(lambda: len(bot_replies(fake, chambre)) >= 10, timeout=10)
    await fake.post_as("bob", chambre, "!odj liste")
    await fake.wait_for(lambda: len(bot_replies(fake, chambre)) >= 11)
    replies = bot_replies(fake, chambre)
    assert len(replies) == 11
    listing = replies[-1]["msg"]
    assert all(f"point {n}" in listing for n in range(10))


async def test_commands_typed_while_the_server_restarts_are_answered_once(fake, app):
    chambre, bureau = fake.rooms_by_name["chambre"], fake.rooms_by_name["bureau"]
    await fake.post_as("alice", chambre, "!aide")
    await fake.wait_for(lambda: len(bot_replies(fake, chambre)) == 1)
    await fake.restart(downtime=0.5)
    await fake.post_as("alice", chambre, "!réunion proposer ? ; Atelier recettes")
    await fake.post_as("bob", bureau, "!agenda")
    await fake.wait_for(lambda: len(bot_replies(fake, chambre)) == 2 and len(bot_replies(fake, bureau)) == 1, timeout=10)
    await fake.wait_for(lambda: fake.live_sessions(BOT) >= 1)
    await fake.post_as("carol", chambre, "!réunion liste")
    await fake.wait_for(lambda: len(bot_replies(fake, chambre)) == 3)
    assert "Atelier recettes" in bot_replies(fake, chambre)[-1]["msg"]
    assert len(bot_replies(fake, bureau)) == 1
