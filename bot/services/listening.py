"""Listening's rules: what a meeting or permanence noticed in conversation becomes, and what
happens to it when its message is edited or removed, or its suggestion accepted.

- **Record mode**: a proposal noticed is recorded at once, a meeting as *proposed* (its
  proposer the message's author), a permanence as `!permanence ajouter` would add it; both
  keep where they came from (`source` "conversation", the message's id and address).
- **Suggest mode**: nothing is recorded until the author or an organiser accepts it (a ✅
  reaction, `!noter`).
- **The same meeting twice**: a meeting of the same room at the same instant, made in the
  last DUPLICATE_WINDOW and not cancelled, is the one meant: nothing new is recorded. So
  is an active permanence of the room on the same rule, whose dates include the new one's
  first.
- **Following the message**: an edit by its author updates the record, and a removal
  cancels it, while the record is *untouched*: still as listening last wrote it (a meeting
  still proposed, changed by no command, answered by nobody; a permanence still running,
  with no host and no date cancelled). Once a person acted on it, the message no longer
  moves it: the commands do.

The proposal is kept as listening read it (`Heard.proposal`, JSON), so that a suggestion
accepted later, or a record compared with an edit, uses the reading of the time it was said.
Services know neither the chat nor SQL: the App turns each Outcome into a reaction and a
thread reply.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from datetime import datetime, timedelta

from bot.config import LISTEN_MODES as MODES
from bot.errors import Forbidden, UserError
from bot.records import Heard, Meeting, Permanence
from bot.services import Actor
from bot.services import meetings as meeting_svc
from bot.services import permanences as permanence_svc
from storage.store import Store

if TYPE_CHECKING:
    from bot.listening import Proposal
    from bot.when import Event, Recurrence

DUPLICATE_WINDOW = timedelta(days=14)
SOURCE = "conversation"


@dataclass
class Outcome:
    """What listening did about a message, for the App to say in its thread.

    `what`: "recorded", "suggested", "duplicate" (the record that was already there),
    "updated" (an edit changed the record or the suggestion), "unchanged", "touched" (an
    edit or removal that no longer moves a record people acted on), "cancelled" (the record
    cancelled by an edit or a removal), "withdrawn" (a suggestion edited or removed away),
    "ignored"."""
    what: str
    heard: Heard
    record: Meeting | Permanence | None = None


def proposal_data(found: Proposal, tz_name: str) -> tuple[str, dict[str, Any]]:
    """A proposal from `bot.listening.notice` as it is kept: its kind and its JSON form, with
    the member's words for the date and the zone it was read in."""
    data = dict(found.to_json()[found.kind])
    data.update(when=found.when, tz=tz_name)
    return found.kind, data


def _event(data: dict[str, Any]) -> Event:
    from bot.when import Event

    end = datetime.fromisoformat(data["end"]) if data.get("end") else None
    return Event(datetime.fromisoformat(data["start"]), end)


def _recurrence(data: dict[str, Any]) -> Recurrence:
    from bot.when import Recurrence

    return Recurrence.from_parts(data["rrule"], datetime.fromisoformat(data["first"]), data["duration_minutes"],
                                 data["tz"])


def _source(heard: Heard) -> tuple[str, str | None, str | None]:
    return SOURCE, heard.message, heard.link


# ---- modes ------------------------------------------------------------------------------------

def room_mode(store: Store, backend: str, room: str) -> str | None:
    """The mode an organiser set in that room, if any (it wins over the configuration)."""
    return store.listen_mode(backend, room)


def set_mode(store: Store, actor: Actor, now: datetime, backend: str, room: str, mode: str) -> None:
    if not actor.is_organiser:
        raise Forbidden("Refusé : seuls les organisateurs règlent l'écoute.", "Refused: only organisers set listening.")
    if mode not in MODES:
        raise ValueError(mode)
    store.set_listen_mode(backend, room, mode, actor.user, now)
    store.log("listening.mode", None, actor.user, now, mode=mode, room=room)


# ---- a message noticed ------------------------------------------------------------------------

