"""The session's rules through the command layer on a real SQLite file: who leads, where what
is said is filed, who an action is for and who may close it, the limits; and the Markdown
writer's escaping of what a member types over several lines."""
from __future__ import annotations

from datetime import date, datetime, timezone

import pytest

from bot.minutes import md_escape
from bot.services import sessions as svc
from bot.when import WhenError, read_past_day
from tests.core.conftest import Chat, dumps


def test_a_topic_added_during_the_session_joins_it_and_any_open_topic_can_be_reached(chat: Chat):
    chat.say("!odj ajouter Premier")
    chat.say("!séance ouvrir Atelier")
    chat.say("!odj ajouter Ajouté en séance")
    assert chat.say("!point 2") == "Point n°2 : Ajouté en séance — la suite est notée sous ce point."
    assert chat.say("!point suivant") == "Point n°1 : Premier — la suite est notée sous ce point."
    assert chat.say("!point suivant") == "Plus de point à traiter : la suite est notée hors des points."
    chat.say("!info Après les points")
    assert chat.say("!point 1").startswith("Point n°1")  # back to a topic already discussed
    assert chat.say("!point 9") == "Pas de point n°9."
    minutes = chat.say("!séance clore")
    assert "Point n°1 — Premier\nrien de noté\n\nPoint n°2 — Ajouté en séance\nrien de noté" in minutes
    assert "Hors des points de l'ordre du jour\n• Info : Après les points — alice" in minutes
    assert "non traités" not in minutes


def test_a_meeting_s_minutes_carry_its_title_and_place(chat: Chat):
    chat.say("!réunion proposer vendredi 19h ; Atelier briques ; MESHS")
    chat.say("!odj ajouter Pas pour la réunion")
    reply = chat.say("!séance ouvrir réunion 8")  # 8: after the seven seeded meetings to organise (0011)
    assert reply.startswith("Séance n°1 ouverte : Atelier briques\nPrésidence : alice — MESHS")
    assert "Pas pour la réunion" not in reply  # a meeting starts with no agenda topic
    assert chat.say("!séance clore").splitlines()[1] == "mardi 1er décembre 2026 — MESHS — réunion n°8 Atelier briques"
    assert chat.say("!séance ouvrir réunion 14") == "Pas de réunion n°14."


def test_the_chair_leads_and_organisers_may_too(chat: Chat):
    chat.say("!odj ajouter Un point")
    chat.say("!séance ouvrir", sender="dom", organiser=True)
    # the chair is no longer listed as an organiser: still the chair
    assert chat.say("!point suivant", sender="dom", organiser=False).startswith("Point n°1")
    assert chat.say("!décision Oui", sender="eve", organiser=False).startswith("Refusé")
    assert chat.say("!décision Oui", sender="alice", organiser=True) == "Décision notée."
    assert chat.say("!séance clore", sender="eve", organiser=False).startswith("Refusé")
    assert chat.say("!séance clore", sender="dom", organiser=False).startswith("Compte rendu")


def test_who_an_action_is_for_and_who_may_close_it(chat: Chat):
    chat.say("!séance ouvrir")
    with chat.db.atomic():  # Camille speaks in the room (the App notes it for every message)
        svc.heard(chat.store, "console", "!room:test", "@camille:example.org", chat.now)
    # a name: the one present whose id it names; "moi": the sender; else a name only
    assert "pour Camille" in chat.say("!action Camille ; réserver ; vendredi")
    assert "pour alice" in chat.say("!action moi ; écrire", organiser=False)
    assert "pour Dom" in chat.say("!action Dom ; appeler")
    unknown = chat.say("!action Personne ; chercher ; vendredi")
    assert "Personne n'est pas un membre du chat que je reconnais" in unknown
    actions = {a["id"]: a for a in chat.export()["actions"]}
    assert actions[1]["person_id"] == "@camille:example.org" and actions[2]["person_id"] == "alice"
    assert actions[4]["person_id"] is None
    assert chat.say("!action fait 1", sender="eve", organiser=False).startswith("Refusé")
    assert chat.say("!action fait 1 ; c'est fait", sender="@camille:example.org", organiser=False) == \
        "Action n°1 faite : réserver — Camille\nNote : c'est fait"
    assert chat.say("!action fait 1") == "L'action n°1 est déjà faite."
    assert chat.say("!action fait 4").startswith("Action n°4 faite")  # an organiser may
    listed = chat.say("!action liste alice")
    assert listed.startswith("Actions en cours — alice\n• Action n°2 : écrire") and "appeler" not in listed
    assert chat.say("!action liste Zoé") == "Aucune action en cours (Zoé)."


