"""The rules of TIME.md, case by case: other days, months, numbers, word orders, accents,
abbreviations, English, both changes of summer time, and the refusals. The reference time is
Wednesday 24 March 2027, 10:00 in Paris, four days before the spring change, unless a case
gives its own."""
from __future__ import annotations

import datetime as dt
import json
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings, strategies as st

from bot.when import (WhenError, describe_recurrence, read_day, read_event, read_recurrence,
                      run_when_cli)

PARIS = ZoneInfo("Europe/Paris")
NOW = dt.datetime(2027, 3, 24, 10, 0, tzinfo=PARIS)


def at(y, m, d, hh=None, mm=0) -> str:
    if hh is None:
        return dt.date(y, m, d).isoformat()
    return dt.datetime(y, m, d, hh, mm, tzinfo=PARIS).isoformat()


def E(text, start, end=None):
    return pytest.param(text, {"start": start, "end": end}, id=text)


def X(text):
    return pytest.param(text, "error", id="error: " + text)


EVENTS = [
    # times, written every way
    E("jeudi 18h30", at(2027, 3, 25, 18, 30)),
    E("jeudi 18 h 30", at(2027, 3, 25, 18, 30)),
    E("jeudi 18:30", at(2027, 3, 25, 18, 30)),
    E("jeudi à 18h30", at(2027, 3, 25, 18, 30)),
    E("Jeudi À 18H30", at(2027, 3, 25, 18, 30)),
    E("jeu 18h30", at(2027, 3, 25, 18, 30)),
    E("jeu. 18h30", at(2027, 3, 25, 18, 30)),
    E("jeudi 18h30min", at(2027, 3, 25, 18, 30)),
    E("jeudi à 18 heures", at(2027, 3, 25, 18)),
    E("jeudi à dix-huit heures", at(2027, 3, 25, 18)),
    E("jeudi 8h du soir", at(2027, 3, 25, 20)),
    E("thursday 6:30pm", at(2027, 3, 25, 18, 30)),
    E("thu 6:30 pm", at(2027, 3, 25, 18, 30)),
    E("vendredi à midi", at(2027, 3, 26, 12)),
    E("vendredi midi et demi", at(2027, 3, 26, 12, 30)),
    E("vendredi midi et quart", at(2027, 3, 26, 12, 15)),
    E("friday at noon", at(2027, 3, 26, 12)),
    E("samedi 6pm", at(2027, 3, 27, 18)),
    E("samedi 6 pm", at(2027, 3, 27, 18)),
    E("samedi 6 p.m.", at(2027, 3, 27, 18)),
    E("samedi 9am", at(2027, 3, 27, 9)),
    E("minuit et quart", at(2027, 3, 25, 0, 15)),
    # weekdays: the nearest one ahead
    E("dimanche 10h", at(2027, 3, 28, 10)),
    E("dimanche 0h30", at(2027, 3, 28, 0, 30)),
    E("lundi 9h", at(2027, 3, 29, 9)),
    E("mardi 9h", at(2027, 3, 30, 9)),
    E("mercredi 11h", at(2027, 3, 24, 11)),
    E("mercredi 10h", at(2027, 3, 31, 10)),
    E("mercredi 9h59", at(2027, 3, 31, 9, 59)),
    E("lundi prochain 9h", at(2027, 3, 29, 9)),
    E("lundi prochain à 9h", at(2027, 3, 29, 9)),
    E("vendredi qui vient à 18h", at(2027, 3, 26, 18)),
    E("ce vendredi à 18h", at(2027, 3, 26, 18)),
    E("next monday 9am", at(2027, 3, 29, 9)),
    E("this monday at 9am", at(2027, 3, 29, 9)),
    E("mercredi prochain 8h", at(2027, 3, 31, 8)),
    E("mercredi en huit 15h", at(2027, 3, 31, 15)),
    E("mercredi en huit 8h", at(2027, 4, 7, 8)),
    E("jeudi en quinze à 18h", at(2027, 4, 8, 18)),
    E("jeudi en 8 à 18h", at(2027, 4, 1, 18)),
    # relative days
    E("demain 7h", at(2027, 3, 25, 7)),
    E("demain à 7h45", at(2027, 3, 25, 7, 45)),
    E("tomorrow at 7:45am", at(2027, 3, 25, 7, 45)),
    E("après-demain 14h", at(2027, 3, 26, 14)),
    E("apres demain 14h", at(2027, 3, 26, 14)),
    E("day after tomorrow at 2pm", at(2027, 3, 26, 14)),
    E("aujourd'hui 18h", at(2027, 3, 24, 18)),
    E("aujourd\u2019hui à 18h", at(2027, 3, 24, 18)),
    E("today at 6pm", at(2027, 3, 24, 18)),
    E("ce soir à 20h", at(2027, 3, 24, 20)),
    E("tonight at 8pm", at(2027, 3, 24, 20)),
    E("demain matin à 9h", at(2027, 3, 25, 9)),
    E("jeudi soir 20h30", at(2027, 3, 25, 20, 30)),
    E("demain jeudi 9h", at(2027, 3, 25, 9)),
    # dates, every order and abbreviation
    E("le 2 avril à 18h", at(2027, 4, 2, 18)),
    E("2 avril 18h", at(2027, 4, 2, 18)),
    E("18h le 2 avril", at(2027, 4, 2, 18)),
    E("le vendredi 2 avril à 18h", at(2027, 4, 2, 18)),
    E("vendredi 2 avril 2027 à 18h", at(2027, 4, 2, 18)),
    E("ven. 2 avr. 18h", at(2027, 4, 2, 18)),
    E("02/04 18h", at(2027, 4, 2, 18)),
    E("2/4 à 18h", at(2027, 4, 2, 18)),
    E("02/04/2027 18:00", at(2027, 4, 2, 18)),
    E("2/4/27 18h", at(2027, 4, 2, 18)),
    E("2027-04-02 18:00", at(2027, 4, 2, 18)),
    E("april 2 at 6pm", at(2027, 4, 2, 18)),
    E("April 2nd at 6pm", at(2027, 4, 2, 18)),
    E("2 april 2027 6pm", at(2027, 4, 2, 18)),
    E("friday april 2 at 6pm", at(2027, 4, 2, 18)),
    E("on friday, april 2 at 6pm", at(2027, 4, 2, 18)),
    E("the 2nd of april at 6pm", at(2027, 4, 2, 18)),
    E("le 1er mai à 10h", at(2027, 5, 1, 10)),
    E("1er mai 10h", at(2027, 5, 1, 10)),
    E("le premier mai à 10h", at(2027, 5, 1, 10)),
    E("le 15 août à 11h", at(2027, 8, 15, 11)),
    E("15 aout 11h", at(2027, 8, 15, 11)),
    E("le 23 décembre à 20h", at(2027, 12, 23, 20)),
    E("23 dec 20h", at(2027, 12, 23, 20)),
    E("le 10 sept. à 9h", at(2027, 9, 10, 9)),
    E("le 3 janvier 2028 à 9h", at(2028, 1, 3, 9)),
    E("le 20 mars 2028 à 10h", at(2028, 3, 20, 10)),
    E("le 24 mars à 11h", at(2027, 3, 24, 11)),
    E("le 24 mars 2028 à 9h", at(2028, 3, 24, 9)),
    E("le 29 février à 10h", at(2028, 2, 29, 10)),
    E("le 26 à 19h", at(2027, 3, 26, 19)),
    E("le 30 à 19h", at(2027, 3, 30, 19)),
    E("jeudi 25 à 19h", at(2027, 3, 25, 19)),
    # a day alone
    E("le 31", at(2027, 3, 31)),
    E("le 24", at(2027, 3, 24)),
    E("15 septembre", at(2027, 9, 15)),
    E("le 15/09", at(2027, 9, 15)),
    E("jeudi", at(2027, 3, 25)),
    E("mercredi", at(2027, 3, 24)),
    E("demain", at(2027, 3, 25)),
    E("dans 3 jours", at(2027, 3, 27)),
    E("tomorrow", at(2027, 3, 25)),
    # in ... (dans ...)
    E("dans trois jours à 18h", at(2027, 3, 27, 18)),
    E("dans 2 semaines à 10h", at(2027, 4, 7, 10)),
    E("dans deux semaines à 10h", at(2027, 4, 7, 10)),
    E("dans une semaine à 10h", at(2027, 3, 31, 10)),
    E("dans huit jours à 10h", at(2027, 3, 31, 10)),
    E("dans quinze jours à 10h", at(2027, 4, 7, 10)),
    E("dans un mois à 10h", at(2027, 4, 24, 10)),
    E("dans 1 heure", at(2027, 3, 24, 11)),
    E("dans une heure", at(2027, 3, 24, 11)),
    E("dans 2h", at(2027, 3, 24, 12)),
    E("dans 1h30", at(2027, 3, 24, 11, 30)),
    E("dans 90 minutes", at(2027, 3, 24, 11, 30)),
    E("dans 10 min", at(2027, 3, 24, 10, 10)),
    E("dans un quart d'heure", at(2027, 3, 24, 10, 15)),
    E("dans une demi-heure", at(2027, 3, 24, 10, 30)),
    E("in 2 hours", at(2027, 3, 24, 12)),
    E("in 30 minutes", at(2027, 3, 24, 10, 30)),
    E("in half an hour", at(2027, 3, 24, 10, 30)),
    E("in two days at 6pm", at(2027, 3, 26, 18)),
    E("in a week at 9am", at(2027, 3, 31, 9)),
    # ranges
    E("jeudi 18h-20h", at(2027, 3, 25, 18), at(2027, 3, 25, 20)),
    E("jeudi 18h \u2013 20h", at(2027, 3, 25, 18), at(2027, 3, 25, 20)),
    E("jeudi 18h\u201420h", at(2027, 3, 25, 18), at(2027, 3, 25, 20)),
    E("jeudi de 18h à 20h", at(2027, 3, 25, 18), at(2027, 3, 25, 20)),
    E("jeudi de 18 h à 20 h", at(2027, 3, 25, 18), at(2027, 3, 25, 20)),
    E("jeudi entre 18h et 20h", at(2027, 3, 25, 18), at(2027, 3, 25, 20)),
    E("jeudi 18h à 20h", at(2027, 3, 25, 18), at(2027, 3, 25, 20)),
    E("jeudi 18-20h", at(2027, 3, 25, 18), at(2027, 3, 25, 20)),
    E("jeudi de 18h30 à 20h15", at(2027, 3, 25, 18, 30), at(2027, 3, 25, 20, 15)),
    E("jeudi 18:00-20:00", at(2027, 3, 25, 18), at(2027, 3, 25, 20)),
    E("thursday 6pm-8pm", at(2027, 3, 25, 18), at(2027, 3, 25, 20)),
    E("thursday from 6pm to 8pm", at(2027, 3, 25, 18), at(2027, 3, 25, 20)),
    E("thursday between 6pm and 8pm", at(2027, 3, 25, 18), at(2027, 3, 25, 20)),
    E("thursday 6pm to 8pm", at(2027, 3, 25, 18), at(2027, 3, 25, 20)),
    E("jeudi de 22h à minuit", at(2027, 3, 25, 22), at(2027, 3, 26, 0)),
    E("jeudi de midi à 14h", at(2027, 3, 25, 12), at(2027, 3, 25, 14)),
    E("le 2 avril de 9h à 17h", at(2027, 4, 2, 9), at(2027, 4, 2, 17)),
    # durations
    E("jeudi 18h pendant 2h", at(2027, 3, 25, 18), at(2027, 3, 25, 20)),
    E("jeudi 18h pendant 2 heures", at(2027, 3, 25, 18), at(2027, 3, 25, 20)),
    E("jeudi 18h durée 1h30", at(2027, 3, 25, 18), at(2027, 3, 25, 19, 30)),
    E("jeudi 18h, durée 45 min", at(2027, 3, 25, 18), at(2027, 3, 25, 18, 45)),
    E("jeudi 18h durée : 90 minutes", at(2027, 3, 25, 18), at(2027, 3, 25, 19, 30)),
    E("jeudi 18h pendant une heure et demie", at(2027, 3, 25, 18), at(2027, 3, 25, 19, 30)),
    E("thursday 6pm for 2 hours", at(2027, 3, 25, 18), at(2027, 3, 25, 20)),
    # the night of the spring change: four hours of elapsed time end at 04:00 summer time
    E("samedi 27 mars 23h pendant 4h", at(2027, 3, 27, 23), at(2027, 3, 28, 4)),
    # both changes of summer time (last Sundays of March and October 2027)
    E("le 28 mars à 1h59", at(2027, 3, 28, 1, 59)),
    E("le 28 mars à 3h", at(2027, 3, 28, 3)),
    E("le 28 mars de 1h à 4h", at(2027, 3, 28, 1), at(2027, 3, 28, 4)),
    E("le 31 octobre à 10h", at(2027, 10, 31, 10)),
    E("le 30 octobre à 10h", at(2027, 10, 30, 10)),
    E("le 31 octobre à 1h30", at(2027, 10, 31, 1, 30)),
    E("le 31 octobre à 3h30", at(2027, 10, 31, 3, 30)),
    E("le 31 octobre à 2h30", "2027-10-31T02:30:00+02:00"),  # twice that night: the first
    # refusals: the past
    X("hier 15h"), X("yesterday at 3pm"), X("avant-hier 10h"), X("aujourd'hui à 9h"),
    X("today at 9am"), X("le 20 mars 2027 à 10h"), X("le 23/03/2027 10h"), X("hier"),
    # dates and times that do not exist
    X("le 31 avril"), X("le 31 juin à 9h"), X("le 29 février 2027 à 9h"), X("30/02 9h"),
    X("31/11"), X("32/01"), X("13/13"), X("le 0 mai"), X("jeudi 25h"), X("jeudi 18h75"),
    X("le 28 mars à 2h"), X("le 28 mars à 2h30"), X("dimanche 2h30"),
    X("le 28 mars de 1h à 2h30"), X("april 31 at 9am"),
    # the weekday does not match the date
    X("lundi 6 avril"), X("mercredi 2 avril 18h"), X("monday april 6 at 2pm"), X("jeudi 26"),
    X("demain vendredi"), X("jeudi 18"),
    # the end before the start, and two ends
    X("vendredi 18h-17h"), X("friday 6pm-5pm"), X("jeudi de 20h à 18h"),
    X("jeudi 18h-20h pendant 1h"), X("dans 0 minutes"),
    # vague
    X("la semaine prochaine"), X("next week"), X("début mai"), X("fin avril"), X("mi-avril"),
    X("bientôt"), X("plus tard"), X("un de ces jours"), X("dans quelques jours"), X("soon"),
    X("later"), X("ce week-end"), X("jeudi matin"), X("demain soir"), X("jeudi soir 8h"),
    X("jeudi vers 18h"), X("le matin"),
    # words left over, ambiguities, nothing to read
    X("jeudi 18h blabla"), X("jeudi 18h chez Paul"), X("réunion jeudi 18h"), X("mar 6"),
    X("12.04 10h"), X("jeudi minuit"), X("samedi 12am"), X("pendant 2h"), X("2027"), X("18"),
    X("jeudi 18h jeudi"), X(""), X("   "), X("tous les jeudis à 18h"), X("friday 5-7pm"),
    X("jeudi 18h ?"), X("demain 18h et"), X("next mar"), X("."),
    E("jeudi 18h.", at(2027, 3, 25, 18)),
    E("le 6 avr.", at(2027, 4, 6)),
]


