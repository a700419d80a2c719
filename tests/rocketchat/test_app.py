"""The whole bot on the fake Rocket.Chat: people type commands, the App answers through its
outbox, and the replies are read back from the fake server as a member would see them.
The core scenarios run against each era of server a group may have (conftest.ERAS)."""
from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, AsyncIterator, Callable

import pytest

from bot.app import App, send_key
from bot.backends.rocketchat import RocketChatBackend
from bot.clock import Clock, ManualClock
from bot.config import ChambreConfig, Config
from tests.rocketchat.conftest import BOT, ERAS, FAST, make_config, populate, start_fake
from tests.support import wait_until


@pytest.fixture
async def start_app(tmp_path: Path) -> AsyncIterator[Callable[..., Any]]:
    """start_app(fake, db=..., clock=...) -> a started App whose Rocket.Chat backend is live."""
    apps: list[App] = []

    async def start(fake: Any, db: Path | None = None, clock: Clock | None = None, **timers: Any) -> App:
        db = db or tmp_path / "chambre.db"
        config = Config(chambre=ChambreConfig(language="fr", database=str(db)),
                        rocketchat=make_config(fake.url), path=tmp_path / "config.toml")
        app = App(config, clock=clock, db_path=str(db))
        # the production backend with test-sized timers (App would build it with the defaults)
        app.backends["rocketchat"] = RocketChatBackend(config.rocketchat, app.state_for("rocketchat"), app.clock,
                                                       **{**FAST, **timers})
        apps.append(app)
        await app.start()
        await wait_until(lambda: app.backends["rocketchat"].live, 10, "the backend never went live")
        return app

    yield start
    for app in apps:
        await app.stop()


@pytest.fixture
async def app(fake, start_app):
    return await start_app(fake)


@pytest.fixture(params=list(ERAS))
async def era_server(request: pytest.FixtureRequest) -> AsyncIterator[Any]:
    server = await start_fake("faithful", request.param)
    try:
        server.rooms_by_name = await populate(server)
        yield server
    finally:
        await server.close()


def bot_replies(fake, rid: str) -> list[dict]:
    return fake.messages_by(BOT, rid)


async def all_answered(app: App, fake: Any) -> str:
    """Until everything said so far is handled and every reply sent, without sleeping: once
    the backend is live, a marker command is said and its reply waited for (commands are
    handled in the order they were said), then the outbox is drained. Returns the marker
    reply's id, for the caller to leave out of its counts."""
    await wait_until(lambda: app.backends["rocketchat"].live, 10, "the backend never went live again")
    marker = await fake.post_as("alice", fake.rooms_by_name["chambre"], "!quand demain à 9h")
    key = send_key("reply", "rocketchat", marker["_id"])
    await fake.wait_for(lambda: fake.message(key) is not None, timeout=10)
    await asyncio.wait_for(app.drained("rocketchat"), 10)
    return key


async def test_commands_typed_in_a_channel_are_answered(fake, app):
    chambre = fake.rooms_by_name["chambre"]
    await fake.post_as("alice", chambre, "!réunion proposer vendredi 19h ; Atelier ; MESHS")
    await fake.wait_for(lambda: len(bot_replies(fake, chambre)) == 1)
    assert "Atelier" in bot_replies(fake, chambre)[0]["msg"]
    await fake.post_as("bob", chambre, "!agenda")
    await fake.post_as("bob", chambre, "!aide")
    # !aide lists every command: past 5,000 characters (since the session commands) it comes
    # in more than one message
    await fake.wait_for(lambda: len(bot_replies(fake, chambre)) >= 3)
    await asyncio.wait_for(app.drained("rocketchat"), 10)
    agenda, *aide = bot_replies(fake, chambre)[1:]
    assert "Atelier" in agenda["msg"]
    help_text = "".join(m["msg"] for m in aide).replace("\\", "")
    assert "!réunion" in help_text and "!séance" in help_text
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
    marker = await all_answered(app, fake)
    replies = [m for m in bot_replies(fake, chambre) if m["_id"] != marker]
    assert len(replies) == 11
    listing = replies[-1]["msg"]
    assert all(f"point {n}" in listing for n in range(10))


# ---- the core scenarios, in each era ----------------------------------------------------------


async def test_a_command_is_answered_and_organisers_recognised_in_every_era(era_server, start_app):
    fake = era_server
    app = await start_app(fake)
    chambre = fake.rooms_by_name["chambre"]
    dm = fake.open_dm("dave", BOT)
    await fake.post_as("bob", chambre, "!réunion proposer vendredi 19h ; Atelier ; MESHS")
    # 8: after the group's page's seven meetings to organise
    await fake.post_as("bob", chambre, "!réunion confirmer 8")  # a member: refused
    await fake.post_as("carol", chambre, "!réunion confirmer 8")  # the room's moderator
    await fake.post_as("dave", dm, "!réunion voir 8")
    await fake.wait_for(lambda: len(bot_replies(fake, chambre)) == 3 and len(bot_replies(fake, dm)) == 1)
    marker = await all_answered(app, fake)
    proposed, refused, confirmed = [m["msg"] for m in bot_replies(fake, chambre) if m["_id"] != marker]
    assert "Réunion n°8 proposée" in proposed
    assert "Refusé" in refused
    assert "Réunion n°8 confirmée" in confirmed
    assert "confirmée" in bot_replies(fake, dm)[0]["msg"].replace("\\", "")
    # Every reply accepted the first time: the request fits the era's sendMessage schema.
    assert {status for _, e, status in fake.calls if e == "chat.sendMessage"} == {200}


