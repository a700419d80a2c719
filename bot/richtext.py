"""A tiny rich-text model for what the bot says, rendered per chat.

Handlers build a `Doc` of headings, paragraphs and bullet lists whose spans are plain
strings or a few marks (bold, italic, code, link). Every string is text, never markup: the
renderers escape it for their target (HTML for Matrix, Rocket.Chat's markdown) and
neutralise whole-room mentions, so a title typed as `<b>@room</b>` is shown as typed and
pings nobody. Links are only produced from the `link` mark and only for http(s) URLs.

A Doc is plain lists and strings so that the outbox can store it as JSON.
"""
from __future__ import annotations

import html
import json
import re
import unicodedata
from typing import Any, Callable, Iterable, Union

# A mark is a list whose first item names it, as JSON stores it: ["b", [spans]], ["i", [spans]],
# ["code", "x"], ["a", url, label]. Its items differ in type by position, so they stay Any.
Mark = list[Any]
Span = Union[str, Mark]
# A block: ["h", spans], ["p", spans] or ["ul", [spans, ...]].
Block = list[Any]

WORD_JOINER = "\u2060"
# Mentions that notify a whole room: Matrix @room, Rocket.Chat @all / @here.
_ROOM_MENTION = re.compile(r"@(?=(room|all|here|channel|everyone)\b)", re.IGNORECASE)
_ANY_MENTION = re.compile(r"@(?=\w)")
_SAFE_URL = re.compile(r"^https?://[^\s<>\"']+$", re.IGNORECASE)


def b(*spans: Span) -> Mark:
    return ["b", list(spans)]


def i(*spans: Span) -> Mark:
    return ["i", list(spans)]


def code(text: str) -> Mark:
    return ["code", text]


def link(url: str, label: str | None = None) -> Mark:
    return ["a", url, label or url]


class Doc:
    """Blocks: ["h", spans] heading, ["p", spans] paragraph, ["ul", [spans, ...]] bullet list."""

    def __init__(self, blocks: list[Block] | None = None) -> None:
        self.blocks: list[Block] = blocks if blocks is not None else []

    # building
    def heading(self, *spans: Span) -> "Doc":
        self.blocks.append(["h", list(spans)])
        return self

    def para(self, *spans: Span) -> "Doc":
        self.blocks.append(["p", list(spans)])
        return self

    def bullets(self, items: Iterable[Iterable[Span] | Span]) -> "Doc":
        rows = [[item] if isinstance(item, str) else list(item) for item in items]
        if rows:
            self.blocks.append(["ul", rows])
        return self

    @classmethod
    def text(cls, *spans: Span) -> "Doc":
        return cls().para(*spans)

    # storage
    def to_json(self) -> str:
        return json.dumps(self.blocks, ensure_ascii=False)

    @classmethod
    def from_json(cls, data: str) -> "Doc":
        return cls(json.loads(data))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Doc) and self.blocks == other.blocks

    def __repr__(self) -> str:
        return f"Doc({self.blocks!r})"

    # rendering
    def plain(self) -> str:
        return render_plain(self)

    def html(self) -> str:
        return render_html(self)

    def rocketchat(self) -> str:
        return render_rocketchat(self)

    # splitting
    def split(self, fits: Callable[["Doc"], bool]) -> list["Doc"]:
        return split(self, fits)


def safe_url(url: str) -> bool:
    return bool(_SAFE_URL.match(url))


def neutralise_room_mentions(text: str) -> str:
    return _ROOM_MENTION.sub("@" + WORD_JOINER, text)


# ---- plain text (console, Matrix body) ------------------------------------------------

def _plain_spans(spans: list[Span]) -> str:
    out = []
    for span in spans:
        if isinstance(span, str):
            out.append(neutralise_room_mentions(span))
        elif span[0] in ("b", "i"):
            out.append(_plain_spans(span[1]))
        elif span[0] == "code":
            out.append(neutralise_room_mentions(span[1]))
        elif span[0] == "a":
            # The address is text here too: `https://@room` must not ping the room.
            label, url = span[2], neutralise_room_mentions(span[1])
            out.append(url if span[2] == span[1] else f"{neutralise_room_mentions(label)} ({url})")
    return "".join(out)


def render_plain(doc: Doc) -> str:
    lines: list[str] = []
    for block in doc.blocks:
        kind = block[0]
        if kind == "h":
            if lines:
                lines.append("")
            lines.append(_plain_spans(block[1]))
        elif kind == "p":
            lines.append(_plain_spans(block[1]))
        elif kind == "ul":
            lines.extend("• " + _plain_spans(row) for row in block[1])
    return "\n".join(lines)