@pytest.mark.parametrize("text,expect", EVENTS)
def test_event(text: str, expect) -> None:
    if expect == "error":
        with pytest.raises(WhenError):
            read_event(text, NOW, "Europe/Paris")
        return
    assert read_event(text, NOW, "Europe/Paris").to_json() == expect


def R(text, occurrences, minutes=None, now=None):
    return pytest.param(text, occurrences, minutes, now, id=text)


def RX(text):
    return pytest.param(text, "error", None, None, id="error: " + text)


MONDAYS_19 = [at(2027, 3, 29, 19), at(2027, 4, 5, 19), at(2027, 4, 12, 19), at(2027, 4, 19, 19)]
OTHER_MONDAYS_19 = [at(2027, 3, 29, 19), at(2027, 4, 12, 19), at(2027, 4, 26, 19),
                    at(2027, 5, 10, 19)]
THIRD_FRIDAYS_18 = [at(2027, 3, 26, 18), at(2027, 4, 16, 18), at(2027, 5, 7, 18),
                    at(2027, 5, 28, 18)]
MON_THU_12 = [at(2027, 3, 25, 12), at(2027, 3, 29, 12), at(2027, 4, 1, 12), at(2027, 4, 5, 12)]
WEEKDAYS_9 = [at(2027, 3, 25, 9), at(2027, 3, 26, 9), at(2027, 3, 29, 9), at(2027, 3, 30, 9)]
FIRST_MONDAYS = [at(2027, 4, 5, 19), at(2027, 5, 3, 19), at(2027, 6, 7, 19), at(2027, 7, 5, 19)]
SECOND_THURSDAYS = [at(2027, 4, 8, 19), at(2027, 5, 13, 19), at(2027, 6, 10, 19),
                    at(2027, 7, 8, 19)]
