"""Listening on the real Synapse, as Element shows it: the 📅 is an `m.reaction` annotation
on the member's message, the reply an `m.notice` in that message's thread (the thread
relation Element groups by, with the reply fallback it expects), nothing in the room's
timeline; an edit (`m.replace`) follows, a redaction cancels, suggest mode records on a ✅
sent from another client; in an encrypted room the same, the message and the ✅ read once
decrypted; and a direct message is never read."""
from __future__ import annotations

from pathlib import Path
from typing import Any, AsyncIterator, Callable

import pytest

from bot.app import App
from bot.config import ChambreConfig, Config, MatrixConfig
from storage.store import Store
from tests.matrix.conftest import crypto_settings
from tests.matrix.synapse import Account, Synapse
from tests.support import wait_until


@pytest.fixture
async def start_app(running_synapse: Synapse, tmp_path: Path) -> AsyncIterator[Callable[..., Any]]:
    apps: list[App] = []

    async def start(bot: Account, rooms: list[str], **chambre: Any) -> App:
        config = Config(
            chambre=ChambreConfig(database=str(tmp_path / "chambre.db"), **chambre),
            matrix=MatrixConfig(homeserver=running_synapse.url, user_id=bot.user_id, password=bot.password,
                                rooms=rooms, invites_from=["localhost"], **crypto_settings(tmp_path)),
        )
        app = App(config)
        apps.append(app)
        await app.start()
        await wait_until(lambda: app.backends["matrix"].sync_count, 30, "the bot never synced")
        return app

    yield start
    for app in apps:
        await app.stop()


async def room_events(person: Any, room: str) -> list[dict]:
    """Every message and reaction of the room, oldest first, as a client reads them."""
    r = await person.client.room_messages(room, limit=500,
                                          message_filter={"types": ["m.room.message", "m.reaction"]})
    assert hasattr(r, "chunk"), r
    return [e.source for e in reversed(r.chunk)]


def by(events: list[dict], sender: str) -> list[dict]:
    return [e for e in events if e["sender"] == sender]


async def meetings(app: App) -> list:
    return [m for m in await app.db.run(lambda d: Store(d).meetings_by_number()) if m.source == "conversation"]


async def test_a_proposal_its_edit_and_its_redaction_as_element_shows_them(people, bot_account, start_app):
    alice = await people("alice")
    room = await alice.create_room(invite=[bot_account.user_id])
    app = await start_app(bot_account, [room])
    bot = bot_account.user_id

    msg = await alice.say(room, "On se retrouve jeudi 18h à la MESHS pour avancer sur les briques ?")

    async def said() -> list[dict]:
        return by(await room_events(alice, room), bot)

    got = await wait_until(lambda: _two(said()), 30, "no reaction and thread reply")
    reaction = next(e for e in got if e["type"] == "m.reaction")
    assert reaction["content"] == {"m.relates_to": {"rel_type": "m.annotation", "event_id": msg, "key": "📅"}}
    reply = next(e for e in got if e["type"] == "m.room.message")
    content = reply["content"]
    assert content["msgtype"] == "m.notice" and content["m.mentions"] == {}
    assert content["m.relates_to"] == {"rel_type": "m.thread", "event_id": msg, "is_falling_back": True,
                                       "m.in_reply_to": {"event_id": msg}}
    assert "réunion n°8" in content["body"] and "!réunion annuler 8" in content["body"]
    assert "<code>!réunion annuler 8</code>" in content["formatted_body"]
    (m,) = await meetings(app)
    assert (m.title, m.place, m.proposed_by, m.source_message) == ("Avancer sur les briques", "MESHS", alice.user_id, msg)
    assert m.source_link.startswith(f"https://matrix.to/#/{room}/{msg}")

    # an edit, as Element sends it: the thread says what changed, the record follows
    await alice.say(room, "* On se retrouve vendredi 19h à la MESHS pour avancer sur les briques ?", **{
        "m.new_content": {"msgtype": "m.text", "body": "On se retrouve vendredi 19h à la MESHS pour avancer sur les briques ?"},
        "m.relates_to": {"rel_type": "m.replace", "event_id": msg}})
    updated = await wait_until(lambda: _thread_reply(said(), msg, "mis à jour"), 30, "no word of the edit")
    assert "vendredi" in updated["content"]["body"]
    (m,) = await meetings(app)
    assert m.start.astimezone(app.config.chambre.tz).strftime("%a %H:%M") == "Fri 19:00"

    # a redaction cancels it, untouched as it is
    await alice.client.room_redact(room, msg, reason="finalement non")
    await wait_until(lambda: _status(app, "cancelled"), 30, "the redaction did not cancel the meeting")
    # in all: one reaction and two thread replies, none in the room's own timeline
    mine = await said()
    assert len(mine) == 3 and all(e["content"].get("m.relates_to") for e in mine)


