"""How a date poll reads, in both languages: its own message (with the native poll a chat
shows for it), the tally, the result, and the one line that lists it (`!sondage liste`, the
agenda, the digest). The same builders serve the replies and the posts the bot makes by
itself, so every reader sees the same thing."""
from __future__ import annotations

from datetime import tzinfo
from typing import Any

from bot.records import Meeting, Poll
from bot.render import instant, number, tr, when_text
from bot.richtext import Doc, Span, b, code, i
from bot.services import polls as svc


def _t(lang: str, fr: str, en: str, **values: object) -> str:
    return tr(lang, fr, en).format(**values)


def option_text(poll: Poll, position: int, lang: str, tz: tzinfo) -> str:
    option = poll.options[position - 1]
    return when_text(option.start, option.end, lang, tz)


def question(poll: Poll, meeting: Meeting, lang: str) -> str:
    return _t(lang, "Sondage {n} : quelles dates vous conviennent pour la réunion {m} « {title} » ?",
              "Poll {n}: which dates suit you for meeting {m} \"{title}\"?", n=number(poll.id, lang),
              m=number(meeting.id, lang), title=meeting.title)


def native_start(poll: Poll, meeting: Meeting, lang: str, tz: tzinfo) -> dict[str, Any]:
    """The poll as a chat with native polls shows it (Outgoing.poll's "start"): option ids
    are the positions, as text."""
    return {"start": {"question": question(poll, meeting, lang),
                      "answers": [{"id": str(o.position), "text": option_text(poll, o.position, lang, tz)}
                                  for o in poll.options],
                      "max_selections": len(poll.options)}}


def poll_doc(poll: Poll, meeting: Meeting, lang: str, tz: tzinfo, prefix: str) -> Doc:
    """The poll's own message, and the text a chat without polls shows."""
    doc = Doc().para(b(question(poll, meeting, lang)))
    doc.bullets([[svc.keycap(o.position), " ", option_text(poll, o.position, lang, tz)] for o in poll.options])
    doc.para(_t(lang, "Plusieurs dates possibles. Clôture : ", "Choose as many dates as you can make. Closes: "),
             b(instant(poll.closes_at, lang, tz)), ".")
    example = f"{prefix}vote {poll.id} " + " ".join(str(o.position) for o in poll.options[:2])
    doc.para(_t(lang, "Répondez au sondage, réagissez avec les numéros, ou tapez ",
                "Answer the poll, react with the numbers, or type "), code(example),
             _t(lang, " (les options 1 et 2).", " (options 1 and 2)."))
    return doc


def _tally(poll: Poll, lang: str, tz: tzinfo) -> list[list[Span]]:
    lines: list[list[Span]] = []
    for o in poll.options:
        people = svc.voters(poll, o.position)
        line: list[Span] = [svc.keycap(o.position), " ", option_text(poll, o.position, lang, tz), " — ",
                            b(_t(lang, "{k} voix", "{k} votes", k=len(people)) if len(people) != 1
                              else _t(lang, "1 voix", "1 vote"))]
        if people:
            line += [" (", ", ".join(people), ")"]
        lines.append(line)
    return lines


def _responses(poll: Poll, lang: str) -> str:
    k = svc.respondents(poll)
    singular = k < 2 if lang == "fr" else k == 1  # « 0 réponse » in French, "0 answers" in English
    return _t(lang, "{k} réponse", "{k} answer", k=k) if singular else _t(lang, "{k} réponses", "{k} answers", k=k)


def tally_doc(poll: Poll, meeting: Meeting | None, lang: str, tz: tzinfo, prefix: str) -> Doc:
    title = meeting.title if meeting is not None else "?"
    doc = Doc().heading(_t(lang, "Sondage {n} — réunion {m} « {t} »", "Poll {n} — meeting {m} \"{t}\"",
                           n=number(poll.id, lang), m=number(poll.meeting_id, lang), t=title))
    doc.bullets(_tally(poll, lang, tz))
    status = {"open": _t(lang, "ouvert, clôture ", "open, closes "), "tied": _t(lang, "à départager", "tied"),
              "closed": _t(lang, "clos", "closed")}[poll.status]
    doc.para(_responses(poll, lang), " — ", status,
             instant(poll.closes_at, lang, tz) if poll.status == "open" else "")
    if poll.status == "closed" and poll.chosen:
        doc.para(_t(lang, "Date retenue : ", "Date chosen: "), b(option_text(poll, poll.chosen, lang, tz)))
    elif svc.respondents(poll):
        best = svc.leaders(poll)
        doc.para(_t(lang, "En tête : ", "Leading: "),
                 b(" ; ".join(f"{svc.keycap(k)} {option_text(poll, k, lang, tz)}" for k in best)))
    if poll.status == "tied":
        doc.para(_tie_request(poll, lang, prefix))
    return doc


