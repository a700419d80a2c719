"""The calendar feed as calendar programs read it: parsed by icalendar and expanded by
recurring-ical-events (readers that share nothing with the bot's writer), its occurrences
are the bot's own; a moved meeting keeps its UID with a higher SEQUENCE; the stamps say
when each record changed; a calendar that has not changed is answered 304, unbuilt."""
from __future__ import annotations

import json
import sqlite3
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import recurring_ical_events
from icalendar import Calendar

from bot.export import export_ics, export_json
from bot.services import permanences as permanence_svc
from bot.services import rhythm as rhythm_svc
from storage.migrations import REVISED_TABLES
from tests.web.conftest import NOW, TOKEN

UTC = timezone.utc
PARIS = ZoneInfo("Europe/Paris")
SESSION = "Séance de la Chambre des Communs"
# Across the change to summer time (28 March 2027) and back (31 October 2027).
START, END = datetime(2026, 12, 1, tzinfo=UTC), datetime(2027, 11, 30, tzinfo=UTC)


async def calendar(board, path: str = "/calendrier.ics") -> Calendar:
    r = await board.get(path)
    assert r.status == 200 and r.headers["Content-Type"] == "text/calendar; charset=utf-8"
    return Calendar.from_ical(r.text)


def starts(cal: Calendar, summary: str, start=START, end=END) -> list[datetime]:
    found = recurring_ical_events.of(cal).between(start, end)
    return sorted(e["DTSTART"].dt.astimezone(UTC) for e in found if str(e["SUMMARY"]) == summary)


def event(cal: Calendar, uid: str, recurrence: bool = False):
    (found,) = [e for e in cal.walk("VEVENT") if str(e["UID"]) == uid and ("RECURRENCE-ID" in e) == recurrence]
    return found


async def test_sessions_and_permanences_expand_to_the_bots_own_dates(board):
    cal = await calendar(board)
    store = board.chat.store
    rhythm = store.rhythm()
    ours = [s.astimezone(UTC) for s in rhythm_svc.sessions(rhythm, START, before=END)]
    assert starts(cal, SESSION) == ours
    assert {s.astimezone(PARIS).hour for s in ours} == {18} and len(ours) == 26  # winter and summer alike
    perm = store.permanence(1)
    ours = [o.astimezone(UTC) for o in permanence_svc.occurrences(perm, START, before=END)]
    assert datetime(2026, 12, 15, 16, tzinfo=UTC) not in ours  # the cancelled Tuesday
    assert starts(cal, "Permanence des communs") == ours
    assert {o.astimezone(PARIS).hour for o in ours} == {17}


async def test_the_series_say_what_they_hold(board):
    cal = await calendar(board)
    session = event(cal, "sessions@chambre-bot")
    assert "Salle pour janvier (alice)" in str(session["DESCRIPTION"]) and str(session["LOCATION"]) == "MESHS"
    series = event(cal, "permanence-1@chambre-bot")
    assert "Pour en tenir une : « !permanence tenir 1 ; <date> »" in str(series["DESCRIPTION"])
    held = event(cal, "permanence-1@chambre-bot", recurrence=True)
    assert held["RECURRENCE-ID"].dt == datetime(2026, 12, 8, 17, tzinfo=PARIS)
    assert str(held["DESCRIPTION"]) == "Tenue par bob."
    eighth = [e for e in recurring_ical_events.of(cal).between(datetime(2026, 12, 8, tzinfo=UTC), datetime(2026, 12, 9, tzinfo=UTC))
              if str(e["SUMMARY"]) == "Permanence des communs"]
    assert [str(e["DESCRIPTION"]) for e in eighth] == ["Tenue par bob."]
    # times are local with the zone, whose definition is in the file
    assert series["DTSTART"].params["TZID"] == "Europe/Paris"
    assert [str(z["TZID"]) for z in cal.walk("VTIMEZONE")] == ["Europe/Paris"]


async def test_meetings_have_their_status_and_the_undated_are_left_out(board):
    cal = await calendar(board)
    status = {str(e["UID"]): str(e["STATUS"]) for e in cal.walk("VEVENT") if str(e["UID"]).startswith("meeting-")}
    assert status == {"meeting-8@chambre-bot": "CONFIRMED", "meeting-9@chambre-bot": "TENTATIVE",
                      "meeting-10@chambre-bot": "TENTATIVE", "meeting-12@chambre-bot": "CANCELLED"}
    one = event(cal, "meeting-8@chambre-bot")
    assert (one["DTSTART"].dt, one["DTEND"].dt) == (datetime(2026, 12, 4, 19, tzinfo=PARIS), datetime(2026, 12, 4, 21, tzinfo=PARIS))
    assert str(one["URL"]) == board.url + "/reunions/8"
    assert "salle prise" in str(event(cal, "meeting-12@chambre-bot")["DESCRIPTION"])


