"""A quarter of simulated time, across the change to summer time on 28 March 2027: every
post at its local hour, exactly once."""
from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta

from tests.scheduler.conftest import ANNOUNCE, DIGEST, ORGANISERS, PARIS, paris

START = paris(2027, 1, 1, 0, 0)
END = paris(2027, 4, 4, 0, 0)


def local(dt: datetime, days: int = 0, hour: int | None = None) -> datetime:
    """A wall-clock date in Paris, `days` later, at `hour` (or the same hour)."""
    day = dt.astimezone(PARIS).date() + timedelta(days=days)
    at = dt.astimezone(PARIS)
    return datetime(day.year, day.month, day.day, at.hour if hour is None else hour, at.minute, tzinfo=PARIS)


def expected_posts() -> Counter:
    """Worked out by hand from the rules, in local time: (local instant, kind, target)."""
    want: Counter = Counter()
    sessions = [paris(2027, 1, 7, 18, 0)]
    while sessions[-1] < END + timedelta(days=3):
        sessions.append(local(sessions[-1], 14))
    for s in sessions:
        agenda = local(s, -2)
        if START < agenda <= END:
            want[(agenda, "agenda", ANNOUNCE)] += 1
        reminder = local(s, -1)
        if START < reminder <= END:
            for person in ORGANISERS:
                want[(reminder, "reminder", person)] += 1
    wednesday = paris(2027, 1, 6, 17, 0)  # the weekly permanence
    while wednesday < END + timedelta(days=2):
        reminder = local(wednesday, -1)
        if START < reminder <= END:
            for person in ORGANISERS:
                want[(reminder, "reminder", person)] += 1
        wednesday = local(wednesday, 7)
    for meeting in (paris(2027, 2, 10, 19, 0), paris(2027, 3, 28, 18, 0), paris(2027, 3, 29, 10, 0)):
        for person in ORGANISERS:
            want[(local(meeting, -1), "reminder", person)] += 1
    monday = paris(2027, 1, 4, 9, 0)
    while monday <= END:
        want[(monday, "digest", DIGEST)] += 1
        monday = local(monday, 7)
    return want


async def test_a_quarter_of_posts_each_once_at_its_local_hour(harness):
    h = harness(START)
    await h.start()
    await h.say("!permanence ajouter tous les mercredis 17h-19h ; Permanence café ; Café des communs")
    for when, title in (("le 10 février 2027 à 19h", "Atelier recettes"),
                        ("le 28 mars 2027 à 18h", "Dimanche du changement d'heure"),
                        ("le 29 mars 2027 à 10h", "Lundi d'après"),
                        ("le 3 mars 2027 à 19h", "Annulée")):
        await h.say(f"!réunion proposer {when} ; {title} ; MESHS")
    for n in (8, 9, 10, 11):  # after the group's page's seven meetings to organise
        await h.say(f"!réunion confirmer {n}")
    await h.say("!réunion annuler 11 ; plus de salle")
    await h.say("!réunion proposer le 20 février 2027 à 19h ; Jamais confirmée")
    await h.say("!odj ajouter Budget 2027")

    await h.run_until(END)

    posts = h.chat.posts
    got = Counter((p.at.astimezone(PARIS), p.kind, p.target) for p in posts)
    assert got == expected_posts()
    # local hours hold across the switch: +01:00 before 28 March, +02:00 after
    by_kind = {(p.kind, p.at.astimezone(PARIS).strftime("%H:%M")) for p in posts}
    assert by_kind == {("agenda", "18:00"), ("digest", "09:00"), ("reminder", "17:00"), ("reminder", "18:00"),
                       ("reminder", "19:00"), ("reminder", "10:00")}
    after_switch = [p for p in posts if p.at.astimezone(PARIS).date() >= paris(2027, 3, 29).date()]
    assert after_switch and all(p.at.astimezone(PARIS).utcoffset() == timedelta(hours=2) for p in after_switch)
    assert len(posts) == 66  # 7 agendas, 13 digests, 2 × (7 sessions + 13 permanences + 3 meetings) reminders
    # nothing was sent twice, not even to be deduplicated by the server
    assert h.chat.received == len(h.chat.shown)
    # every post has its record, posted on time
    outcomes = Counter(row[0] for row in h.rows("SELECT outcome FROM posts"))
    assert outcomes == {"posted": len(posts)}

    # the meeting on the Sunday of the switch was reminded of 24 wall-clock hours before
    dst = [p for p in posts if "Dimanche du changement" in p.text.splitlines()[0]]
    assert [p.at.astimezone(PARIS).isoformat() for p in dst] == ["2027-03-27T18:00:00+01:00"] * 2
