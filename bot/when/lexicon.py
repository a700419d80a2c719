"""The words the time layer knows, in French and English, after normalisation (lower case,
no accents, apostrophes and hyphens of compound words removed). Everything else is refused."""
from __future__ import annotations

WEEKDAYS: dict[str, int] = {
    "lundi": 0, "lun": 0, "monday": 0, "mon": 0,
    "mardi": 1, "tuesday": 1, "tue": 1, "tues": 1,  # "mar" is ambiguous (mardi / March): see grammar
    "mercredi": 2, "mer": 2, "merc": 2, "wednesday": 2, "wed": 2,
    "jeudi": 3, "jeu": 3, "thursday": 3, "thu": 3, "thur": 3, "thurs": 3,
    "vendredi": 4, "ven": 4, "vend": 4, "friday": 4, "fri": 4,
    "samedi": 5, "sam": 5, "saturday": 5, "sat": 5,
    "dimanche": 6, "dim": 6, "sunday": 6, "sun": 6,
}
# plural forms, only used in recurrences ("tous les jeudis", "on mondays")
WEEKDAYS_PLURAL: dict[str, int] = {
    name + "s": day for name, day in WEEKDAYS.items() if len(name) > 4
}

MONTHS: dict[str, int] = {
    "janvier": 1, "janv": 1, "jan": 1, "january": 1,
    "fevrier": 2, "fevr": 2, "fev": 2, "february": 2, "feb": 2,
    "mars": 3, "march": 3,  # "mar" only after a day number
    "avril": 4, "avr": 4, "april": 4, "apr": 4,
    "mai": 5, "may": 5,
    "juin": 6, "june": 6, "jun": 6,
    "juillet": 7, "juil": 7, "july": 7, "jul": 7,
    "aout": 8, "august": 8, "aug": 8,
    "septembre": 9, "sept": 9, "sep": 9, "september": 9,
    "octobre": 10, "oct": 10, "october": 10,
    "novembre": 11, "nov": 11, "november": 11,
    "decembre": 12, "dec": 12, "december": 12,
}

NUMBER_WORDS: dict[str, int] = {
    "un": 1, "une": 1, "deux": 2, "trois": 3, "quatre": 4, "cinq": 5, "six": 6, "sept": 7,
    "huit": 8, "neuf": 9, "dix": 10, "onze": 11, "douze": 12, "treize": 13, "quatorze": 14,
    "quinze": 15, "seize": 16, "dixsept": 17, "dixhuit": 18, "dixneuf": 19, "vingt": 20,
    "trente": 30,
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14,
    "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19,
    "twenty": 20, "thirty": 30,
}

# ordinals for "le premier lundi du mois"; -1 is the last
ORDINALS: dict[str, int] = {
    "premier": 1, "premiere": 1, "premiers": 1, "first": 1,
    "deuxieme": 2, "deuxiemes": 2, "second": 2, "seconde": 2, "seconds": 2,
    "troisieme": 3, "troisiemes": 3, "third": 3,
    "quatrieme": 4, "quatriemes": 4, "fourth": 4,
    "cinquieme": 5, "fifth": 5,
    "dernier": -1, "derniere": -1, "derniers": -1, "dernieres": -1, "last": -1,
}
# "1er", "2e", "2eme", "2nd", "3rd", "4th": the suffix after a number
ORDINAL_SUFFIXES = {"er", "ere", "e", "eme", "st", "nd", "rd", "th"}

# Words that mean a vague moment: refused with a message saying so.
VAGUE = {
    "debut", "fin", "mi", "milieu", "bientot", "tard", "tot", "prochainement", "semaine",
    "weekend", "matinee", "soiree", "journee", "quelques", "plusieurs", "jour", "jours",
    "vers", "environ", "autour", "soon", "later", "early", "late", "mid", "around", "about",
    "week", "some", "sometime", "few", "several", "day", "beginning", "end", "moment",
    "maintenant", "now", "asap", "dessus",
}

# Words that only one language uses, to guess the language of a request.
FRENCH_WORDS = {
    "lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche", "janvier",
    "fevrier", "mars", "avril", "mai", "juin", "juillet", "aout", "septembre", "octobre",
    "novembre", "decembre", "demain", "aujourdhui", "apresdemain", "hier", "dans", "jours",
    "semaines", "heures", "heure", "le", "la", "les", "du", "de", "des", "et", "a", "tous",
    "toutes", "chaque", "sur", "midi", "minuit", "prochain", "prochaine", "pendant", "duree",
    "entre", "partir", "jusqu", "au", "mois", "quinze", "huit", "deux", "trois", "premier",
    "dernier", "troisieme", "deuxieme", "quatrieme", "semaine", "jour", "soir", "matin",
    "debut", "fin", "plus", "tard", "un", "une", "ces", "en", "avr", "mer", "jeu", "ven",
    "sam", "dim", "lun", "er", "h",
}
ENGLISH_WORDS = {
    "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "january",
    "february", "march", "april", "may", "june", "july", "august", "september", "october",
    "november", "december", "tomorrow", "today", "yesterday", "in", "days", "weeks", "hours",
    "hour", "the", "of", "and", "at", "on", "every", "each", "other", "noon", "midnight",
    "next", "for", "between", "from", "to", "until", "starting", "month", "first", "last",
    "second", "third", "fourth", "week", "day", "evening", "morning", "afternoon", "am", "pm",
    "soon", "later", "three", "two", "apr", "wed", "thu", "fri", "sat", "sun", "mon", "tue",
    "th", "st", "nd", "rd", "minutes", "daily", "weekly", "monthly",
}
