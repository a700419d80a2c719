"""What members and organisers read in the posts: the agenda, the reminders, the digest."""
from __future__ import annotations

from tests.scheduler.conftest import ANNOUNCE, CAMILLE, DIGEST, PARIS, make_config, paris


def _one(posts, kind: str, first_line_has: str):
    found = [p for p in posts if p.kind == kind and first_line_has in p.text.splitlines()[0]]
    assert len(found) == 1, [p.text.splitlines()[0] for p in posts]
    return found[0]


def _says(text: str, *expected: str) -> None:
    """Every expected passage is in the post; a failure names all the missing ones."""
    missing = [e for e in expected if e not in text]
    assert not missing, (missing, text)


async def _scene(harness):
    config = make_config(place=None)  # sessions with no usual place
    config.chambre.room_languages = {ANNOUNCE: "en"}
    h = harness(paris(2027, 1, 8, 10, 0), config)
    await h.start()
    for line in ("!réunion proposer le 25 janvier 2027 à 19h ; Atelier recettes",
                 "!réunion confirmer 8",  # after the group's page's seven meetings to organise
                 "!réunion proposer le 28 janvier 2027 à 19h ; Proposition en attente ; MESHS",
                 "!réunion proposer ? ; À organiser un jour",
                 "!réunion proposer le 15 janvier 2027 à 19h ; Soirée annulée ; MESHS",
                 "!réunion confirmer 11",
                 "!réunion annuler 11 ; salle prise",
                 "!permanence ajouter tous les mercredis 17h-19h ; Permanence café ; Café des communs",
                 "!permanence tenir 1 ; 13/01",
                 "!brique ajouter Cantine commune",
                 "!brique statut Cantine commune ; recette ; la recette est écrite"):
        await h.say(line)
    return h


async def test_the_digest_tells_last_week_by_section_and_the_next_two_weeks(harness):
    h = await _scene(harness)
    await h.run_until(paris(2027, 1, 11, 12, 0))
    digest = _one(h.chat.posts, "digest", "lundi 11 janvier 2027, 09:00")
    assert digest.target == DIGEST
    text = digest.text
    _says(text, "Réunions\n", "• réunion proposée : n°8 Atelier recettes (@camille:example.org)",
                "• réunion confirmée : n°8 Atelier recettes", "• réunion annulée : n°11 Soirée annulée — salle prise",
                "Permanences\n", "• permanence ajoutée : n°1 Permanence café",
                "• permanence tenue : n°1 Permanence café — mercredi 13 janvier 2027, 17:00",
                "Briques\n", "• Cantine commune : idée → recette  ▰▰▰▱▱ (@camille:example.org) — la recette est écrite",
                "Prochaine séance : jeudi 21 janvier 2027, 18:00 — lieu à préciser",
                "Ordre du jour vide pour l'instant",
                "Réunions des deux semaines à venir\naucune",  # the 25th at 19:00 is just beyond
                "• permanence n°1 Permanence café — mercredi 13 janvier 2027, 17:00–19:00 — Café des communs — tenue par @camille:example.org",
                "Propositions à confirmer\n• n°9 Proposition en attente",
                "Réunions à organiser\n• n°1 Rencontre Pocheco", "• n°10 À organiser un jour")
    assert "Soirée annulée" not in text.split("Réunions des deux semaines")[1]  # cancelled: not coming


async def test_the_agenda_in_an_english_room(harness):
    h = await _scene(harness)
    await h.run_until(paris(2027, 1, 19, 20, 0))
    agenda = _one(h.chat.posts, "other", "Next session: Thursday 21 January 2027, 18:00")
    assert agenda.target == ANNOUNCE
    _says(agenda.text, "— place to be decided", "Topics\nempty so far: !topic add <text>",
                       "Meetings in the next two weeks\n• #8 Atelier recettes — Monday 25 January 2027, 19:00 (confirmed)",
                       "Permanences in the next two weeks\n• permanence #1 Permanence café — Wednesday 20 January 2027, 17:00–19:00"
                       " — Café des communs — no host yet",
                       "Proposals awaiting confirmation\n• #9 Proposition en attente", "proposed 11 days ago by @camille:example.org",
                       "Meetings to organise\n• #1 Rencontre Pocheco", "• #10 À organiser un jour",
                       "Bricks that moved since the last session\n• Cantine commune: idea → recipe  ▰▰▰▱▱")


