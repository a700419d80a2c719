"""Listening in the running App: what a member notices (a 📅 on the message, a reply in its
thread, nothing in the room's timeline) and what is stored (the record, where it came
from), for messages, edits, removals and reactions, in each mode; once only, across a
redelivery and a restart; and nothing at all for a busy room's ordinary talk.

The chat is a recording backend in memory (the real chats are tests/matrix/test_listening.py
and tests/rocketchat/test_listening.py): what it was asked to send is what a member sees."""
from __future__ import annotations

import asyncio
import itertools
import logging
import sqlite3
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

import bot.listening as engine
from bot.app import App
from bot.backends.base import EDIT, REACTION, REMOVAL, Backend, Deliver, Incoming, Outgoing
from bot.clock import ManualClock
from bot.config import Config, parse_config
from bot.export import export_json
from storage.store import Store

PARIS = ZoneInfo("Europe/Paris")
NOW = datetime(2026, 12, 1, 10, 0, tzinfo=PARIS)  # a Tuesday
ROOM, OTHER, DM = "!chambre:example.org", "!autre:example.org", "!dm:example.org"
ALICE, BOB, CAMILLE = "@alice:example.org", "@bob:example.org", "@camille:example.org"
FIRST = 8  # the group's page's seven meetings to organise come first


class RecordingChat(Backend):
    """A chat in memory that shows each send key once, as Matrix and Rocket.Chat do."""

    name = "matrix"

    def __init__(self) -> None:
        self.sent: list[Outgoing] = []
        self._keys: set[str] = set()
        self._stopped = asyncio.Event()

    async def run(self, deliver: Deliver) -> None:
        self._stopped = asyncio.Event()  # the same chat server across a restart of the bot
        await self._stopped.wait()

    async def send(self, out: Outgoing) -> None:
        if out.send_key not in self._keys:
            self._keys.add(out.send_key)
            self.sent.append(out)

    async def stop(self) -> None:
        self._stopped.set()

    def serves(self, target: str) -> str | None:
        return target

    def dm_user(self, person: str) -> str | None:
        return person

    def link(self, room: str, event_id: str) -> str | None:
        return f"https://chat.example.org/{room}/{event_id}"

    def names(self, room: str) -> list[str]:
        return ["#chambre:example.org"] if room == ROOM else []

    # what a member sees
    def reactions(self, on: str | None = None) -> list[tuple[str | None, str]]:
        return [(o.reply_to, o.reaction or "") for o in self.sent if o.reaction and (on is None or o.reply_to == on)]

    def thread(self, root: str) -> list[str]:
        return [o.body.plain() for o in self.sent if o.reaction is None and o.thread == root]

    def timeline(self) -> list[str]:
        """What the bot posted in a room's main timeline, outside any thread."""
        return [o.body.plain() for o in self.sent if o.reaction is None and o.thread is None and o.dm_user is None]


def config(**chambre: Any) -> Config:
    return parse_config({"chambre": {"organisers": [CAMILLE], **chambre}}, env={})


class Bot:
    """One run of the App on a database file; `restart` is a new process on the same file."""

    def __init__(self, db: Path, cfg: Config) -> None:
        self.db, self.config = db, cfg
        self.clock = ManualClock(NOW)
        self.chat = RecordingChat()
        self.app: App | None = None
        self._ids = itertools.count(1)

    async def start(self) -> "Bot":
        self.app = App(self.config, clock=self.clock, backends=[self.chat], db_path=str(self.db))
        self.app.schedule = False
        await self.app.start()
        return self

    async def stop(self) -> None:
        if self.app is not None:
            await self.app.stop()
            self.app = None

    async def restart(self) -> None:
        await self.stop()
        await self.start()

    async def deliver(self, msg: Incoming) -> Incoming:
        assert self.app is not None
        await self.app.deliver(msg)
        await self.app.drained("matrix")
        return msg

    async def say(self, text: str, sender: str = ALICE, room: str = ROOM, **extra: Any) -> str:
        msg = Incoming(backend="matrix", room=room, sender=sender, text=text, event_id=f"$m{next(self._ids)}",
                       sent_at=self.clock.now(), sender_is_organiser=sender == CAMILLE, **extra)
        return (await self.deliver(msg)).event_id

    async def edit(self, target: str, text: str, sender: str = ALICE, room: str = ROOM) -> str:
        return (await self.deliver(Incoming(backend="matrix", room=room, sender=sender, text=text,
                                            event_id=f"$e{next(self._ids)}", sent_at=self.clock.now(),
                                            kind=EDIT, target=target))).event_id

    async def remove(self, target: str, sender: str = ALICE) -> None:
        await self.deliver(Incoming(backend="matrix", room=ROOM, sender=sender, text="", event_id=f"$r{next(self._ids)}",
                                    sent_at=self.clock.now(), kind=REMOVAL, target=target))

    async def react(self, target: str, emoji: str, sender: str = ALICE) -> str:
        return (await self.deliver(Incoming(backend="matrix", room=ROOM, sender=sender, text=emoji,
                                            event_id=f"$x{next(self._ids)}", sent_at=self.clock.now(), kind=REACTION,
                                            target=target, sender_is_organiser=sender == CAMILLE))).event_id

    def export(self) -> dict:
        from storage.db import connect

        db = connect(self.db)
        try:
            return export_json(Store(db), self.config)
        finally:
            db.close()

    def mine(self) -> list[dict]:
        """The meetings besides the seeded ones."""
        return [m for m in self.export()["meetings"] if m["source"] != "seed"]

    def count(self, sql: str) -> int:
        conn = sqlite3.connect(self.db)
        try:
            return conn.execute(sql).fetchone()[0]
        finally:
            conn.close()


