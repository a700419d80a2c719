"""What the bot says, as each chat renders it: a reply too large for one message is cut into
several that each fit, in order, whole (no item, markup element or escape cut in two), and
an address typed by a member pings nobody in any rendering."""
from __future__ import annotations

import re
from html.parser import HTMLParser

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.app import message_parts
from bot.backends.base import Outgoing
from bot.richtext import WORD_JOINER, Doc, b, code, i, link

HOSTILE = "Ça & <b>@room</b> *gras* é\u0301 🧱 @all"


def longest(limit: int, render=Doc.html):
    """A `fits` for a chat that takes `limit` bytes of the given rendering."""
    return lambda doc: len(render(doc).encode()) <= limit


class Balanced(HTMLParser):
    """Every element opened is closed, in order; every entity complete."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.stack: list[str] = []
        self.ok = True

    def handle_starttag(self, tag, attrs):
        if tag != "br":
            self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        pass

    def handle_endtag(self, tag):
        self.ok = self.ok and bool(self.stack) and self.stack.pop() == tag

    def handle_data(self, data):
        self.ok = self.ok and "&" not in data and "<" not in data


def balanced(html: str) -> bool:
    parser = Balanced()
    parser.feed(html)
    parser.close()
    return parser.ok and not parser.stack


def items(docs: list[Doc]) -> list[str]:
    return [line for doc in docs for line in doc.plain().splitlines() if line.startswith("• ")]


def a_long_list(n: int = 120) -> Doc:
    doc = Doc().heading("Briques").para("Avant la liste.")
    doc.bullets([[b(f"{k}. {HOSTILE} {k}"), " — ", i("idée"), " ", link(f"https://pad.example.org/{k}", f"pad & {k}")]
                 for k in range(1, n + 1)])
    return doc.para("Après la liste.")


def test_a_doc_that_fits_is_left_whole():
    doc = Doc().para("Bonjour")
    assert doc.split(longest(1000)) == [doc]


def test_a_long_list_is_cut_between_items_in_order_each_part_whole():
    doc = a_long_list()
    parts = doc.split(longest(4000))
    assert len(parts) > 3
    assert all(len(p.html().encode()) <= 4000 for p in parts)
    assert all(balanced(p.html()) for p in parts)
    # every item once, in order, none cut in two
    assert items(parts) == items([doc])
    # the heading stays with what follows it, and each part says where it is
    assert parts[0].plain().startswith("Briques\nAvant la liste.")
    assert [p.plain().splitlines()[-1] for p in parts] == [f"({k}/{len(parts)})" for k in range(1, len(parts) + 1)]
    assert "Après la liste." in parts[-1].plain()


def test_a_heading_is_not_left_alone_at_the_end_of_a_part():
    doc = Doc()
    for section in range(6):
        doc.heading(f"Section {section}").bullets([f"élément {section}.{k} " + "x" * 40 for k in range(8)])
    parts = doc.split(longest(900, Doc.plain))
    for part in parts:
        lines = [line for line in part.plain().splitlines() if line]
        assert not lines[-2].startswith("Section"), part.plain()  # the last line is "(k/n)"


def test_one_paragraph_too_large_by_itself_is_cut_at_spaces():
    words = [f"mot{k}&" for k in range(400)]
    doc = Doc().para(b(" ".join(words)))
    parts = doc.split(longest(600))
    assert len(parts) > 2
    assert all(len(p.html().encode()) <= 600 and balanced(p.html()) for p in parts)
    text = " ".join(re.sub(r"\n?\(\d+/\d+\)$", "", p.plain()) for p in parts)
    assert text.split() == words


@settings(max_examples=60, deadline=None)
@given(rows=st.lists(st.text(min_size=1, max_size=80), min_size=1, max_size=40),
       limit=st.integers(min_value=300, max_value=3000))
def test_any_list_is_cut_into_parts_that_fit_and_keep_every_item(rows, limit):
    doc = Doc().heading("Liste").bullets([[code("n"), " ", row] for row in rows])
    render = Doc.rocketchat
    parts = doc.split(lambda d: len(render(d)) <= limit)
    assert all(len(render(p)) <= limit for p in parts)
    assert "".join(render(p) for p in parts).count("- `n` ") == len(rows)


def test_parts_get_their_own_keys_derived_from_the_message():
    out = Outgoing(send_key="cbreply", body=a_long_list(), room="!r", reply_to="$cmd")
    first = message_parts(out, lambda o: len(o.body.html().encode()) <= 4000)
    again = message_parts(out, lambda o: len(o.body.html().encode()) <= 4000)
    assert len(first) > 1
    assert [p.send_key for p in first] == [p.send_key for p in again]  # a resend: the same keys
    assert len({p.send_key for p in first}) == len(first) and out.send_key not in {p.send_key for p in first}
    assert all(p.reply_to == "$cmd" and p.room == "!r" for p in first)
    # a message that fits keeps its own key
    [whole] = message_parts(out, lambda o: True)
    assert whole.send_key == "cbreply" and whole.body == out.body


def test_an_address_pings_nobody_in_any_rendering():
    doc = Doc().para("Lien : ", link("https://@room"), " ; ", link("https://example.org/@all", "@here"),
                     " ; ", link("https://social.example/@everyone/1"))
    # What a reader sees: the HTML without its link targets, Rocket.Chat's text without its
    # "(url)" link targets (its parser reads them as addresses, not as text).
    html_text = re.sub(r'href="[^"]*"', "", doc.html())
    rc_text = re.sub(r"\]\([^)]*\)", "]", doc.rocketchat())
    for rendered in (doc.plain(), rc_text, html_text):  # console and Matrix body, Rocket.Chat, Matrix HTML
        assert not re.search(r"@(room|all|here|everyone)\b", rendered), rendered
    assert "https://@" + WORD_JOINER + "room" in doc.plain()
    # the addresses themselves are kept where a chat reads them as addresses
    assert 'href="https://@room"' in doc.html() and "](https://@room)" in doc.rocketchat()
