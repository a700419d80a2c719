"""Arbitrary and hostile text thrown at the command layer, on a real SQLite file: nothing
escapes, nothing crashes inside, every command-looking line gets a reply, and a refused
command gets a short reply in the room's language and leaves the data as it was."""
from __future__ import annotations

import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.config import Config
from bot.richtext import Doc
from commands.dispatcher import dispatch
from commands.registry import REGISTRY, fold
from tests.core.conftest import Chat, dumps

SETTINGS = settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])

WORDS = sorted({" ".join(w) for c in REGISTRY.commands for w in (c.fr, c.en)})
NAMES = st.sampled_from(WORDS).flatmap(lambda w: st.sampled_from([w, w.upper(), fold(w), w.title()]))
FRAGMENTS = st.sampled_from([
    "<b>", "</b>", "<script>alert(1)</script>", "@room", "@all", "@here", "@everyone", "*gras*", "_i_", "`code`",
    "[lien](javascript:alert(1))", "javascript:alert(1)", "https://example.org/<x>", "\x00", "\x1b[31m", "\u202e",
    "\u200f", "\r", "\n", "\t", ";", " ; ", "?", "1", "0", "-1", "99999999999", "#2", "n°3", "oui", "peut-être", "recette",
    "vendredi 19h", "tous les mardis 17h-19h", "17/12", "31/02", "demain", "hier", "de 25h à 26h", "%s", "{n}", "{}",
    "'", '"', "\\", "é", "É", "ß", "ﬁ", "🙂", "\u0301", "services", "monnaie", "DROP TABLE meetings;--",
])
ARG = st.lists(st.one_of(FRAGMENTS, st.text(max_size=12)), max_size=8).map("".join)
LINE = st.one_of(
    st.text(max_size=80),
    st.builds(lambda name, args: f"!{name} {' ; '.join(args)}", NAMES, st.lists(ARG, max_size=4)),
    st.builds(lambda name, args: f"!{name}{args}", NAMES, ARG),
    st.builds(lambda frag, n: "!odj ajouter " + frag * n, FRAGMENTS, st.integers(1, 3000)),
    st.builds(lambda s: "!" + s, st.text(max_size=40)),
)
HOSTILE = st.builds(lambda name, args: f"!{name} {' ; '.join(args)}",
                    st.sampled_from(["réunion proposer", "meeting propose", "odj ajouter", "topic add", "brique ajouter",
                                     "brick note", "brique lien", "réunion lieu", "permanence ajouter", "réunion annuler"]),
                    st.lists(st.one_of(ARG, st.builds(lambda f, n: f * n, FRAGMENTS, st.integers(100, 2500))), min_size=1, max_size=3))

FRENCH_ONLY = ("Il manque", "Refusé", "n'est pas", "Commande inconnue", "Je ne", "trop long", "caractères", "Pas de ")
ENGLISH_ONLY = ("is missing", "Refused", "is not", "Unknown command", "I do not", "too long", "characters", "No ")
ROOM_MENTION = re.compile(r"@(room|all|here|everyone|channel)\b", re.IGNORECASE)


def looks_like_a_command(text: str) -> bool:
    stripped = text.lstrip()
    return len(stripped) > 1 and stripped[0] == "!" and stripped[1].isalpha()


def check_rendering(doc: Doc) -> None:
    html = doc.html()
    for rendered in (doc.plain(), html, doc.rocketchat()):
        assert not ROOM_MENTION.search(rendered), rendered
    tags = set(re.findall(r"</?([a-zA-Z0-9]+)", html))
    assert tags <= {"p", "h4", "ul", "li", "strong", "em", "code", "a", "br"}, tags
    assert all(url.startswith(("http://", "https://")) for url in re.findall(r'href="([^"]*)"', html))


def answer(chat: Chat, text: str, lang: str, organiser: bool) -> tuple[Doc | None, bool]:
    before = dumps(chat.export())
    with chat.db.atomic():
        reply = dispatch(chat.context("mallory", organiser, lang), text)
    return reply, dumps(chat.export()) != before


def test_arbitrary_text(tmp_path):
    chat = Chat(tmp_path / "any.db", Config())
    chat.say("!réunion proposer vendredi 19h ; Atelier ; MESHS")
    chat.say("!permanence ajouter tous les mardis 17h-19h ; Perm")
    chat.say("!odj ajouter Point")

    @SETTINGS
    @given(text=LINE, lang=st.sampled_from(["fr", "en"]), organiser=st.booleans())
    def run(text, lang, organiser):
        reply, changed = answer(chat, text, lang, organiser)
        if not looks_like_a_command(text):
            assert reply is None and not changed
            return
        assert reply is not None
        plain = reply.plain()
        assert plain.strip()
        assert "Désolé" not in plain and "Sorry" not in plain, f"internal error on {text!r}"
        check_rendering(reply)

    try:
        run()
    finally:
        chat.close()


def test_hostile_text(tmp_path):
    chat = Chat(tmp_path / "hostile.db", Config())
    chat.say("!réunion proposer vendredi 19h ; Atelier ; MESHS", sender="mallory")

    @SETTINGS
    @given(text=HOSTILE, lang=st.sampled_from(["fr", "en"]), organiser=st.booleans())
    def run(text, lang, organiser):
        reply, changed = answer(chat, text, lang, organiser)
        assert reply is not None
        plain = reply.plain()
        assert "Désolé" not in plain and "Sorry" not in plain, f"internal error on {text!r}"
        check_rendering(reply)
        if changed:
            return  # accepted: stored as typed, shown without markup (checked above)
        # refused: a short reply in the room's language
        assert len(plain) <= 800, plain
        own_words = plain.replace(text, "")
        for piece in text.split(" ; "):
            own_words = own_words.replace(piece.strip(), "")
        for marker in (ENGLISH_ONLY if lang == "fr" else FRENCH_ONLY):
            assert marker not in own_words, (lang, plain)

    try:
        run()
    finally:
        chat.close()
