"""Mécénat des communs: members commit to give an amount every month, unconditionally, for a
number of months, and the collective sees itself. The bot records commitments; it never
handles money.

Privacy is the rule here: by default a member's name is shown and their amount is not (only
totals); "anonymous" hides the name too; "public" shows both. Nothing in this module decides
what a chat shows: `collective()` already leaves out what a member chose to hide, so that
every reader (the reply, the posts, a web page) shows the same thing.

Pledges are not written to the journal: its entries name who did what, and a generic reader
of the journal would name an anonymous pledger. What changed is read from the pledges
themselves (each keeps when it began and when and why it ended).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from dateutil.relativedelta import relativedelta

from bot.config import PledgesConfig
from bot.errors import UserError
from bot.records import Brick, Link, Pledge
from storage.store import Store

DEFAULT_MONTHS = 12
LONGEST_MONTHS = 120  # ten years, as long as any length the time layer reads
# The monthly reminder and the end notice come at this local hour.
MESSAGE_HOUR = time(9, 0)
NOTICE_BEFORE_DAYS = 7
# A monthly reminder the bot could not send on its day (it was down) is still sent this long after.
REMINDER_USEFUL = timedelta(days=7)
REMINDER = "pledge-reminder"
ENDING = "pledge-ending"
# Where people pay: a brick's link on one of these sites.
PAYMENT_SITES = ("liberapay.com", "helloasso.com")


def _utc(d: date, tz: ZoneInfo, at: time = time(0)) -> datetime:
    return datetime.combine(d, at, tzinfo=tz).astimezone(timezone.utc)


def first_day(p: Pledge) -> date:
    return p.started_at.astimezone(ZoneInfo(p.tz)).date()


def last_day(p: Pledge) -> date:
    """The last day the commitment runs (it ends at the midnight after it)."""
    return p.ends_at.astimezone(ZoneInfo(p.tz)).date() - timedelta(days=1)


def left(p: Pledge, at: datetime) -> tuple[int, int]:
    """How long it still runs at `at`: whole months, then days."""
    today = at.astimezone(ZoneInfo(p.tz)).date()
    span = relativedelta(p.ends_at.astimezone(ZoneInfo(p.tz)).date(), today)
    return max(span.years * 12 + span.months, 0), max(span.days, 0)


def payment_links(brick: Brick | None) -> list[Link]:
    """The brick's links where people give (Liberapay, HelloAsso), in the order they were added."""
    if brick is None:
        return []
    from urllib.parse import urlsplit

    def site(url: str) -> bool:
        host = (urlsplit(url).hostname or "").lower()
        return any(host == s or host.endswith("." + s) for s in PAYMENT_SITES)

    return [link for link in brick.links if site(link.url)]


# ---- what members do ----------------------------------------------------------------------

@dataclass(frozen=True)
class Terms:
    """What a member asks for. None keeps what their running commitment had (a replacement
    must not reveal more than its pledger last chose): brick, visibility."""

    amount_cents: int
    months: int = DEFAULT_MONTHS
    brick_id: int | None = None
    no_brick: bool = False
    visibility: str | None = None


@dataclass(frozen=True)
class Committed:
    pledge: Pledge
    replaced: Pledge | None


def running(store: Store, person: str, at: datetime) -> Pledge | None:
    return next((p for p in reversed(store.pledges(person)) if p.runs_at(at)), None)


def commit(store: Store, settings: PledgesConfig, person: str, room: str, now: datetime, tz: str, lang: str,
           terms: Terms) -> Committed:
    if terms.amount_cents > settings.ceiling:
        from bot.money import per_month

        raise UserError("C'est plus que le plafond du groupe, {max}.", "That is more than the group's ceiling, {max_en}.",
                        max=per_month(settings.ceiling, settings.currency, "fr"),
                        max_en=per_month(settings.ceiling, settings.currency, "en"))
    if not 1 <= terms.months <= LONGEST_MONTHS:
        raise UserError("Un engagement dure de 1 à {n} mois.", "A pledge lasts from 1 to {n} months.", n=LONGEST_MONTHS)
    history = store.pledges(person)
    current = next((p for p in reversed(history) if p.runs_at(now)), None)
    previous = history[-1] if history else None
    brick_id = None if terms.no_brick else terms.brick_id
    if brick_id is None and not terms.no_brick and current is not None:
        brick_id = current.brick_id
    visibility = terms.visibility or (current.visibility if current is not None else "named")
    zone = ZoneInfo(tz)
    start = now.astimezone(zone).date()
    if current is not None:
        store.end_pledge(current.id, now, "replaced")
    pledge = store.add_pledge(person, room, terms.amount_cents, settings.currency, terms.months, brick_id, visibility,
                              now, current.since if current is not None else now,
                              _utc(start + relativedelta(months=terms.months), zone), tz, lang,
                              previous.reminders if previous is not None else True,
                              current.id if current is not None else None)
    return Committed(pledge, current)


def _none_running() -> UserError:
    return UserError("Vous n'avez pas d'engagement en cours.", "You have no pledge running.")


def stop(store: Store, person: str, now: datetime) -> Pledge:
    current = running(store, person, now)
    if current is None:
        raise _none_running()
    store.end_pledge(current.id, now, "stopped")
    return store.pledge(current.id)  # type: ignore[return-value]