async def test_the_feed_keeps_a_year_of_past_meetings_and_the_hosts_of_dates_to_come(board):
    with board.chat.db.atomic():  # written as a past record: the chat takes dates ahead only
        board.chat.store.add_meeting("Il y a deux ans", NOW - timedelta(days=730), None, "MESHS", "alice", "!r", NOW)
        board.chat.store.add_meeting("Il y a six mois", NOW - timedelta(days=180), None, "MESHS", "alice", "!r", NOW)
        board.chat.store.add_host(1, datetime(2026, 11, 24, 16, tzinfo=UTC), "bob", NOW)  # last week's date
    summaries = {str(e["SUMMARY"]) for e in (await calendar(board)).walk("VEVENT")}
    assert "Il y a six mois" in summaries and "Il y a deux ans" not in summaries
    held = [e["RECURRENCE-ID"].dt for e in (await calendar(board)).walk("VEVENT") if "RECURRENCE-ID" in e]
    assert held == [datetime(2026, 12, 8, 17, tzinfo=PARIS)]
    # the export an operator keeps has them all
    from bot.export import export_ics

    everything = Calendar.from_ical(export_ics(board.chat.store, board.chat.config, NOW))
    assert "Il y a deux ans" in {str(e["SUMMARY"]) for e in everything.walk("VEVENT")}
    assert len([e for e in everything.walk("VEVENT") if "RECURRENCE-ID" in e]) == 2
    # the next day, the feed is another one (its window moved)
    etag = (await board.get("/calendrier.ics")).headers["ETag"]
    board.server.clock.advance(timedelta(days=1))
    assert (await board.get("/calendrier.ics", **{"If-None-Match": etag})).status == 200


async def test_a_moved_meeting_keeps_its_uid_and_raises_its_sequence(board):
    before = event(await calendar(board), "meeting-8@chambre-bot")
    session_before = event(await calendar(board), "sessions@chambre-bot")
    board.chat.now = NOW + timedelta(hours=3)
    assert "déplacée" in board.say("!réunion déplacer 8 ; vendredi 11 décembre 19h-21h")
    after_cal = await calendar(board)
    after = event(after_cal, "meeting-8@chambre-bot")
    assert int(after["SEQUENCE"]) > int(before["SEQUENCE"])
    assert after["DTSTART"].dt == datetime(2026, 12, 11, 19, tzinfo=PARIS)
    assert str(after["STATUS"]) == "TENTATIVE"  # a moved meeting needs confirming again
    # the stamps say when it changed; records that did not change keep theirs
    assert after["LAST-MODIFIED"].dt == after["DTSTAMP"].dt == NOW + timedelta(hours=3)
    assert before["DTSTAMP"].dt == NOW
    assert event(after_cal, "sessions@chambre-bot")["DTSTAMP"].dt == session_before["DTSTAMP"].dt
    # a calendar expands it once, at its new date
    assert starts(after_cal, "Atelier briques") == [datetime(2026, 12, 11, 18, tzinfo=UTC)]
    # confirmed again, it rises again
    board.say("!réunion confirmer 8")
    again = event(await calendar(board), "meeting-8@chambre-bot")
    assert int(again["SEQUENCE"]) > int(after["SEQUENCE"]) and str(again["STATUS"]) == "CONFIRMED"


async def test_an_unchanged_calendar_is_answered_304_without_being_built(board):
    first = await board.get("/calendrier.ics")
    etag, modified = first.headers["ETag"], first.headers["Last-Modified"]
    built = board.server.builds
    again = await board.get("/calendrier.ics")
    assert again.text == first.text and again.headers["ETag"] == etag and board.server.builds == built

    r = await board.get("/calendrier.ics", **{"If-None-Match": etag})
    assert (r.status, r.text, r.headers["ETag"]) == (304, "", etag)
    r = await board.get("/calendrier.ics", **{"If-None-Match": f'"other", {etag}'})
    assert r.status == 304
    assert board.server.builds == built

    # If-Modified-Since (HTTP dates have whole seconds: a change older than one)
    def backdate(db):
        with db.atomic():
            db.execute("UPDATE records_revision SET at = '2025-11-03T08:00:00Z'")
    backdate(board.chat.db)
    r = await board.get("/calendrier.ics", **{"If-Modified-Since": "Mon, 03 Nov 2025 08:00:00 GMT"})
    assert r.status == 304 and r.headers["Last-Modified"] == "Mon, 03 Nov 2025 08:00:00 GMT"
    r = await board.get("/calendrier.ics", **{"If-Modified-Since": "Mon, 03 Nov 2025 07:59:59 GMT"})
    assert r.status == 200
    assert board.server.builds == built

    # a change through the chat: a new ETag, and the calendar as it now is
    board.say("!odj ajouter Budget 2027", who="alice")
    r = await board.get("/calendrier.ics", **{"If-None-Match": etag})
    assert r.status == 200 and r.headers["ETag"] != etag and "Budget 2027" in r.text
    assert board.server.builds == built + 1
    assert modified  # sent with every answer


