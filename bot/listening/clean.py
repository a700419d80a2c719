"""What of a message is the author's own words: quoted lines (reply fallbacks "> …"), code,
links and mentions are taken out before listening reads it."""
from __future__ import annotations

import re

_QUOTE = re.compile(r"^[ \t]*>.*$", re.MULTILINE)
_FENCE = re.compile(r"```.*?(?:```|\Z)", re.DOTALL)
_INLINE_CODE = re.compile(r"`[^`\n]*`")
# each alternative starts at a fixed mark or after a space, and never backtracks: a long
# hostile text costs one pass, not one per character
_LINK = re.compile(r"(?:https?://|www\.)\S++|(?<!\S)[^\s@]++@\S++|(?<!\w)@[\w.:-]++",
                   re.IGNORECASE)
# the end of a sentence: a line break, ! ? ; … or a dot before a capital letter or the end
# (not the dot of "sam. 27")
SENTENCE_END = re.compile(r"\n|[!?;…]+|\.(?=\s+[A-ZÀ-Ý]|\s*$)")


def own_words(text: str) -> str:
    """The text without quoted lines, code, links, e-mail addresses and @mentions. What is
    taken out becomes a line break (code, quotes) or a space (links), so that the words
    left on either side do not join."""
    text = _QUOTE.sub("\n", text)
    text = _FENCE.sub("\n", text)
    text = _INLINE_CODE.sub(" ", text)
    return _LINK.sub(" ", text)
