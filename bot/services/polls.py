"""Date polls: finding a date together for a meeting (issue 12).

A poll offers 2 to 10 dates for one meeting (usually one still to organise). Each member may
choose several (the dates they can make); their latest answer counts, whichever way they gave
it (`!vote`, a Matrix poll response, Rocket.Chat reactions), by the instant they gave it. At
its deadline, or when an organiser or its author closes it, the most chosen date wins: the
meeting gets it and stays *proposed* until an organiser confirms it, and the people who chose
that date say "yes" to the meeting. On a tie nothing is chosen: an organiser chooses among
the tied dates.

This module holds the rules and knows neither the chat nor SQL; how a poll reads is
bot/services/poll_posts.py.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from bot.errors import Forbidden, NotFound, UserError
from bot.records import Meeting, Poll, PollOption
from bot.services import Actor
from storage.store import Store

if TYPE_CHECKING:
    from bot.when import Event

MIN_OPTIONS, MAX_OPTIONS = 2, 10
DEFAULT_DEADLINE = timedelta(days=3)
# An option's key in a chat that votes by reaction (Rocket.Chat), and in the fallback text.
KEYCAPS = ("1️⃣", "2️⃣", "3️⃣", "4️⃣", "5️⃣", "6️⃣", "7️⃣", "8️⃣", "9️⃣", "🔟")


def keycap(position: int) -> str:
    return KEYCAPS[position - 1]


def position_of(emoji: str) -> int | None:
    """The option a reaction names (1️⃣ is option 1), or None for any other emoji. Some
    clients send the keycap without its variation selector."""
    for k, cap in enumerate(KEYCAPS, 1):
        if emoji in (cap, cap.replace("\ufe0f", "")):
            return k
    return None


def get(store: Store, n: int) -> Poll:
    poll = store.poll(n)
    if poll is None:
        raise NotFound("Pas de sondage n°{n}.", "No poll #{n}.", n=n)
    return poll


def _local_midnight(d: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(d, time(0), tzinfo=tz).astimezone(timezone.utc)


def option_start(option: PollOption, tz: ZoneInfo) -> datetime:
    """When an option begins, as an instant (an all-day option at its local midnight)."""
    if isinstance(option.start, datetime):
        return option.start
    return _local_midnight(option.start, tz)


def _day_before(start: datetime | date, tz: ZoneInfo) -> datetime:
    """The same wall-clock time a day earlier (an all-day option: the day before's midnight)."""
    if isinstance(start, datetime):
        local = start.astimezone(tz).replace(tzinfo=None) - timedelta(days=1)
        return local.replace(tzinfo=tz).astimezone(timezone.utc)
    return _local_midnight(start - timedelta(days=1), tz)


def deadline_of(event: Event, tz: ZoneInfo) -> datetime:
    """A deadline typed with "clôture": a day alone means the end of that day."""
    if isinstance(event.start, datetime):
        return event.start.astimezone(timezone.utc)
    return _local_midnight(event.start + timedelta(days=1), tz)


def default_deadline(options: list[PollOption], now: datetime, tz: ZoneInfo) -> datetime:
    """Three days from now, or the day before the earliest option if that is sooner. When the
    earliest option is less than a day away, the poll closes when it begins."""
    earliest = min(options, key=lambda o: option_start(o, tz))
    before = _day_before(earliest.start, tz)
    if before <= now:
        return option_start(earliest, tz)
    return min(now + DEFAULT_DEADLINE, before)


def _same(a: PollOption, b: PollOption) -> bool:
    return type(a.start) is type(b.start) and a.start == b.start and a.end == b.end


def open_poll(store: Store, actor: Actor, now: datetime, tz: ZoneInfo, meeting_n: int, events: list[Event],
              closes: Event | None, backend: str, room: str, lang: str) -> Poll:
    """Open a poll on meeting `meeting_n` with `events` (read by the time layer) as options,
    closing at `closes` (an event) or by default."""
    meeting = store.meeting(meeting_n)
    if meeting is None:
        raise NotFound("Pas de réunion n°{n}.", "No meeting #{n}.", n=meeting_n)
    if meeting.status == "cancelled":
        raise UserError("La réunion n°{n} est annulée : pas de sondage pour elle.",
                        "Meeting #{n} is cancelled: no poll for it.", n=meeting_n)
    if _is_past(meeting, now, tz):
        raise UserError("La réunion n°{n} est passée : pas de sondage pour elle.", "Meeting #{n} is past: no poll for it.",
                        n=meeting_n)
    running = store.polls_for_meeting(meeting_n)
    if running:
        raise UserError("La réunion n°{n} a déjà un sondage en cours, le n°{p}.",
                        "Meeting #{n} already has a poll under way, #{p}.", n=meeting_n, p=running[0].id)
    if not MIN_OPTIONS <= len(events) <= MAX_OPTIONS:
        raise UserError("Un sondage propose de {lo} à {hi} dates ; vous en donnez {k}.",
                        "A poll offers {lo} to {hi} dates; you give {k}.", lo=MIN_OPTIONS, hi=MAX_OPTIONS, k=len(events))
    options = [PollOption(k, ev.start, ev.end) for k, ev in enumerate(events, 1)]
    today = now.astimezone(tz).date()
    for option in options:
        past = option.start < today if not isinstance(option.start, datetime) else option.start <= now
        if past:
            raise UserError("La date {k} est passée.", "Date {k} is in the past.", k=option.position)
        for other in options[:option.position - 1]:
            if _same(other, option):
                raise UserError("Les dates {a} et {k} sont les mêmes.", "Dates {a} and {k} are the same.",
                                a=other.position, k=option.position)
    if closes is not None:
        deadline = deadline_of(closes, tz)
        if deadline <= now:
            raise UserError("La clôture est déjà passée.", "The closing time is already past.")
        earliest = min(option_start(o, tz) for o in options)
        if deadline > earliest:
            raise UserError("La clôture doit venir avant la première date proposée.",
                            "The poll must close before the first date it offers.")
    else:
        deadline = default_deadline(options, now, tz)
    poll = store.add_poll(meeting_n, backend, room, lang, actor.user, now, deadline,
                          [(o.start, o.end) for o in options])
    store.log("poll.opened", poll.id, actor.user, now, meeting=meeting_n, title=meeting.title)
    return poll


def _is_past(meeting: Meeting, now: datetime, tz: ZoneInfo) -> bool:
    if meeting.start is None:
        return False
    if isinstance(meeting.start, datetime):
        return (meeting.end or meeting.start) < now
    return meeting.start < now.astimezone(tz).date()


# ---- answers ------------------------------------------------------------------------------

def _closed_error(poll: Poll) -> UserError:
    return UserError("Le sondage n°{n} est clos : votre réponse n'est pas comptée.",
                     "Poll #{n} is closed: your answer is not counted.", n=poll.id)


def vote(store: Store, person: str, at: datetime, n: int, choices: list[int], via: str = "command") -> Poll:
    """`person` chooses `choices` (positions; empty: no option, the answer withdrawn)."""
    poll = get(store, n)
    if poll.status != "open" or at > poll.closes_at:
        raise _closed_error(poll)
    for k in choices:
        if not 1 <= k <= len(poll.options):
            raise UserError("Le sondage n°{n} n'a pas d'option {k} (il en a {m}).",
                            "Poll #{n} has no option {k} (it has {m}).", n=poll.id, k=k, m=len(poll.options))
    store.set_poll_answer(poll.id, person, choices, at, via)
    return get(store, n)


def answer_from_chat(store: Store, poll: Poll, person: str, at: datetime, choices: list[int], via: str,
                     event_id: str | None = None) -> bool:
    """An answer given on the chat (a poll response, reactions): counted while the poll is
    open and only if given before it closed; False when it was not counted."""
    if poll.status != "open" or at > poll.closes_at:
        return False
    return store.set_poll_answer(poll.id, person, [k for k in choices if 1 <= k <= len(poll.options)], at, via,
                                 event_id)


def take_back(store: Store, poll_id: int, event_id: str) -> bool:
    """A chat's poll response redacted: while the poll is open, it no longer counts, and the
    member's answer before it counts again (MSC3381). False when the poll is closed."""
    poll = get(store, poll_id)
    if poll.status != "open":
        return False
    store.take_poll_answer(poll_id, event_id)
    return True


# ---- the tally and the close ----------------------------------------------------------------

def voters(poll: Poll, position: int) -> list[str]:
    return [person for person, chosen in poll.answers.items() if position in chosen]


def respondents(poll: Poll) -> int:
    """Members who answered (with at least one option)."""
    return sum(1 for chosen in poll.answers.values() if chosen)


def leaders(poll: Poll) -> list[int]:
    """The most chosen options (several on a tie; every option when nobody answered)."""
    counts = {o.position: len(voters(poll, o.position)) for o in poll.options}
    best = max(counts.values())
    return [k for k, c in counts.items() if c == best]


@dataclass(frozen=True)
class Closed:
    poll: Poll
    meeting: Meeting | None  # None when the meeting was cancelled meanwhile: it gets no date
    tied: list[int]  # the tied options when nothing could be chosen (the poll is 'tied'), else []


def close(store: Store, actor: Actor | None, now: datetime, n: int, chosen: int | None = None) -> Closed:
    """Close poll `n`: by hand (`actor`, an organiser or the poll's author, optionally naming
    the option), or at its deadline (`actor` None). Without a chosen option the leading one
    wins; on a tie the poll waits for an organiser ('tied')."""
    poll = get(store, n)
    if actor is not None and not (actor.is_organiser or actor.user == poll.created_by):
        raise Forbidden("Refusé : seuls les organisateurs et la personne qui l'a ouvert ({who}) peuvent clore le sondage n°{n}.",
                        "Refused: only organisers and the person who opened it ({who}) may close poll #{n}.",
                        who=poll.created_by, n=poll.id)
    if poll.status == "closed":
        raise UserError("Le sondage n°{n} est déjà clos.", "Poll #{n} is already closed.", n=poll.id)
    if chosen is not None and not 1 <= chosen <= len(poll.options):
        raise UserError("Le sondage n°{n} n'a pas d'option {k} (il en a {m}).",
                        "Poll #{n} has no option {k} (it has {m}).", n=poll.id, k=chosen, m=len(poll.options))
    by = actor.user if actor is not None else None
    if chosen is None:
        best = leaders(poll)
        if len(best) > 1 or respondents(poll) == 0:
            if actor is not None:
                raise UserError("Égalité entre les options {opts} : donnez celle retenue après le numéro du sondage,"
                                " par exemple « {n} ; {k} ».",
                                "A tie between options {opts}: give the one chosen after the poll's number,"
                                " for example \"{n} ; {k}\".", opts=", ".join(map(str, best)), n=poll.id, k=best[0])
            poll = store.close_poll(poll.id, "tied", None, None, now)
            store.log("poll.tied", poll.id, "", now, meeting=poll.meeting_id, options=best)
            return Closed(poll, store.meeting(poll.meeting_id), best)
        chosen = best[0]
    poll = store.close_poll(poll.id, "closed", chosen, by, now)
    meeting = store.meeting(poll.meeting_id)
    if meeting is None or meeting.status == "cancelled":
        store.log("poll.closed", poll.id, by or "", now, meeting=poll.meeting_id, chosen=chosen)
        return Closed(poll, None, [])
    option = poll.options[chosen - 1]
    # A date from the poll is a proposal like any other: an organiser confirms it.
    meeting = store.update_meeting(meeting.id, now, start=option.start, end=option.end, status="proposed")
    for person in voters(poll, chosen):
        store.set_rsvp(meeting.id, person, "yes", now)
    store.log("poll.closed", poll.id, by or "", now, meeting=meeting.id, chosen=chosen, title=meeting.title)
    return Closed(poll, store.meeting(meeting.id), [])


# A poll whose deadline passed while the bot was down closes this long after it starts again,
# so that the answers given before the deadline, which the chats deliver as they catch up,
# are counted first.
CATCH_UP_GRACE = timedelta(minutes=2)


def due(store: Store, now: datetime, started_at: datetime | None = None) -> list[Poll]:
    """Open polls whose deadline has come: at once when it came while the bot ran (since
    `started_at`), else once the chats had time to catch up (CATCH_UP_GRACE)."""
    if started_at is None or now >= started_at + CATCH_UP_GRACE:
        return store.polls_due(now)
    return [p for p in store.polls_due(now) if p.closes_at >= started_at]


def next_close(store: Store, now: datetime, started_at: datetime | None = None) -> datetime | None:
    """When the scheduler next has a poll to close."""
    deadline = store.next_poll_deadline()
    if deadline is None:
        return None
    if started_at is not None and deadline < started_at and now < started_at + CATCH_UP_GRACE:
        return started_at + CATCH_UP_GRACE
    return deadline


def under_way(store: Store) -> list[Poll]:
    """Open polls, and tied ones waiting for an organiser, by number."""
    return store.polls(("open", "tied"))


def tied(store: Store) -> list[Poll]:
    return store.polls(("tied",))
