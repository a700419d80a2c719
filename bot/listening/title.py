"""A noticed proposal's title: the message's own words without the date, the place and the
words that only propose ("on se retrouve", "qui est dispo pour", "venez nombreux")."""
from __future__ import annotations

import re
import unicodedata

from .cues import PROPOSING

MAX_TITLE = 80
DEFAULT = {("meeting", "fr"): "Réunion", ("meeting", "en"): "Meeting",
           ("permanence", "fr"): "Permanence", ("permanence", "en"): "Permanence"}

_GREETING = re.compile(
    r"^\s*(?:salut|bonjour|bonsoir|coucou|hello|hi|hey|yo|cc|re)\b"
    r"(?:\s+(?:a\s+)?(?:tous|toutes|tout le monde|all|everyone|les amis|la team|l equipe|"
    r"les gens|folks|team))?")
_FILLER = re.compile(r"\b(?:nombreux|nombreuses|svp|stp|please|merci|thanks|ensemble|together|"
                     r"proposition|proposal|suggestion)\b")
# words a title does not start with ("pour avancer…" -> "Avancer…")
_LEADING = {"pour", "for", "to", "de", "d", "un", "une", "a", "an", "le", "la", "les", "l",
            "the", "afin", "and", "et", "du", "des", "on", "at", "ce", "cette", "this", "y",
            "so", "alors", "donc", "qu", "que", "pour", "nous", "vous", "se", "s"}
_TRAILING = {"pour", "for", "to", "de", "d", "avec", "with", "et", "and", "le", "la", "les",
             "l", "the", "a", "an", "un", "une", "du", "des", "on", "at", "sur", "ou", "or"}
_ELIDED = re.compile(r"^(?:l|d|qu|j|s)['’](?=\w)", re.IGNORECASE)
_NAME_WORDS = {"general", "annual", "extraordinary", "public", "open", "monthly", "weekly",
               "team", "lunch", "board", "community", "plenary", "special", "informal",
               "grande", "grand"}
_CLAUSE = re.compile(r"\s*(?:[,:;(\[]|\s-\s|[–—])")


def make_title(body: str, folded: str, start: int, end: int, blanks: list[tuple[int, int]],
               noun_at: int | None, kind: str, lang: str) -> str:
    """The title from body[start:end] (the sentence that proposes), without the spans in
    `blanks` (the date, the place); from the gathering noun at `noun_at` if there is one."""
    keep = [True] * len(body)
    for a, b in blanks:
        for k in range(max(a, start), min(b, end)):
            keep[k] = False
    region = folded[start:end]
    for pattern in (PROPOSING, _FILLER):
        for m in pattern.finditer(region):
            for k in range(start + m.start(), start + m.end()):
                keep[k] = False
    g = _GREETING.match(region)
    if g:
        for k in range(start, start + g.end()):
            keep[k] = False
    first = noun_at if noun_at is not None and start <= noun_at < end else start
    if first == noun_at:
        first = _with_name_words(folded, start, first)
    text = "".join(ch if keep[k] else "\u0000" for k, ch in enumerate(body[first:end], first))
    # a clause mark cuts the title, once it has words ("Assemblée des Communs, venez…")
    pieces = [p for p in _CLAUSE.split(text)]
    chosen = ""
    for piece in pieces:
        words = _words(piece)
        if words:
            chosen = " ".join(words)
            break
    chosen = _trim(chosen, noun_at is not None and first == noun_at)
    if not chosen:
        return DEFAULT[(kind, lang if lang in ("fr", "en") else "fr")]
    chosen = chosen[0].upper() + chosen[1:]
    if len(chosen) > MAX_TITLE:
        cut = chosen[:MAX_TITLE - 1]
        chosen = (cut.rsplit(" ", 1)[0] if " " in cut else cut).rstrip(" ,;:-") + "…"
    return chosen


def _with_name_words(folded: str, start: int, at: int) -> int:
    """Back over the words that are part of a gathering's name ("General assembly",
    "Grande assemblée", "Team meeting")."""
    while True:
        m = re.search(r"([a-z]+)\s+$", folded[start:at])
        if not m or m.group(1) not in _NAME_WORDS:
            return at
        at = start + m.start(1)


def _words(piece: str) -> list[str]:
    """The words of a piece of text, without emoji and without what was blanked out (a
    blank splits the text: words on either side of a removed date are kept apart)."""
    clean = "".join(" " if ch == "\u0000" or _is_symbol(ch) else ch for ch in piece)
    return [w for w in clean.split() if any(c.isalnum() for c in w) or w in ("&", "+")]


def _is_symbol(ch: str) -> bool:
    return unicodedata.category(ch) in ("So", "Sk", "Cs", "Co", "Cc", "Cf") or ch in "?!…*_~«»\"“”"


def _fold_word(word: str) -> str:
    return unicodedata.normalize("NFD", word).encode("ascii", "ignore").decode().lower().strip(".,")


def _trim(title: str, from_noun: bool) -> str:
    """Without the little words a title does not start or end with."""
    words = title.split()
    lo, hi = 0, len(words)
    while not from_noun and lo < hi:
        if _fold_word(words[lo]) in _LEADING:
            lo += 1
            continue
        elided = _ELIDED.match(words[lo])
        if elided:  # "l'installation" -> "installation"
            words[lo] = words[lo][elided.end():]
        break
    while hi > lo and _fold_word(words[hi - 1]) in _TRAILING:
        hi -= 1
    return " ".join(words[lo:hi]).strip(" .,;:-")