@pytest.fixture
async def bot(tmp_path: Path):
    made: list[Bot] = []

    async def make(cfg: Config | None = None) -> Bot:
        b = Bot(tmp_path / "chambre.db", cfg or config())
        made.append(b)
        return await b.start()

    yield make
    for b in made:
        await b.stop()


# ---- a proposal heard -------------------------------------------------------------------------

async def test_a_proposal_is_recorded_and_said_in_its_thread_with_a_reaction(bot):
    b = await bot()
    msg = await b.say("On se retrouve jeudi 18h à la MESHS pour avancer sur les briques ?")
    (m,) = b.mine()
    assert m == {**m, "id": FIRST, "title": "Avancer sur les briques", "start": "2026-12-03T18:00:00+01:00",
                 "place": "MESHS", "status": "proposed", "proposed_by": ALICE, "room": ROOM,
                 "source": "conversation", "message": msg, "link": f"https://chat.example.org/{ROOM}/{msg}"}
    assert b.chat.reactions() == [(msg, "📅")]
    (reply,) = b.chat.thread(msg)
    assert "réunion n°8" in reply and "jeudi 3 décembre 2026, 18:00" in reply and "MESHS" in reply
    assert "!réunion annuler 8" in reply
    assert b.chat.timeline() == []  # nothing in the room's own timeline


async def test_a_permanence_is_added_as_the_command_would(bot):
    b = await bot(config(places=["Tiers-lieu"]))
    msg = await b.say("Je tiendrai une permanence tous les mardis de 17h à 19h au tiers lieu")
    (p,) = b.export()["permanences"]
    assert (p["rrule"], p["dtstart"], p["duration_minutes"], p["place"]) == (
        "FREQ=WEEKLY;BYDAY=TU", "2026-12-01T17:00:00+01:00", 120, "Tiers-lieu")  # spelled as configured
    assert (p["source"], p["message"]) == ("conversation", msg)
    (reply,) = b.chat.thread(msg)
    assert "permanence n°1" in reply and "tous les mardis" in reply and "!permanence supprimer 1" in reply


async def test_a_place_the_group_used_is_spelled_its_way(bot):
    b = await bot()
    await b.say("!réunion proposer samedi 10h ; Rangement ; Maison de l'Économie Solidaire")
    await b.say("Réunion vendredi 14h à la maison de l'economie solidaire ?")
    assert [m["place"] for m in b.mine()] == ["Maison de l'Économie Solidaire"] * 2


async def test_in_a_thread_the_reply_goes_to_that_thread(bot):
    b = await bot()
    msg = await b.say("Atelier samedi 14h à la MESHS", thread="$root")
    assert b.chat.thread("$root") and not b.chat.thread(msg)
    assert b.chat.reactions() == [(msg, "📅")]


async def test_a_message_delivered_twice_is_recorded_once(bot):
    b = await bot()
    msg = Incoming(backend="matrix", room=ROOM, sender=ALICE, text="Réunion jeudi 18h ?", event_id="$twice",
                   sent_at=NOW)
    await b.deliver(msg)
    await b.deliver(msg)
    assert len(b.mine()) == 1 and len(b.chat.sent) == 2
    assert b.count("SELECT count(*) FROM outbox") == 2


