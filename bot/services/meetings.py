"""Meetings: proposed by anyone, confirmed by organisers, moved or cancelled by organisers
or their proposer, answered yes / no / maybe by anyone."""
from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from bot.errors import Forbidden, NotFound, UserError
from bot.records import Meeting
from bot.services import Actor
from storage.store import Source, Store

if TYPE_CHECKING:
    from bot.when import Event


def get(store: Store, n: int) -> Meeting:
    meeting = store.meeting(n)
    if meeting is None:
        raise NotFound("Pas de réunion n°{n}.", "No meeting #{n}.", n=n)
    return meeting


def _may_change(meeting: Meeting, actor: Actor) -> None:
    if not (actor.is_organiser or actor.user == meeting.proposed_by):
        raise Forbidden("Refusé : seuls les organisateurs et la personne qui l'a proposée ({who}) peuvent changer la réunion n°{n}.",
                        "Refused: only organisers and the person who proposed it ({who}) may change meeting #{n}.",
                        who=meeting.proposed_by, n=meeting.id)


def _not_cancelled(meeting: Meeting) -> None:
    if meeting.status == "cancelled":
        raise UserError("La réunion n°{n} est annulée.", "Meeting #{n} is cancelled.", n=meeting.id)


def _split(event: Event | None) -> tuple[datetime | date | None, datetime | None]:
    if event is None:
        return None, None
    return event.start, event.end


def propose(store: Store, actor: Actor, now: datetime, event: Event | None, title: str, place: str | None, room: str,
            source: Source = None) -> Meeting:
    start, end = _split(event)
    meeting = store.add_meeting(title, start, end, place, actor.user, room, now, source)
    store.log("meeting.proposed", meeting.id, actor.user, now, title=title)
    return meeting


def confirm(store: Store, actor: Actor, now: datetime, n: int) -> Meeting:
    meeting = get(store, n)
    _not_cancelled(meeting)
    if meeting.status == "confirmed":
        raise UserError("La réunion n°{n} est déjà confirmée.", "Meeting #{n} is already confirmed.", n=n)
    if meeting.start is None:
        raise UserError("La réunion n°{n} n'a pas encore de date : donnez-en une avec déplacer avant de la confirmer.",
                        "Meeting #{n} has no date yet: give it one with move before confirming it.", n=n)
    meeting = store.update_meeting(n, now, status="confirmed")
    store.log("meeting.confirmed", n, actor.user, now, title=meeting.title)
    return meeting


def cancel(store: Store, actor: Actor, now: datetime, n: int, reason: str | None) -> Meeting:
    meeting = get(store, n)
    _may_change(meeting, actor)
    _not_cancelled(meeting)
    meeting = store.update_meeting(n, now, status="cancelled", cancel_reason=reason)
    store.log("meeting.cancelled", n, actor.user, now, title=meeting.title, reason=reason)
    return meeting


def move(store: Store, actor: Actor, now: datetime, n: int, event: Event | None) -> tuple[Meeting, bool]:
    """The meeting at its new date, and whether it moved: to the date it already has, it
    does not (and a confirmed meeting stays confirmed)."""
    meeting = get(store, n)
    _may_change(meeting, actor)
    _not_cancelled(meeting)
    if event is None:
        raise UserError("Donnez la nouvelle date (« ? » ne s'emploie qu'en proposant).",
                        "Give the new date (\"?\" is only for proposing).")
    start, end = _split(event)
    if _same_instant(meeting.start, start) and _same_instant(meeting.end, end):
        return meeting, False
    # A confirmed meeting that moves goes back to proposed: the new date needs confirming.
    status = "proposed" if meeting.status == "confirmed" else meeting.status
    meeting = store.update_meeting(n, now, start=start, end=end, status=status)
    store.log("meeting.moved", n, actor.user, now, title=meeting.title)
    return meeting, True


def _same_instant(a: datetime | date | None, b: datetime | date | None) -> bool:
    # A day and an instant never name the same time (date == datetime is False, not an error).
    return type(a) is type(b) and a == b


def set_place(store: Store, actor: Actor, now: datetime, n: int, place: str) -> Meeting:
    meeting = get(store, n)
    _may_change(meeting, actor)
    _not_cancelled(meeting)
    meeting = store.update_meeting(n, now, place=place)
    store.log("meeting.place", n, actor.user, now, title=meeting.title, place=place)
    return meeting


def rsvp(store: Store, actor: Actor, now: datetime, n: int, answer: str) -> Meeting:
    meeting = get(store, n)
    _not_cancelled(meeting)
    store.set_rsvp(n, actor.user, answer, now)
    return get(store, n)


def upcoming(store: Store, now: datetime, include_all: bool = False, limit: int | None = None) -> tuple[list[Meeting], int]:
    """The first `limit` upcoming (and still to organise) meetings by date and how many there
    are in all; with include_all, past and cancelled ones too."""
    if include_all:
        return store.meetings_by_date(limit=limit), store.count_meetings()
    return store.upcoming_meetings(now, limit=limit), store.count_upcoming_meetings(now)


def between(store: Store, start: datetime, end: datetime) -> list[Meeting]:
    """Proposed and confirmed meetings starting in [start, end)."""
    return store.meetings_between(start, end)


def confirmed_between(store: Store, start: datetime, end: datetime) -> list[Meeting]:
    """Confirmed meetings starting in [start, end): the ones organisers are reminded of."""
    return store.meetings_between(start, end, statuses=("confirmed",))


def to_organise(store: Store) -> list[Meeting]:
    return store.meetings_to_organise()


def waiting(store: Store, now: datetime, older_than: timedelta = timedelta(0), limit: int | None = None) -> list[Meeting]:
    """Proposals awaiting confirmation (with a date still ahead), proposed before now - older_than."""
    return store.waiting_meetings(now, now - older_than, limit=limit)


def waiting_count(store: Store, now: datetime, older_than: timedelta = timedelta(0)) -> int:
    return store.count_waiting_meetings(now, now - older_than)
