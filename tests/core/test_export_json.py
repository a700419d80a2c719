"""The JSON export (version 1): whatever changes, the next export shows it, in the configured
zone; a member's text comes out as typed, instants in local time to the second, answers by
name."""
from __future__ import annotations

import json
from dataclasses import replace
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

from bot.config import ChambreConfig, Config
from bot.export import export_json, export_json_text
from bot.services import Actor
from bot.services import bricks, meetings, topics
from bot.when import Event
from storage.db import connect
from storage.store import Store

NOW = datetime(2026, 12, 1, 9, tzinfo=timezone.utc)
ALICE = Actor("alice", True)
# A fresh database holds the group's page's meetings to organise, numbered 1 to 7: a test's
# own meetings come after them.
SEEDED = 7


def test_every_change_shows_in_the_next_export(tmp_path: Path):
    db = connect(tmp_path / "c.db")
    store, config = Store(db), Config()
    changes = [
        lambda: meetings.propose(store, ALICE, NOW, Event(NOW + timedelta(days=3), NOW + timedelta(days=3, hours=2)), "Atelier", "MESHS", "console"),
        lambda: meetings.propose(store, ALICE, NOW, None, "Rencontre OVH", None, "console"),
        lambda: meetings.propose(store, ALICE, NOW, Event(date(2027, 4, 1), None), "Journée", None, "console"),
        lambda: meetings.rsvp(store, Actor("bob", False), NOW, 8, "maybe"),
        lambda: meetings.rsvp(store, Actor("bob", False), NOW, 8, "yes"),
        lambda: meetings.rsvp(store, Actor("carol", False), NOW, 8, "no"),
        lambda: meetings.confirm(store, ALICE, NOW, 8),
        lambda: meetings.move(store, ALICE, NOW, 9, Event(datetime(2027, 3, 28, 1, 30, tzinfo=timezone.utc), None)),
        lambda: meetings.set_place(store, ALICE, NOW, 9, "Tiers-lieu"),
        lambda: meetings.cancel(store, ALICE, NOW, 10, "pluie"),
        lambda: bricks.set_status(store, ALICE, NOW, 2, "described", "on avance"),
        lambda: bricks.link(store, ALICE, NOW, 2, "https://pad.example.org/finances", "le pad"),
        lambda: bricks.note(store, ALICE, NOW, 3, "relu"),
        lambda: bricks.set_lead(store, ALICE, NOW, 3, "Camille"),
        lambda: bricks.describe(store, ALICE, NOW, 4, "Nouvelle description"),
        lambda: bricks.add(store, ALICE, NOW, "Cantine des communs", "Une cantine"),
        lambda: topics.add(store, ALICE, NOW, "Salle pour janvier", "console"),
        lambda: topics.done(store, ALICE, NOW, 1),
    ]
    try:
        before = export_json(store, config)
        for change in changes:
            with db.atomic():
                change()
            after = export_json(store, config)
            assert after != before, change
            before = after
        final = export_json(store, config)
        m1, m2, m3 = final["meetings"][SEEDED:]
        assert m1["status"] == "confirmed" and m1["start"] == "2026-12-04T10:00:00+01:00"
        assert m1["rsvp"] == {"yes": ["bob"], "no": ["carol"], "maybe": []}
        # 01:30 UTC on the night of the spring switch is 03:30 summer time in Paris
        assert m2["start"] == "2027-03-28T03:30:00+02:00" and m2["place"] == "Tiers-lieu"
        assert m3 == {**m3, "start": "2027-04-01", "end": None, "status": "cancelled"}
        assert final["bricks"][1]["links"][-1] == {"url": "https://pad.example.org/finances", "label": "le pad"}
        assert final["topics"] == [{"id": 1, "text": "Salle pour janvier", "added_by": "alice", "done": True}]
    finally:
        db.close()


def test_a_change_of_zone_rewrites_every_time(tmp_path: Path):
    db = connect(tmp_path / "z.db")
    store = Store(db)
    try:
        with db.atomic():
            meetings.propose(store, ALICE, NOW, Event(datetime(2026, 12, 4, 18, tzinfo=timezone.utc), None), "Atelier", None, "console")
        paris = export_json(store, Config())
        montreal = Config(chambre=replace(ChambreConfig(), timezone="America/Montreal"))
        there = export_json(store, montreal)
        assert paris["meetings"][SEEDED]["start"] == "2026-12-04T19:00:00+01:00"
        assert there["meetings"][SEEDED]["start"] == "2026-12-04T13:00:00-05:00"
        assert export_json(store, Config()) == paris
    finally:
        db.close()


TEXTS = ['Atelier "briques" \\ n°1', "ligne\nautre\tcolonne", "\x01\x1f\x7f", "😀 🧱 𝄞", "\u2028\u202e", "مرحبا", "</script>"]


def test_text_instants_and_answers_come_out_as_they_are(tmp_path: Path):
    db = connect(tmp_path / "t.db")
    store = Store(db)
    # a second before and at each change of summer time, and an instant with microseconds
    starts = [datetime(2027, 3, 28, 0, 59, 59, tzinfo=timezone.utc), datetime(2027, 3, 28, 1, 0, tzinfo=timezone.utc),
              datetime(2027, 10, 31, 0, 59, 59, tzinfo=timezone.utc), datetime(2027, 10, 31, 1, 0, tzinfo=timezone.utc),
              datetime(2026, 12, 31, 23, 30, 15, 123456, tzinfo=timezone.utc)]
    try:
        with db.atomic():
            for k, text in enumerate(TEXTS):
                start = starts[k % len(starts)]
                meetings.propose(store, Actor(text, False), NOW, Event(start, start + timedelta(hours=1)), text, text, text)
                topics.add(store, Actor(text, False), NOW, text, "console")
            bricks.add(store, ALICE, NOW, "Cantine", TEXTS[1])
            for k, person in enumerate(["zoé", "Émile", "alice", "😀", "Zed", "bob"]):  # not in the order of their names
                meetings.rsvp(store, Actor(person, False), NOW + timedelta(minutes=k), SEEDED + 1, "yes")
        out = export_json_text(store, Config())
        data = json.loads(out)
        mine = data["meetings"][SEEDED:]
        assert [m["title"] for m in mine] == TEXTS
        assert [m["place"] for m in mine] == TEXTS and [m["room"] for m in mine] == TEXTS
        assert [t["text"] for t in data["topics"]] == TEXTS and [t["added_by"] for t in data["topics"]] == TEXTS
        assert data["bricks"][-1]["description"] == TEXTS[1]
        assert [m["start"] for m in mine[:5]] == [
            "2027-03-28T01:59:59+01:00", "2027-03-28T03:00:00+02:00", "2027-10-31T02:59:59+02:00",
            "2027-10-31T02:00:00+01:00", "2027-01-01T00:30:15+01:00"]
        assert mine[4]["end"] == "2027-01-01T01:30:15+01:00"
        # by name, in the order of their characters (as SQLite sorted them)
        assert mine[0]["rsvp"] == {"yes": ["Zed", "alice", "bob", "zoé", "Émile", "😀"], "no": [], "maybe": []}
        assert "\u2028" in out  # JSON text that stays one line for a feed: nothing but what JSON escapes is escaped
        assert json.loads(out) == export_json(store, Config())
    finally:
        db.close()
