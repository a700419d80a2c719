"""What a member's text looks like on screen: whether it shows anything at all, and when two
names read the same. One place, so that the dispatcher (a blank argument is a missing one)
and the services (a name already taken) agree on what is invisible."""
from __future__ import annotations

import unicodedata

# Letters that render as nothing although Unicode files them as letters or symbols: the
# Hangul fillers and the blank Braille pattern, favourites for "empty" names.
_BLANK_LOOKING = {"\u115f", "\u1160", "\u3164", "\uffa0", "\u2800"}
# Format characters (zero-width space and joiners, word joiner, BOM, tags, bidi marks),
# controls, separators, and combining marks standing alone.
_INVISIBLE_CATEGORIES = {"Cf", "Cc", "Zs", "Zl", "Zp", "Mn", "Me"}


def invisible(ch: str) -> bool:
    return ch.isspace() or ch in _BLANK_LOOKING or unicodedata.category(ch) in _INVISIBLE_CATEGORIES


def is_blank(text: str) -> bool:
    """Nothing a reader would see: empty, spaces, zero-width characters and the like."""
    return all(invisible(ch) for ch in text)


def loose_key(text: str) -> str:
    """`text` as a reader tells names apart: case, accents, spacing and invisible characters
    do not count ("Services legaux" reads as "Services  légaux")."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not invisible(ch))