LAST_FRIDAYS = [at(2027, 3, 26, 18), at(2027, 4, 30, 18), at(2027, 5, 28, 18), at(2027, 6, 25, 18)]
FIFTHS = [at(2027, 4, 5, 18), at(2027, 5, 5, 18), at(2027, 6, 5, 18), at(2027, 7, 5, 18)]
SATURDAYS_FROM_10_APRIL = [at(2027, 4, 10, 10), at(2027, 4, 17, 10), at(2027, 4, 24, 10),
                           at(2027, 5, 1, 10)]
FRIDAYS_UNTIL_9_APRIL = [at(2027, 3, 26, 19), at(2027, 4, 2, 19), at(2027, 4, 9, 19)]

RECURRENCES = [
    R("tous les lundis à 19h", MONDAYS_19),
    R("chaque lundi à 19h", MONDAYS_19),
    R("TOUS LES LUNDIS A 19H", MONDAYS_19),
    R("toutes les semaines le lundi à 19h", MONDAYS_19),
    R("every monday at 7pm", MONDAYS_19),
    R("tous les lundis de 19h à 21h", MONDAYS_19, 120),
    R("every monday 7pm-9pm", MONDAYS_19, 120),
    R("tous les lundis à 19h pendant 1h30", MONDAYS_19, 90),
    R("tous les lundis à 19h, durée 45 min", MONDAYS_19, 45),
    R("tous les lundis soir à 19h", MONDAYS_19),
    R("un lundi sur deux à 19h", OTHER_MONDAYS_19),
    R("une semaine sur deux le lundi à 19h", OTHER_MONDAYS_19),
    R("toutes les deux semaines le lundi à 19h", OTHER_MONDAYS_19),
    R("toutes les 2 semaines le lundi à 19h", OTHER_MONDAYS_19),
    R("tous les quinze jours le lundi à 19h", OTHER_MONDAYS_19),
    R("tous les 15 jours le lundi à 19h", OTHER_MONDAYS_19),
    R("every other monday at 7pm", OTHER_MONDAYS_19),
    R("every two weeks on monday at 7pm", OTHER_MONDAYS_19),
    R("toutes les trois semaines le vendredi à 18h", THIRD_FRIDAYS_18),
    R("un vendredi sur trois à 18h", THIRD_FRIDAYS_18),
    R("every 3 weeks on friday at 6pm", THIRD_FRIDAYS_18),
    R("un mercredi sur deux à 9h",
      [at(2027, 3, 31, 9), at(2027, 4, 14, 9), at(2027, 4, 28, 9), at(2027, 5, 12, 9)]),
    R("un mercredi sur deux à 11h",
      [at(2027, 3, 24, 11), at(2027, 4, 7, 11), at(2027, 4, 21, 11), at(2027, 5, 5, 11)]),
    R("chaque semaine le lundi et le jeudi à 12h", MON_THU_12),
    R("tous les lundis et jeudis à 12h", MON_THU_12),
    R("every monday and thursday at noon", MON_THU_12),
    R("tous les jours à 7h",
      [at(2027, 3, 25, 7), at(2027, 3, 26, 7), at(2027, 3, 27, 7), at(2027, 3, 28, 7)]),
    R("every day at 7am",
      [at(2027, 3, 25, 7), at(2027, 3, 26, 7), at(2027, 3, 27, 7), at(2027, 3, 28, 7)]),
    R("tous les jours à 11h",
      [at(2027, 3, 24, 11), at(2027, 3, 25, 11), at(2027, 3, 26, 11), at(2027, 3, 27, 11)]),
    R("tous les jours du lundi au vendredi à 9h", WEEKDAYS_9),
    R("every weekday at 9am", WEEKDAYS_9),
    R("le premier lundi du mois à 19h", FIRST_MONDAYS),
    R("chaque premier lundi du mois à 19h", FIRST_MONDAYS),
    R("tous les premiers lundis du mois à 19h", FIRST_MONDAYS),
    R("le 1er lundi du mois à 19h", FIRST_MONDAYS),
    R("first monday of the month at 7pm", FIRST_MONDAYS),
    R("the first monday of every month at 7pm", FIRST_MONDAYS),
    R("le deuxième jeudi du mois à 19h", SECOND_THURSDAYS),
    R("second thursday of the month at 7pm", SECOND_THURSDAYS),
    R("le troisième mercredi du mois à 18h",
      [at(2027, 4, 21, 18), at(2027, 5, 19, 18), at(2027, 6, 16, 18), at(2027, 7, 21, 18)]),
    R("le quatrième vendredi du mois à 18h",
      [at(2027, 3, 26, 18), at(2027, 4, 23, 18), at(2027, 5, 28, 18), at(2027, 6, 25, 18)]),
    R("le dernier vendredi du mois à 18h", LAST_FRIDAYS),
    R("last friday of the month at 6pm", LAST_FRIDAYS),
    R("le dernier mercredi du mois à 9h",
      [at(2027, 3, 31, 9), at(2027, 4, 28, 9), at(2027, 5, 26, 9), at(2027, 6, 30, 9)]),
    R("tous les mois le 5 à 18h", FIFTHS),
    R("chaque mois le 5 à 18h", FIFTHS),
    R("le 5 de chaque mois à 18h", FIFTHS),
    R("every month on the 5th at 6pm", FIFTHS),
    R("tous les mois le 24 à 11h",
      [at(2027, 3, 24, 11), at(2027, 4, 24, 11), at(2027, 5, 24, 11), at(2027, 6, 24, 11)]),
    R("tous les samedis à 10h à partir du 10 avril", SATURDAYS_FROM_10_APRIL),
    R("tous les samedis à 10h à partir du 8 avril", SATURDAYS_FROM_10_APRIL),
    R("every saturday at 10am starting april 10", SATURDAYS_FROM_10_APRIL),
    R("tous les vendredis à 19h jusqu'au 9 avril", FRIDAYS_UNTIL_9_APRIL),
    R("every friday at 7pm until april 9", FRIDAYS_UNTIL_9_APRIL),
    R("tous les vendredis à 19h jusqu'au 8 avril", FRIDAYS_UNTIL_9_APRIL[:2]),
    R("tous les vendredis à 19h du 2 avril au 16 avril",
      [at(2027, 4, 2, 19), at(2027, 4, 9, 19), at(2027, 4, 16, 19)]),
    # a first day in the past sets the phase; the command shows the next ones
    R("un jeudi sur deux à 18h à partir du 3 décembre 2026",
      [at(2027, 3, 25, 18), at(2027, 4, 8, 18), at(2027, 4, 22, 18), at(2027, 5, 6, 18)]),
    # autumn change: 10:00 stays 10:00
    R("tous les dimanches à 10h à partir du 24 octobre",
      [at(2027, 10, 24, 10), at(2027, 10, 31, 10), at(2027, 11, 7, 10), at(2027, 11, 14, 10)]),
    R("tous les jours à 18h à partir du 29 octobre",
      [at(2027, 10, 29, 18), at(2027, 10, 30, 18), at(2027, 10, 31, 18), at(2027, 11, 1, 18)]),
    # spring change: 02:30 does not exist on 28 March; RFC 5545 moves it to 03:30
    R("tous les jours à 2h30 à partir du 27 mars",
      [at(2027, 3, 27, 2, 30), "2027-03-28T03:30:00+02:00", at(2027, 3, 29, 2, 30),
       at(2027, 3, 30, 2, 30)]),
    R("tous les lundis à 9h",
      [at(2027, 10, 25, 9), at(2027, 11, 1, 9), at(2027, 11, 8, 9), at(2027, 11, 15, 9)],
      None, "2027-10-24T12:00:00+02:00"),
    RX("tous les lundis"), RX("every monday"), RX("tous les jours"),
    RX("toutes les deux semaines à 18h"), RX("tous les mois à 18h"),
    RX("tous les mois le 31 à 18h"), RX("tous les lundis à 19h jusqu'au 20 mars 2027"),
    RX("tous les lundis de 20h à 18h"), RX("tous les lundis à 19h blabla"),
    RX("tous les lundis le 6 avril à 19h"), RX("tous les deux jours à 8h"), RX("jeudi à 18h"),
    RX("tous les lundis à minuit"), RX("un lundi sur deux"),
    RX("tous les lundis à 19h à partir du 10 avril 2027 jusqu'au 5 avril 2027"),
    RX("tous les lundis et le premier mardi du mois à 19h"), RX("tous les lundis à 19h30 vers"),
]


