"""The command layer: every command declared in French and English with help and an example,
listed in the README; command words ignore case and accents; wrong use always gets a reply
and changes nothing; permissions; limits; a member's text never becomes markup or a mention."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.app import App
from bot.backends.base import Incoming
from bot.clock import ManualClock
from bot.config import ChambreConfig, Config
from bot.richtext import WORD_JOINER, Doc
from bot.errors import UserError
from commands.dispatcher import _dispatch
from commands.registry import REGISTRY, fold
from storage.store import Store
from tests.core.conftest import NOW, Chat, dumps

ROOT = Path(__file__).resolve().parents[2]
COMMANDS = REGISTRY.commands
IDS = [c.name("en") for c in COMMANDS]


def records(chat: Chat) -> None:
    """One of each record, so that every example has something to act on. The examples name
    meeting 1, on a fresh install the first of the group's page's meetings to organise: it
    gets a date, as an organiser would give it; and listening has a suggestion waiting."""
    for line in ("!réunion déplacer 1 ; vendredi 19h", "!réunion proposer vendredi 19h ; Atelier briques ; MESHS",
                 "!réunion proposer ? ; Rencontre OVH",
                 "!permanence ajouter tous les jeudis 17h-19h ; Permanence ; Tiers-lieu",
                 "!odj ajouter Trouver une salle", "!odj ajouter Budget"):
        assert "n°" in chat.say(line)
    assert "Engagement enregistré" in chat.say("!mécénat engager 50 par mois")  # for "!mécénat arrêter"
    assert "Sondage n°1" in chat.say("!sondage 4 ; jeudi 10 décembre 18h ; vendredi 11 décembre 18h ; samedi 12 décembre 10h")
    suggest(chat, "On se retrouve samedi 14h à la MESHS ?")


def suggest(chat: Chat, text: str, sender: str = "alice") -> None:
    """What listening in suggest mode leaves after `text` is said in the chat's room."""
    from bot.listening import notice
    from bot.records import Heard
    from bot.services import listening

    kind, data = listening.proposal_data(notice(text, chat.now, chat.config.chambre.tz), "Europe/Paris")
    heard = Heard(backend="console", message=f"heard{chat.counter}", room="!room:test", author=sender,
                  thread=f"heard{chat.counter}", link=None, lang="fr", kind=kind, proposal=data, state="",
                  record_id=None, written_at=None, at=chat.now)
    with chat.db.atomic():
        assert listening.noticed(chat.store, heard, "suggest", chat.now).what == "suggested"


@pytest.mark.parametrize("cmd", COMMANDS, ids=IDS)
def test_declared_in_both_languages_with_help_and_example(cmd):
    for lang in ("fr", "en"):
        assert cmd.words(lang) and cmd.help(lang).strip(), (cmd, lang)
        example = cmd.example(lang)
        found, used = REGISTRY.lookup(example[1:].split())
        assert found is cmd, f"the {lang} example {example!r} does not call {cmd.name(lang)}"
        assert fold(example[1:]).startswith(fold(cmd.name(lang))), example
    assert cmd.help("fr") != cmd.help("en")


def test_every_kind_of_argument_has_its_converter():
    from commands.convert import CONVERTERS
    from commands.registry import KINDS, Arg

    assert set(CONVERTERS) == set(KINDS)
    assert {arg.kind for cmd in COMMANDS for arg in cmd.args} <= set(KINDS)
    with pytest.raises(ValueError, match="unknown kind 'ref'"):
        Arg("n|nom", "n|name", "ref")


@pytest.mark.parametrize("cmd", COMMANDS, ids=IDS)
def test_listed_in_the_readme_command_reference(cmd):
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "## Command reference" in readme
    reference = readme.split("## Command reference", 1)[1].split("\n## ", 1)[0]
    for lang in ("fr", "en"):
        assert f"`!{cmd.name(lang)}" in reference, f"README's command reference lacks !{cmd.name(lang)}"


# What the refusals a handler returns (rather than raises) say, in either language: an
# unknown command, a date not understood, a name refused, a bug.
REFUSALS = ("Usage", "inconnue", "Unknown", "Je ne connais pas", "I don't know", "Pas de commande", "No command",
            "Désolé", "Sorry", "Je ne comprends pas", "I do not understand", "Refusé", "Refused",
            "simple numéro", "bare number", "ni un statut", "neither a status")


