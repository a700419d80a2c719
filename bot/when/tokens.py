"""Normalise a request (case, accents, dashes, apostrophes) and cut it into tokens. The
normalisation keeps every character at its place, so a token's span also points into the
original text: a refusal quotes the user's own words."""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

# compound words that are one word once their hyphen is gone
COMPOUNDS = {
    "apresdemain", "avanthier", "demiheure", "dixsept", "dixhuit", "dixneuf", "apresmidi",
    "weekend", "peutetre",
}

_TOKEN = re.compile(r"(?P<num>\d+)|(?P<word>[a-z]+(?:-[a-z]+)*)|(?P<sym>\S)")
_AMPM = re.compile(r"\b([ap])\.m\.?")


@dataclass(frozen=True, slots=True)
class Token:
    kind: str          # "num", "word" or "sym"
    text: str          # normalised text (a compound word without its hyphen)
    start: int         # span in the original text
    end: int

    @property
    def value(self) -> int:
        # a number of 19 digits or more is no day, hour or count anyone means: read as one
        # too large for every rule (and Python refuses to convert over 4,300 digits)
        return int(self.text) if len(self.text) <= 18 else 10 ** 18


def _fold_char(ch: str) -> str:
    if ch in "\u2013\u2014\u2212\u2010\u2011":
        return "-"
    if ch in "'\u2019\u2018`\u00b4":
        return " "
    if ch in "\u00a0\u202f\t\n\r":
        return " "
    if ord(ch) < 128:
        return ch.lower()
    base = unicodedata.normalize("NFD", ch)[0].lower()
    if base == "\u0153":  # oe ligature: no word of ours has it
        return "?"
    return base if len(base) == 1 else "?"


class _FoldTable(dict[int, str]):
    """str.translate's table for _fold_char, filled as characters are met (a few hundred
    at most are kept: beyond that, the rare ones are folded each time)."""

    def __missing__(self, code: int) -> str:
        folded = _fold_char(chr(code))
        if len(self) < 512:
            self[code] = folded
        return folded


_FOLD = _FoldTable()


def normalise(text: str) -> str:
    """Lower case, no accents, dashes as '-', apostrophes as spaces; same length as `text`."""
    folded = text.translate(_FOLD)
    return _AMPM.sub(lambda m: m.group(1) + "m" + " " * (len(m.group(0)) - 2), folded)


def tokenize(text: str) -> list[Token]:
    tokens: list[Token] = []
    for m in _TOKEN.finditer(normalise(text)):
        kind = m.lastgroup or "sym"
        piece = m.group(0)
        if kind == "word" and "-" in piece:
            joined = piece.replace("-", "")
            if joined in COMPOUNDS:
                tokens.append(Token("word", joined, m.start(), m.end()))
                continue
            # not a known compound: the words and the dashes between them
            pos = m.start()
            for part in piece.split("-"):
                if pos > m.start():
                    tokens.append(Token("sym", "-", pos - 1, pos))
                tokens.append(Token("word", part, pos, pos + len(part)))
                pos += len(part) + 1
            continue
        tokens.append(Token(kind, piece, m.start(), m.end()))
    return tokens