def duplicate(store: Store, kind: str, data: dict[str, Any], room: str, now: datetime) -> Meeting | Permanence | None:
    """The record this proposal names again in the same room, if there is one."""
    since = now - DUPLICATE_WINDOW
    if kind == "meeting":
        start = _event(data).start
        assert isinstance(start, datetime)  # listening notices meetings with a time (bot/listening)
        found = store.meetings_at(start, room, since)
        return found[0] if found else None
    first = _recurrence(data).dtstart
    for perm in store.permanences_in(room, data["rrule"], since):
        if permanence_svc.occurrences(perm, first - timedelta(minutes=1), count=1) == [first]:
            return perm
    return None


def noticed(store: Store, heard: Heard, mode: str, now: datetime) -> Outcome:
    """A new message that proposes something (`heard`, not stored yet), in a room listening
    in `mode` ("record" or "suggest")."""
    same = duplicate(store, heard.kind, heard.proposal, heard.room, now)
    if same is not None:
        heard.state, heard.record_id = "duplicate", same.id
        store.add_heard(heard)
        return Outcome("duplicate", heard, same)
    if mode == "suggest":
        heard.state = "suggested"
        store.add_heard(heard)
        return Outcome("suggested", heard)
    record = _record(store, heard, now)
    store.add_heard(heard)
    return Outcome("recorded", heard, record)


def _record(store: Store, heard: Heard, now: datetime) -> Meeting | Permanence:
    """Record what `heard` proposes, in its author's name; `heard` says so (state, number)."""
    author = Actor(heard.author, False)
    data = heard.proposal
    record: Meeting | Permanence
    if heard.kind == "meeting":
        record = meeting_svc.propose(store, author, now, _event(data), data["title"], data["place"], heard.room,
                                     _source(heard))
    else:
        record = permanence_svc.add(store, author, now, _recurrence(data), data["title"], data["place"], heard.room,
                                    _source(heard))
    heard.state, heard.record_id, heard.written_at = "recorded", record.id, now
    return record


def suggestion(store: Store, backend: str, room: str, thread: str | None) -> Heard:
    """The suggestion `!noter` accepts: the one of that thread, or the room's latest."""
    heard = store.latest_suggestion(backend, room, thread)
    if heard is None:
        raise UserError("Rien à noter ici : je n'ai rien suggéré dans ce fil (ni dans ce salon) qui attende encore.",
                        "Nothing to record here: I suggested nothing in this thread (or room) that is still waiting.")
    return heard


def accept(store: Store, actor: Actor, now: datetime, heard: Heard) -> Outcome:
    """The author or an organiser accepts a suggestion (✅, `!noter`): it is recorded, unless
    the same meeting was recorded meanwhile."""
    if not (actor.is_organiser or actor.user == heard.author):
        raise Forbidden("Refusé : seul·e l'auteur·e du message ({who}) ou un·e organisateur·rice peut l'enregistrer.",
                        "Refused: only the message's author ({who}) or an organiser may record it.", who=heard.author)
    if heard.state != "suggested":
        raise UserError("Ce message n'attend plus d'être noté.", "That message is no longer waiting to be recorded.")
    same = duplicate(store, heard.kind, heard.proposal, heard.room, now)
    if same is not None:
        heard.state, heard.record_id = "duplicate", same.id
        store.update_heard(heard)
        return Outcome("duplicate", heard, same)
    record = _record(store, heard, now)
    store.update_heard(heard)
    return Outcome("recorded", heard, record)


# ---- following the message ----------------------------------------------------------------------

def untouched(store: Store, heard: Heard) -> bool:
    """Whether the record is still as listening last wrote it: nobody acted on it since."""
    if heard.record_id is None:
        return False
    if heard.kind == "meeting":
        m = store.meeting(heard.record_id)
        return (m is not None and m.status == "proposed" and m.updated_at == heard.written_at
                and not any(m.rsvp.values()))
    p = store.permanence(heard.record_id)
    return p is not None and p.active and not p.hosts and not p.cancelled


