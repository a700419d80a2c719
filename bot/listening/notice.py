"""Noticing: what one chat message proposes, if anything.

A message proposes a meeting when it has a cue (a gathering: "réunion", "atelier", "une
rencontre"; or a proposing phrase: "on se retrouve", "qui est dispo", "let's meet") and
exactly one date expression, which the time layer reads as an event ahead with a day and a
time ("jeudi 18h", "le 15 décembre de 14h à 16h"). With a permanence cue, a recurrence
("tous les mardis de 17h à 19h") proposes a permanence. Anything that makes the date or the
intent unsure gives nothing: a personal appointment, an absence, a negation, the past, a
joke, a question about a meeting that exists, two dates, a qualified one ("vers 18h",
"jeudi dernier", "jeudi ou vendredi"), quoted text. Pure: no chat, no SQL, no clock."""
from __future__ import annotations

import bisect
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.when import Recurrence, WhenError, looks_recurring, read_event, read_recurrence
from bot.when.find import Expression, find_expressions
from bot.when.tokens import Token, normalise

from .clean import SENTENCE_END, own_words
from .cues import (ABOUT_EXISTING, DEFINITE, JOKE, NEGATION, PAST, PERMANENCE_NOUNS, PERSONAL,
                   PROPOSING, counts_as_cue, find_gatherings, without_relative_negations,
                   words_before)
from .place import find_place
from .title import make_title

# Every proposal has a time of day, and every time of day the time layer reads has a digit,
# "midi", "minuit", "noon", "midnight" or "heure(s)": a message without any of them is let
# go before anything else is done (most messages of a busy room).
_TIME_HINT = re.compile(r"\d|midi|minuit|noon|midnight|heure", re.IGNORECASE)
# A message longer than this (its own words; with what it quotes, MAX_RAW) is an article,
# minutes or a log, not a proposal.
MAX_CHARS = 1000
MAX_RAW = 8000
# Two date pieces this many words apart (or fewer), in one sentence, are one expression
# ("Jeudi, on se retrouve à 18h"); farther apart, they are two dates.
MAX_GAP = 8

# words just before a date that make it something else than that date
_QUALIFY_BEFORE = {
    "vers", "environ", "around", "about", "approximately", "approx", "avant", "apres", "before",
    "after", "jusqu", "until", "till", "depuis", "since", "ou", "or", "sauf", "except", "hors",
    "pas", "not", "plutot", "rather", "un", "une", "a", "an", "any", "quel", "quelle", "which", "last", "dernier", "derniere", "other", "autre",
    "prochainement", "fin", "debut", "mi", "early", "late", "mid", "ces", "these",
}
# ... and just after it
_QUALIFY_AFTER = {
    "dernier", "derniere", "passe", "passee", "precedent", "precedente", "last", "ago", "ou",
    "or", "environ", "ish", "approx", "approximately", "ou", "sinon", "otherwise", "prochaine",
    "semaine", "week", "plutot", "rather",
}
# between "la réunion" and its date: "la réunion de jeudi", "the meeting on friday"
_REFERENCE_LINKS = {"de", "du", "d", "des", "on", "of", "from", "this", "ce", "cette",
                    "prevue", "prevu", "planned", "scheduled", "next", "prochain", "prochaine"}


@dataclass(frozen=True)
class MeetingProposal:
    """A meeting proposed in conversation: what `!réunion proposer` would record."""
    start: datetime
    end: datetime | None
    title: str
    place: str | None
    when: str          # the words that gave the date, as written
    lang: str

    kind = "meeting"

    def to_json(self) -> dict[str, Any]:
        return {"meeting": {"start": self.start.isoformat(),
                            "end": self.end.isoformat() if self.end else None,
                            "place": self.place, "title": self.title}}


@dataclass(frozen=True)
class PermanenceProposal:
    """A permanence proposed in conversation: what `!permanence ajouter` would record."""
    recurrence: Recurrence
    title: str
    place: str | None
    when: str
    lang: str

    kind = "permanence"

    def to_json(self) -> dict[str, Any]:
        return {"permanence": {"rrule": self.recurrence.rrule,
                               "first": self.recurrence.dtstart.isoformat(),
                               "duration_minutes": self.recurrence.duration_minutes,
                               "place": self.place, "title": self.title}}


Proposal = MeetingProposal | PermanenceProposal


@dataclass(frozen=True)
class _Candidate:
    """One date: the expressions of one sentence that read together."""
    parts: tuple[Expression, ...]

    @property
    def text(self) -> str:
        return " ".join(p.text for p in self.parts)

    @property
    def kinds(self) -> frozenset[str]:
        return frozenset().union(*(p.kinds for p in self.parts))

    def busy(self) -> set[int]:
        return {i for p in self.parts for i in range(p.first, p.last)}