async def test_commands_typed_while_the_bot_was_down_are_answered_once_in_every_era(era_server, start_app, tmp_path):
    fake = era_server
    chambre, bureau = fake.rooms_by_name["chambre"], fake.rooms_by_name["bureau"]
    db = tmp_path / "down.db"
    first = await start_app(fake, db=db)
    await fake.post_as("alice", chambre, "!odj ajouter avant")
    await fake.wait_for(lambda: len(bot_replies(fake, chambre)) == 1)
    await first.stop()

    typed = [await fake.post_as("bob", chambre, f"!odj ajouter pendant {n}") for n in range(4)]
    typed.append(await fake.post_as("alice", bureau, "!agenda"))
    dm = fake.open_dm("dave", BOT)  # a DM opened while the bot was down
    typed.append(await fake.post_as("dave", dm, "!odj liste"))

    second = await start_app(fake, db=db)
    await fake.wait_for(lambda: all(fake.message(send_key("reply", "rocketchat", c["_id"])) for c in typed), timeout=10)
    marker = await all_answered(second, fake)
    assert len([m for m in bot_replies(fake, chambre) if m["_id"] != marker]) == 1 + 4
    assert len(bot_replies(fake, bureau)) == 1
    [listing] = bot_replies(fake, dm)
    assert all(listing["msg"].count(f"pendant {n}") == 1 for n in range(4))


async def test_commands_typed_while_the_server_restarts_are_answered_once_in_every_era(era_server, start_app):
    fake = era_server
    app = await start_app(fake)
    chambre, bureau = fake.rooms_by_name["chambre"], fake.rooms_by_name["bureau"]
    # (a reply of one message: the whole "!aide" is now more than Rocket.Chat takes in one)
    await fake.post_as("alice", chambre, "!aide réunion")
    await fake.wait_for(lambda: len(bot_replies(fake, chambre)) == 1)
    await fake.restart(downtime=0.5)
    await fake.post_as("alice", chambre, "!réunion proposer ? ; Atelier recettes")
    await fake.post_as("bob", bureau, "!agenda")
    await fake.wait_for(lambda: len(bot_replies(fake, chambre)) == 2 and len(bot_replies(fake, bureau)) == 1, timeout=10)
    await fake.post_as("carol", chambre, "!réunion liste")
    await fake.wait_for(lambda: len(bot_replies(fake, chambre)) == 3)
    marker = await all_answered(app, fake)
    replies = [m for m in bot_replies(fake, chambre) if m["_id"] != marker]
    assert len(replies) == 3
    assert "Atelier recettes" in replies[-1]["msg"]
    assert len(bot_replies(fake, bureau)) == 1


# ---- a moderator named while system messages are hidden -----------------------------------------


async def test_a_moderator_named_unannounced_is_recognised_within_a_minute(start_app):
    """Hide_System_Messages: the role change reaches nobody, so the bot's cached roles say
    "member". Before refusing, the bot reads the room's roles again, at most once a minute
    per room (on the bot's clock), however many refusals."""
    fake = await start_fake("faithful", "7.x", hidden_system_messages=("subscription-role-added", "subscription-role-removed"))
    try:
        fake.rooms_by_name = await populate(fake)
        chambre = fake.rooms_by_name["chambre"]
        await fake.add_member(chambre, "dave")
        clock = ManualClock(datetime.now(timezone.utc))
        app = await start_app(fake, clock=clock)

        def roles_reads() -> int:
            return sum(1 for _, e, status in fake.calls if e == "rooms.roles" and status == 200)

        async def say(who: str, text: str) -> str:
            msg = await fake.post_as(who, chambre, text)
            key = send_key("reply", "rocketchat", msg["_id"])
            await fake.wait_for(lambda: fake.message(key) is not None)
            return fake.message(key)["msg"]

        rhythm = "!rythme régler tous les jeudis à 18h ; MESHS"
        assert "Refusé" in await say("bob", rhythm)
        await fake.set_role(chambre, "bob", "moderator")  # no system message: the bot is not told
        assert "Refusé" in await say("bob", rhythm)  # roles read less than a minute ago
        assert roles_reads() == 1

        clock.advance(timedelta(seconds=61))
        assert "Rythme réglé" in await say("bob", rhythm)
        assert roles_reads() == 2
        # A member insisting costs nothing more within the minute...
        for _ in range(3):
            assert "Refusé" in await say("dave", rhythm)
        assert roles_reads() == 2
        # ...nor do commands anyone may use, or the moderator's own.
        assert "Point n°1" in await say("dave", "!odj ajouter salle")
        assert "Rythme réglé" in await say("bob", rhythm)
        assert roles_reads() == 2
        # The author of a record may close it without being an organiser: asked once, then allowed.
        clock.advance(timedelta(seconds=61))
        assert "traité" in await say("dave", "!odj fait 1")
        assert roles_reads() == 3
    finally:
        await fake.close()