async def _two(events) -> list[dict] | None:
    got = await events
    kinds = {e["type"] for e in got}
    return got if {"m.reaction", "m.room.message"} <= kinds else None


async def _thread_reply(events, root: str, words: str) -> dict | None:
    for e in await events:
        content = e.get("content") or {}
        if (content.get("m.relates_to") or {}).get("event_id") == root and words in (content.get("body") or ""):
            return e
    return None


async def _status(app: App, status: str) -> bool:
    found = await meetings(app)
    return bool(found) and found[0].status == status


async def test_suggest_mode_records_on_a_check_from_another_client(people, bot_account, start_app):
    alice, bob, carol = await people("alice"), await people("bob"), await people("carol")
    room = await alice.create_room(invite=[bot_account.user_id, bob.user_id, carol.user_id],
                                   power={carol.user_id: 50})
    await bob.join(room)
    await carol.join(room)
    app = await start_app(bot_account, [room], listen="suggest")
    bot = bot_account.user_id

    msg = await alice.say(room, "Atelier samedi 14h à la MESHS ?")
    suggestion = await wait_until(lambda: _thread_reply(room_events(alice, room), msg, "Je peux noter"), 30,
                                  "no suggestion")
    assert suggestion["sender"] == bot and not await meetings(app)

    async def check(person) -> None:
        r = await person.client.room_send(room, "m.reaction", {
            "m.relates_to": {"rel_type": "m.annotation", "event_id": msg, "key": "✅"}})
        assert hasattr(r, "event_id"), r

    await check(bob)  # a member who is not its author: an opinion
    await check(carol)  # an organiser, by power level, from her own client
    recorded = await wait_until(lambda: _thread_reply(room_events(alice, room), msg, "Noté : réunion n°8"), 30,
                                "the check did not record it")
    assert recorded["content"]["m.relates_to"]["event_id"] == msg
    (m,) = await meetings(app)
    assert (m.title, m.proposed_by) == ("Atelier", alice.user_id)
    # bob's check came first and recorded nothing: one record, one word of it
    assert len([e for e in by(await room_events(alice, room), bot) if "Noté" in e["content"].get("body", "")]) == 1