def _tie_request(poll: Poll, lang: str, prefix: str) -> str:
    best = svc.leaders(poll)
    return _t(lang, "Un·e organisateur·rice choisit avec {c} (une des options {o}).",
              "An organiser chooses with {c} (one of options {o}).",
              c=f"{prefix}{tr(lang, 'sondage clore', 'poll close')} {poll.id} ; {best[0]}", o=", ".join(map(str, best)))


def result_doc(closed: svc.Closed, lang: str, tz: tzinfo, prefix: str) -> Doc:
    """What the bot posts when a poll closes: each option with its count, and the date
    chosen (or the tie, and who chooses)."""
    poll = closed.poll
    doc = Doc().para(b(_t(lang, "Sondage {n} clos", "Poll {n} closed", n=number(poll.id, lang))),
                     _t(lang, " ({r}).", " ({r}).", r=_responses(poll, lang)))
    doc.bullets(_tally(poll, lang, tz))
    if closed.tied:
        opts = ", ".join(map(str, closed.tied))
        if svc.respondents(poll):
            doc.para(_t(lang, "Égalité entre les options {o}.", "A tie between options {o}.", o=opts))
        else:
            doc.para(_t(lang, "Personne n'a répondu.", "Nobody answered."))
        doc.para(_tie_request(poll, lang, prefix))
        return doc
    assert poll.chosen is not None
    chosen = option_text(poll, poll.chosen, lang, tz)
    if closed.meeting is None:
        doc.para(_t(lang, "Date retenue : ", "Date chosen: "), b(chosen),
                 _t(lang, " ; mais la réunion {m} est annulée : elle ne reçoit pas de date.",
                    "; but meeting {m} is cancelled: it gets no date.", m=number(poll.meeting_id, lang)))
        return doc
    m = closed.meeting
    doc.para(_t(lang, "Date retenue pour la réunion {m} « {t} » : ", "Date chosen for meeting {m} \"{t}\": ",
                m=number(m.id, lang), t=m.title), b(chosen), ".")
    doc.para(_t(lang, "Celles et ceux qui l'ont choisie sont notés « oui ». Un·e organisateur·rice confirme avec {c}.",
                "Those who chose it are down as \"yes\". An organiser confirms with {c}.",
                c=f"{prefix}{tr(lang, 'réunion confirmer', 'meeting confirm')} {m.id}"))
    return doc


def end_text(closed: svc.Closed, lang: str, tz: tzinfo) -> str:
    """The one line a chat's poll end event carries."""
    poll = closed.poll
    if closed.tied:
        return _t(lang, "Le sondage est clos : égalité, un·e organisateur·rice choisit.",
                  "The poll has ended: a tie, an organiser chooses.")
    return _t(lang, "Le sondage est clos. Date retenue : {d}", "The poll has ended. Date chosen: {d}",
              d=option_text(poll, poll.chosen or 1, lang, tz))


def native_end(closed: svc.Closed, lang: str, tz: tzinfo) -> dict[str, Any]:
    poll = closed.poll
    return {"end": {"text": end_text(closed, lang, tz),
                    "results": {str(o.position): len(svc.voters(poll, o.position)) for o in poll.options}}}


def summary_line(poll: Poll, meeting: Meeting | None, lang: str, tz: tzinfo) -> list[Span]:
    """"Sondage n°2 (réunion n°5 Pocheco) : 5 réponses, clôture jeudi 3 décembre 2026, 10:00"."""
    about = f" ({tr(lang, 'réunion', 'meeting')} {number(poll.meeting_id, lang)}" + \
        (f" {meeting.title})" if meeting is not None else ")")
    spans: list[Span] = [b(_t(lang, "Sondage {n}", "Poll {n}", n=number(poll.id, lang))), about,
                         ": " if lang == "en" else " : ", _responses(poll, lang)]
    if poll.status == "tied":
        spans += [", ", i(_t(lang, "égalité à départager", "a tie to settle"))]
        return spans
    spans += [_t(lang, ", clôture ", ", closes "), instant(poll.closes_at, lang, tz)]
    if svc.respondents(poll):
        best = svc.leaders(poll)
        spans += [_t(lang, " ; en tête : ", "; leading: "), " / ".join(option_text(poll, k, lang, tz) for k in best)]
    return spans
