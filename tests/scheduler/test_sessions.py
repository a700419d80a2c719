"""The session and its follow-up in the running bot (in process, a Matrix-like chat that
deduplicates on send keys, the ManualClock): a restart in the middle of a session loses
nothing; a session left open closes by itself at midnight, its minutes posted once (late,
saying so, when the bot was down then); open actions in the next agenda post, late ones
first; a late action in the organisers' reminder and in one direct message to its person."""
from __future__ import annotations

from datetime import timedelta

from bot.config import WebConfig
from tests.scheduler.conftest import ANNOUNCE, CAMILLE, DOMINIQUE, make_config, paris

ZOE = "@zoe:example.org"


def minutes(chat) -> list:
    return [s for s in chat.shown if s.text.startswith("Compte rendu")]


async def test_a_restart_in_the_middle_of_a_session_loses_nothing(harness):
    h = harness(paris(2027, 1, 7, 17, 55))  # a session day of the rhythm
    await h.start()
    await h.say("!odj ajouter Salle pour février")
    await h.say("!séance ouvrir")
    await h.say("Bonsoir !", sender=ZOE)  # not a command: present
    await h.say("!point suivant")
    await h.say("!info Avant le redémarrage")
    await h.stop()
    await h.start()
    await h.say("!info Après le redémarrage", sender=DOMINIQUE)
    await h.say("!séance clore")
    [posted] = minutes(h.chat)
    assert posted.text.splitlines()[1:5] == [
        "jeudi 7 janvier 2027 — MESHS",
        "ouverte à 17:55 par @camille:example.org ; close à 17:55 par @camille:example.org",
        "Présidence : @camille:example.org",
        "Présents (3) : @camille:example.org, @zoe:example.org, @dominique:example.org",
    ]
    assert ("Point n°1 — Salle pour février\n• Info : Avant le redémarrage — @camille:example.org\n"
            "• Info : Après le redémarrage — @dominique:example.org") in posted.text


async def test_a_session_left_open_closes_by_itself_at_midnight_once(harness):
    h = harness(paris(2027, 1, 7, 10, 0))
    await h.start()
    await h.settle()  # the rhythm is read (and kept) before its first session
    await h.run_until(paris(2027, 1, 7, 20, 0), step=timedelta(hours=10))
    await h.say("!séance ouvrir Soirée")
    await h.say("!info Oubliée ouverte")
    await h.run_until(paris(2027, 1, 8, 1, 0))
    [posted] = minutes(h.chat)
    assert posted.room == ANNOUNCE and posted.reply_to is None  # a post in the session's room, not a reply
    assert posted.at == paris(2027, 1, 8, 0, 0)
    assert posted.text.splitlines()[:4] == [
        "Compte rendu — Soirée (séance n°1)",
        "Personne n'a clos la séance : elle s'est close d'elle-même à minuit.",
        "jeudi 7 janvier 2027 — MESHS",
        "ouverte à 20:00 par @camille:example.org ; close d'elle-même à minuit",
    ]
    await h.stop()
    await h.start()  # a restart makes it no second time
    await h.run_until(paris(2027, 1, 8, 3, 0))
    assert len(minutes(h.chat)) == 1
    await h.say("!info Trop tard")
    assert "Aucune séance n'est ouverte" in h.chat.shown[-1].text
    assert h.rows("SELECT name, outcome FROM posts WHERE kind = 'close'") == [("close/session/1", "posted")]


async def test_the_minutes_closed_at_midnight_link_to_their_page_on_the_board(harness):
    config = make_config()
    config.web = WebConfig(base_url="https://chambre.example.org")
    h = harness(paris(2027, 1, 7, 20, 0), config)
    await h.start()
    await h.say("!séance ouvrir")
    await h.run_until(paris(2027, 1, 8, 1, 0))
    [posted] = minutes(h.chat)
    assert posted.text.rstrip().endswith("Sur le tableau : https://chambre.example.org/seances/1")


async def test_down_at_midnight_the_minutes_are_posted_late_saying_so(harness):
    h = harness(paris(2027, 1, 7, 20, 0))
    await h.start()
    await h.say("!séance ouvrir")
    await h.stop()
    h.clock.set(paris(2027, 1, 9, 8, 0))  # down for a day and a half
    await h.start()
    await h.settle()
    [posted] = minutes(h.chat)
    assert "(posté en retard : le bot était arrêté à minuit)" in posted.text
    assert "close d'elle-même à minuit" in posted.text
    assert h.rows("SELECT closed_at FROM sessions") == [("2027-01-07T23:00:00+00:00",)]


async def test_actions_are_followed_up_in_the_agenda_the_reminder_and_one_direct_message(harness):
    h = harness(paris(2027, 1, 4, 10, 0))  # Monday; the session of Thursday 7 January
    await h.start()
    await h.say("!action moi ; réserver la salle ; 20 janvier")
    await h.say("!action @dominique:example.org ; écrire le devis ; aujourd'hui 12h")
    await h.say("!action @zoe:example.org ; rien ; aujourd'hui 11h")
    await h.say("!action fait 3")  # done before it is late: no message
    await h.run_until(paris(2027, 1, 4, 13, 0))
    dms = [s for s in h.chat.posts if s.dm_user == DOMINIQUE]
    assert [dm.text for dm in dms] == [
        "Action n°2 en retard\nécrire le devis\nÉchéance : lundi 4 janvier 2027, 12:00\nQuand c'est fait : !action fait 2"]
    assert dms[0].at == paris(2027, 1, 4, 12, 0)
    assert not [s for s in h.chat.posts if s.dm_user == ZOE]
    await h.stop()
    await h.start()  # not twice after a restart, nor the next day
    await h.run_until(paris(2027, 1, 6, 19, 0), step=timedelta(hours=6))
    assert len([s for s in h.chat.posts if s.dm_user == DOMINIQUE and s.text.startswith("Action")]) == 1
    [agenda] = [p for p in h.chat.posts if p.kind == "agenda"]
    section = agenda.text.split("Actions en cours\n", 1)[1].split("\n\n", 1)[0].splitlines()
    assert section == [  # the late one first, each with its person
        "• Action n°2 : écrire le devis — pour @dominique:example.org — échéance : lundi 4 janvier 2027, 12:00 — EN RETARD",
        "• Action n°1 : réserver la salle — pour @camille:example.org — échéance : mercredi 20 janvier 2027",
    ]
    reminders = [p for p in h.chat.posts if p.kind == "reminder"]
    assert {r.dm_user for r in reminders} == {CAMILLE, DOMINIQUE}
    for reminder in reminders:
        late = reminder.text.split("Actions en retard\n", 1)[1].split("\n\n", 1)[0]
        assert late == "• Action n°2 : écrire le devis — pour @dominique:example.org — échéance : lundi 4 janvier 2027, 12:00 — EN RETARD"
    assert h.rows("SELECT name, outcome FROM posts WHERE kind = 'late-action'") == [("late-action/2", "posted")]