def assert_works(chat: Chat, line: str, lang: str) -> None:
    with chat.db.atomic():
        try:  # a refusal is a UserError (which dispatch turns into its message) or says so
            reply = _dispatch(chat.context(lang=lang), line)
        except UserError as err:
            pytest.fail(f"{line} is refused: {err.message(lang)}")
    text = reply.plain()
    for refusal in REFUSALS:
        if refusal in text:
            pytest.fail(f"{line} is refused: {text}")


@pytest.mark.parametrize("lang", ["fr", "en"])
@pytest.mark.parametrize("cmd", COMMANDS, ids=IDS)
def test_every_example_works_as_written(chat, cmd, lang):
    records(chat)
    if cmd.name("en") != "session start":  # the session commands act on an open session and its actions
        for line in ("!séance ouvrir", "!action moi ; réserver la salle"):
            assert "n°1" in chat.say(line)
    assert_works(chat, cmd.example(lang), lang)


@pytest.mark.parametrize("line", ["!réunion voir",  # a usage
                                  "!réunion confirmer 99",  # no such record
                                  "!réunion confirmer 1 ; !réunion confirmer 1",  # already done
                                  "!brique liste nimporte",  # a refusal returned, not raised
                                  "!zzzz", "!permanence ajouter n'importe quand ; P"])
def test_the_example_check_sees_a_refusal(chat, line):
    records(chat)
    *before, last = line.split(" ; !")
    for earlier in before:
        assert_works(chat, earlier, "fr")
    with pytest.raises(pytest.fail.Exception):
        assert_works(chat, last if last.startswith("!") else "!" + last, "fr")


@pytest.mark.parametrize("cmd", COMMANDS, ids=IDS)
def test_command_words_ignore_case_and_accents(cmd):
    for lang in ("fr", "en"):
        words = list(cmd.words(lang))
        stripped = [fold(w) for w in words]
        for variant in (words, [w.upper() for w in words], [w.title() for w in words], stripped, [w.upper() for w in stripped]):
            assert REGISTRY.lookup(variant + ["1"]) == (cmd, len(words)), variant


def test_upper_case_without_accents_does_the_same(chat, tmp_path):
    other = Chat(tmp_path / "other.db", Config())
    try:
        a = chat.say("!réunion proposer vendredi 19h ; Atelier ; MESHS")
        b = other.say("!REUNION PROPOSER vendredi 19h ; Atelier ; MESHS")
        assert a == b and "vendredi 4 décembre 2026, 19:00" in a

        def comparable(export: dict) -> str:
            # the seeded bricks are dated when each database was created
            for brick in export["bricks"]:
                for entry in brick["history"]:
                    if entry["by"] == "chambre-bot":
                        entry["at"] = None
            return dumps(export)

        assert comparable(chat.export()) == comparable(other.export())
    finally:
        other.close()


def test_english_room_and_english_words(chat):
    # meetings 1 to 7 are the group's page's, still to organise (a fresh install)
    reply = chat.say("!meeting propose friday 7pm ; Bricks workshop", lang="en")
    assert reply.startswith("Meeting #8 proposed: Bricks workshop") and "Friday 4 December 2026" in reply
    # a French command in an English room answers in English, and the other way round
    assert chat.say("!réunion participe 8 oui", lang="en").startswith("Noted: yes for meeting #8")
    assert chat.say("!meeting rsvp 8 maybe", lang="fr").startswith("Noté : peut-être pour la réunion n°8")
    assert "!meeting propose <when> ; <title> ; [place]" in chat.say("!help", lang="en")
    assert "!réunion proposer <quand> ; <titre> ; [lieu]" in chat.say("!aide")


WRONG = [
    ("!réunoin liste", "!réunion liste"),
    ("!brik list", "!brique liste"),
    ("!réunion machin", "!réunion proposer"),
    ("!zzzz", "!aide"),
    ("!réunion confirmer 99", "Pas de réunion n°99"),
    ("!réunion voir 0", "n'est pas un numéro"),
    ("!permanence voir 5", "Pas de permanence n°5"),
    ("!permanence tenir 5 ; 17/12", "Pas de permanence n°5"),
    ("!brique voir 99", "Pas de brique n°99"),
    ("!brique statut 99 ; recette", "Pas de brique n°99"),
    ("!brique voir services", "plusieurs briques"),
    ("!odj fait 7", "Pas de point n°7"),
    ("!réunion proposer", "Exemple : !réunion proposer"),
    ("!réunion proposer vendredi 19h", "Il manque <titre>"),
    ("!réunion participe 1 bof", "n'est pas une valeur possible"),
    ("!permanence ajouter n'importe quand ; Perm", "Je ne comprends pas"),
    ("!brique lien 1 ; ftp://example.org", "http(s)"),
    ("!brique lien 1 ; javascript:alert(1)", "http(s)"),
    ("!brique ajouter 12", "numéro"),
    ("!brique liste nimporte", "ni un statut ni une catégorie"),
    ("!rythme régler n'importe quand", "Je ne comprends pas"),
    ("!quand", "Il manque <expression>"),
    ("!réunion voir 1 ; 2", "Trop d'arguments"),
]