async def test_the_english_feed_and_the_json_export_have_their_own_tags(make_board):
    board = await make_board(token=TOKEN)
    cal = await calendar(board, "/calendar.ics")
    assert str(event(cal, "sessions@chambre-bot")["SUMMARY"]) == "Chambre des Communs session"
    french = (await board.get("/calendrier.ics")).headers["ETag"]
    english = (await board.get("/calendar.ics")).headers["ETag"]
    assert french != english
    export = await board.get(f"/export.json?token={TOKEN}")
    assert export.status == 200 and export.headers["ETag"] not in (french, english)
    assert (await board.get(f"/export.json?token={TOKEN}", **{"If-None-Match": export.headers["ETag"]})).status == 304


async def test_member_text_cannot_make_events_of_its_own(board):
    evil = "fin\r\nEND:VEVENT\r\nBEGIN:VEVENT\nUID:evil@x\nSUMMARY:piège\nDTSTART:20261205T100000Z\nEND:VEVENT\nBEGIN:VEVENT"
    assert "caractères de contrôle" in board.say("!odj ajouter " + evil, who="mallory")  # the chat refuses it...
    with board.chat.db.atomic():  # ...and were it written by another path, it would stay text
        board.chat.store.add_topic(evil + "\x00\x1b[31m", "mallory", "!room:test", board.chat.now)
    board.say("!réunion proposer samedi 5 décembre 10h ; a,b\\c ; salle ; ici, là", who="mallory")
    cal = await calendar(board)
    uids = [str(e["UID"]) for e in cal.walk("VEVENT")]
    assert "evil@x" not in uids and len(uids) == 8  # the session, 5 dated meetings, the permanence and its held date
    assert "UID:evil@x" in str(event(cal, "sessions@chambre-bot")["DESCRIPTION"]).replace("\n", "")
    meeting = event(cal, "meeting-13@chambre-bot")
    stored = board.chat.store.meeting(13)
    assert ";" in stored.place and "," in stored.title + stored.place and "\\" in stored.title
    assert (str(meeting["SUMMARY"]), str(meeting["LOCATION"])) == (stored.title, stored.place)


async def test_the_zone_in_the_feed_holds_beyond_2038(board):
    text = (await board.get("/calendrier.ics")).text
    assert "2038" not in text
    # read by its own VTIMEZONE, not by the zone's name: summer sessions of 2040 at 18:00
    renamed = Calendar.from_ical(text.replace("Europe/Paris", "Chambre/Lille"))
    start, end = datetime(2040, 6, 1, tzinfo=UTC), datetime(2040, 8, 1, tzinfo=UTC)
    ours = [s.astimezone(UTC) for s in rhythm_svc.sessions(board.chat.store.rhythm(), start, before=end)]
    assert starts(renamed, SESSION, start, end) == ours and {s.hour for s in ours} == {16}  # 18:00 CEST


async def test_a_pledge_is_a_change_of_the_export(make_board):
    # The export holds every pledge (main's 0007_pledges): a new, a replaced or a stopped one
    # gives /export.json a new tag, else a reader holding the old one keeps the old pledges.
    board = await make_board(token=TOKEN)
    path = f"/export.json?token={TOKEN}"
    first = await board.get(path)
    assert first.status == 200 and json.loads(first.text)["pledges"] == []
    assert "Merci" in board.say("!mécénat engager 20 par mois ; anonyme", who="alice")
    r = await board.get(path, **{"If-None-Match": first.headers["ETag"]})
    assert r.status == 200 and [p["amount_cents"] for p in json.loads(r.text)["pledges"]] == [2000]
    board.say("!mécénat arrêter", who="alice")
    stopped = await board.get(path, **{"If-None-Match": r.headers["ETag"]})
    assert stopped.status == 200 and json.loads(stopped.text)["pledges"][0]["end_reason"] == "stopped"


async def test_every_table_the_feed_and_the_export_read_raises_the_revision(board):
    # What the ETag promises: a table read to build either document is one whose changes
    # raise records_revision (storage/migrations.py). A table added to the export later (a
    # session's minutes, a poll) fails here until it is added to REVISED_TABLES.
    read: set[str] = set()

    def note(action, table, *_):
        if action == sqlite3.SQLITE_READ and table and not table.startswith("sqlite_"):
            read.add(table)
        return sqlite3.SQLITE_OK

    chat = board.chat  # the group's records (GROUP), and a pledge
    board.say("!mécénat engager 20 par mois", who="alice")
    chat.db.conn.set_authorizer(note)
    try:
        export_json(chat.store, chat.config)
        export_ics(chat.store, chat.config, chat.now)
    finally:
        chat.db.conn.set_authorizer(None)
    assert {"meetings", "bricks", "pledges", "rhythm"} <= read
    assert read <= REVISED_TABLES, read - REVISED_TABLES