def set_reminders(store: Store, person: str, now: datetime, on: bool) -> Pledge:
    current = running(store, person, now)
    if current is None:
        raise _none_running()
    store.set_pledge_reminders(current.id, on)
    return store.pledge(current.id)  # type: ignore[return-value]


# ---- what the collective sees ---------------------------------------------------------------

@dataclass(frozen=True)
class Named:
    person: str
    since: datetime
    amount_cents: int | None  # only for a public amount
    currency: str


@dataclass(frozen=True)
class Destination:
    brick_id: int | None  # None: no brick named
    name: str
    people: int


@dataclass
class Collective:
    """The collective as anyone may see it: counts and totals, the names of those who chose to
    be named (with their amount when they made it public), what the money is meant for."""

    people: int = 0
    totals: dict[str, int] = field(default_factory=dict)  # currency -> cents a month
    since: datetime | None = None
    named: list[Named] = field(default_factory=list)
    anonymous: int = 0
    destinations: list[Destination] = field(default_factory=list)


def collective(store: Store, at: datetime) -> Collective:
    out = Collective()
    pledges = store.running_pledges(at)
    if not pledges:
        return out
    counts: dict[int | None, int] = {}
    for p in pledges:
        out.people += 1
        out.totals[p.currency] = out.totals.get(p.currency, 0) + p.amount_cents
        began = p.since
        out.since = began if out.since is None else min(out.since, began)
        if p.visibility == "anonymous":
            out.anonymous += 1
        else:
            out.named.append(Named(p.person, began, p.amount_cents if p.visibility == "public" else None, p.currency))
        counts[p.brick_id] = counts.get(p.brick_id, 0) + 1
    out.named.sort(key=lambda n: (n.since, n.person))
    names = dict(store.brick_names())
    out.destinations = sorted((Destination(b, names.get(b, "?") if b is not None else "", n) for b, n in counts.items()),
                              key=lambda d: (d.brick_id is None, -d.people, d.brick_id or 0))
    return out


def week_change(store: Store, now: datetime) -> int | None:
    """None when no commitment began or ended in the past seven days; else how many more
    people give now than a week ago (negative when fewer)."""
    week_ago = now - timedelta(days=7)
    if not store.pledges_changed(week_ago, now):
        return None
    return store.count_running_pledges(now) - store.count_running_pledges(week_ago)


# ---- the direct messages it sends by itself --------------------------------------------------

@dataclass(frozen=True)
class Message:
    """A direct message to a pledger, due at an instant: its name makes it once."""

    name: str
    kind: str  # REMINDER | ENDING
    due: datetime  # aware, UTC
    person: str
    pledge_id: int
    useful_until: datetime


def reminder_instants(day: int, tz: ZoneInfo, lo: datetime, hi: datetime) -> list[tuple[datetime, str]]:
    """(instant, "YYYY-MM") of each monthly reminder in (lo, hi], at MESSAGE_HOUR local time
    on `day` of the month: summer time or not, it is the same hour on the wall clock."""
    month = lo.astimezone(tz).date().replace(day=1)
    out: list[tuple[datetime, str]] = []
    while True:
        when = _utc(month.replace(day=day), tz, MESSAGE_HOUR)
        if when > hi:
            return out
        if when > lo:
            out.append((when, f"{month.year:04d}-{month.month:02d}"))
        month += relativedelta(months=1)


def notice_instant(p: Pledge) -> datetime:
    """A week before the commitment ends, at MESSAGE_HOUR local time."""
    zone = ZoneInfo(p.tz)
    return _utc(p.ends_at.astimezone(zone).date() - timedelta(days=NOTICE_BEFORE_DAYS), zone, MESSAGE_HOUR)


def messages_due(store: Store, settings: PledgesConfig, tz: ZoneInfo, lo: datetime, hi: datetime) -> list[Message]:
    """Every direct message to pledgers due in (lo, hi]: the monthly reminder to each one
    whose commitment runs then (unless they said no), and the notice a week before a
    commitment comes to its end (not when it was stopped or replaced before)."""
    out: list[Message] = []
    for when, month in reminder_instants(settings.reminder_day, tz, lo, hi):
        for p in store.running_pledges(when):
            if p.reminders:
                out.append(Message(f"{REMINDER}/{month}/{p.person}", REMINDER, when, p.person, p.id,
                                   when + REMINDER_USEFUL))
    # A notice falls at most NOTICE_BEFORE_DAYS (plus a day for the hour) before the end.
    for p in store.pledges_ending(lo, hi + timedelta(days=NOTICE_BEFORE_DAYS + 1)):
        when = notice_instant(p)
        if lo < when <= hi and p.started_at <= when:
            out.append(Message(f"{ENDING}/{p.id}", ENDING, when, p.person, p.id, p.ends_at))
    return sorted(out, key=lambda m: (m.due, m.kind, m.name))


def subject(store: Store, message_kind: str, pledge_id: int, at: datetime) -> Pledge | None:
    """What a message due about `pledge_id` speaks of at `at` (later than due when the bot was
    down): the same commitment, or the one that replaced it meanwhile; None when the pledger
    has stopped giving or it ended: then there is nothing to remind them of."""
    pledge = store.pledge(pledge_id)
    if pledge is None:
        return None
    if pledge.runs_at(at):
        return pledge
    if message_kind == REMINDER and pledge.end_reason == "replaced":
        return running(store, pledge.person, at)
    return None