def notice(text: str, now: datetime, tz: ZoneInfo | str = "Europe/Paris",
           lang: str | None = None, places: Iterable[str] = (),
           prefix: str = "!") -> Proposal | None:
    """What `text`, a chat message (plain text) said at `now`, proposes; None if nothing.
    `places`: the places the group uses (the rhythm's, earlier meetings' and permanences',
    the configured ones), so that a place written otherwise is recorded as the group spells
    it. `prefix`: a message starting with it is a command, never a proposal."""
    if len(text) > MAX_RAW or not _TIME_HINT.search(text) or text.lstrip().startswith(prefix):
        return None
    body = own_words(text)
    if len(body) > MAX_CHARS or not _TIME_HINT.search(body):
        return None
    folded = normalise(body).replace("-", " ")
    nouns = [(a, noun) for a, _, noun in find_gatherings(folded) if counts_as_cue(folded, a, noun)]
    if not nouns and not PROPOSING.search(folded):
        return None
    if any(p.search(folded) for p in (PERSONAL, PAST, ABOUT_EXISTING, JOKE)) or \
            NEGATION.search(without_relative_negations(folded)):
        return None

    found = find_expressions(body, lang)
    if found.unreadable:
        return None  # something date-like that cannot be read ("25h", "31/13"): unsure
    sentences = [m.end() for m in SENTENCE_END.finditer(body)]
    candidates = [c for c in _candidates(found.tokens, found.expressions, sentences)
                  if any(p.names_a_moment for p in c.parts)]
    if len(candidates) != 1:
        return None
    date = candidates[0]
    if _qualified(found.tokens, date) or _refers_to_existing(folded, found.tokens, date):
        return None

    lang_ = lang if lang in ("fr", "en") else found.lang
    place = find_place(body, found.tokens, date.busy(), places)
    blanks = [(p.start, p.end) for p in date.parts]
    if place is not None:
        blanks.append((place.start, place.end))
    noun = nouns[0] if nouns else None  # the title starts from the first gathering noun
    where = noun[0] if noun else found.tokens[date.parts[0].first].start
    lo, hi = _sentence(sentences, where, len(body))
    place_name = place.name if place else None

    if looks_recurring(date.text):
        if not any(n in PERMANENCE_NOUNS for _, n in nouns):
            return None  # a rhythm of meetings is the organisers' `!rythme`, not a proposal
        try:
            rec = read_recurrence(date.text, now, tz, lang_)
        except WhenError:
            return None
        title = make_title(body, folded, lo, hi, blanks, noun[0] if noun else None,
                           "permanence", lang_)
        return PermanenceProposal(rec, title, place_name, date.text, lang_)

    kinds = date.kinds
    if not (kinds & {"date", "weekday", "day", "offset"}) or "time" not in kinds:
        return None  # a day with no time, or a time with no day
    try:
        event = read_event(_without_rhythm_word(date.text), now, tz, lang_)
    except WhenError:
        return None
    if not isinstance(event.start, datetime) or event.start < now:  # all day, or past
        return None
    title = make_title(body, folded, lo, hi, blanks, noun[0] if noun else None, "meeting", lang_)
    return MeetingProposal(event.start, event.end, title, place_name, date.text, lang_)


_RHYTHM_WORD = re.compile(r"^\s*(?:mensuel(?:le)?|hebdomadaire|quotidien(?:ne)?|weekly|monthly|daily)"
                          r"\b[\s,]*", re.IGNORECASE)


def _without_rhythm_word(text: str) -> str:
    """"Réunion mensuelle jeudi 10 juin 18h": before a date that is not a rhythm, "mensuelle"
    says what the gathering is (this month's), not when it is."""
    return _RHYTHM_WORD.sub("", text, count=1)


def _candidates(tokens: list[Token], expressions: list[Expression],
                sentences: list[int]) -> list[_Candidate]:
    """Group the expressions into dates: in one sentence and close together, pieces of one
    date ("Jeudi, on se retrouve à 18h"; "tous les mardis de 17h à 19h au Tiers-lieu à
    partir du 8 décembre")."""
    groups: list[list[Expression]] = []
    for expr in expressions:
        if groups:
            last = groups[-1][-1]
            same = _sentence_index(sentences, tokens[last.last - 1].start) == \
                _sentence_index(sentences, tokens[expr.first].start)
            if same and expr.first - last.last <= MAX_GAP:
                groups[-1].append(expr)
                continue
        groups.append([expr])
    return [_Candidate(tuple(g)) for g in groups]


def _sentence_index(sentences: list[int], pos: int) -> int:
    return bisect.bisect_right(sentences, pos)


def _sentence(sentences: list[int], pos: int, length: int) -> tuple[int, int]:
    i = bisect.bisect_right(sentences, pos)
    return (sentences[i - 1] if i > 0 else 0), (sentences[i] if i < len(sentences) else length)


def _word(tokens: list[Token], i: int) -> str | None:
    return tokens[i].text if 0 <= i < len(tokens) and tokens[i].kind == "word" else None


def _qualified(tokens: list[Token], date: _Candidate) -> bool:
    """A word next to the date makes it another date or no date: "vers 18h", "jeudi
    dernier", "jeudi ou vendredi", "un mardi", "avant jeudi"."""
    for part in date.parts:
        if _word(tokens, part.first - 1) in _QUALIFY_BEFORE:
            return True
        if _word(tokens, part.last) in _QUALIFY_AFTER:
            return True
        # "18h-ish", "18h/19h"
        if part.last < len(tokens) and tokens[part.last].text in ("/", "-") and \
                part.last + 1 < len(tokens) and tokens[part.last].end == tokens[part.last + 1].start \
                and tokens[part.last].start == tokens[part.last - 1].end:
            return True
    return False


def _refers_to_existing(folded: str, tokens: list[Token], date: _Candidate) -> bool:
    """"la réunion de jeudi 18h", "l'atelier du 20 mars", "the meeting on friday": a
    gathering named with a definite word and given its date names one that exists."""
    starts = [tokens[p.first].start for p in date.parts]
    for a, b, noun in find_gatherings(folded):
        if counts_as_cue(folded, a, noun):
            continue
        before = words_before(folded, a, 1)
        if not before or before[-1] not in DEFINITE:
            continue
        for start in starts:
            if start < b:
                continue
            gap = folded[b:start]
            if not re.fullmatch(r"[a-z0-9 ]*", gap):
                continue  # "Réunion de préparation de l'AG : jeudi…": a label, then its date
            between = gap.split()
            if len(between) <= 2 and all(w in _REFERENCE_LINKS for w in between):
                return True
    return False
