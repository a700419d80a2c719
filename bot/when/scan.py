"""Read a whole request into pieces with the grammar's readers. Every token must belong to a
piece: a word left over is never ignored, it makes the request unreadable."""
from __future__ import annotations

import re
from typing import Callable

from .errors import WhenError
from .grammar import Period, Piece, Reader, Reading
from .lexicon import NUMBER_WORDS, VAGUE, calendar_names
from .names import spoken_time
from .tokens import Token, normalise, tokenize

RECURRENCE_MARKERS = ("tous les", "toutes les", "chaque", "sur deux", "sur trois", "sur quatre",
                      "every", "each", "daily", "weekly", "monthly", "du mois", "of the month",
                      "quotidiennement")


def detect_language(tokens: list[Token]) -> str:
    names = calendar_names()
    fr = sum(1 for t in tokens if t.text in names.french_words)
    en = sum(1 for t in tokens if t.text in names.english_words)
    return "en" if en > fr else "fr"


# "un jeudi sur 3", "une semaine sur dix": one <something> in N
_ONE_IN_N = re.compile(r" (?:un|une) [a-z]+ sur (?:\d+|" + "|".join(
    w for w in NUMBER_WORDS if w not in ("un", "une") and w.isascii() and w.isalpha()) + ") ")


def looks_recurring(text: str) -> bool:
    """Whether `text` is meant as a recurrence ("tous les…", "un jeudi sur deux", "le premier
    lundi du mois"): the one test of it, for every caller (`!quand`, `chambre-bot when`)."""
    folded = " " + " ".join(normalise(text).split()) + " "
    return any(f" {marker} " in folded for marker in RECURRENCE_MARKERS) or \
        _ONE_IN_N.search(folded) is not None


def scan(text: str, kind: str, lang: str | None) -> tuple[Reader, Reading]:
    """Cut `text` into pieces. kind: "event" or "recurrence" (which readers are allowed)."""
    tokens = tokenize(text)
    lang = lang if lang in ("fr", "en") else detect_language(tokens)
    reader = Reader(tokens, text, kind, lang)
    if not tokens:
        raise WhenError("Il n'y a rien à lire.", "There is nothing to read.", kind=kind, lang=lang,
                        code="empty")
    # Each reader gives a piece (or a list of pieces) and where it stopped, or None.
    readers: tuple[Callable[[int], tuple[object, int] | None], ...]
    if kind == "recurrence":
        readers = (reader.read_freq, reader.read_ordinal_weekdays, reader.read_daylist,
                   reader.read_monthday, reader.read_timespec, reader.read_duration,
                   reader.read_anchor, reader.read_period)
    else:
        readers = (reader.read_timespec, reader.read_duration, reader.read_offset,
                   reader.read_date, reader.read_weekday, reader.read_dayrel,
                   reader.read_period)
    reading = Reading()
    i = 0
    while i < len(tokens):
        if reader.sym(i) in (",", ".", ";", "!"):
            i += 1
            continue
        for read in readers:
            got = read(i)
            if got is not None:
                value, j = got
                values = value if isinstance(value, list) else [value]
                for v in values:
                    reading.pieces.append(Piece(v, i, j))
                i = j
                break
        else:
            raise _leftover(reader, reading, i, kind, lang)
    if not reading.pieces:
        raise WhenError("Il n'y a rien à lire.", "There is nothing to read.", kind=kind, lang=lang,
                        code="empty")
    return reader, reading


def understood_text(reader: Reader, reading: Reading) -> str | None:
    if not reading.pieces:
        return None
    parts: list[str] = []
    last = -1
    for p in reading.pieces:
        if p.start >= last:
            parts.append(reader.quote(p.start, p.end))
            last = p.end
    return " … ".join(dict.fromkeys(parts))


def _bare_hour(reader: Reader, reading: Reading, i: int, kind: str, lang: str,
               understood: str | None) -> WhenError | None:
    """A number alone at the end ("ce soir 8", "jeudi à 18"): ask for the time in full, in the
    way the request would write it, rather than "I do not understand"."""
    k = i + 1 if reader.w(i) in ("a", "at") else i
    hour = reader.n(k)
    if hour is None or reader.digits(k) > 2 or hour > 24 or \
            any(reader.sym(m) not in (".", "!", "?") for m in range(k + 1, len(reader.t))):
        return None
    evening = any(isinstance(v, Period) and v.name in ("soir", "apresmidi")
                  for v in (p.value for p in reading.pieces))
    if hour == 24 or hour == 0:
        fr, en = "minuit", "midnight"
    elif hour > 12 or (evening and hour < 12):
        h = hour if hour > 12 else hour + 12
        fr, en = spoken_time(h, 0, "fr"), spoken_time(h, 0, "en")
    else:
        fr, en = spoken_time(hour, 0, "fr"), f"{hour}am or {hour}pm" if hour < 12 else "12pm"
    number = reader.quote(k, k + 1)
    return WhenError(f"« {number} » seul n'est pas une heure : écrivez {fr}.",
                     f'"{number}" alone is not a time: write {en}.',
                     kind=kind, lang=lang, understood=understood, code="bare")


def _leftover(reader: Reader, reading: Reading, i: int, kind: str, lang: str) -> WhenError:
    # quote the unread words up to the next piece we would recognise, or the end
    j = i + 1
    while j < len(reader.t) and reader.t[j].kind != "num" and reader.w(j) not in (
            "a", "at", "le", "de", "pendant", "duree", "dans", "in"):
        j += 1
    words = reader.quote(i, j)
    rest = {t.text for t in reader.t[i:]}
    understood = understood_text(reader, reading)
    bare = _bare_hour(reader, reading, i, kind, lang, understood)
    if bare is not None:
        return bare
    if rest & VAGUE:
        return WhenError(f"« {words} » est trop vague : il faut un jour et une heure précis.",
                         f'"{words}" is too vague: I need a precise day and time.',
                         kind=kind, lang=lang, understood=understood, code="vague")
    return WhenError(f"Je ne comprends pas « {words} ».", f'I do not understand "{words}".',
                     kind=kind, lang=lang, understood=understood, code="unknown")