def edited(store: Store, heard: Heard, editor: str, kind: str | None, data: dict[str, Any] | None,
           now: datetime) -> Outcome:
    """The message was edited by `editor`; it now proposes `kind`/`data`, or nothing (None)."""
    if editor != heard.author or heard.state in ("duplicate", "dropped"):
        return Outcome("ignored", heard)
    if heard.state == "suggested":
        if kind is None:
            heard.state = "dropped"
            store.update_heard(heard)
            return Outcome("withdrawn", heard)
        assert data is not None  # a kind comes with its proposal
        if (kind, _comparable(data)) == (heard.kind, _comparable(heard.proposal)):
            return Outcome("unchanged", heard)
        heard.kind, heard.proposal = kind, data
        store.update_heard(heard)
        return Outcome("updated", heard)
    # recorded
    if kind == heard.kind and _comparable(data) == _comparable(heard.proposal):
        return Outcome("unchanged", heard)
    if not untouched(store, heard):
        return Outcome("touched", heard, _current(store, heard))
    if kind is None:
        record = _cancel(store, heard, now, "edited")
        heard.state = "dropped"
        store.update_heard(heard)
        return Outcome("cancelled", heard, record)
    assert data is not None  # a kind comes with its proposal
    if kind != heard.kind:  # a meeting that became a permanence, or the other way round
        _cancel(store, heard, now, "edited")
        heard.kind, heard.proposal = kind, data
        record = _record(store, heard, now)
        store.update_heard(heard)
        return Outcome("updated", heard, record)
    heard.proposal = data
    record = _rewrite(store, heard, now)
    heard.written_at = now
    store.update_heard(heard)
    return Outcome("updated", heard, record)


def removed(store: Store, heard: Heard, now: datetime) -> Outcome:
    """The message was deleted: its suggestion goes, and its record while untouched."""
    if heard.state == "suggested":
        heard.state = "dropped"
        store.update_heard(heard)
        return Outcome("withdrawn", heard)
    if heard.state != "recorded":
        return Outcome("ignored", heard)
    if not untouched(store, heard):
        return Outcome("touched", heard, _current(store, heard))
    record = _cancel(store, heard, now, "removed")
    heard.state = "dropped"
    store.update_heard(heard)
    return Outcome("cancelled", heard, record)


# The reason kept with a record its message cancelled, in the language of its room.
_REASONS = {
    "edited": ("le message qui la proposait ne la propose plus", "the message that proposed it no longer does"),
    "removed": ("le message qui la proposait a été supprimé", "the message that proposed it was deleted"),
}


def _cancel(store: Store, heard: Heard, now: datetime, why: str) -> Meeting | Permanence:
    author = Actor(heard.author, False)
    assert heard.record_id is not None
    if heard.kind == "meeting":
        fr, en = _REASONS[why]
        return meeting_svc.cancel(store, author, now, heard.record_id, en if heard.lang == "en" else fr)
    return permanence_svc.remove(store, author, now, heard.record_id)


def _rewrite(store: Store, heard: Heard, now: datetime) -> Meeting | Permanence:
    """The untouched record as the edited message now proposes it."""
    data = heard.proposal
    assert heard.record_id is not None
    if heard.kind == "meeting":
        before = store.meeting(heard.record_id)
        event = _event(data)
        meeting = store.update_meeting(heard.record_id, now, title=data["title"], place=data["place"],
                                       start=event.start, end=event.end)
        if before is not None and (before.start, before.end) != (meeting.start, meeting.end):
            store.log("meeting.moved", meeting.id, heard.author, now, title=meeting.title)
        if before is not None and before.place != meeting.place and meeting.place:
            store.log("meeting.place", meeting.id, heard.author, now, title=meeting.title, place=meeting.place)
        return meeting
    rec = _recurrence(data)
    return store.update_permanence(heard.record_id, data["title"], data["place"], rec.rrule, rec.dtstart, rec.tz,
                                   rec.duration_minutes)


def _current(store: Store, heard: Heard) -> Meeting | Permanence | None:
    if heard.record_id is None:
        return None
    return store.meeting(heard.record_id) if heard.kind == "meeting" else store.permanence(heard.record_id)


def _comparable(data: dict[str, Any] | None) -> dict[str, Any] | None:
    """What an edit must change for the record to change: the date, title and place, not
    the words that gave the date."""
    if data is None:
        return None
    return {k: v for k, v in data.items() if k != "when"}