async def test_the_same_meeting_again_points_to_its_number(bot):
    b = await bot()
    await b.say("On se retrouve jeudi 18h à la MESHS ?")
    again = await b.say("Rappel pour tous : réunion jeudi 18h", sender=BOB)
    also = await b.say("Je propose qu'on se retrouve jeudi à 18h", sender=BOB)
    assert len(b.mine()) == 1
    assert b.chat.reactions(also) == [(also, "📅")]
    (reply,) = b.chat.thread(also)
    assert "Déjà noté" in reply and "n°8" in reply and "!réunion voir 8" in reply
    assert not b.chat.thread(again)  # a reminder is not a proposal (the engine's rule)
    # a meeting recorded more than fourteen days ago is not the one meant
    await b.say("Réunion le 15 janvier à 18h ?")
    b.clock.advance(timedelta(days=15))
    await b.say("Réunion le 15 janvier à 18h ?", sender=BOB)
    assert [m["start"] for m in b.mine()][1:] == ["2027-01-15T18:00:00+01:00"] * 2


# ---- who and where ----------------------------------------------------------------------------

async def test_not_in_direct_messages_nor_from_bots_nor_commands(bot):
    b = await bot(config(bots=["@rss:example.org", "matrix:@other-bot:example.org"]))
    await b.say("On se retrouve jeudi 18h ?", room=DM, is_direct=True)
    await b.say("Réunion jeudi 18h ?", sender="@rss:example.org")
    await b.say("Réunion vendredi 18h ?", sender="@other-bot:example.org")
    await b.say("Atelier samedi 14h ?", from_bot=True)
    await b.say("!quand jeudi 18h")  # a command, answered as such
    assert b.mine() == [] and b.chat.reactions() == []
    assert len(b.chat.sent) == 1 and "Je comprends" in b.chat.sent[0].body.plain()


async def test_modes_from_the_configuration_room_by_room(bot):
    b = await bot(config(listen="off", listen_rooms={"#chambre:example.org": "suggest"}))
    await b.say("Réunion jeudi 18h ?", room=OTHER)
    msg = await b.say("Réunion vendredi 18h ?")  # the room, by its alias: suggest
    assert b.mine() == []
    assert b.chat.reactions() == [(msg, "📅")]
    (reply,) = b.chat.thread(msg)
    assert "Je peux noter une réunion" in reply and "vendredi 4 décembre 2026, 18:00" in reply
    assert "✅" in reply and "!noter" in reply


async def test_organisers_set_the_mode_in_the_room(bot):
    b = await bot()
    refused = await b.say("!écoute non", sender=BOB)
    assert "Refusé" in b.chat.sent[-1].body.plain() and refused
    await b.say("!écoute non", sender=CAMILLE)
    assert "Écoute réglée pour ce salon : non" in b.chat.sent[-1].body.plain()
    await b.say("On se retrouve jeudi 18h ?")
    await b.say("!listen", sender=CAMILLE, room=ROOM)
    assert "non" in b.chat.sent[-1].body.plain()
    assert b.mine() == []
    await b.say("Réunion jeudi 18h ?", room=OTHER)  # another room keeps the configuration's mode
    assert len(b.mine()) == 1
    await b.say("!listen record", sender=CAMILLE)
    await b.say("Atelier samedi 14h ?")
    assert len(b.mine()) == 2
    await b.say("!écoute suggérer", sender=CAMILLE, room=DM, is_direct=True)
    assert "pas en message privé" in b.chat.sent[-1].body.plain()


# ---- suggest mode ----------------------------------------------------------------------------

async def test_suggest_mode_records_on_a_check_from_the_author_or_an_organiser(bot):
    b = await bot(config(listen="suggest"))
    msg = await b.say("On se retrouve jeudi 18h à la MESHS ?")
    await b.react(msg, "✅", sender=BOB)  # someone else's opinion
    await b.react(msg, "👍")  # not the check
    assert b.mine() == []
    await b.react(msg, "✅")  # the author
    (m,) = b.mine()
    assert (m["start"], m["source"], m["message"]) == ("2026-12-03T18:00:00+01:00", "conversation", msg)
    replies = b.chat.thread(msg)
    assert len(replies) == 2 and "Noté : réunion n°8" in replies[1]
    await b.react(msg, "✅", sender=CAMILLE)  # already recorded
    assert len(b.mine()) == 1 and len(b.chat.thread(msg)) == 2

    other = await b.say("Atelier samedi 14h ?", sender=BOB)
    await b.say("!noter", sender=CAMILLE, thread=other)  # an organiser, in its thread
    assert len(b.mine()) == 2
    assert "Noté : réunion n°9" in b.chat.sent[-1].body.plain() and b.chat.sent[-1].thread == other


