"""Date polls through the command layer on a real SQLite file: opening, every bad input
refused with a short reply and nothing changed, votes (latest counts, several options,
withdrawn), the close by hand and on a tie, the meeting's date and RSVPs."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from bot.services import polls as svc

OPEN = "!sondage 1 ; jeudi 10 décembre 18h-20h ; 12/12 10h ; vendredi 11 décembre 19h"


def counts(chat) -> tuple[int, int, int]:
    db = chat.db
    return tuple(db.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in ("polls", "poll_options", "poll_answers"))


def test_open_writes_each_option_back_in_full_with_the_default_deadline(chat):
    reply = chat.say(OPEN)
    assert "Sondage n°1" in reply and "Rencontre Pocheco" in reply
    assert "1️⃣ jeudi 10 décembre 2026, 18:00–20:00" in reply
    assert "2️⃣ samedi 12 décembre 2026, 10:00" in reply
    assert "3️⃣ vendredi 11 décembre 2026, 19:00" in reply
    poll = chat.store.poll(1)
    # Three days from now (10:00 in Lille on 1 December), sooner than the day before 10 December.
    assert poll.closes_at == chat.now + timedelta(days=3)
    assert "Clôture : vendredi 4 décembre 2026, 10:00" in reply
    assert [o.position for o in poll.options] == [1, 2, 3]


def test_the_deadline_is_the_day_before_the_earliest_option_when_sooner(chat):
    chat.say("!sondage 2 ; mercredi 2 décembre 18h ; jeudi 3 décembre 18h")
    assert chat.store.poll(1).closes_at == datetime(2026, 12, 1, 17, 0, tzinfo=timezone.utc)  # 1 Dec 18:00 in Lille


def test_a_deadline_given(chat):
    reply = chat.say("!poll 2 ; thursday 10 december 6pm ; friday 11 december 6pm ; closes monday 7 december 6pm", lang="en")
    assert "Closes: Monday 7 December 2026, 18:00" in reply or "Closes: Monday, 7 December 2026, 18:00" in reply, reply
    assert chat.store.poll(1).closes_at == datetime(2026, 12, 7, 17, 0, tzinfo=timezone.utc)


BAD = [
    ("!sondage 1 ; jeudi 10 décembre 18h", "de 2 à 10 dates"),
    ("!sondage 1 ; " + " ; ".join(f"{d} décembre 18h" for d in range(10, 21)), "de 2 à 10 dates"),
    ("!sondage 1 ; jeudi 10 décembre 18h ; le 10/12 à 18h", "Les dates 1 et 2 sont les mêmes"),
    ("!sondage 1 ; jeudi 10 décembre 18h ; hier 18h", "Date 2"),
    ("!sondage 1 ; jeudi 10 décembre 18h ; un jour peut-être", "Date 2"),
    ("!sondage 1 ; jeudi 10 décembre 18h ; vendredi 11 décembre 18h ; clôture le 15 décembre", "avant la première date"),
    ("!sondage 99 ; jeudi 10 décembre 18h ; vendredi 11 décembre 18h", "Pas de réunion n°99"),
    ("!sondage machin", "n'est pas un numéro"),
]


def test_bad_polls_are_refused_and_change_nothing(chat):
    for text, expected in BAD:
        reply = chat.say(text)
        assert expected in reply, (text, reply)
        assert counts(chat) == (0, 0, 0), text


def test_no_poll_on_a_cancelled_or_past_meeting(chat):
    chat.say("!réunion annuler 1")
    assert "annulée" in chat.say(OPEN)
    chat.say("!réunion proposer demain 18h ; Atelier")
    chat.now += timedelta(days=3)
    assert "est passée" in chat.say("!sondage 8 ; jeudi 10 décembre 18h ; vendredi 11 décembre 18h")
    assert counts(chat) == (0, 0, 0)


def test_one_poll_at_a_time_for_a_meeting(chat):
    chat.say(OPEN)
    assert "déjà un sondage en cours, le n°1" in chat.say(OPEN)
    assert counts(chat)[0] == 1


def test_votes_latest_counts_several_options_withdrawn(chat):
    chat.say(OPEN)
    assert "Noté pour le sondage n°1" in chat.say("!vote 1 1 3", sender="bob", organiser=False)
    chat.say("!vote 1 2", sender="carol", organiser=False)
    chat.say("!vote 1 1, 2", sender="carol", organiser=False)  # her latest answer replaces the first
    chat.say("!vote 1 2", sender="dan", organiser=False)
    assert "retirée" in chat.say("!vote 1 aucune", sender="dan", organiser=False)
    poll = chat.store.poll(1)
    assert poll.answers == {"bob": [1, 3], "carol": [1, 2], "dan": []}
    shown = chat.say("!sondage voir 1", organiser=False)
    assert "1️⃣ jeudi 10 décembre 2026, 18:00–20:00 — 2 voix (bob, carol)" in shown
    assert "2️⃣ samedi 12 décembre 2026, 10:00 — 1 voix (carol)" in shown
    assert "2 réponses" in shown and "En tête : 1️⃣ jeudi 10 décembre" in shown


def test_bad_votes_change_nothing(chat):
    chat.say(OPEN)
    chat.say("!vote 1 2", sender="bob")
    for text, expected in [("!vote 1 4", "pas d'option 4"), ("!vote 1 deux", "numéros des options"),
                           ("!vote 7 1", "Pas de sondage n°7"), ("!vote 1", "Il manque")]:
        assert expected in chat.say(text, sender="bob"), text
    assert chat.store.poll(1).answers == {"bob": [2]}


def test_close_by_hand_sets_the_date_and_the_rsvps(chat):
    chat.say(OPEN)
    chat.say("!vote 1 1 3", sender="bob", organiser=False)
    chat.say("!vote 1 3", sender="carol", organiser=False)
    assert "Refusé" in chat.say("!sondage clore 1", sender="bob", organiser=False)
    assert chat.store.poll(1).status == "open"
    reply = chat.say("!sondage clore 1")
    assert "Sondage n°1 clos (2 réponses)" in reply
    assert "Date retenue pour la réunion n°1" in reply and "vendredi 11 décembre 2026, 19:00" in reply
    meeting = chat.store.meeting(1)
    assert meeting.status == "proposed"
    assert meeting.start == datetime(2026, 12, 11, 18, 0, tzinfo=timezone.utc)
    assert meeting.rsvp["yes"] == ["bob", "carol"] or sorted(meeting.rsvp["yes"]) == ["bob", "carol"]
    assert "clos" in chat.say("!vote 1 1", sender="dan", organiser=False)
    assert "déjà clos" in chat.say("!sondage clore 1")
    assert chat.store.poll(1).answers == {"bob": [1, 3], "carol": [3]}


def test_the_author_may_close_and_a_tie_needs_a_choice(chat):
    chat.say(OPEN, sender="bob", organiser=False)
    chat.say("!vote 1 1", sender="carol", organiser=False)
    chat.say("!vote 1 2", sender="dan", organiser=False)
    assert "Égalité entre les options 1, 2" in chat.say("!sondage clore 1", sender="bob", organiser=False)
    assert chat.store.poll(1).status == "open"
    assert "pas d'option 5" in chat.say("!sondage clore 1 ; 5", sender="bob", organiser=False)
    reply = chat.say("!sondage clore 1 ; 2", sender="bob", organiser=False)
    assert "samedi 12 décembre 2026, 10:00" in reply
    assert chat.store.meeting(1).rsvp["yes"] == ["dan"]


def test_list(chat):
    assert "Aucun sondage en cours" in chat.say("!sondage liste")
    chat.say(OPEN)
    chat.say("!vote 1 2", sender="bob")
    listed = chat.say("!poll list", lang="en")
    assert "Poll #1 (meeting #1 Rencontre Pocheco" in listed and "1 answer, closes" in listed
    assert "leading: Saturday" in listed or "leading: Sat" in listed, listed


def test_keycaps():
    assert [svc.position_of(k) for k in svc.KEYCAPS] == list(range(1, 11))
    assert svc.position_of("1⃣") == 1 and svc.position_of("👍") is None


def test_open_polls_in_the_agenda_digest_export_and_tie_in_the_reminder(chat):
    from bot.services.posts import Occasion, build_agenda, build_digest, build_reminder

    chat.say(OPEN)
    chat.say("!vote 1 1", sender="bob")
    for build in (build_agenda, build_digest):
        text = build(chat.store, chat.config, chat.now, "fr").plain()
        assert "Sondages de dates en cours" in text
        assert "Sondage n°1 (réunion n°1 Rencontre Pocheco" in text and "1 réponse, clôture vendredi 4 décembre 2026" in text
    exported = chat.export()
    assert exported["version"] == 1
    (poll,) = exported["polls"]
    assert poll["meeting"] == 1 and poll["status"] == "open" and poll["answers"] == {"bob": [1]}
    assert poll["options"][0] == {"position": 1, "start": "2026-12-10T18:00:00+01:00", "end": "2026-12-10T20:00:00+01:00"}
    # a tie at the deadline: the organisers' reminder asks for a choice
    chat.say("!vote 1 2", sender="carol")
    with chat.db.atomic():
        closed = svc.close(chat.store, None, chat.now + timedelta(days=3), 1)
    assert closed.tied == [1, 2] and chat.store.poll(1).status == "tied"
    reminder = build_reminder(chat.store, chat.config, chat.now, "fr", Occasion("session", chat.now + timedelta(days=1))).plain()
    assert "à départager, Sondage n°1" in reminder and "!sondage clore 1 ; <option>" in reminder


def test_the_close_carries_the_chat_s_poll_end_once(chat):
    """A chat's native poll ends once: at the close, or at the deadline on a tie; the
    organiser's choice after a tie is a plain message."""
    from commands.dispatcher import dispatch

    def close(text: str):
        ctx = chat.context()
        with chat.db.atomic():
            dispatch(ctx, text)
        return ctx.reply_poll

    chat.say(OPEN)
    chat.say("!vote 1 1", sender="bob")
    assert close("!sondage clore 1")["end"]["results"] == {"1": 1, "2": 0, "3": 0}
    chat.say("!sondage 2 ; jeudi 10 décembre 18h ; vendredi 11 décembre 18h")
    with chat.db.atomic():
        svc.close(chat.store, None, chat.now + timedelta(days=3), 2)  # nobody answered: a tie
    assert chat.store.poll(2).status == "tied"
    assert close("!sondage clore 2 ; 1") is None
    assert chat.store.poll(2).status == "closed" and chat.store.meeting(2).start is not None


def test_the_list_stays_a_chat_message(chat):
    for k in range(24):
        chat.say(f"!réunion proposer ? ; Rencontre {k}")
    for n in range(1, 32):
        assert "Sondage n°" in chat.say(f"!sondage {n} ; jeudi 10 décembre 18h ; vendredi 11 décembre 18h")
    listed = chat.say("!sondage liste")
    assert listed.count("Sondage n°") == 30 and "… et 1 autres" in listed
