"""What the bot does with conversation: messages that are not commands, and what happens to
messages afterwards (edits, removals, reactions). Listening (issue 17) is its reader today.

The App calls these inside the transaction that marks the event handled (bot/app.py), and
queues what they return, `Said`: a reaction on the message and a reply in its thread, each
under a send key derived from what caused it. So a noticed proposal, its record, its 📅 and
its thread reply are one change: nothing lost, nothing twice. The rules are the service's
(bot/services/listening.py); this module reads messages with `bot.listening.notice` and says
what happened, in the room's language: the date in full, the number, the command to undo it.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Callable, Iterable
from zoneinfo import ZoneInfo

from bot.backends.base import Incoming
from bot.errors import UserError
from bot.records import Heard, Meeting, Permanence
from bot.render import number, tr, when_text
from bot.richtext import Doc, Span, b, code
from bot.services import Actor
from bot.services import listening as svc
from storage.store import Store

if TYPE_CHECKING:
    from bot.listening import Proposal

log = logging.getLogger(__name__)

CALENDAR = "📅"  # on a message listening noticed
ACCEPT = "✅"  # on a suggestion, by its author or an organiser: record it


@dataclass(frozen=True)
class Said:
    """Something the bot says about a message: a reaction on it or a reply in its thread.
    `cause` is the event it answers (the message, its edit, the reaction that accepted it)."""
    cause: str
    target: str
    thread: str
    reaction: str | None = None
    body: Doc | None = None


@dataclass(frozen=True)
class Room:
    """What listening needs to know of the room a message was said in."""
    lang: str
    tz: ZoneInfo
    mode: str  # "record", "suggest" or "off"
    prefix: str
    places: list[str]


def read(text: str, now: datetime, room: Room, places: Iterable[str] | None = None) -> Proposal | None:
    """What a message proposes, as listening reads it (`bot.listening.notice`), or None. A
    message listening fails to read is left alone, with a log line: it must never hold up
    the commands said after it."""
    from bot.listening import notice

    try:
        return notice(text, now, room.tz, lang=room.lang, places=room.places if places is None else places,
                      prefix=room.prefix)
    except Exception:
        log.exception("listening: could not read a message of %d characters; left alone", len(text))
        return None


def new_heard(msg: Incoming, found: Proposal, room: Room, link: str | None, now: datetime,
              message: str | None = None) -> Heard:
    kind, data = svc.proposal_data(found, room.tz.key)
    message = message or msg.event_id
    return Heard(backend=msg.backend, message=message, room=msg.room, author=msg.sender,
                 thread=msg.thread or message, link=link, lang=room.lang, kind=kind, proposal=data,
                 state="", record_id=None, written_at=None, at=now)


# ---- the four events ------------------------------------------------------------------------------

def message(store: Store, msg: Incoming, found: Proposal, room: Room, link: str | None, now: datetime) -> list[Said]:
    """A message that proposes something (`found`), in a room that listens."""
    heard = new_heard(msg, found, room, link, now)
    outcome = svc.noticed(store, heard, room.mode, now)
    return [_calendar(heard), _reply(outcome, msg.event_id, room)]


def edited(store: Store, msg: Incoming, room_of: Callable[[], Room], link: str | None, now: datetime) -> list[Said]:
    """`msg` edits `msg.target`. A message listening noticed follows its edits (while its
    record is untouched); one it did not notice is read again, as if new."""
    assert msg.target is not None
    heard = store.heard(msg.backend, msg.target)
    if heard is None:
        room = room_of()
        if room.mode == "off":
            return []
        found = read(msg.text, now, room)
        if found is None:
            return []
        heard = new_heard(msg, found, room, link, now, message=msg.target)
        outcome = svc.noticed(store, heard, room.mode, now)
        return [_calendar(heard), _reply(outcome, msg.event_id, room)]
    room = room_of()
    found = read(msg.text, now, room, places=room.places)
    kind, data = svc.proposal_data(found, room.tz.key) if found is not None else (None, None)
    outcome = svc.edited(store, heard, msg.sender, kind, data, now)
    if outcome.what in ("ignored", "unchanged"):
        return []
    return [_reply(outcome, msg.event_id, room)]


def removed(store: Store, msg: Incoming, now: datetime) -> list[Said]:
    """`msg.target` was deleted: its suggestion goes, and its record while untouched. Nothing
    is said: the message is gone, and its thread with it on some chats; the digest and
    `!réunion liste` show the cancellation."""
    assert msg.target is not None
    heard = store.heard(msg.backend, msg.target)
    if heard is not None:
        svc.removed(store, heard, now)
    return []


def reacted(store: Store, msg: Incoming, actor: Actor, room: Room, now: datetime) -> list[Said]:
    """A reaction: ✅ by the author or an organiser on a suggestion records it."""
    if msg.text != ACCEPT or msg.target is None:
        return []
    heard = store.heard(msg.backend, msg.target)
    if heard is None or heard.state != "suggested":
        return []
    try:
        outcome = svc.accept(store, actor, now, heard)
    except UserError:
        return []  # anyone else's ✅ is an opinion, not a decision: nothing to say
    return [_reply(outcome, msg.event_id, _with_lang(room, heard.lang))]


def accepted_doc(outcome: svc.Outcome, room: Room) -> Doc:
    """The reply to `!noter`: what was recorded."""
    return _text(outcome, room)


# ---- what is said ---------------------------------------------------------------------------------

def _calendar(heard: Heard) -> Said:
    return Said(cause=heard.message, target=heard.message, thread=heard.thread, reaction=CALENDAR)


def _reply(outcome: svc.Outcome, cause: str, room: Room) -> Said:
    heard = outcome.heard
    return Said(cause=cause, target=heard.message, thread=heard.thread, body=_text(outcome, room))


def _with_lang(room: Room, lang: str) -> Room:
    return Room(lang=lang, tz=room.tz, mode=room.mode, prefix=room.prefix, places=room.places)


def _text(outcome: svc.Outcome, room: Room) -> Doc:
    lang, heard, p = room.lang, outcome.heard, room.prefix

    def t(fr: str, en: str, **v: object) -> str:
        return tr(lang, fr, en).format(**v)

    record = outcome.record
    doc = Doc()
    if outcome.what == "suggested":
        doc.para(t("Je peux noter ", "I can record "), *_proposal(heard, lang, room.tz), ".")
        doc.para(t("Pour l'enregistrer : {ok} sur le message (son auteur·e ou un·e organisateur·rice), ou ",
                   "To record it: {ok} on the message (by its author or an organiser), or ", ok=ACCEPT),
                 code(p + t("noter", "record")), t(" dans ce fil.", " in this thread."))
        return doc
    if outcome.what == "updated" and record is None:  # a suggestion, edited
        doc.para(t("Message modifié : je peux maintenant noter ", "Message edited: I can now record "),
                 *_proposal(heard, lang, room.tz), ".")
        doc.para(t("Pour l'enregistrer : {ok} sur le message, ou ", "To record it: {ok} on the message, or ", ok=ACCEPT),
                 code(p + t("noter", "record")), t(" dans ce fil.", " in this thread."))
        return doc
    if outcome.what == "withdrawn":
        return doc.para(t("Message modifié : il ne propose plus rien à noter.",
                          "Message edited: it no longer proposes anything to record."))
    if outcome.what == "duplicate":
        doc.para(t("Déjà noté : ", "Already recorded: "), *_record_line(record, lang, room.tz), ".")
        doc.para(t("Voir : ", "See: "), code(p + _show(heard.kind, record.id if record else 0, lang)))
        return doc
    if outcome.what == "cancelled":
        what = _kind_word(heard.kind, lang)
        return doc.para(t("Message modifié : il ne propose plus cette {w} ; ", "Message edited: it no longer proposes this {w}; ",
                          w=what), *_record_line(record, lang, room.tz, status=False),
                        t(" est annulée.", " is cancelled.") if heard.kind == "meeting" else t(" est arrêtée.", " is ended."))
    if outcome.what == "touched":
        n = number(record.id, lang) if record else "?"
        if heard.kind == "meeting":
            doc.para(t("Message modifié, mais la réunion {n} a déjà été confirmée, changée ou a reçu des réponses : "
                       "je ne la change pas d'après le message.",
                       "Message edited, but meeting {n} was already confirmed, changed or answered: I leave it as it is.",
                       n=n))
        else:
            doc.para(t("Message modifié, mais la permanence {n} a déjà des hôtes ou des dates annulées : "
                       "je ne la change pas d'après le message.",
                       "Message edited, but permanence {n} already has hosts or cancelled dates: I leave it as it is.",
                       n=n))
        if heard.kind == "meeting" and record is not None:
            doc.para(t("Pour la changer : ", "To change it: "),
                     code(p + t(f"réunion déplacer {record.id} ; <quand>", f"meeting move {record.id} ; <when>")))
        return doc
    # recorded, or updated
    lead = (t("Noté : ", "Recorded: ") if outcome.what == "recorded"
            else t("Message modifié, mis à jour : ", "Message edited, updated: "))
    doc.para(lead, *_record_line(record, lang, room.tz), ".")
    if isinstance(record, Meeting):
        doc.para(t("Pour l'annuler : ", "To cancel it: "), code(p + t(f"réunion annuler {record.id}", f"meeting cancel {record.id}")),
                 t(" · pour la confirmer (organisateurs) : ", " · to confirm it (organisers): "),
                 code(p + t(f"réunion confirmer {record.id}", f"meeting confirm {record.id}")))
    elif isinstance(record, Permanence):
        doc.para(t("Pour l'arrêter : ", "To end it: "),
                 code(p + t(f"permanence supprimer {record.id}", f"permanence remove {record.id}")))
    return doc


def _kind_word(kind: str, lang: str) -> str:
    return tr(lang, "réunion", "meeting") if kind == "meeting" else "permanence"


def _show(kind: str, n: int, lang: str) -> str:
    if kind == "meeting":
        return tr(lang, f"réunion voir {n}", f"meeting show {n}")
    return tr(lang, f"permanence voir {n}", f"permanence show {n}")


def _proposal(heard: Heard, lang: str, tz: ZoneInfo) -> list[Span]:
    """What a suggestion would record: "une réunion, « Titre », le jeudi 3 décembre 2026,
    18:00, à la MESHS"."""
    data = heard.proposal
    if heard.kind == "meeting":
        event = svc._event(data)
        spans: list[Span] = [tr(lang, "une réunion : ", "a meeting: "), b(data["title"]), " — ",
                       b(when_text(event.start, event.end, lang, tz))]
    else:
        from bot.when import describe_recurrence

        spans = [tr(lang, "une permanence : ", "a permanence: "), b(data["title"]), " — ",
                 b(describe_recurrence(svc._recurrence(data), lang))]
    if data.get("place"):
        spans += [" — ", data["place"]]
    return spans


def _record_line(record: Meeting | Permanence | None, lang: str, tz: ZoneInfo, status: bool = True) -> list[Span]:
    if isinstance(record, Meeting):
        spans: list[Span] = [tr(lang, "réunion ", "meeting "), b(number(record.id, lang)), " ", b(record.title), " — ",
                       b(when_text(record.start, record.end, lang, tz))]
        if record.place:
            spans += [" — ", record.place]
        if status and record.status == "proposed":
            spans.append(tr(lang, " (proposée)", " (proposed)"))
        return spans
    if isinstance(record, Permanence):
        from bot.services import permanences as permanence_svc
        from bot.when import describe_recurrence

        spans = ["permanence ", b(number(record.id, lang)), " ", b(record.title), " — ",
                 b(describe_recurrence(permanence_svc.recurrence_of(record), lang))]
        if record.place:
            spans += [" — ", record.place]
        return spans
    return ["?"]
