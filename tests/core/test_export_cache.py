"""The JSON export keeps each record's text until the record changes (storage/export_sql.py):
whatever changes, the export must equal one built from nothing, in the configured zone."""
from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

from bot.config import ChambreConfig, Config
from bot.export import export_json
from bot.services import Actor
from bot.services import bricks, meetings, topics
from bot.when import Event
from storage.db import connect
from storage.store import Store

NOW = datetime(2026, 12, 1, 9, tzinfo=timezone.utc)
ALICE = Actor("alice", True)


def fresh(db, config: Config) -> dict:
    with db.atomic():
        db.execute("UPDATE meetings SET export = NULL")
        db.execute("UPDATE bricks SET export = NULL")
    return export_json(Store(db), config)


def test_every_change_shows_in_the_next_export(tmp_path: Path):
    db = connect(tmp_path / "c.db")
    store, config = Store(db), Config()
    changes = [
        lambda: meetings.propose(store, ALICE, NOW, Event(NOW + timedelta(days=3), NOW + timedelta(days=3, hours=2)), "Atelier", "MESHS", "console"),
        lambda: meetings.propose(store, ALICE, NOW, None, "Rencontre OVH", None, "console"),
        lambda: meetings.propose(store, ALICE, NOW, Event(date(2027, 4, 1), None), "Journée", None, "console"),
        lambda: meetings.rsvp(store, Actor("bob", False), NOW, 1, "maybe"),
        lambda: meetings.rsvp(store, Actor("bob", False), NOW, 1, "yes"),
        lambda: meetings.rsvp(store, Actor("carol", False), NOW, 1, "no"),
        lambda: meetings.confirm(store, ALICE, NOW, 1),
        lambda: meetings.move(store, ALICE, NOW, 2, Event(datetime(2027, 3, 28, 1, 30, tzinfo=timezone.utc), None)),
        lambda: meetings.set_place(store, ALICE, NOW, 2, "Tiers-lieu"),
        lambda: meetings.cancel(store, ALICE, NOW, 3, "pluie"),
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
        for change in changes:
            with db.atomic():
                change()
            cached = export_json(store, config)
            assert cached == fresh(db, config)
        final = export_json(store, config)
        m1, m2 = final["meetings"][0], final["meetings"][1]
        assert m1["status"] == "confirmed" and m1["start"] == "2026-12-04T10:00:00+01:00"
        assert m1["rsvp"] == {"yes": ["bob"], "no": ["carol"], "maybe": []}
        # 01:30 UTC on the night of the spring switch is 03:30 summer time in Paris
        assert m2["start"] == "2027-03-28T03:30:00+02:00" and m2["place"] == "Tiers-lieu"
        assert final["meetings"][2] == {**final["meetings"][2], "start": "2027-04-01", "end": None, "status": "cancelled"}
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
        assert paris["meetings"][0]["start"] == "2026-12-04T19:00:00+01:00"
        assert there["meetings"][0]["start"] == "2026-12-04T13:00:00-05:00"
        assert there == fresh(db, montreal)
        assert export_json(store, Config()) == paris
    finally:
        db.close()
