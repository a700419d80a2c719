"""Listening on the fake Rocket.Chat, as a member sees it: the bot's 📅 is a reaction on the
message (`chat.react`, `shouldReact: true`), its reply is in the message's thread (`tmid`),
nothing in the channel; an edit follows, a delete (soft or hard) cancels, suggest mode
records on a ✅ from the author or a moderator; a direct message is never read; and a
restart between a message and its edit loses nothing."""
from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any, AsyncIterator, Callable

import pytest

from bot.app import App
from bot.backends.rocketchat import RocketChatBackend
from bot.config import ChambreConfig, Config
from storage.store import Store
from tests.rocketchat.conftest import BOT, FAST, make_config
from tests.support import wait_until


@pytest.fixture
async def start_app(tmp_path: Path) -> AsyncIterator[Callable[..., Any]]:
    apps: list[App] = []

    async def start(fake: Any, **chambre: Any) -> App:
        db = tmp_path / "chambre.db"
        config = Config(chambre=ChambreConfig(database=str(db), **chambre), rocketchat=make_config(fake.url))
        app = App(config, db_path=str(db))
        app.backends["rocketchat"] = RocketChatBackend(config.rocketchat, app.state_for("rocketchat"), app.clock,
                                                       **FAST)
        apps.append(app)
        await app.start()
        await wait_until(lambda: app.backends["rocketchat"].live, 10, "the backend never went live")
        return app

    async def stop(app: App) -> None:
        apps.remove(app)
        await app.stop()

    start.stop = stop  # type: ignore[attr-defined]
    yield start
    for app in apps:
        await app.stop()


async def heard(app: App) -> list:
    return [m for m in await app.db.run(lambda d: Store(d).meetings_by_number()) if m.source == "conversation"]


def in_thread(fake: Any, mid: str) -> list[str]:
    return [m["msg"] for m in fake.replies(mid) if m["u"]["username"] == BOT]


def reactions(fake: Any, mid: str) -> dict:
    return (fake.message(mid) or {}).get("reactions") or {}


async def settled(app: App, fake: Any) -> None:
    """Until what was said so far is handled and sent: a command said last is answered last."""
    marker = await fake.post_as("alice", fake.rooms_by_name["chambre"], "!quand demain à 9h")
    await fake.wait_for(lambda: any(m.get("tmid") is None and m["u"]["username"] == BOT and m["_id"] != marker["_id"]
                                    and "Je comprends" in m["msg"] and m["ts"] > marker["ts"]
                                    for m in fake.room_messages(marker["rid"])), timeout=10)
    await asyncio.wait_for(app.drained("rocketchat"), 10)


async def test_a_proposal_its_edit_and_its_deletion(fake, start_app):
    app = await start_app(fake)
    chambre = fake.rooms_by_name["chambre"]
    msg = await fake.post_as("bob", chambre, "On se retrouve jeudi 18h à la MESHS pour avancer sur les briques ?")
    await fake.wait_for(lambda: in_thread(fake, msg["_id"]) and reactions(fake, msg["_id"]), timeout=10)
    assert reactions(fake, msg["_id"]) == {":date:": {"usernames": [BOT]}}
    react_calls = [c for c in fake.calls if c[1] == "chat.react"]
    assert react_calls and all(status == 200 for _, _, status in react_calls)
    (reply,) = in_thread(fake, msg["_id"])
    assert "réunion *n°8*" in reply and "`!réunion annuler 8`" in reply
    # nothing in the channel's own timeline: the reply is in the thread only
    assert not [m for m in fake.room_messages(chambre) if m["u"]["username"] == BOT and not m.get("tmid")]
    (m,) = await heard(app)
    assert (m.proposed_by, m.place, m.source_message) == ("bob", "MESHS", msg["_id"])
    assert m.source_link == f"{fake.url}/channel/chambre?msg={msg['_id']}"

    await fake.edit(msg["_id"], "On se retrouve vendredi 19h à la MESHS pour avancer sur les briques ?")
    await fake.wait_for(lambda: len(in_thread(fake, msg["_id"])) == 2, timeout=10)
    assert "mis à jour" in in_thread(fake, msg["_id"])[1] and "vendredi" in in_thread(fake, msg["_id"])[1]

    await fake.delete(msg["_id"])  # soft: the message stays, emptied
    await wait_until(lambda: _status(app, 0, "cancelled"), 10, "the delete did not cancel it")

    other = await fake.post_as("alice", chambre, "Atelier samedi 14h ?")
    await fake.wait_for(lambda: in_thread(fake, other["_id"]), timeout=10)
    await fake.delete(other["_id"], hard=True)  # gone for good: told on the room's notify stream
    await wait_until(lambda: _status(app, 1, "cancelled"), 10, "the hard delete did not cancel it")


async def _status(app: App, k: int, status: str) -> bool:
    found = await heard(app)
    return len(found) > k and found[k].status == status


async def test_suggest_mode_records_on_a_check_from_a_moderator(fake, start_app):
    app = await start_app(fake, listen="suggest")
    chambre = fake.rooms_by_name["chambre"]
    msg = await fake.post_as("alice", chambre, "Réunion vendredi 18h à la MESHS ?")
    await fake.wait_for(lambda: in_thread(fake, msg["_id"]), timeout=10)
    assert "Je peux noter une réunion" in in_thread(fake, msg["_id"])[0] and await heard(app) == []
    await fake.react(msg["_id"], "white_check_mark", "bob", should_react=True)  # a member: an opinion
    await fake.react(msg["_id"], "white_check_mark", "carol", should_react=True)  # the room's moderator
    await fake.wait_for(lambda: len(in_thread(fake, msg["_id"])) == 2, timeout=10)
    assert "Noté : réunion *n°8*" in in_thread(fake, msg["_id"])[1]
    (m,) = await heard(app)
    assert m.proposed_by == "alice"
    await settled(app, fake)
    assert len(in_thread(fake, msg["_id"])) == 2


async def test_a_direct_message_is_never_read(fake, start_app):
    app = await start_app(fake)
    dm = fake.open_dm("dave", BOT)
    said = await fake.post_as("dave", dm, "On se retrouve jeudi 18h à la MESHS ?")
    await settled(app, fake)
    assert await heard(app) == [] and not reactions(fake, said["_id"]) and not in_thread(fake, said["_id"])


async def test_a_restart_between_a_message_and_its_edit(fake, start_app):
    app = await start_app(fake)
    chambre = fake.rooms_by_name["chambre"]
    msg = await fake.post_as("bob", chambre, "Réunion jeudi 18h à la MESHS ?")
    await fake.wait_for(lambda: in_thread(fake, msg["_id"]), timeout=10)
    await start_app.stop(app)  # type: ignore[attr-defined]
    await fake.edit(msg["_id"], "Réunion jeudi 19h à la MESHS ?")  # while the bot is away
    app = await start_app(fake)  # the catch-up brings the edit
    await fake.wait_for(lambda: len(in_thread(fake, msg["_id"])) == 2, timeout=10)
    assert "mis à jour" in in_thread(fake, msg["_id"])[1]
    (m,) = await heard(app)
    assert m.start.astimezone(app.config.chambre.tz).hour == 19
    # the 📅 once, the proposal once: the message itself was not heard again
    assert reactions(fake, msg["_id"]) == {":date:": {"usernames": [BOT]}} and len(await heard(app)) == 1
