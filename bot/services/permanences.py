"""Permanences: recurring drop-in hours, each occurrence hosted by volunteers or cancelled
one by one; the whole series can be ended."""
from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from bot.errors import Forbidden, NotFound, UserError
from bot.records import Permanence
from bot.services import Actor
from storage.store import Source, Store

if TYPE_CHECKING:
    from bot.when import Recurrence


def recurrence_of(perm: Permanence) -> Recurrence:
    from bot.when import Recurrence

    return Recurrence.from_parts(perm.rrule, perm.dtstart, perm.duration_minutes, perm.tz)


def get(store: Store, n: int) -> Permanence:
    perm = store.permanence(n)
    if perm is None:
        raise NotFound("Pas de permanence n°{n}.", "No permanence #{n}.", n=n)
    return perm


def _may_change(perm: Permanence, actor: Actor) -> None:
    if not (actor.is_organiser or actor.user == perm.created_by):
        raise Forbidden("Refusé : seuls les organisateurs et la personne qui l'a créée ({who}) peuvent changer la permanence n°{n}.",
                        "Refused: only organisers and the person who created it ({who}) may change permanence #{n}.",
                        who=perm.created_by, n=perm.id)


def _active(perm: Permanence) -> None:
    if not perm.active:
        raise UserError("La permanence n°{n} est arrêtée.", "Permanence #{n} has been ended.", n=perm.id)


def active(store: Store) -> list[Permanence]:
    """The permanences still running, by number."""
    return store.permanences(active_only=True)


def add(store: Store, actor: Actor, now: datetime, rec: Recurrence, title: str, place: str | None, room: str,
        source: Source = None) -> Permanence:
    perm = store.add_permanence(title, place, rec.rrule, rec.dtstart, rec.tz, rec.duration_minutes, actor.user, room, now,
                                source)
    store.log("permanence.added", perm.id, actor.user, now, title=title)
    return perm


def occurrences(perm: Permanence, after: datetime, count: int | None = None, before: datetime | None = None,
                include_cancelled: bool = False) -> list[datetime]:
    rec = recurrence_of(perm)
    cancelled = {c.timestamp() for c in perm.cancelled}
    # Ask for more than needed when cancelled ones are to be skipped.
    want = None if count is None else count + len(cancelled)
    starts = rec.occurrences(after, count=want, before=before)
    if not include_cancelled:
        starts = [s for s in starts if s.timestamp() not in cancelled]
    return starts[:count] if count is not None else starts


def occurrence_on(perm: Permanence, day: date) -> datetime:
    """The occurrence of `perm` on `day`, or a refusal naming the nearest ones."""
    tz = ZoneInfo(perm.tz)
    start = datetime(day.year, day.month, day.day, tzinfo=tz)
    found = recurrence_of(perm).occurrences(start, before=start + timedelta(days=1))
    if not found:
        from bot.when import format_day, format_instant

        after = recurrence_of(perm).occurrences(start, count=1)
        nxt_fr = f" Date suivante : {format_instant(after[0], 'fr')}." if after else ""
        nxt_en = f" Next date: {format_instant(after[0], 'en')}." if after else ""
        raise UserError("La permanence n°{n} n'a pas lieu le {d_fr}.{nxt_fr}", "Permanence #{n} does not take place on {d_en}.{nxt_en}",
                        n=perm.id, d_fr=format_day(day, "fr"), d_en=format_day(day, "en"), nxt_fr=nxt_fr, nxt_en=nxt_en)
    return found[0]


def host(store: Store, actor: Actor, now: datetime, n: int, day: date) -> tuple[Permanence, datetime]:
    perm = get(store, n)
    _active(perm)
    when = occurrence_on(perm, day)
    if when < now:
        raise UserError("Cette permanence est déjà passée.", "That occurrence is already past.")
    if any(c == when for c in perm.cancelled):
        raise UserError("Cette permanence est annulée ce jour-là.", "That occurrence is cancelled.")
    if store.add_host(n, when, actor.user, now):
        store.log("permanence.host", n, actor.user, now, title=perm.title, occurrence=when.isoformat())
    return get(store, n), when


def cancel_occurrence(store: Store, actor: Actor, now: datetime, n: int, day: date) -> tuple[Permanence, datetime]:
    perm = get(store, n)
    _may_change(perm, actor)
    _active(perm)
    when = occurrence_on(perm, day)
    if when < now:
        raise UserError("Cette permanence est déjà passée.", "That occurrence is already past.")
    if not store.cancel_occurrence(n, when, actor.user, now):
        raise UserError("Cette permanence était déjà annulée ce jour-là.", "That occurrence was already cancelled.")
    store.log("permanence.cancelled", n, actor.user, now, title=perm.title, occurrence=when.isoformat())
    return get(store, n), when


def remove(store: Store, actor: Actor, now: datetime, n: int) -> Permanence:
    perm = get(store, n)
    _may_change(perm, actor)
    _active(perm)
    store.end_permanence(n, now)
    store.log("permanence.removed", n, actor.user, now, title=perm.title)
    return get(store, n)


def between(store: Store, start: datetime, end: datetime) -> list[tuple[Permanence, datetime]]:
    """Occurrences of active permanences in [start, end), in time order."""
    out = [(perm, when) for perm in active(store) for when in occurrences(perm, start, before=end)]
    return sorted(out, key=lambda pw: pw[1])
