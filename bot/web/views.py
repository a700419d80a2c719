"""What the board's pages show, read from the records through the services and the store's
named queries: plain values (texts already in the page's language, instants in ISO for
`<time datetime>`), no HTML. The templates (templates/) lay them out; Jinja escapes
every member's text there.

Each builder runs on the database thread, inside one transaction, and takes `now`."""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import overload
from zoneinfo import ZoneInfo

from bot import minutes as minutes_text
from bot.config import Config
from bot.export import CalendarView, people, person
from bot.records import (BRICK_CATEGORIES, BRICK_PATH, Brick, HistoryEntry, JournalEntry, Meeting, Permanence, Poll,
                         progress)
from bot.records import Session as SessionRecord
from bot.render import CATEGORY, STATUS, instant, number, tr, when_text, word
from bot.richtext import Span, safe_url
from bot.services import meetings as meeting_svc
from bot.services import permanences as permanence_svc
from bot.services import polls as poll_svc
from bot.services import rhythm as rhythm_svc
from bot.services import sessions as session_svc
from bot.services.posts import DIGEST_GROUPS, journal_line
from storage.store import Store

# The board is one page a member reads on a phone: each list shows its first entries, with
# how many more there are.
COMING = timedelta(weeks=4)
MEETINGS_SHOWN = 30
TO_ORGANISE_SHOWN = 30
POLLS_SHOWN = 30
PERMANENCE_DATES = 3
CHANGES_SHOWN = 40
MINUTES_SHOWN = 10
WEEK = timedelta(days=7)


@dataclass(frozen=True)
class Page:
    """Who reads, in what language, and how records are named on the page."""

    lang: str
    tz: ZoneInfo
    view: CalendarView  # the feed's own rules for naming members (bot/export.py)

    def t(self, fr: str, en: str, **values: object) -> str:
        return tr(self.lang, fr, en).format(**values) if values else tr(self.lang, fr, en)

    def who(self, member: str | None) -> str | None:
        return None if member is None else person(self.view, member)

    def whom(self, members: list[str]) -> str:
        return people(self.view, members)


@dataclass
class When:
    text: str  # "vendredi 4 décembre 2026, 19:00–21:00"
    iso: str  # for <time datetime>


# A time is always shown; a meeting's missing date is None (still to organise).
@overload
def _when(page: Page, start: datetime, end: datetime | None = None) -> When: ...
@overload
def _when(page: Page, start: datetime | date | None, end: datetime | None = None) -> When | None: ...
def _when(page: Page, start: datetime | date | None, end: datetime | None = None) -> When | None:
    if start is None:
        return None
    iso = start.astimezone(page.tz).isoformat() if isinstance(start, datetime) else start.isoformat()
    return When(when_text(start, end, page.lang, page.tz), iso)


def _instant(page: Page, at: datetime) -> When:
    return When(instant(at, page.lang, page.tz), at.astimezone(page.tz).isoformat())


# ---- meetings -----------------------------------------------------------------------------------

@dataclass
class MeetingRow:
    id: int
    number: str
    title: str
    when: When | None
    place: str | None
    status: str
    status_label: str
    yes: int
    maybe: int
    no: int


def meeting_row(page: Page, m: Meeting) -> MeetingRow:
    return MeetingRow(m.id, number(m.id, page.lang), m.title, _when(page, m.start, m.end), m.place, m.status,
                      word(STATUS, m.status, page.lang), len(m.rsvp["yes"]), len(m.rsvp["maybe"]), len(m.rsvp["no"]))


@dataclass
class MeetingPage:
    row: MeetingRow
    proposed_by: str
    cancel_reason: str | None
    answers: list[tuple[str, str]]  # (label, who) for yes, maybe, no


def meeting_page(store: Store, page: Page, n: int) -> MeetingPage | None:
    m = store.meeting(n)
    if m is None:
        return None
    answers = [(page.t(fr, en), page.whom(m.rsvp[key])) for key, fr, en in
               (("yes", "Viennent", "Coming"), ("maybe", "Peut-être", "Maybe"), ("no", "Ne viennent pas", "Not coming"))
               if m.rsvp[key]]
    return MeetingPage(meeting_row(page, m), page.who(m.proposed_by) or "", m.cancel_reason, answers)


# ---- permanences --------------------------------------------------------------------------------

@dataclass
class Occurrence:
    when: When
    hosts: str | None  # None: nobody holds it yet


@dataclass
class PermanenceRow:
    id: int
    number: str
    title: str
    place: str | None
    dates: list[Occurrence]