async def test_reminders_say_what_is_missing(harness):
    h = await _scene(harness)
    await h.run_until(paris(2027, 1, 25, 0, 0))
    mine = [p for p in h.chat.posts if p.kind == "reminder" and p.target == CAMILLE]

    hosted = _one(mine, "reminder", "mercredi 13 janvier 2027")
    assert "personne pour la tenir :" not in hosted.text
    # a proposal waiting more than three days is named, with the command that confirms it
    assert "à confirmer, n°9 Proposition en attente" in hosted.text and "!réunion confirmer 9" in hosted.text

    unhosted = _one(mine, "reminder", "mercredi 20 janvier 2027")
    assert "• personne pour la tenir : !permanence tenir 1 ; 20/1" in unhosted.text
    assert unhosted.at.astimezone(PARIS) == paris(2027, 1, 19, 17, 0)

    session = _one(mine, "reminder", "séance du jeudi 21 janvier 2027, 18:00")
    assert "• pas de lieu : !rythme régler <récurrence> ; <lieu>" in session.text
    assert "• ordre du jour vide : !odj ajouter <texte>" in session.text

    meeting = _one(mine, "reminder", "réunion n°8 Atelier recettes")
    assert "• pas de lieu : !réunion lieu 8 ; <lieu>" in meeting.text
    assert meeting.at.astimezone(PARIS) == paris(2027, 1, 24, 19, 0)

    # the cancelled meeting and the unconfirmed proposal get no reminder of their own
    assert not [p for p in mine if "Soirée annulée" in p.text.splitlines()[0]]
    assert not [p for p in mine if "Proposition en attente" in p.text.splitlines()[0]]


async def test_nothing_missing_says_so(harness):
    h = harness(paris(2027, 1, 8, 10, 0))
    await h.start()
    await h.say("!réunion proposer le 12 janvier 2027 à 19h ; Tout est prêt ; MESHS")
    await h.say("!réunion confirmer 8")
    await h.run_until(paris(2027, 1, 12, 0, 0))
    reminder = _one([p for p in h.chat.posts if p.target == CAMILLE], "reminder", "Tout est prêt")
    assert "Ce qui manque\nRien : tout est prêt." in reminder.text


async def test_a_long_list_shows_its_first_entries_and_how_many_more(harness):
    h = harness(paris(2027, 1, 8, 10, 0))
    await h.start()
    for n in range(1, 18):
        await h.say(f"!odj ajouter Point {n:02}")
    await h.run_until(paris(2027, 1, 19, 20, 0))
    shown = [f"Point {n:02}" for n in range(1, 16)]

    digest = _one(h.chat.posts, "digest", "lundi 11 janvier 2027, 09:00").text
    _says(digest, *(f"• point à l'ordre du jour : {s} (" for s in shown), "… et 2 de plus",
          "17 point(s) à l'ordre du jour.")
    assert "Point 16" not in digest and "Point 17" not in digest

    agenda = _one(h.chat.posts, "agenda", "jeudi 21 janvier 2027, 18:00").text
    _says(agenda, *(f". {s} — @camille:example.org" for s in shown), "… et 2 de plus : !odj liste")
    assert "Point 16" not in agenda and "Point 17" not in agenda


async def test_a_reminder_names_the_first_waiting_proposals_and_counts_the_rest(harness):
    h = harness(paris(2027, 1, 1, 10, 0))
    await h.start()
    for day in range(1, 18):
        await h.say(f"!réunion proposer le {day} février 2027 à 19h ; Proposition {day:02} ; MESHS")
    await h.say("!réunion proposer le 12 janvier 2027 à 19h ; Tout est prêt ; MESHS")
    await h.say("!réunion confirmer 25")  # after the group's page's seven and the seventeen
    await h.run_until(paris(2027, 1, 12, 0, 0))
    reminder = _one([p for p in h.chat.posts if p.target == CAMILLE], "reminder", "Tout est prêt").text
    _says(reminder, *(f"• à confirmer, n°{n + 7} Proposition {n:02}" for n in range(1, 16)), "… et 2 de plus")
    assert "Proposition 16" not in reminder and "Proposition 17" not in reminder


async def test_the_agenda_post_ends_with_the_boards_and_the_feeds_addresses(harness):
    from bot.config import WebConfig

    config = make_config()
    config.web = WebConfig(base_url="https://chambre.example.org")
    h = harness(paris(2027, 1, 18, 10, 0), config)
    await h.start()
    await h.run_until(paris(2027, 1, 19, 20, 0))
    agenda = _one(h.chat.posts, "agenda", "Prochaine séance : jeudi 21 janvier 2027, 18:00")
    assert agenda.text.rstrip().endswith("Le tableau : https://chambre.example.org/ — le calendrier à ajouter au vôtre : "
                                         "https://chambre.example.org/calendrier.ics")