@pytest.mark.parametrize("line, expected", WRONG)
def test_wrong_use_gets_a_reply_and_changes_nothing(chat, line, expected):
    before = dumps(chat.export())
    reply = chat.say(line)
    assert expected in reply, reply
    assert "Désolé" not in reply
    assert dumps(chat.export()) == before


def test_refused_permissions_say_who_may_and_change_nothing(chat):
    records(chat)
    chat.say("!réunion proposer samedi 14h ; Atelier de Bob", sender="bob", organiser=False)
    before = dumps(chat.export())
    refusals = {
        "!réunion confirmer 8": "seuls les organisateurs peuvent utiliser !réunion confirmer",
        "!réunion annuler 8": "seuls les organisateurs et la personne qui l'a proposée (alice)",
        "!réunion déplacer 8 ; samedi 10h": "(alice)",
        "!réunion lieu 8 ; ailleurs": "(alice)",
        "!permanence annuler 1 ; 3/12": "(alice)",
        "!permanence supprimer 1": "(alice)",
        "!odj fait 1": "(alice)",
        "!rythme régler un jeudi sur deux à 18h": "seuls les organisateurs",
        "!réunion confirmer 10": "seuls les organisateurs",  # even his own proposal
        "!écoute non": "seuls les organisateurs",
        "!noter": "(alice)",  # someone else's suggestion
    }
    for line, expected in refusals.items():
        reply = chat.say(line, sender="bob", organiser=False)
        assert reply.startswith("Refusé") and expected in reply, (line, reply)
    assert chat.say("!meeting confirm 1", sender="bob", organiser=False, lang="en").startswith("Refused: only organisers")
    assert dumps(chat.export()) == before
    # the proposer may change their own meeting
    assert "annulée" in chat.say("!réunion annuler 10 ; finalement non", sender="bob", organiser=False)


async def test_organisers_from_config_and_from_the_chat(tmp_path):
    config = Config(chambre=ChambreConfig(organisers=["@org:x"], admins=["rocketchat:boss"]))
    app = App(config, clock=ManualClock(NOW), db_path=str(tmp_path / "app.db"))
    counter = iter(range(1, 100))

    async def say(sender, text, backend="matrix", elevated=False):
        msg = Incoming(backend=backend, room="!r:x", sender=sender, text=text, event_id=f"$e{next(counter)}",
                       sent_at=NOW, sender_is_organiser=elevated)
        await app.deliver(msg)
        rows = await app.db.run(lambda d: Store(d).pending(backend))
        return Doc.from_json(rows[-1]["body"]).plain()

    try:
        assert "n°8" in await say("@member:x", "!réunion proposer vendredi 19h ; A")  # after the page's seven
        assert "n°9" in await say("@member:x", "!réunion proposer vendredi 20h ; B")
        assert "n°10" in await say("@member:x", "!réunion proposer vendredi 21h ; C")
        assert (await say("@member:x", "!réunion confirmer 8")).startswith("Refusé")
        assert "confirmée" in await say("@org:x", "!réunion confirmer 8")  # listed organiser
        assert "confirmée" in await say("@mod:x", "!réunion confirmer 9", elevated=True)  # power level in the room
        assert "confirmée" in await say("boss", "!réunion confirmer 10", backend="rocketchat")  # admin, by backend
        # a redelivered event is answered once and applied once
        msg = Incoming(backend="matrix", room="!r:x", sender="@member:x", text="!odj ajouter Une fois",
                       event_id="$dup", sent_at=NOW)
        await app.deliver(msg)
        await app.deliver(msg)
        topics = await app.db.run(lambda d: Store(d).topics())
        assert [t.text for t in topics] == ["Une fois"]
        # not addressed to the bot: no reply
        n = len(await app.db.run(lambda d: Store(d).pending("matrix")))
        for text in ("bonjour", "!!!", "! aide", "!1 2"):
            await app.deliver(Incoming(backend="matrix", room="!r:x", sender="@m:x", text=text, event_id=f"$n{text}", sent_at=NOW))
        assert len(await app.db.run(lambda d: Store(d).pending("matrix"))) == n
    finally:
        await app.stop()