async def test_in_an_encrypted_room_what_members_say_is_heard_and_answered_in_its_thread(
        people, bot_account, start_app):
    alice = await people("alice", encrypted=True)
    room = await alice.create_room(invite=[bot_account.user_id])
    app = await start_app(bot_account, [room])
    bot = bot_account.user_id
    backend = app.backends["matrix"]

    async def knows_bot() -> bool:  # so that alice's client shares the room key with the bot's device
        await alice.sync()
        return any(d.id == backend.device_id for d in alice.client.device_store.active_user_devices(bot))

    await wait_until(knows_bot, 30, "the bot's device never showed", interval=0.1)
    msg = await alice.say(room, "On se retrouve jeudi 18h à la MESHS ?")

    async def reply() -> dict | None:
        """The bot's thread reply, as alice's client reads it: decrypted."""
        await alice.sync()
        r = await alice.client.room_messages(room, limit=100, message_filter={"types": ["m.room.encrypted"]})
        assert hasattr(r, "chunk"), r
        return next((e.source for e in r.chunk if e.source.get("sender") == bot), None)

    await wait_until(lambda: meetings(app), 30, "the bot did not record the encrypted proposal")
    said = await wait_until(reply, 30, "no thread reply alice can read")
    assert said["type"] == "m.room.message" and "réunion n°8" in said["content"]["body"]
    assert said["content"]["m.relates_to"]["rel_type"] == "m.thread" and said["content"]["m.relates_to"]["event_id"] == msg
    assert await alice.wire_types(room, bot) == ["m.room.encrypted"]  # the homeserver cannot read the reply
    # The 📅 goes in the clear, as matrix-nio sends every reaction (Element shows it all the same).
    reactions = [e for e in by(await room_events(alice, room), bot) if e["type"] == "m.reaction"]
    assert [e["content"]["m.relates_to"] for e in reactions] == [{"rel_type": "m.annotation", "event_id": msg, "key": "📅"}]
    (m,) = await meetings(app)
    assert (m.place, m.source_message) == ("MESHS", msg)

    # an encrypted edit follows
    await alice.say(room, "* On se retrouve vendredi 19h à la MESHS ?", **{
        "m.new_content": {"msgtype": "m.text", "body": "On se retrouve vendredi 19h à la MESHS ?"},
        "m.relates_to": {"rel_type": "m.replace", "event_id": msg}})

    async def moved() -> bool:
        (m,) = await meetings(app)
        return m.start.astimezone(app.config.chambre.tz).strftime("%a %H:%M") == "Fri 19:00"

    await wait_until(moved, 30, "the encrypted edit did not move the meeting")

    # suggest mode, and a ✅ encrypted as Element sends reactions in an encrypted room
    await alice.say(room, "!écoute suggérer")  # alice made the room: an organiser
    offered = await alice.say(room, "Atelier samedi 14h à la MESHS ?")
    await wait_until(lambda: _thread_reply(decrypted_events(alice, room), offered, "Je peux noter"), 30,
                     "no suggestion")
    kind, sealed = alice.client.encrypt(room, "m.reaction", {
        "m.relates_to": {"rel_type": "m.annotation", "event_id": offered, "key": "✅"}})
    assert kind == "m.room.encrypted" and "m.relates_to" in sealed  # the relation stays readable, as the spec asks
    sent = await alice.wire.client.room_send(room, kind, sealed)  # as it is: already encrypted
    assert hasattr(sent, "event_id"), sent
    await wait_until(lambda: _thread_reply(decrypted_events(alice, room), offered, "Noté : réunion n°9"), 30,
                     "the encrypted ✅ did not record it")
    recorded = await meetings(app)
    assert len(recorded) == 2 and (recorded[1].title, recorded[1].source_message) == ("Atelier", offered)


async def decrypted_events(person: Any, room: str) -> list[dict]:
    """Every message of an encrypted room as a member's client reads it, decrypted."""
    await person.sync()
    r = await person.client.room_messages(room, limit=200, message_filter={"types": ["m.room.encrypted"]})
    assert hasattr(r, "chunk"), r
    return [e.source for e in reversed(r.chunk)]


async def test_a_direct_message_is_never_read(people, bot_account, start_app):
    alice = await people("alice")
    room = await alice.create_room(invite=[bot_account.user_id])
    app = await start_app(bot_account, [room])
    dm = await alice.create_room(invite=[bot_account.user_id], direct=True)
    await wait_until(lambda: _joined(alice, dm, bot_account.user_id), 30, "the bot did not join the DM")
    await alice.say(dm, "On se retrouve jeudi 18h à la MESHS ?")
    command = await alice.say(dm, "!quand jeudi 18h")
    # commands are answered in order: once this one is, the message before it was handled
    await alice.wait_replies(dm, bot_account.user_id, [command], timeout=30)
    assert await meetings(app) == []
    assert not [e for e in by(await room_events(alice, dm), bot_account.user_id) if e["type"] == "m.reaction"]


async def _joined(person, room: str, user: str) -> bool:
    r = await person.client.joined_members(room)
    return any(m.user_id == user for m in getattr(r, "members", []))