def permanence_row(page: Page, p: Permanence, now: datetime) -> PermanenceRow:
    length = timedelta(minutes=p.duration_minutes) if p.duration_minutes else None
    dates = []
    for start in permanence_svc.occurrences(p, now, count=PERMANENCE_DATES):
        hosts = p.hosts.get(start) or []
        dates.append(Occurrence(_when(page, start, start + length if length else None), page.whom(hosts) if hosts else None))
    return PermanenceRow(p.id, number(p.id, page.lang), p.title, p.place, dates)


# ---- bricks -------------------------------------------------------------------------------------

@dataclass
class BrickRow:
    id: int
    name: str
    category: str
    status: str
    status_label: str
    progress: int | None  # percent along idea → exists; None when paused or dropped
    steps: int  # filled steps of the path, out of len(BRICK_PATH)
    lead: str | None
    last_move: When | None
    last_change: str | None


@dataclass
class HistoryRow:
    when: When
    by: str
    change: str
    status_label: str | None
    note: str | None


@dataclass
class Link:
    url: str
    label: str
    is_web: bool  # only http(s) addresses are links; anything else shows as text


@dataclass
class BrickPage:
    row: BrickRow
    category_label: str
    description: str
    links: list[Link]
    history: list[HistoryRow]
    path: list[tuple[str, bool]] = field(default_factory=list)  # (status label, reached)


CHANGES = {
    "created": ("créée", "created"), "status": ("statut", "status"), "description": ("description", "description"),
    "note": ("note", "note"), "link": ("lien", "link"), "lead": ("référent·e", "lead"),
}


def brick_row(page: Page, br: Brick, last: HistoryEntry | None) -> BrickRow:
    along = progress(br.status)
    return BrickRow(br.id, br.name, br.category, br.status, word(STATUS, br.status, page.lang),
                    None if along is None else round(along * 100),
                    0 if along is None else BRICK_PATH.index(br.status) + 1, page.who(br.lead),
                    _instant(page, last.at) if last else None, word(CHANGES, last.change, page.lang) if last else None)


def brick_page(store: Store, page: Page, n: int) -> BrickPage | None:
    br = store.brick(n)
    if br is None:
        return None
    history = [HistoryRow(_instant(page, h.at), page.who(h.by) or "", word(CHANGES, h.change, page.lang),
                          word(STATUS, h.status, page.lang) if h.status else None,
                          page.who(h.note) if h.change == "lead" else h.note)  # a lead's note is the person
               for h in reversed(br.history)]
    reached = BRICK_PATH.index(br.status) if br.status in BRICK_PATH else -1
    return BrickPage(brick_row(page, br, br.history[-1] if br.history else None), word(CATEGORY, br.category, page.lang),
                     br.description,
                     [Link(l.url, l.label or l.url, safe_url(l.url)) for l in br.links], history,
                     [(word(STATUS, s, page.lang), k <= reached) for k, s in enumerate(BRICK_PATH)])


# ---- a session's minutes ----------------------------------------------------------------------

@dataclass
class MinutesRow:
    id: int
    number: str
    title: str
    day: When | None
    place: str | None
    open: bool  # still being taken


def minutes_row(page: Page, s: SessionRecord) -> MinutesRow:
    return MinutesRow(s.id, number(s.id, page.lang), minutes_text.session_title(s, page.lang), _when(page, s.day),
                      s.place, s.is_open)


@dataclass
class MinutesPage:
    row: MinutesRow
    minutes: minutes_text.View  # what the chat and the files say, in the same order (bot/minutes.py)


def minutes_page(store: Store, page: Page, n: int) -> MinutesPage | None:
    s = store.session(n)
    if s is None:
        return None
    m = session_svc.minutes(store, s)
    view = minutes_text.view(m, page.lang, page.tz, who=lambda member: page.who(member) or "")
    if not page.view.show_names and m.present:  # "5 membres" rather than five times "un·e membre"
        view = replace(view, present=[page.whom([p.person for p in m.present])])
    return MinutesPage(minutes_row(page, s), view)


# ---- the week's changes: the digest's own lines ---------------------------------------------------

def week_changes(store: Store, page: Page, now: datetime) -> list[tuple[str, list[list[Span]]]]:
    """The last seven days of changes, grouped as the weekly digest groups them, each line
    the digest's own (rich-text spans, rendered by the template)."""
    groups: dict[str, list[JournalEntry]] = {}
    tick = timedelta(microseconds=1)  # the digest's window, (a week ago, now]
    for entry in store.journal(now - WEEK + tick, now + tick):
        groups.setdefault(entry.kind.split(".")[0], []).append(_named(page, entry))
    shown: list[tuple[str, list[list[Span]]]] = []
    for key, fr, en in DIGEST_GROUPS:
        entries = groups.get(key, [])[-CHANGES_SHOWN:]
        if entries:
            shown.append((page.t(fr, en), [journal_line(e, page.lang, page.tz) for e in reversed(entries)]))
    return shown