def test_text_limits(chat):
    before = dumps(chat.export())
    reply = chat.say("!réunion proposer vendredi 19h ; " + "x" * 201)
    assert "trop long" in reply and "201" in reply and "200" in reply
    reply = chat.say("!odj ajouter " + "y" * 5000)
    assert "Message trop long" in reply and len(reply) < 200
    reply = chat.say("!brique note 1 ; " + "z" * 1001)
    assert "trop long" in reply
    assert dumps(chat.export()) == before
    assert "ajouté" in chat.say("!odj ajouter " + "y" * 500)


HOSTILE_TITLE = "<b>@room</b> [x](javascript:alert(1)) *gras* @all @here"


def test_member_text_is_never_markup_nor_a_room_mention(chat):
    doc = chat.doc(f"!réunion proposer vendredi 19h ; {HOSTILE_TITLE} ; <script>")
    html, rc, plain = doc.html(), doc.rocketchat(), doc.plain()
    assert "<b>" not in html and "&lt;b&gt;" in html and "<script>" not in html
    assert "javascript:" not in re.findall(r'href="([^"]*)"', html)
    for rendered in (html, rc, plain):
        assert not re.search(r"@(room|all|here)\b", rendered), rendered
        assert "@" + WORD_JOINER + "room" in rendered
    # Rocket.Chat honours a backslash only before \ * _ ~ ` #; a link is broken by a word joiner
    assert "\\*gras\\*" in rc and "[x]" + WORD_JOINER + "(" in rc and "\\[" not in rc
    # the record keeps the text as typed
    assert chat.export()["meetings"][-1]["title"] == HOSTILE_TITLE
    shown = chat.doc("!réunion voir 8")
    assert "<b>" not in shown.html() and not re.search(r"@room\b", shown.plain())


def test_control_characters_are_refused(chat):
    before = dumps(chat.export())
    for text in ("!odj ajouter bonjour\x00", "!odj ajouter a\x1b[31mrouge", "!odj ajouter \u202eevil"):
        reply = chat.say(text)
        assert "caractères de contrôle" in reply
    assert dumps(chat.export()) == before


def test_brick_show_history_reads_once_each(chat):
    chat.say("!brique référent 2 ; Camille")
    chat.say("!brique lien 2 ; https://pad.example.org/f ; le pad")
    shown = chat.say("!brique voir 2")
    assert "référent·e Camille" in shown and "Camille : Camille" not in shown
    assert "lien ajouté le pad : https://pad.example.org/f" in shown


def test_a_day_without_the_permanence_is_written_out_with_the_next_date(chat):
    chat.say("!permanence ajouter tous les mardis 17h-19h ; Perm")
    before = dumps(chat.export())
    reply = chat.say("!permanence tenir 1 ; 9/12")
    assert reply == "La permanence n°1 n'a pas lieu le mercredi 9 décembre 2026. Date suivante : mardi 15 décembre 2026, 17:00."
    reply = chat.say("!permanence host 1 ; 9/12", lang="en")
    assert reply.startswith("Permanence #1 does not take place on Wednesday 9 December 2026. Next date: Tuesday 15 December 2026")
    assert dumps(chat.export()) == before


def test_a_confirmed_meeting_moved_goes_back_to_proposed(chat):
    chat.say("!réunion proposer vendredi 19h ; A")
    chat.say("!réunion confirmer 8")
    assert "(statut : proposée)" in chat.say("!réunion déplacer 8 ; samedi 10h")
    (m,) = [m for m in chat.export()["meetings"] if m["id"] == 8]
    assert (m["status"], m["start"]) == ("proposed", "2026-12-05T10:00:00+01:00")
    assert "est passé" in chat.say("!réunion déplacer 8 ; hier 10h")


def test_a_long_meeting_list_shows_fifty_and_says_how_many_more(chat):
    for k in range(55):  # after the page's seven meetings to organise
        chat.say(f"!réunion proposer ? ; Sujet {k}")
    reply = chat.say("!réunion liste")
    assert reply.count("\n• ") == 50 and reply.count("Sujet ") == 43
    assert "… et 12 autres" in reply
    assert "Sujet 43" not in reply and "Sujet 42" in reply