@pytest.mark.parametrize("text,occurrences,minutes,now", RECURRENCES)
def test_recurrence(text: str, occurrences, minutes, now, capsys) -> None:
    argv = ["--now", now or NOW.isoformat(), "--recurring", text]
    code = run_when_cli(argv)
    out = json.loads(capsys.readouterr().out)
    if occurrences == "error":
        assert code == 1 and "error" in out
        with pytest.raises(WhenError):
            read_recurrence(text, NOW)
        return
    assert code == 0, out
    assert out["occurrences"] == occurrences
    assert out["duration_minutes"] == minutes


# ---- the 90-day rule (TIME.md): a day and month without a year names the next such day,
# unless it fell in the last 90 days; then it is that past day: an error for an event or a day
# (saying to write the year), the first day of a recurrence (which sets its phase) ----------

NEW_YEAR = "2027-01-02T10:00:00+01:00"       # a Saturday, just after 31 December
YEAR_END = "2026-12-30T10:00:00+01:00"       # a Wednesday, just before 1 January
DECEMBER_1 = "2026-12-01T10:00:00+01:00"     # the "!permanence annuler 1 ; 30/11"


def N(text, now, expect):
    return pytest.param(text, now, expect, id=f"{now[:10]}: {text}")


RECENT_EVENTS = [
    # NOW is Wednesday 24 March 2027: 90 days before is 24 December 2026
    N("le 24 décembre à 18h", NOW.isoformat(), "error"),       # exactly 90 days ago
    N("le 23 décembre à 18h", NOW.isoformat(), at(2027, 12, 23, 18)),  # 91: the next one
    N("24/12 18h", NOW.isoformat(), "error"),
    N("23/12 18h", NOW.isoformat(), at(2027, 12, 23, 18)),
    N("december 24 at 6pm", NOW.isoformat(), "error"),
    N("the 23rd of december at 6pm", NOW.isoformat(), at(2027, 12, 23, 18)),
    N("jeudi 24 décembre à 18h", NOW.isoformat(), "error"),   # its weekday does not save it
    N("le 24 décembre 2027 à 18h", NOW.isoformat(), at(2027, 12, 24, 18)),
    N("le 1er mars", NOW.isoformat(), "error"),                # a day alone too
    N("1er mars 2028", NOW.isoformat(), at(2028, 3, 1)),
    N("le 24 mars", NOW.isoformat(), at(2027, 3, 24)),         # today is not past
    N("le 24 mars à 11h", NOW.isoformat(), at(2027, 3, 24, 11)),
    N("le 24 mars à 10h", NOW.isoformat(), "error"),           # now is not ahead
    N("march 24 at 9am", NOW.isoformat(), "error"),
    N("le 23 mars de 18h à 20h", NOW.isoformat(), "error"),
    N("le 2 mars à 18h pendant 2h", NOW.isoformat(), "error"),
    N("le 31 décembre à 23h-minuit", NOW.isoformat(), "error"),
    N("le 20 décembre", NOW.isoformat(), at(2027, 12, 20)),
    # just after New Year: 31 December is the day before yesterday, not next December
    N("le 31 décembre à 20h", NEW_YEAR, "error"),
    N("31/12 20h", NEW_YEAR, "error"),
    N("December 31st at 8pm", NEW_YEAR, "error"),
    N("le 31 décembre 2027 à 20h", NEW_YEAR, at(2027, 12, 31, 20)),
    N("le 1er janvier à 10h", NEW_YEAR, "error"),
    N("le 2 janvier à 9h", NEW_YEAR, "error"),
    N("le 2 janvier à 11h", NEW_YEAR, at(2027, 1, 2, 11)),
    N("le 3 janvier à 9h", NEW_YEAR, at(2027, 1, 3, 9)),
    N("le 5 octobre à 9h", NEW_YEAR, "error"),                 # 89 days ago
    N("le 3 octobre à 9h", NEW_YEAR, at(2027, 10, 3, 9)),      # 91 days ago: next October
    N("03/10 9h", NEW_YEAR, at(2027, 10, 3, 9)),
    # just before New Year: early January is ahead, next year
    N("le 2 janvier à 9h", YEAR_END, at(2027, 1, 2, 9)),
    N("1/1 10h", YEAR_END, at(2027, 1, 1, 10)),
    N("january 1st at 10am", YEAR_END, at(2027, 1, 1, 10)),
    N("le 25 décembre", YEAR_END, "error"),
    N("le 1er octobre", YEAR_END, "error"),                    # exactly 90 days ago
    N("le 30 septembre", YEAR_END, at(2027, 9, 30)),
    # 29 February: the last one is far behind, the next one is the next leap year
    N("le 29 février à 9h", "2028-03-01T10:00:00+01:00", "error"),
    N("le 29 février à 9h", "2029-03-01T10:00:00+01:00", at(2032, 2, 29, 9)),
    # an offset or a weekday is not a day and month: the rule does not touch it
    N("dans 3 jours à 9h", NEW_YEAR, at(2027, 1, 5, 9)),
    N("le 25 à 9h", NEW_YEAR, at(2027, 1, 25, 9)),
]


