"""A session's minutes as people read them: in the chat (a Doc, split by the outbox like any
long message), as a Markdown file, and as a standalone HTML page.

All three are written from one `View`: what the minutes say and in which order is decided
once (`view`), and each writer only formats it, so the chat and the files cannot drift
apart. Member text is always text: the Doc's renderers escape it per chat, the Markdown
writer escapes what Markdown would read as markup, and the HTML page is a Jinja2 template
with autoescaping, where a member's text can only be shown, never read as markup."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, tzinfo
from typing import Callable

from bot.records import Action, Minutes, Note, Session
from bot.render import instant, number, tr
from bot.richtext import Doc, Span, b, i, link

# ---- what the minutes say ----------------------------------------------------------------------


@dataclass
class Entry:
    label: str  # ours: "Décision", "Action n°3"
    text: str  # the member's
    details: list[str] = field(default_factory=list)  # who, for whom, until when, which brick


@dataclass
class Section:
    title: str
    entries: list[Entry]


@dataclass
class View:
    title: str
    facts: list[str]  # date and place, opening and closing, the chair
    present_label: str
    present: list[str]
    sections: list[Section]
    not_reached_title: str
    not_reached: list[str]
    empty: str | None  # said when nothing was noted
    notes: list[str]  # closed by itself, posted late


def session_title(session: Session, lang: str) -> str:
    from bot.when import format_day

    return session.title or tr(lang, "Séance du ", "Session of ") + format_day(session.day, lang)


def due_text(due: datetime | date, lang: str, tz: tzinfo) -> str:
    from bot.when import format_day

    return instant(due, lang, tz) if isinstance(due, datetime) else format_day(due, lang)


def _hour(at: datetime, tz: tzinfo) -> str:
    local = at.astimezone(tz)
    return f"{local.hour:02d}:{local.minute:02d}"


def _who(person: str, how: str, lang: str) -> str:
    return person + (tr(lang, " (en salle)", " (in the room)") if how == "named" else "")


def _same(member: str) -> str:
    return member


def action_details(a: Action, lang: str, tz: tzinfo, now: datetime | None = None,
                   who: Callable[[str], str] = _same) -> list[str]:
    parts = [tr(lang, "pour ", "for ") + who(a.person)]
    if a.due is not None:
        parts.append(tr(lang, "échéance : ", "due: ") + due_text(a.due, lang, tz))
    if a.done_at is not None:
        parts.append(tr(lang, "faite", "done"))
    elif now is not None and a.overdue(now):
        parts.append(tr(lang, "EN RETARD", "LATE"))
    return parts


def view(m: Minutes, lang: str, tz: tzinfo, late: bool = False, who: Callable[[str], str] = _same) -> View:
    """What the minutes say. `who` names a member (the web board may hide them): the chair,
    whoever noted or closed, the person of an action, each one present."""
    s = m.session
    facts = [format_place(s, lang, m.meeting_title)]
    opened = tr(lang, "ouverte à {h} par {who}", "opened at {h} by {who}").format(h=_hour(s.opened_at, tz),
                                                                                  who=who(s.chair))
    if s.closed_at is None:
        facts.append(opened + tr(lang, " ; en cours", "; in progress"))
    elif s.closed_by is None:
        facts.append(opened + tr(lang, " ; close d'elle-même à minuit", "; closed by itself at midnight"))
    else:
        facts.append(opened + tr(lang, " ; close à {h} par {who}", "; closed at {h} by {who}").format(
            h=_hour(s.closed_at, tz), who=who(s.closed_by)))
    facts.append(tr(lang, "Présidence : ", "Chair: ") + who(s.chair))

    def note_entry(n: Note) -> Entry:
        label = tr(lang, "Décision", "Decision") if n.kind == "decision" else "Info"
        details = [who(n.by)]
        if n.brick_id is not None:
            details.append(tr(lang, "brique ", "brick ") + f"{number(n.brick_id, lang)} {m.bricks.get(n.brick_id, '?')}")
        return Entry(label, n.text, details)

    def action_entry(a: Action) -> Entry:
        return Entry("Action " + number(a.id, lang), a.text, action_details(a, lang, tz, who=who))

    # Infos and decisions in the order they were said, then the actions, under each topic.
    by_topic: dict[int | None, list[Entry]] = {}
    for n in m.notes:
        by_topic.setdefault(n.topic_id, []).append(note_entry(n))
    for a in m.actions:
        by_topic.setdefault(a.topic_id, []).append(action_entry(a))
    sections = []
    listed = {t.topic_id for t in m.topics}
    for t in m.topics:
        if t.discussed_at is not None or t.topic_id in by_topic:
            sections.append(Section(tr(lang, "Point ", "Topic ") + f"{number(t.topic_id, lang)} — {t.text}",
                                    by_topic.get(t.topic_id, [])))
    # A topic closed elsewhere while it was being discussed keeps what was said under it.
    for topic_id, entries in by_topic.items():
        if topic_id is not None and topic_id not in listed:
            sections.append(Section(tr(lang, "Point ", "Topic ") + number(topic_id, lang), entries))
    if by_topic.get(None):
        sections.append(Section(tr(lang, "Hors des points de l'ordre du jour", "Outside the agenda topics"),
                                by_topic[None]))
    not_reached = [f"{number(t.topic_id, lang)} {t.text}" for t in m.topics
                   if t.discussed_at is None and t.topic_id not in by_topic]
    notes = []
    if s.closed_at is not None and s.closed_by is None:
        notes.append(tr(lang, "Personne n'a clos la séance : elle s'est close d'elle-même à minuit.",
                        "Nobody closed the session: it closed by itself at midnight."))
    if late:
        notes.append(tr(lang, "(posté en retard : le bot était arrêté à minuit)",
                        "(posted late: the bot was stopped at midnight)"))
    return View(
        title=tr(lang, "Compte rendu — ", "Minutes — ") + session_title(s, lang) + f" ({tr(lang, 'séance', 'session')} {number(s.id, lang)})",
        facts=facts,
        present_label=tr(lang, "Présents ({n})", "Present ({n})").format(n=len(m.present)),
        present=[_who(who(p.person), p.how, lang) for p in m.present],
        sections=sections,
        not_reached_title=tr(lang, "Points non traités (ils restent à l'ordre du jour)",
                             "Topics not reached (they stay on the agenda)"),
        not_reached=not_reached,
        empty=None if sections else tr(lang, "Rien n'a été noté.", "Nothing was noted."),
        notes=notes,
    )


def format_place(s: Session, lang: str, meeting_title: str | None) -> str:
    from bot.when import format_day

    parts = [format_day(s.day, lang), s.place or tr(lang, "lieu non précisé", "place not given")]
    if s.meeting_id is not None:
        parts.append(tr(lang, "réunion ", "meeting ") + number(s.meeting_id, lang)
                     + (f" {meeting_title}" if meeting_title else ""))
    return " — ".join(parts)


# ---- the chat ---------------------------------------------------------------------------------------

def _colon(lang: str) -> str:
    return ": " if lang == "en" else " : "


# In the chat, each text is cut here: the largest minutes a session can hold would otherwise
# be a hundred Rocket.Chat messages (bench/bench_minutes.py). The files and the export keep all.
CHAT_TEXT = 400


def entry_spans(e: Entry, lang: str) -> list[Span]:
    text = e.text if len(e.text) <= CHAT_TEXT else e.text[:CHAT_TEXT].rstrip() + "…"
    spans: list[Span] = [b(e.label), _colon(lang), text]
    if e.details:
        spans += [" — ", i(" — ".join(e.details))]
    return spans


# Where the web board serves a session's minutes (bot/web/server.py).
PAGE = "/seances/{n}"


def minutes_doc(m: Minutes, lang: str, tz: tzinfo, late: bool = False, board: str | None = None) -> Doc:
    """The minutes as a chat message; `board`, the web board's public address (`[web]
    base_url`), adds the link to their page there."""
    v = view(m, lang, tz, late)
    doc = Doc().heading(v.title)
    for note in v.notes:
        doc.para(i(note))
    for fact in v.facts:
        doc.para(fact)
    doc.para(b(v.present_label), _colon(lang), ", ".join(v.present) if v.present else "—")
    for section in v.sections:
        doc.heading(section.title)
        if section.entries:
            doc.bullets([entry_spans(e, lang) for e in section.entries])
        else:
            doc.para(i(tr(lang, "rien de noté", "nothing noted")))
    if v.empty:
        doc.para(i(v.empty))
    if v.not_reached:
        doc.heading(v.not_reached_title)
        doc.bullets(v.not_reached)
    if any(len(e.text) > CHAT_TEXT for section in v.sections for e in section.entries):
        doc.para(i(tr(lang, "Textes de plus de {n} caractères coupés ici ; le fichier du compte rendu et l'export "
                            "les ont en entier.", "Texts over {n} characters are cut here; the minutes file and the "
                            "export have them whole.").format(n=CHAT_TEXT)))
    if board:
        doc.para(tr(lang, "Sur le tableau : ", "On the board: "), link(board + PAGE.format(n=m.session.id)))
    return doc


# ---- Markdown ------------------------------------------------------------------------------------------

# Markup anywhere in a line: escaped with a backslash (CommonMark and Python-Markdown both
# honour these). "<", ">" and "&" become entities, which every Markdown reader shows as the
# character, so that a member's "<script>" is never passed through as HTML.
_MD_INLINE = re.compile(r"([\\`*_\[\]])")
_MD_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}
# Markup only at the start of a line: a heading, a list, a quote, a setext underline.
_MD_LINE_START = re.compile(r"^(\s*)([#+=-]|\d+(?=[.)]))")


