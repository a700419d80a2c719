"""The rest of the contract: formatting, read_day, read_duration, WhenError, Recurrence."""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from bot.when import (Event, Recurrence, WhenError, describe_recurrence, format_day,
                      format_event, format_instant, read_day, read_duration, read_event,
                      read_recurrence, warm_up)

PARIS = ZoneInfo("Europe/Paris")
NOW = dt.datetime(2027, 3, 24, 10, 0, tzinfo=PARIS)


def test_format_instant_and_day() -> None:
    t = dt.datetime(2027, 3, 26, 19, 0, tzinfo=PARIS)
    assert format_instant(t, "fr") == "vendredi 26 mars 2027, 19:00"
    assert format_instant(t, "en") == "Friday 26 March 2027, 19:00"
    assert format_instant(t.astimezone(dt.timezone.utc), "fr", tz="Europe/Paris") == \
        "vendredi 26 mars 2027, 19:00"
    assert format_day(dt.date(2027, 9, 15), "fr") == "mercredi 15 septembre 2027"
    assert format_day(dt.date(2027, 9, 15), "en") == "Wednesday 15 September 2027"
    assert format_day(dt.date(2027, 4, 1), "fr") == "jeudi 1er avril 2027"
    assert format_day(dt.date(2027, 8, 15), "fr") == "dimanche 15 août 2027"


def test_format_event() -> None:
    ev = read_event("vendredi 19h-21h", NOW)
    assert format_event(ev, "fr") == "vendredi 26 mars 2027, 19:00–21:00"
    assert format_event(ev, "en") == "Friday 26 March 2027, 19:00–21:00"
    ev = read_event("jeudi de 22h à minuit", NOW)
    assert format_event(ev, "fr") == "jeudi 25 mars 2027, 22:00 – vendredi 26 mars 2027, 00:00"
    assert format_event(read_event("vendredi 19h", NOW), "fr") == "vendredi 26 mars 2027, 19:00"
    assert format_event(read_event("15 septembre", NOW), "en") == "Wednesday 15 September 2027"


def test_event_record() -> None:
    day = read_event("15 septembre", NOW)
    assert day.all_day and day.start == dt.date(2027, 9, 15) and day.end is None
    assert day.to_json() == {"start": "2027-09-15", "end": None}
    ev = read_event("vendredi 19h", NOW)
    assert not ev.all_day and ev.start.tzinfo is not None
    assert Event(ev.start) == ev


def test_read_day() -> None:
    assert read_day("17/12", NOW, "Europe/Paris") == dt.date(2027, 12, 17)
    assert read_day("vendredi 17 décembre", NOW, "Europe/Paris") == dt.date(2027, 12, 17)
    assert read_day("jeudi", NOW, "Europe/Paris") == dt.date(2027, 3, 25)
    assert read_day("mercredi", NOW, "Europe/Paris") == dt.date(2027, 3, 24)  # today counts
    assert read_day("demain", NOW, "Europe/Paris") == dt.date(2027, 3, 25)
    for bad in ("jeudi 18h", "jeudi 17 décembre", "hier", "truc", "dans 2 heures"):
        with pytest.raises(WhenError):
            read_day(bad, NOW, "Europe/Paris")


def test_read_duration() -> None:
    assert read_duration("2 jours") == dt.timedelta(days=2)
    assert read_duration("24 heures") == dt.timedelta(hours=24)
    assert read_duration("1 heure") == dt.timedelta(hours=1)
    assert read_duration("30 minutes") == dt.timedelta(minutes=30)
    assert read_duration("2 days") == dt.timedelta(days=2)
    assert read_duration("1 hour") == dt.timedelta(hours=1)
    assert read_duration("1h30") == dt.timedelta(minutes=90)
    assert read_duration("une semaine") == dt.timedelta(days=7)
    for bad in ("", "deux", "2", "2 mois", "0 minutes", "2 jours de plus", "bientôt"):
        with pytest.raises(WhenError) as caught:
            read_duration(bad)
        assert "2 jours" in caught.value.explain("fr") or "2 days" in caught.value.explain("en")


def test_errors_explain_in_the_language_of_the_request() -> None:
    with pytest.raises(WhenError) as caught:
        read_event("jeudi 18h chez Paul", NOW)
    err = caught.value
    assert isinstance(err, ValueError)
    assert "chez Paul" in str(err) and "jeudi 18h" in str(err)  # not understood, understood
    assert "Exemples" in str(err) and "« jeudi 18h »" in str(err)
    assert "Examples that work" in err.explain("en") and '"thursday 6pm"' in err.explain("en")
    with pytest.raises(WhenError) as caught:
        read_event("thursday 6pm at Paul's", NOW)
    assert "Examples that work" in str(caught.value)
    with pytest.raises(WhenError) as caught:
        read_event("thursday 6pm at Paul's", NOW, lang="fr")
    assert "Exemples" in str(caught.value)
    with pytest.raises(WhenError) as caught:
        read_recurrence("every monday", NOW)
    assert "every thursday at 6pm" in str(caught.value)
    with pytest.raises(WhenError) as caught:
        read_event("la semaine prochaine", NOW)
    assert "vague" in str(caught.value)
    with pytest.raises(WhenError) as caught:
        read_event("lundi 6 avril 14h", NOW)
    assert "mardi" in str(caught.value) and "Tuesday" in caught.value.explain("en")