@pytest.mark.parametrize("text,now,expect", RECENT_EVENTS)
def test_a_date_of_the_last_90_days_is_that_past_date(text: str, now: str, expect) -> None:
    reference = dt.datetime.fromisoformat(now)
    if expect == "error":
        with pytest.raises(WhenError) as caught:
            read_event(text, reference, "Europe/Paris")
        assert caught.value.code == "past"
        return
    assert read_event(text, reference, "Europe/Paris").to_json()["start"] == expect


def test_a_recent_date_is_refused_saying_to_write_the_year() -> None:
    with pytest.raises(WhenError) as caught:
        read_event("le 20 mars à 10h", NOW, "Europe/Paris")
    assert "samedi 20 mars 2027, 10:00 est passé" in caught.value.explain("fr")
    assert "écrivez l'année : « 20 mars 2028 »" in caught.value.explain("fr")
    assert 'if you meant 20 March 2028, write the year' in caught.value.explain("en")


RECENT_DAYS = [
    N("30/11", DECEMBER_1, "error"),
    N("lundi 30 novembre", DECEMBER_1, "error"),
    N("30 novembre", DECEMBER_1, "error"),
    N("november 30", DECEMBER_1, "error"),
    N("30/11/2027", DECEMBER_1, "2027-11-30"),
    N("1/12", DECEMBER_1, "2026-12-01"),
    N("2/12", DECEMBER_1, "2026-12-02"),
    N("30/11", "2027-03-01T10:00:00+01:00", "2027-11-30"),   # 91 days on: the next one
    N("31/12", NEW_YEAR, "error"),
    N("2/1", YEAR_END, "2027-01-02"),
]