def test_english_replies(chat: Chat):
    assert chat.say("!info x", lang="en") == "No session is open in this room: an organiser opens one with !session start."
    assert chat.say("!session start", lang="en").startswith("Session #1 open: Session of Tuesday 1 December 2026")
    assert chat.say("!agreed brick 2 ; Go", lang="en").startswith("Decision noted, and in the history of brick")
    assert chat.say("!action me ; write ; friday", lang="en").startswith("Action #1: write — for alice — due: Friday 4 December 2026")
    minutes = chat.say("!session end", lang="en")
    assert minutes.startswith("Minutes — Session of Tuesday 1 December 2026 (session #1)")
    assert "Outside the agenda topics\n• Decision: Go — alice — brick #2" in minutes


def test_presence_by_name_and_by_speaking(chat: Chat):
    chat.say("!séance ouvrir")
    assert chat.say("!présent") == "alice est déjà noté·e présent·e."  # the chair
    assert chat.say("!présent Dominique", sender="bob", organiser=False) == "Noté : Dominique présent·e."
    assert chat.say("!présent dominique") == "Dominique est déjà noté·e présent·e."
    session = chat.store.open_session("console", "!room:test")
    with chat.db.atomic():
        assert svc.heard(chat.store, "console", "!room:test", "@eve:example.org", chat.now)
        assert not svc.heard(chat.store, "console", "!other:test", "@zed:example.org", chat.now)  # no session there
    assert [p.person for p in chat.store.presence(session.id)] == ["alice", "Dominique", "@eve:example.org"]


def test_a_decision_on_an_unknown_brick_and_full_minutes_change_nothing(chat: Chat, monkeypatch):
    chat.say("!séance ouvrir")
    before = dumps(chat.export())
    assert chat.say("!décision brique rien du tout ; x").startswith("Aucune brique ne s'appelle « rien du tout »")
    assert dumps(chat.export()) == before
    monkeypatch.setattr(svc, "MAX_ENTRIES", 2)
    chat.say("!info un")
    chat.say("!action moi ; deux")
    before = dumps(chat.export())
    assert "le plus qu'il puisse en garder" in chat.say("!info trois")
    assert "le plus qu'il puisse en garder" in chat.say("!action moi ; quatre")
    assert dumps(chat.export()) == before


def test_markdown_escapes_a_member_s_text_over_several_lines():
    assert md_escape("# titre\n- liste\n+ plus\n1. numéro\n2) autre\n===\n> cité") == (
        "\\# titre\\\n  \\- liste\\\n  \\+ plus\\\n  1\\. numéro\\\n  2\\) autre\\\n  \\===\\\n  &gt; cité")
    assert md_escape("a_b *c* [l](u) `x` \\ <i>&amp;") == "a\\_b \\*c\\* \\[l\\](u) \\`x\\` \\\\ &lt;i&gt;&amp;amp;"


NOW = datetime(2026, 12, 20, 10, 0, tzinfo=timezone.utc)  # a Sunday


@pytest.mark.parametrize("text, day", [("3/12", date(2026, 12, 3)), ("3 décembre 2026", date(2026, 12, 3)),
                                       ("25/12", date(2025, 12, 25)), ("jeudi", date(2026, 12, 17)),
                                       ("dimanche", date(2026, 12, 20)), ("hier", date(2026, 12, 19)),
                                       ("le 3", date(2026, 12, 3)), ("2026-12-03", date(2026, 12, 3))])
def test_a_past_day_names_the_last_such_day(text, day):
    assert read_past_day(text, NOW) == day


@pytest.mark.parametrize("text", ["demain", "jeudi 18h", "31/02", "25/12/2026", "jeudi prochain", "rien"])
def test_a_past_day_refuses_what_is_not_one(text):
    with pytest.raises(WhenError):
        read_past_day(text, NOW)


def test_a_chat_id_as_members_write_one():
    assert svc.looks_like_id("@dom:example.org", "matrix") and not svc.looks_like_id("@dom", "matrix")
    assert svc.looks_like_id("@dom", "rocketchat") and not svc.looks_like_id("dom", "rocketchat")
    assert not svc.looks_like_id("@dom:example.org", "console")
    assert svc.same_person("Dom", "@dom:example.org") and svc.same_person("dôm", "dom")
    assert not svc.same_person("Domi", "@dom:example.org")


def test_in_the_chat_a_long_text_is_cut_and_the_file_keeps_it(chat: Chat):
    from bot.minutes import minutes_markdown

    chat.say("!séance ouvrir")
    chat.say("!info " + "mot " * 240)  # 960 characters
    posted = chat.say("!séance clore")
    assert "mot " * 99 + "mot…" in posted and "mot " * 101 not in posted
    assert posted.endswith("Textes de plus de 400 caractères coupés ici ; le fichier du compte rendu et l'export les ont en entier.")
    whole = minutes_markdown(svc.minutes(chat.store, chat.store.session(1)), "fr", chat.config.chambre.tz)
    assert ("mot " * 239 + "mot") in whole