def md_escape(text: str) -> str:
    out = []
    for line in text.split("\n"):
        line = _MD_INLINE.sub(r"\\\1", line)
        line = "".join(_MD_ENTITIES.get(ch, ch) for ch in line)
        line = _MD_LINE_START.sub(lambda m: m.group(1) + (m.group(2) + "\\" if m.group(2)[0].isdigit()
                                                            else "\\" + m.group(2)), line)
        out.append(line)
    return out[0] if len(out) == 1 else "\\\n  ".join(out)  # a line break inside the list item


def minutes_markdown(m: Minutes, lang: str, tz: tzinfo) -> str:
    v = view(m, lang, tz)
    lines = [f"# {md_escape(v.title)}", ""]
    for note in v.notes:
        lines += [f"*{md_escape(note)}*", ""]
    for fact in v.facts:
        lines += [md_escape(fact) + "  "]
    lines += ["", f"**{md_escape(v.present_label)}**{_colon(lang)}" + (", ".join(md_escape(p) for p in v.present) or "—"), ""]
    for section in v.sections:
        lines += [f"## {md_escape(section.title)}", ""]
        for e in section.entries:
            details = f" — *{md_escape(' — '.join(e.details))}*" if e.details else ""
            lines.append(f"- **{md_escape(e.label)}**{_colon(lang)}{md_escape(e.text)}{details}")
        if not section.entries:
            lines.append(f"*{md_escape(tr(lang, 'rien de noté', 'nothing noted'))}*")
        lines.append("")
    if v.empty:
        lines += [f"*{md_escape(v.empty)}*", ""]
    if v.not_reached:
        lines += [f"## {md_escape(v.not_reached_title)}", ""]
        lines += [f"- {md_escape(t)}" for t in v.not_reached]
        lines.append("")
    return "\n".join(lines)


# ---- HTML ------------------------------------------------------------------------------------------------

def minutes_html(m: Minutes, lang: str, tz: tzinfo) -> str:
    """A standalone page (no external resource), every member text escaped by Jinja2."""
    import jinja2

    env = jinja2.Environment(loader=jinja2.PackageLoader("bot", "templates"), autoescape=True,
                             undefined=jinja2.StrictUndefined, keep_trailing_newline=True)
    return env.get_template("minutes.html").render(v=view(m, lang, tz), lang=lang, colon=_colon(lang))