@pytest.mark.parametrize("text,now,expect", RECENT_DAYS)
def test_a_day_of_the_last_90_days_is_refused(text: str, now: str, expect) -> None:
    reference = dt.datetime.fromisoformat(now)
    if expect == "error":
        with pytest.raises(WhenError) as caught:
            read_day(text, reference, "Europe/Paris")
        assert "2027" in caught.value.explain("fr")  # the next one, to write with its year
        return
    assert read_day(text, reference, "Europe/Paris").isoformat() == expect


OTHER_THURSDAYS_FROM_11_MARCH = [at(2027, 3, 25, 18), at(2027, 4, 8, 18), at(2027, 4, 22, 18),
                                 at(2027, 5, 6, 18)]
RECENT_STARTS = [
    # a first day of the last 90 days sets the phase; the occurrences are those ahead
    N("une semaine sur deux le jeudi à 18h à partir du 11 mars", NOW.isoformat(),
      OTHER_THURSDAYS_FROM_11_MARCH),
    N("un jeudi sur deux à 18h dès le 11/03", NOW.isoformat(), OTHER_THURSDAYS_FROM_11_MARCH),
    N("every other thursday at 6pm starting march 11", NOW.isoformat(),
      OTHER_THURSDAYS_FROM_11_MARCH),
    N("toutes les deux semaines le lundi à 19h à partir du 15 mars", NOW.isoformat(),
      [at(2027, 3, 29, 19), at(2027, 4, 12, 19), at(2027, 4, 26, 19), at(2027, 5, 10, 19)]),
    N("un jeudi sur deux à 18h à partir du 24 décembre", NOW.isoformat(),  # 90 days ago
      [at(2027, 4, 1, 18), at(2027, 4, 15, 18), at(2027, 4, 29, 18), at(2027, 5, 13, 18)]),
    N("un jeudi sur deux à 18h à partir du 23 décembre", NOW.isoformat(),  # 91: next December
      [at(2027, 12, 23, 18), at(2028, 1, 6, 18), at(2028, 1, 20, 18), at(2028, 2, 3, 18)]),
    # the cases: the rhythm typed a few weeks late, the series typed on 10 January
    N("un jeudi sur deux à 18h à partir du 3 décembre", NEW_YEAR,
      [at(2027, 1, 14, 18), at(2027, 1, 28, 18), at(2027, 2, 11, 18), at(2027, 2, 25, 18)]),
    N("every other thursday at 6pm starting december 3", NEW_YEAR,
      [at(2027, 1, 14, 18), at(2027, 1, 28, 18), at(2027, 2, 11, 18), at(2027, 2, 25, 18)]),
    N("tous les mardis 17h-19h à partir du 5 janvier", "2027-01-10T10:00:00+01:00",
      [at(2027, 1, 12, 17), at(2027, 1, 19, 17), at(2027, 1, 26, 17), at(2027, 2, 2, 17)]),
    N("tous les vendredis à 19h du 4 décembre au 15 janvier", NEW_YEAR,
      [at(2027, 1, 8, 19), at(2027, 1, 15, 19)]),
    # the last day: a recent one is past, an error; an older one is next year's
    N("tous les lundis à 19h jusqu'au 1er mars", NOW.isoformat(), "error"),
    N("every monday at 7pm until march 1", NOW.isoformat(), "error"),
    N("tous les lundis à 19h jusqu'au 20 décembre", NOW.isoformat(), MONDAYS_19),
    N("tous les lundis à 19h à partir du 4 mars jusqu'au 20 mars", NOW.isoformat(), "error"),
    N("tous les lundis à 19h du 1er décembre au 15 novembre", NOW.isoformat(), "order"),
    N("tous les lundis à 19h du 1er décembre au 15 janvier", NOW.isoformat(),
      [at(2027, 12, 6, 19), at(2027, 12, 13, 19), at(2027, 12, 20, 19), at(2027, 12, 27, 19)]),
]


