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
from typing import Iterable, Union

Span = Union[str, list]  # "text" | ["b", [spans]] | ["i", [spans]] | ["code", "x"] | ["a", url, label]

WORD_JOINER = "\u2060"
# Mentions that notify a whole room: Matrix @room, Rocket.Chat @all / @here.
_ROOM_MENTION = re.compile(r"@(?=(room|all|here|channel|everyone)\b)", re.IGNORECASE)
_ANY_MENTION = re.compile(r"@(?=\w)")
_SAFE_URL = re.compile(r"^https?://[^\s<>\"']+$", re.IGNORECASE)


def b(*spans: Span) -> list:
    return ["b", list(spans)]


def i(*spans: Span) -> list:
    return ["i", list(spans)]


def code(text: str) -> list:
    return ["code", text]


def link(url: str, label: str | None = None) -> list:
    return ["a", url, label or url]


class Doc:
    """Blocks: ["h", spans] heading, ["p", spans] paragraph, ["ul", [spans, ...]] bullet list."""

    def __init__(self, blocks: list | None = None) -> None:
        self.blocks: list = blocks if blocks is not None else []

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


def safe_url(url: str) -> bool:
    return bool(_SAFE_URL.match(url))


def neutralise_room_mentions(text: str) -> str:
    return _ROOM_MENTION.sub("@" + WORD_JOINER, text)


# ---- plain text (console, Matrix body) ------------------------------------------------

def _plain_spans(spans: list) -> str:
    out = []
    for span in spans:
        if isinstance(span, str):
            out.append(neutralise_room_mentions(span))
        elif span[0] in ("b", "i"):
            out.append(_plain_spans(span[1]))
        elif span[0] == "code":
            out.append(neutralise_room_mentions(span[1]))
        elif span[0] == "a":
            label, url = span[2], span[1]
            out.append(url if label == url else f"{neutralise_room_mentions(label)} ({url})")
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


def _html_spans(spans: list) -> str:
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


def _rc_spans(spans: list) -> str:
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
                out.append(url if label == url else f"[{_rc_esc(label)}]({url})")
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