def _named(page: Page, entry: JournalEntry) -> JournalEntry:
    """The entry with its members named as the page names them."""
    if page.view.show_names:
        return entry
    data = dict(entry.data)
    if data.get("lead"):
        data["lead"] = page.who(data["lead"])
    return replace(entry, by=page.who(entry.by) or "", data=data)


# ---- date polls ---------------------------------------------------------------------------------

@dataclass
class PollRow:
    id: int
    number: str
    meeting_id: int
    meeting: str  # "n°5 Rencontre BGE"
    answers: int
    closes: When | None  # None when it ended on a tie and waits for an organiser
    leading: list[str]  # the leading dates, written in full (none before the first answer)


def poll_row(store: Store, page: Page, poll: Poll) -> PollRow:
    from bot.services import poll_posts

    m = store.meeting(poll.meeting_id)
    answered = poll_svc.respondents(poll)
    return PollRow(poll.id, number(poll.id, page.lang), poll.meeting_id,
                   f"{number(poll.meeting_id, page.lang)} {m.title if m else ''}".strip(), answered,
                   _instant(page, poll.closes_at) if poll.status == "open" else None,
                   [poll_posts.option_text(poll, k, page.lang, page.tz) for k in poll_svc.leaders(poll)] if answered else [])


# ---- the board ----------------------------------------------------------------------------------

@dataclass
class Session:
    when: When
    place: str | None
    topics: list[tuple[int, str, str]]  # (number, text, who)


@dataclass
class Board:
    session: Session | None
    rhythm_text: str | None
    meetings: list[MeetingRow]
    more_meetings: int
    to_organise: list[MeetingRow]
    more_to_organise: int
    polls: list[PollRow]
    permanences: list[PermanenceRow]
    bricks: list[tuple[str, list[BrickRow]]]  # by category, in the group's order
    changes: list[tuple[str, list[list[Span]]]]
    minutes: list[MinutesRow] = field(default_factory=list)  # the latest sessions first
    more_minutes: int = 0


def board(store: Store, config: Config, page: Page, now: datetime) -> Board:
    rhythm = rhythm_svc.current(store, config)
    start = rhythm_svc.next_session(rhythm, now)
    session = None
    if rhythm is not None and start is not None:  # a next session needs a rhythm
        length = timedelta(minutes=rhythm.duration_minutes) if rhythm.duration_minutes else None
        session = Session(_when(page, start, start + length if length else None), rhythm.place,
                          [(t.id, t.text, page.who(t.added_by) or "") for t in store.topics()])
    coming = store.meetings_between(now, now + COMING, statuses=("proposed", "confirmed", "cancelled"))
    unplanned = meeting_svc.to_organise(store)
    by_category: dict[str, list[BrickRow]] = {c: [] for c in BRICK_CATEGORIES}
    last_changes = store.brick_last_changes()
    for br in store.bricks():
        by_category.setdefault(br.category, []).append(brick_row(page, br, last_changes.get(br.id)))
    sessions, held = store.latest_sessions(MINUTES_SHOWN)
    return Board(
        session=session, rhythm_text=rhythm.text if rhythm else None,
        meetings=[meeting_row(page, m) for m in coming[:MEETINGS_SHOWN]], more_meetings=max(len(coming) - MEETINGS_SHOWN, 0),
        to_organise=[meeting_row(page, m) for m in unplanned[:TO_ORGANISE_SHOWN]],
        more_to_organise=max(len(unplanned) - TO_ORGANISE_SHOWN, 0),
        polls=[poll_row(store, page, p) for p in poll_svc.under_way(store)[:POLLS_SHOWN]],
        permanences=[permanence_row(page, p, now) for p in store.permanences(active_only=True)],
        bricks=[(_category_title(page, c), rows) for c, rows in by_category.items() if rows],
        changes=week_changes(store, page, now),
        minutes=[minutes_row(page, s) for s in sessions], more_minutes=max(held - MINUTES_SHOWN, 0),
    )


def _category_title(page: Page, category: str) -> str:
    return {"brick": page.t("Briques", "Bricks"), "infrastructure": page.t("Infrastructures", "Infrastructure"),
            "topic": page.t("Sujets", "Topics")}.get(category, word(CATEGORY, category, page.lang))