# ---- HTML (Matrix formatted_body) --------------------------------------------------------

def _esc(text: str) -> str:
    return neutralise_room_mentions(html.escape(text, quote=True))


def _html_spans(spans: list[Span]) -> str:
    out = []
    for span in spans:
        if isinstance(span, str):
            out.append(_esc(span).replace("\n", "<br/>"))
        elif span[0] == "b":
            out.append(f"<strong>{_html_spans(span[1])}</strong>")
        elif span[0] == "i":
            out.append(f"<em>{_html_spans(span[1])}</em>")
        elif span[0] == "code":
            out.append(f"<code>{_esc(span[1])}</code>")
        elif span[0] == "a":
            url, label = span[1], span[2]
            if safe_url(url):
                out.append(f'<a href="{html.escape(url, quote=True)}">{_esc(label)}</a>')
            else:
                out.append(_esc(label))
    return "".join(out)


def render_html(doc: Doc) -> str:
    parts: list[str] = []
    for block in doc.blocks:
        kind = block[0]
        if kind == "h":
            parts.append(f"<h4>{_html_spans(block[1])}</h4>")
        elif kind == "p":
            parts.append(f"<p>{_html_spans(block[1])}</p>")
        elif kind == "ul":
            items = "".join(f"<li>{_html_spans(row)}</li>" for row in block[1])
            parts.append(f"<ul>{items}</ul>")
    return "".join(parts)


# ---- Rocket.Chat markdown -------------------------------------------------------------------

# Rocket.Chat's message parser honours a backslash only before \ * _ ~ ` # (its
# escaped.test.ts): escaping anything else would show a stray backslash. A "[label](url)" in
# member text is broken with a word joiner instead, so it cannot become a link.
_RC_SPECIAL = re.compile(r"([\\*_~`#])")
_RC_LINK = re.compile(r"\](?=\()")


def _rc_esc(text: str) -> str:
    # Rocket.Chat parses every message as markdown and turns @name into a mention: escape
    # the markup characters and break every mention, so member text shows as typed.
    text = _RC_SPECIAL.sub(r"\\\1", text)
    text = _RC_LINK.sub("]" + WORD_JOINER, text)
    return _ANY_MENTION.sub("@" + WORD_JOINER, text)


def _rc_spans(spans: list[Span]) -> str:
    out = []
    for span in spans:
        if isinstance(span, str):
            out.append(_rc_esc(span))
        elif span[0] == "b":
            out.append(f"*{_rc_spans(span[1])}*")
        elif span[0] == "i":
            out.append(f"_{_rc_spans(span[1])}_")
        elif span[0] == "code":
            out.append("`" + span[1].replace("`", "'") + "`")
        elif span[0] == "a":
            url, label = span[1], span[2]
            if safe_url(url):
                # A bare address holding "@" would show a mention: give it as a labelled
                # link, whose label is escaped like any text.
                bare = label == url and "@" not in url
                out.append(url if bare else f"[{_rc_esc(label)}]({url})")
            else:
                out.append(_rc_esc(label))
    return "".join(out)


def render_rocketchat(doc: Doc) -> str:
    lines: list[str] = []
    for block in doc.blocks:
        kind = block[0]
        if kind == "h":
            if lines:
                lines.append("")
            lines.append(f"*{_rc_spans(block[1])}*")
        elif kind == "p":
            lines.append(_rc_spans(block[1]))
        elif kind == "ul":
            lines.extend("- " + _rc_spans(row) for row in block[1])
    return "\n".join(lines)


# ---- splitting a Doc the chat would refuse as one message -----------------------------------

# Each part but the last ends with "(k/n)", so a member sees that more follows; numbers are
# the same in every language. The split reserves room for the longest such mark.
_PART_MARK_RESERVE = "(9999/9999)"
_GLUE = {"\u200d", "\u2060"}  # joiners: cutting next to one would break what it joins