@pytest.mark.parametrize("text,now,expect", RECENT_STARTS)
def test_a_first_day_of_the_last_90_days_sets_the_phase(text: str, now: str, expect) -> None:
    reference = dt.datetime.fromisoformat(now)
    if expect in ("error", "order"):
        with pytest.raises(WhenError) as caught:
            read_recurrence(text, reference, "Europe/Paris")
        # a last day before a first day still ahead is not "past"
        assert expect == "error" or caught.value.code == "order", str(caught.value)
        return
    rec = read_recurrence(text, reference, "Europe/Paris")
    assert [o.isoformat() for o in rec.occurrences(reference, count=4)] == expect


def test_a_recent_first_day_is_shown_as_typed() -> None:
    now = dt.datetime.fromisoformat(NEW_YEAR)
    rec = read_recurrence("un jeudi sur deux à 18h à partir du 3 décembre", now)
    assert rec.dtstart == dt.datetime(2026, 12, 3, 18, tzinfo=PARIS)
    assert describe_recurrence(rec, "fr") == \
        "un jeudi sur deux à 18:00, à partir du jeudi 3 décembre 2026"


def test_other_zone() -> None:
    now = dt.datetime(2027, 3, 10, 10, 0, tzinfo=ZoneInfo("America/New_York"))
    # New York changes on 14 March 2027: 02:30 does not exist there, but does in Paris
    with pytest.raises(WhenError):
        read_event("le 14 mars à 2h30", now, "America/New_York")
    ev = read_event("le 14 mars à 3h", now, ZoneInfo("America/New_York"))
    assert ev.start.isoformat() == "2027-03-14T03:00:00-04:00"
    assert read_event("le 14 mars à 2h30", now, "Europe/Paris").start.isoformat() == \
        "2027-03-14T02:30:00+01:00"