def test_recurrence_round_trip_and_windows() -> None:
    rec = read_recurrence("un jeudi sur deux de 18h à 20h jusqu'au 20 mai", NOW)
    assert rec.rrule == "FREQ=WEEKLY;INTERVAL=2;BYDAY=TH;UNTIL=20270520T215959Z"
    assert rec.until == dt.date(2027, 5, 20)
    assert rec.duration == dt.timedelta(hours=2) and rec.tz == "Europe/Paris"
    assert rec.dtstart == dt.datetime(2027, 3, 25, 18, tzinfo=PARIS)
    again = Recurrence.from_parts(rec.rrule, rec.dtstart.astimezone(dt.timezone.utc), 120,
                                  "Europe/Paris")
    assert again == rec and again.to_json() == rec.to_json()
    assert [o.day for o in rec.first(10)] == [25, 8, 22, 6, 20]  # ends with 20 May included
    after = dt.datetime(2027, 4, 8, 18, tzinfo=PARIS)
    assert rec.occurrences(after, count=1)[0] == after
    assert rec.occurrences(after, count=1, inclusive=False)[0].day == 22
    window = rec.occurrences(NOW, before=dt.datetime(2027, 4, 22, 18, tzinfo=PARIS))
    assert [o.day for o in window] == [25, 8]
    assert rec.to_json()["duration_minutes"] == 120
    assert len(rec.to_json()["occurrences"]) == 4


def test_recurrence_from_storage_with_a_local_until() -> None:
    rec = Recurrence.from_parts("RRULE:FREQ=WEEKLY;BYDAY=MO;UNTIL=20270412",
                                dt.datetime(2027, 3, 29, 19, tzinfo=PARIS), None, "Europe/Paris")
    assert rec.until == dt.date(2027, 4, 12)
    assert [o.isoformat() for o in rec.first(5)] == [
        "2027-03-29T19:00:00+02:00", "2027-04-05T19:00:00+02:00", "2027-04-12T19:00:00+02:00"]
    with pytest.raises(ValueError):
        Recurrence.from_parts("FREQ=WEEKLY", NOW, None, "Europe/Paris").occurrences(NOW)


def test_endless_recurrences_need_a_bound() -> None:
    rec = read_recurrence("tous les jours à 8h", NOW)
    with pytest.raises(ValueError):
        rec.occurrences(NOW)
    assert len(rec.occurrences(NOW, before=NOW + dt.timedelta(days=10))) == 10


def test_describe_recurrence() -> None:
    now = dt.datetime(2026, 11, 20, 10, tzinfo=PARIS)
    rec = read_recurrence("un jeudi sur deux de 18h à 20h à partir du 3 décembre", now)
    assert describe_recurrence(rec, "fr") == \
        "un jeudi sur deux à 18:00 (durée 2 h), à partir du jeudi 3 décembre 2026"
    assert describe_recurrence(rec, "en") == \
        "every other Thursday at 18:00 (duration 2 h), starting Thursday 3 December 2026"
    rec = read_recurrence("chaque dernier jeudi du mois à 18h jusqu'au 30 juin", NOW)
    assert describe_recurrence(rec, "fr") == ("le dernier jeudi du mois à 18:00, à partir du "
                                              "jeudi 25 mars 2027, jusqu'au mercredi 30 juin 2027 inclus")
    rec = read_recurrence("tous les mois le 10 à 19h", NOW)
    assert describe_recurrence(rec, "en").startswith("every month on the 10th at 19:00")
    rec = read_recurrence("chaque semaine le mardi et le vendredi à 9h", NOW)
    assert describe_recurrence(rec, "fr").startswith("chaque semaine le mardi et le vendredi à 09:00")
    rec = read_recurrence("tous les jours à 8h pendant 1h30", NOW)
    assert describe_recurrence(rec, "fr").startswith("tous les jours à 08:00 (durée 1 h 30)")


def test_warm_up_changes_no_reading() -> None:
    before = [read_event("jeudi 18h", NOW).to_json(), read_recurrence("every tuesday 5pm", NOW).rrule]
    warm_up()
    warm_up()  # a second call (a restart of the app in the same process) is harmless
    after = [read_event("jeudi 18h", NOW).to_json(), read_recurrence("every tuesday 5pm", NOW).rrule]
    assert after == before == [{"start": "2027-03-25T18:00:00+01:00", "end": None},
                               "FREQ=WEEKLY;BYDAY=TU"]