async def test_a_suggestion_edited_or_removed(bot):
    b = await bot(config(listen="suggest"))
    msg = await b.say("Réunion jeudi 18h ?")
    await b.edit(msg, "Réunion vendredi 18h ?")
    assert "vendredi 4 décembre 2026, 18:00" in b.chat.thread(msg)[-1]
    await b.react(msg, "✅")
    assert [m["start"] for m in b.mine()] == ["2026-12-04T18:00:00+01:00"]
    gone = await b.say("Atelier samedi 14h ?")
    await b.remove(gone)
    await b.say("!noter", thread=gone)
    assert "Rien à noter" in b.chat.sent[-1].body.plain() and len(b.mine()) == 1


# ---- following the message ---------------------------------------------------------------------

async def test_an_edit_updates_the_untouched_record_and_says_so(bot):
    b = await bot()
    msg = await b.say("On se retrouve jeudi 18h à la MESHS ?")
    await b.edit(msg, "On se retrouve vendredi 19h à la MESHS ?")
    (m,) = b.mine()
    assert (m["id"], m["start"], m["status"]) == (FIRST, "2026-12-04T19:00:00+01:00", "proposed")
    assert "mis à jour" in b.chat.thread(msg)[-1] and "vendredi 4 décembre 2026, 19:00" in b.chat.thread(msg)[-1]
    await b.edit(msg, "On se retrouve vendredi 19h à la MESHS !")  # the same proposal: nothing to say
    assert len(b.chat.thread(msg)) == 2
    await b.edit(msg, "On se retrouve vendredi 19h à la MESHS", sender=BOB)  # not the author's edit
    assert len(b.chat.thread(msg)) == 2
    assert b.chat.reactions() == [(msg, "📅")] and b.chat.timeline() == []


async def test_an_edit_no_longer_moves_a_record_someone_acted_on(bot):
    b = await bot()
    msg = await b.say("On se retrouve jeudi 18h ?")
    await b.say(f"!réunion confirmer {FIRST}", sender=CAMILLE)
    await b.edit(msg, "On se retrouve vendredi 18h ?")
    (m,) = b.mine()
    assert (m["start"], m["status"]) == ("2026-12-03T18:00:00+01:00", "confirmed")
    reply = b.chat.thread(msg)[-1]
    assert "déjà été confirmée, changée ou a reçu des réponses" in reply and "!réunion déplacer 8 ; <quand>" in reply

    answered = await b.say("Atelier samedi 14h ?")
    await b.say(f"!réunion participe {FIRST + 1}", sender=BOB)
    await b.remove(answered)
    assert b.mine()[1]["status"] == "proposed"  # someone said they come: it stays


async def test_an_edit_that_proposes_nothing_any_more_cancels(bot):
    b = await bot()
    msg = await b.say("On se retrouve jeudi 18h ?")
    await b.edit(msg, "On se retrouve jeudi ?")
    assert b.mine()[0]["status"] == "cancelled"
    assert "ne propose plus cette réunion" in b.chat.thread(msg)[-1] and "annulée" in b.chat.thread(msg)[-1]


async def test_a_permanence_follows_its_message_until_someone_hosts_it(bot):
    b = await bot()
    msg = await b.say("Je tiendrai une permanence tous les mardis de 17h à 19h")
    await b.edit(msg, "Je tiendrai une permanence tous les mardis")  # no time any more
    assert [p["active"] for p in b.export()["permanences"]] == [False]
    assert "ne propose plus cette permanence" in b.chat.thread(msg)[-1] and "est arrêtée" in b.chat.thread(msg)[-1]

    hosted = await b.say("Je tiendrai une permanence tous les jeudis de 17h à 19h")
    await b.say("!permanence tenir 2 ; 03/12", sender=BOB)
    await b.edit(hosted, "Je tiendrai une permanence tous les vendredis de 17h à 19h")
    assert [p["rrule"] for p in b.export()["permanences"]][1] == "FREQ=WEEKLY;BYDAY=TH"  # left as it is
    assert "la permanence n°2 a déjà des hôtes" in b.chat.thread(hosted)[-1]


