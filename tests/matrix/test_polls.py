"""Date polls on the real Synapse, as Element sends and shows them: the bot's poll is an
MSC3381 poll start (unstable type, disclosed, every option selectable, its text fallback);
a second client answers with poll responses exactly as Element does (unstable) and as the
stable type says; the bot restarts between two votes, a vote sent while it is down counts,
the latest answer per member counts (a redacted one no longer does); when the ManualClock
passes the deadline the poll ends
(a poll end event referencing the start, the result as its text), the meeting gets the
date, the voters of that date say "yes"; each event once."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from bot.app import App
from bot.clock import ManualClock
from bot.config import ChambreConfig, Config, MatrixConfig
from bot.services.poll_posts import option_text
from storage.store import Store
from tests.matrix.conftest import crypto_settings
from tests.matrix.synapse import Account, Synapse
from tests.support import wait_until

POLL_START, POLL_RESPONSE, POLL_END = ("org.matrix.msc3381.poll.start", "org.matrix.msc3381.poll.response",
                                       "org.matrix.msc3381.poll.end")
TEXT = "org.matrix.msc1767.text"


def make_app(synapse: Synapse, bot: Account, room: str, db: Path, clock: ManualClock) -> App:
    # Answers are events like commands: the age limit counts on the bot's clock, moved days ahead.
    config = Config(chambre=ChambreConfig(database=str(db)),
                    matrix=MatrixConfig(homeserver=synapse.url, user_id=bot.user_id, password=bot.password,
                                        rooms=[room], invites_from=["localhost"], max_command_age=timedelta(days=30),
                                        **crypto_settings(db.parent)))
    return App(config, clock=clock)


async def started(app: App) -> App:
    await app.start()
    await wait_until(lambda: app.backends["matrix"].sync_count, 30, "the bot never synced")
    return app


async def events_of(person: Any, room: str, types: list[str]) -> list[dict]:
    r = await person.client.room_messages(room, limit=500, message_filter={"types": types})
    assert hasattr(r, "chunk"), r
    return [e.source for e in reversed(r.chunk)]


async def respond(person: Any, room: str, poll_event: str, answers: list[str], stable: bool = False) -> str:
    """A poll response as Element sends it (matrix-js-sdk's PollResponseEvent), or the stable one."""
    relates = {"rel_type": "m.reference", "event_id": poll_event}
    if stable:
        kind, content = "m.poll.response", {"m.relates_to": relates, "m.selections": answers}
    else:
        kind, content = POLL_RESPONSE, {"m.relates_to": relates, POLL_RESPONSE: {"answers": answers}}
    r = await person.client.room_send(room, kind, content)
    assert hasattr(r, "event_id"), r
    return r.event_id


async def answers(app: App) -> dict[str, list[int]]:
    poll = await app.db.run(lambda d: Store(d).poll(1))
    return poll.answers if poll is not None else {}


async def test_a_native_poll_from_start_to_the_meeting_s_date(running_synapse, people, bot_account, tmp_path):
    alice, bob = await people("alice"), await people("bob")
    room = await alice.create_room(invite=[bot_account.user_id, bob.user_id])
    await bob.join(room)
    clock = ManualClock(datetime.now(timezone.utc).replace(microsecond=0))
    db = tmp_path / "chambre.db"
    app = await started(make_app(running_synapse, bot_account, room, db, clock))
    try:
        await alice.say(room, "!sondage 2 ; dans 10 jours de 18h à 20h ; dans 11 jours à 18h ; dans 12 jours à 10h")

        async def poll_start() -> dict | None:
            found = await events_of(alice, room, [POLL_START])
            return found[0] if found else None

        start = await wait_until(poll_start, 30, "no poll start event")
        content = start["content"]
        assert start["sender"] == bot_account.user_id
        poll = content[POLL_START]
        assert poll["kind"] == "org.matrix.msc3381.poll.disclosed" and poll["max_selections"] == 3
        assert poll["question"][TEXT].startswith("Sondage n°1 : quelles dates vous conviennent pour la réunion n°2")
        assert poll["question"]["body"] == poll["question"][TEXT] and poll["question"]["msgtype"] == "m.text"
        assert [a["id"] for a in poll["answers"]] == ["1", "2", "3"]
        stored = await app.db.run(lambda d: Store(d).poll(1))
        dates = [option_text(stored, k, "fr", app.config.chambre.tz) for k in (1, 2, 3)]
        assert dates[0].endswith(", 18:00–20:00") and dates[2].endswith(", 10:00")
        assert [a[TEXT] for a in poll["answers"]] == dates
        assert content[TEXT] == "\n".join([poll["question"][TEXT], *(f"{k}. {d}" for k, d in enumerate(dates, 1))])
        poll_id = start["event_id"]
        await wait_until(lambda: app.db.run(lambda d: Store(d).poll_message_id(1) == poll_id), 20,
                         "the poll's event id was not kept")

        await respond(bob, room, poll_id, ["1", "2"])
        await wait_until(lambda: _has(app, {"bob": [1, 2]}), 30, "Bob's answer was not counted")
    finally:
        await app.stop()

    # While the bot is down, Alice answers with the stable type.
    await respond(alice, room, poll_id, ["2"], stable=True)
    app = await started(make_app(running_synapse, bot_account, room, db, clock))
    try:
        await wait_until(lambda: _has(app, {"bob": [1, 2], "alice": [2]}), 30, "the answer sent while down was lost")
        # After the restart Bob changes his mind: his latest answer counts; an unknown option spoils it.
        await respond(bob, room, poll_id, ["9"])
        await wait_until(lambda: _has(app, {"bob": [], "alice": [2]}), 30, "a spoiled answer was not taken")
        await respond(bob, room, poll_id, ["2", "3"])
        await wait_until(lambda: _has(app, {"bob": [2, 3], "alice": [2]}), 30, "Bob's latest answer was not taken")
        # An answer redacted: the one before counts again (MSC3381).
        second_thoughts = await respond(bob, room, poll_id, ["1"])
        await wait_until(lambda: _has(app, {"bob": [1], "alice": [2]}), 30, "Bob's third answer was not taken")
        await bob.client.room_redact(room, second_thoughts)
        await wait_until(lambda: _has(app, {"bob": [2, 3], "alice": [2]}), 30, "a redacted answer still counts")

        clock.advance(timedelta(days=4))  # past the deadline

        async def ended() -> list[dict] | None:
            found = await events_of(alice, room, [POLL_END])
            return found or None

        (end,) = await wait_until(ended, 30, "no poll end event")
        assert end["sender"] == bot_account.user_id
        assert end["content"]["m.relates_to"] == {"rel_type": "m.reference", "event_id": poll_id}
        assert POLL_END in end["content"]
        text = end["content"][TEXT]
        assert text.startswith("Sondage n°1 clos (2 réponses).")
        assert f"2️⃣ {dates[1]} — 2 voix" in text
        assert "Date retenue pour la réunion n°2" in text
        meeting = await app.db.run(lambda d: Store(d).meeting(2))
        assert meeting.start == stored.options[1].start
        assert meeting.status == "proposed" and sorted(meeting.rsvp["yes"]) == sorted([alice.user_id, bob.user_id])
        await app.drained("matrix")
    finally:
        await app.stop()
    # Each once: one poll, one end, and the command's only reply is the poll.
    assert len(await events_of(alice, room, [POLL_START])) == 1
    assert len(await events_of(alice, room, [POLL_END])) == 1
    bot_messages = [e for e in await events_of(alice, room, ["m.room.message"]) if e["sender"] == bot_account.user_id]
    assert bot_messages == []


async def _has(app: App, expected: dict[str, list[int]]) -> bool:
    """The answers by person, each named by the start of their Matrix id (@alice-…)."""
    got = await answers(app)
    return {person.split(":")[0].lstrip("@").split("-")[0]: chosen for person, chosen in got.items()} == expected


async def test_in_an_encrypted_room_and_the_poll_s_message_redacted(people, bot_account, running_synapse, tmp_path):
    """In an encrypted room the poll goes out encrypted, and an encrypted poll response counts;
    a moderator redacting the poll's message changes nothing, and the bot says so in its thread."""
    from tests.matrix.test_encryption import knows_device

    alice, bob = await people("alice", encrypted=True), await people("bob", encrypted=True)
    room = await alice.create_room(invite=[bot_account.user_id, bob.user_id])
    await bob.join(room)
    clock = ManualClock(datetime.now(timezone.utc).replace(microsecond=0))
    app = await started(make_app(running_synapse, bot_account, room, tmp_path / "chambre.db", clock))
    try:
        await alice.say(room, "!sondage 3 ; dans 10 jours à 18h ; dans 11 jours à 18h")
        poll_id = await wait_until(lambda: app.db.run(lambda d: Store(d).poll_message_id(1)), 30, "no poll sent")
        assert await alice.wire_types(room, bot_account.user_id) == ["m.room.encrypted"]
        await knows_device(bob, app)
        await bob.sync()
        r = await bob.client.room_send(room, POLL_RESPONSE, {"m.relates_to": {"rel_type": "m.reference", "event_id": poll_id},
                                                             POLL_RESPONSE: {"answers": ["2"]}},
                                       ignore_unverified_devices=True)
        assert hasattr(r, "event_id"), r
        await wait_until(lambda: _has(app, {"bob": [2]}), 30, "the encrypted answer was not counted")

        await alice.client.room_redact(room, poll_id, reason="oups")

        async def notice() -> list[str]:
            said = [e for e in await alice.events(room) if e.get("sender") == bot_account.user_id]
            return [e["content"].get("body", "") for e in said if "a été supprimé" in e["content"].get("body", "")]

        (text,) = await wait_until(notice, 30, "no word of the redaction")
        assert text.startswith("Le message du sondage n°1 a été supprimé ; le sondage continue")
        poll = await app.db.run(lambda d: Store(d).poll(1))
        assert poll.status == "open" and poll.answers and len(poll.options) == 2
    finally:
        await app.stop()