def test_unknown_zone_is_refused() -> None:
    with pytest.raises(WhenError):
        read_event("jeudi 18h", NOW, "Mars/Olympus")


def test_now_in_another_zone_is_converted() -> None:
    now_utc = NOW.astimezone(dt.timezone.utc)
    assert read_event("mercredi 11h", now_utc).to_json()["start"] == at(2027, 3, 24, 11)


def test_dans_keeps_the_minute() -> None:
    now = dt.datetime(2027, 3, 24, 10, 7, 42, 5, tzinfo=PARIS)
    assert read_event("dans 1 heure", now).start.isoformat() == "2027-03-24T11:07:00+01:00"


WORDS = ("jeudi lundi mar mars 18h 18 h 30 : / - le la de du à au et sur deux tous chaque every "
         "other premier dernier 1er mois semaine jours dans in pendant durée 2h 45 min heures "
         "midi minuit noon pm am 12 2027 31 29 février avril the of at from to until jusqu' "
         "partir soir matin prochain en huit quinze , . 0 24 demain hier une demi-heure").split()


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(WORDS), min_size=1, max_size=7), st.text(max_size=12))
def test_anything_is_read_or_refused_never_crashes(words: list[str], noise: str) -> None:
    for text in (" ".join(words), noise):
        for read in (read_event, read_recurrence):
            try:
                read(text, NOW)
            except WhenError as err:
                assert err.explain("fr") and err.explain("en")