async def test_a_removed_message_cancels_its_untouched_record(bot):
    b = await bot()
    msg = await b.say("Je tiendrai une permanence tous les mardis de 17h à 19h")
    meeting = await b.say("Réunion jeudi 18h ?")
    await b.remove(msg, sender=CAMILLE)  # a moderator's redaction too
    await b.remove(meeting)
    assert [p["active"] for p in b.export()["permanences"]] == [False]
    assert b.mine()[0]["status"] == "cancelled"
    assert b.count(f"SELECT count(*) FROM meetings WHERE id = {FIRST} AND cancel_reason LIKE '%supprimé%'") == 1
    assert len(b.chat.thread(msg)) == 1  # nothing said: the message is gone


async def test_an_edit_of_a_message_not_heard_before_is_read_as_new(bot):
    b = await bot()
    msg = await b.say("On se retrouve jeudi ?")  # no time: nothing
    assert b.mine() == []
    await b.edit(msg, "On se retrouve jeudi 18h ?")
    assert [m["message"] for m in b.mine()] == [msg]
    assert b.chat.reactions() == [(msg, "📅")]


async def test_a_restart_between_a_message_and_its_edit(bot):
    b = await bot()
    msg = await b.say("Réunion jeudi 18h à la MESHS ?")
    await b.restart()
    await b.edit(msg, "Réunion jeudi 19h à la MESHS ?")
    (m,) = b.mine()
    assert m["start"] == "2026-12-03T19:00:00+01:00"
    assert "mis à jour" in b.chat.thread(msg)[-1]


# ---- reactions, generally --------------------------------------------------------------------

async def test_reactions_stand_until_taken_back(bot):
    b = await bot()
    msg = await b.say("bonjour")
    first = await b.react(msg, "👍", sender=BOB)
    await b.react(msg, "👍", sender=BOB)  # the same reaction again (a chat's catch-up): known
    await b.react(msg, "🎉")
    assert b.app is not None
    standing = await b.app.db.run(lambda d: Store(d).reactions_on("matrix", msg))
    assert standing == [("👍", BOB), ("🎉", ALICE)]
    await b.remove(first, sender=BOB)  # a removal naming the reaction's id: taken back
    standing = await b.app.db.run(lambda d: Store(d).reactions_on("matrix", msg))
    assert standing == [("🎉", ALICE)]
    assert b.mine() == [] and b.chat.sent == []


async def test_a_message_listening_cannot_read_holds_nothing_up(bot, monkeypatch, caplog):
    def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("a bug in the engine")

    monkeypatch.setattr(engine, "notice", broken)
    b = await bot()
    await b.say("Réunion jeudi 18h ?")
    await b.say("!quand jeudi 18h")
    assert b.mine() == [] and "Je comprends" in b.chat.sent[-1].body.plain()
    assert "could not read a message" in caplog.text


async def test_the_operator_log_says_a_message_was_heard_never_what_it_said(bot, caplog):
    caplog.set_level(logging.INFO)
    b = await bot()
    await b.say("On se retrouve jeudi 18h à la MESHS pour le Zorglub ?")
    assert f"matrix {ROOM}: listening, heard" in [r.getMessage() for r in caplog.records if r.name == "bot.app"]
    assert "Zorglub" not in caplog.text and "MESHS" not in caplog.text


# ---- a busy room ------------------------------------------------------------------------------

async def test_a_flood_of_ordinary_messages_costs_no_record_and_no_reply(bot):
    b = await bot()
    lines = ["salut !", "qui a les clés de la salle ?", "merci pour hier 🙏", "la réunion de jeudi dernier était top",
             "je ne serai pas là jeudi 18h", "j'ai un rdv chez le dentiste mardi 10h", "ok pour moi", "+1",
             "https://pad.example.org/briques", "> On se retrouve jeudi 18h ?\nbonne idée"]
    for k in range(500):
        await b.say(f"{lines[k % len(lines)]} ({k})", sender=BOB if k % 2 else ALICE)
    assert b.mine() == [] and b.export()["permanences"] == []
    assert b.count("SELECT count(*) FROM outbox") == 0 and b.chat.sent == []
    assert b.count("SELECT count(*) FROM heard") == 0