def split(doc: Doc, fits: Callable[[Doc], bool]) -> list[Doc]:
    """`doc` as consecutive Docs that each `fits` (the chat takes it as one message), in
    order, each complete in itself: cut between blocks and between list items, never inside
    a span, so that no markup element or escape is broken. A heading stays with what follows
    it. Only a single paragraph or item too large by itself is cut, at a space if it can.

    `fits` must grow with the content (adding a block never makes a Doc fit that did not),
    which every renderer here does: the longest run that fits is found by bisection."""
    if fits(doc):
        return [doc]

    def fits_marked(d: Doc) -> bool:
        return fits(Doc(d.blocks + [["p", [_PART_MARK_RESERVE]]]))

    units = _units(doc)
    parts: list[Doc] = []
    i = 0
    while i < len(units):
        if not fits_marked(_assemble(units[i:i + 1])):
            smaller = _cut(units[i])
            if smaller is None:  # one character the chat refuses: send it, the chat says why
                parts.append(_assemble(units[i:i + 1]))
                i += 1
            else:
                units[i:i + 1] = smaller
            continue
        end = _longest_fitting(units, i, fits_marked)
        if end < len(units) and end - i > 1 and units[end - 1][1][0] == "h":
            end -= 1
        parts.append(_assemble(units[i:end]))
        i = end
    if len(parts) > 1:
        for k, part in enumerate(parts[:-1], 1):
            part.blocks.append(["p", [f"({k}/{len(parts)})"]])
        parts[-1].blocks.append(["p", [f"({len(parts)}/{len(parts)})"]])
    return parts


def _longest_fitting(units: list[tuple[int, Block]], start: int, fits: Callable[[Doc], bool]) -> int:
    """The largest end such that units[start:end] fits (units[start:start + 1] does)."""
    good, step = start + 1, 1
    bad = None
    while good < len(units):  # gallop, then bisect: a few renders per part, not one per unit
        probe = min(good + step, len(units))
        if fits(_assemble(units[start:probe])):
            good, step = probe, step * 2
        else:
            bad = probe
            break
    if bad is None:
        return good
    while bad - good > 1:
        mid = (good + bad) // 2
        if fits(_assemble(units[start:mid])):
            good = mid
        else:
            bad = mid
    return good


def _units(doc: Doc) -> list[tuple[int, Block]]:
    """The smallest blocks a split may separate: a heading, a paragraph, one list item
    (tagged with its list, so that items of one list are put back into one list)."""
    units: list[tuple[int, Block]] = []
    for n, block in enumerate(doc.blocks):
        if block[0] == "ul":
            units.extend((n, ["ul", [row]]) for row in block[1])
        else:
            units.append((n, block))
    return units


def _assemble(units: list[tuple[int, Block]]) -> Doc:
    blocks: list[Block] = []
    last = None
    for n, block in units:
        if block[0] == "ul" and last == n and blocks and blocks[-1][0] == "ul":
            blocks[-1] = ["ul", blocks[-1][1] + block[1]]
        else:
            blocks.append(list(block) if block[0] != "ul" else ["ul", list(block[1])])
        last = n
    return Doc(blocks)


def _cut(unit: tuple[int, Block]) -> list[tuple[int, Block]] | None:
    """One block too large for a message, as two smaller blocks of the same kind."""
    n, block = unit
    spans = block[1][0] if block[0] == "ul" else block[1]
    halves = _halve(spans)
    if halves is None:
        return None
    if block[0] == "ul":
        return [(n, ["ul", [halves[0]]]), (n, ["ul", [halves[1]]])]
    return [(n, [block[0], halves[0]]), (n, [block[0], halves[1]])]


def _halve(spans: list[Span]) -> tuple[list[Span], list[Span]] | None:
    if len(spans) >= 2:
        mid = len(spans) // 2
        return spans[:mid], spans[mid:]
    if not spans:
        return None
    span = spans[0]
    if isinstance(span, str):
        cut = _cut_text(span)
        return None if cut is None else ([cut[0]], [cut[1]])
    if span[0] in ("b", "i"):
        inner = _halve(span[1])
        return None if inner is None else ([[span[0], inner[0]]], [[span[0], inner[1]]])
    if span[0] == "code":
        cut = _cut_text(span[1])
        return None if cut is None else ([["code", cut[0]]], [["code", cut[1]]])
    if span[0] == "a":  # a link cannot be cut: show its label and its address as text
        url, label = span[1], span[2]
        return ([label], [f" ({url})"]) if label != url else _halve([url])
    return None


def _cut_text(text: str) -> tuple[str, str] | None:
    """`text` in two, at the space nearest its middle, else between two characters that do
    not hold together (never before a combining mark or next to a joiner)."""
    if len(text) < 2:
        return None
    mid = len(text) // 2
    spaces = [k for k, ch in enumerate(text) if ch in " \n" and 0 < k < len(text) - 1]
    if spaces:
        k = min(spaces, key=lambda s: abs(s - mid))
        return text[:k], text[k:]
    for k in sorted(range(1, len(text)), key=lambda s: abs(s - mid)):
        if not (unicodedata.combining(text[k]) or text[k] in _GLUE or text[k - 1] in _GLUE
                or 0xFE00 <= ord(text[k]) <= 0xFE0F or unicodedata.category(text[k]) == "Mn"):
            return text[:k], text[k:]
    return None
