"""How records read, in both languages, for any reader: a chat reply (`commands/`), a post
the bot makes by itself (`bot/services/posts.py`), later a web page. It sits below all of
them and imports none: only the records, rich text and the time layer's formats."""
from __future__ import annotations

from datetime import date, datetime, tzinfo

from bot.records import Brick, Meeting, Permanence, Topic, progress
from bot.richtext import Mark, Span, b, i, link

STATUS = {
    "proposed": ("proposée", "proposed"), "confirmed": ("confirmée", "confirmed"), "cancelled": ("annulée", "cancelled"),
    "idea": ("idée", "idea"), "described": ("décrite", "described"), "recipe": ("recette", "recipe"),
    "building": ("en création", "building"), "exists": ("existante", "exists"), "paused": ("en pause", "paused"),
    "dropped": ("abandonnée", "dropped"),
}
CATEGORY = {"brick": ("brique", "brick"), "infrastructure": ("infrastructure", "infrastructure"), "topic": ("sujet", "topic")}
RSVP = {"yes": ("oui", "yes"), "no": ("non", "no"), "maybe": ("peut-être", "maybe")}


def number(n: int, lang: str) -> str:
    """A record's number as each language writes it: n°3, #3."""
    return f"#{n}" if lang == "en" else f"n°{n}"


def word(table: dict[str, tuple[str, str]], code: str, lang: str) -> str:
    fr, en = table.get(code, (code, code))
    return en if lang == "en" else fr


def tr(lang: str, fr: str, en: str) -> str:
    return en if lang == "en" else fr


def when_text(start: datetime | date | None, end: datetime | None, lang: str, tz: tzinfo) -> str:
    from bot.when import Event, format_event

    if start is None:
        return tr(lang, "à organiser (pas encore de date)", "to organise (no date yet)")
    if isinstance(start, datetime):
        start = start.astimezone(tz)
        end = end.astimezone(tz) if end else None
    return format_event(Event(start=start, end=end), lang)


def instant(dt: datetime, lang: str, tz: tzinfo) -> str:
    from bot.when import format_instant

    return format_instant(dt.astimezone(tz), lang)


def bar(status: str, lang: str) -> str:
    """The brick's progress on its path, drawn as a bar: ▰▰▰▱▱ recette."""
    p = progress(status)
    label = word(STATUS, status, lang)
    if p is None:
        return f"▱▱▱▱▱ {label}"
    filled = round(p * 4) + 1
    return "▰" * filled + "▱" * (5 - filled) + f" {label}"


def meeting_line(m: Meeting, lang: str, tz: tzinfo) -> list[Span]:
    spans: list[Span] = [b(number(m.id, lang)), " ", b(m.title), " — ",
                         when_text(m.start, m.end, lang, tz)]
    if m.place:
        spans += [" — ", m.place]
    spans += [" (", word(STATUS, m.status, lang)]
    if m.rsvp["yes"] or m.rsvp["maybe"]:
        spans.append(tr(lang, f", {len(m.rsvp['yes'])} oui, {len(m.rsvp['maybe'])} peut-être",
                        f", {len(m.rsvp['yes'])} yes, {len(m.rsvp['maybe'])} maybe"))
    spans.append(")")
    return spans


def permanence_occurrence_line(p: Permanence, when: datetime, lang: str, tz: tzinfo) -> list[Span]:
    from datetime import timedelta

    end = when + timedelta(minutes=p.duration_minutes) if p.duration_minutes else None
    spans: list[Span] = [b("permanence " + number(p.id, lang)), " ", b(p.title), " — ",
                         when_text(when, end, lang, tz)]
    if p.place:
        spans += [" — ", p.place]
    hosts = next((h for occ, h in p.hosts.items() if occ == when), [])
    if hosts:
        spans += [" — ", tr(lang, "tenue par ", "hosted by "), ", ".join(hosts)]
    else:
        spans += [" — ", i(tr(lang, "personne pour la tenir", "no host yet"))]
    return spans


def brick_line(br: Brick, lang: str) -> list[Span]:
    spans: list[Span] = [b(f"{br.id}. {br.name}"), "  ", bar(br.status, lang)]
    if br.category != "brick":
        spans += [" (", word(CATEGORY, br.category, lang), ")"]
    if br.lead:
        spans += [" — ", tr(lang, "référent·e : ", "lead: "), br.lead]
    return spans


def topic_line(t: Topic, lang: str) -> list[Span]:
    spans: list[Span] = [b(f"{t.id}."), " ", t.text, " — ", t.added_by]
    if t.done:
        spans += [" (", tr(lang, "traité", "done"), ")"]
    return spans


def link_span(url: str, label: str | None) -> Mark:
    return link(url, label or url)
