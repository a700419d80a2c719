"""Amounts of money as members type them and as the bot writes them back.

An amount is an exact whole number of cents, never a float: 0.1 + 0.2 is not 0.3 in floating
point, and a monthly total read by a whole group must add up to the cent. A group uses one
currency (`[pledges] currency`); an amount typed in another one is refused, not converted.

Reading is strict in the way `bot/when` is with dates: an amount the bot is not sure of is
refused with an example, never guessed. "1,250" is one euro twenty-five to a French reader
and one thousand two hundred and fifty to an English one, so it is refused; "1 250",
"1250", "12,50", "12.50", "1,250.00" and "1.250,00" are not ambiguous.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from bot.errors import UserError

# A no-break space: "1 250 €" never breaks between the digits or before the symbol.
NBSP = "\u00a0"
_SPACES = re.compile(r"[\u00a0\u202f\u2009\u2007\s]+")


@dataclass(frozen=True)
class Currency:
    code: str  # ISO 4217
    symbol: str
    words: frozenset[str]  # how members name it, folded (lower case, no accents)
    symbol_first_en: bool = True  # English writes "€50", "$50", "£50", but "50 CHF"


_KNOWN = (
    Currency("EUR", "€", frozenset({"€", "eur", "euro", "euros"})),
    Currency("USD", "$", frozenset({"$", "us$", "usd", "dollar", "dollars"})),
    Currency("GBP", "£", frozenset({"£", "gbp", "livre", "livres", "pound", "pounds", "sterling"})),
    Currency("CHF", "CHF", frozenset({"chf", "franc", "francs", "franc suisse", "francs suisses"}), False),
    Currency("CAD", "$CA", frozenset({"cad", "$ca", "ca$", "dollar canadien", "dollars canadiens"}), False),
)
CURRENCIES = {c.code: c for c in _KNOWN}


def currency(code: str) -> Currency:
    """The currency of an ISO 4217 code; a code the bot has no symbol for is written as is."""
    return CURRENCIES.get(code) or Currency(code, code, frozenset({code.lower()}), False)


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return _SPACES.sub(" ", "".join(c for c in decomposed if not unicodedata.combining(c))).strip()


# "par mois", "/mois", "a month", "per month", "monthly", "mensuels": the period is a month.
_MONTHLY = re.compile(r"\s*(?:(?:/|par|per|a|an|each|every|chaque)\s*(?:mois|month)|mensuel(?:le)?s?|monthly)\s*$")
# Another period: refused, since a pledge is monthly.
_OTHER_PERIOD = re.compile(r"(?:/|\bpar\b|\bper\b|\ba\b|\ban\b|\beach\b|\bevery\b|\bchaque\b)\s*"
                           r"(?:an|annee|year|semaine|week|jour|day|trimestre|quarter)s?\s*$"
                           r"|\b(?:annuel(?:le)?s?|yearly|annually|hebdomadaires?|weekly|daily)\s*$")
_NUMBER = re.compile(r"[-−+]?\s*\d[\d ',.]*")

_PLAIN = re.compile(r"\d+")
_DECIMAL = re.compile(r"(\d+)[.,](\d{1,2})")
_SPACED = re.compile(r"(\d{1,3}(?:[ ']\d{3})+)(?:[.,](\d{1,2}))?")
_EN_GROUPED = re.compile(r"(\d{1,3}(?:,\d{3})+)(?:\.(\d{1,2}))?")
_FR_GROUPED = re.compile(r"(\d{1,3}(?:\.\d{3})+)(?:,(\d{1,2}))?")
_AMBIGUOUS = re.compile(r"\d{1,3}[.,]\d{3}")
_TOO_PRECISE = re.compile(r"\d+[.,]\d{3,}")


def _refuse(fr: str, en: str, **values: object) -> UserError:
    return UserError(fr, en, **values)


def _cents(number: str, shown: str, english: bool = False) -> int:
    """Whole cents from the digits of an amount (its sign and currency already taken off).
    `english`: the symbol came first ("€1,250"), as only English writes it, so a comma
    groups thousands."""
    number = number.strip()
    if _PLAIN.fullmatch(number):
        return int(number) * 100
    if english and _EN_GROUPED.fullmatch(number):
        m = _EN_GROUPED.fullmatch(number)
        assert m is not None
        return int(m.group(1).replace(",", "")) * 100 + int((m.group(2) or "0").ljust(2, "0"))
    for pattern, grouped in ((_DECIMAL, False), (_SPACED, True)):
        m = pattern.fullmatch(number)
        if m:
            units = re.sub(r"[ ']", "", m.group(1))
            return int(units) * 100 + int((m.group(2) or "0").ljust(2, "0"))
    if _AMBIGUOUS.fullmatch(number) and not number.startswith("0"):
        units, _, thousands = number.replace(",", ".").partition(".")
        if thousands.endswith("0"):
            raise _refuse("« {v} » se lit de deux façons : écrivez {whole} ou {as_fr}.",
                          "\"{v}\" reads two ways: write {whole} or {as_en}.",
                          v=shown, whole=units + thousands, as_fr=f"{units},{thousands[:2]}",
                          as_en=f"{units}.{thousands[:2]}")
        raise _refuse("« {v} » se lit de deux façons : écrivez {whole}, ou un montant au centime près (deux chiffres "
                      "après la virgule au plus).", "\"{v}\" reads two ways: write {whole}, or an amount to the cent "
                      "(at most two digits after the decimal point).", v=shown, whole=units + thousands)
    for pattern, group_sep in ((_EN_GROUPED, ","), (_FR_GROUPED, ".")):
        m = pattern.fullmatch(number)
        # One group alone ("1,250") is the ambiguous case above; two groups or decimals are not.
        if m and (m.group(2) is not None or m.group(1).count(group_sep) >= 2):
            return int(m.group(1).replace(group_sep, "")) * 100 + int((m.group(2) or "0").ljust(2, "0"))
    if _TOO_PRECISE.fullmatch(number):
        raise _refuse("« {v} » : au centime près seulement (deux chiffres après la virgule au plus).",
                      "\"{v}\": to the cent only (at most two digits after the decimal point).", v=shown)
    raise _refuse("« {v} » n'est pas un montant.", "\"{v}\" is not an amount.", v=shown)


def read_amount(text: str, code: str) -> int:
    """The monthly amount in `text`, in cents of currency `code`: "50", "50 €", "12,50",
    "1 250 € par mois", "€12.50 a month". Raises UserError (no example: the caller, which
    knows the command, adds one) for anything else."""
    shown = " ".join(text.split())
    folded = _fold(text)
    if not folded:
        raise _refuse("Il manque le montant.", "The amount is missing.")
    if _OTHER_PERIOD.search(folded):
        raise _refuse("« {v} » : un engagement se donne par mois ; écrivez le montant mensuel.",
                      "\"{v}\": a pledge is given monthly; write the monthly amount.", v=shown)
    folded = _MONTHLY.sub("", folded).strip()
    numbers = list(_NUMBER.finditer(folded))
    if len(numbers) != 1:
        raise _refuse("« {v} » n'est pas un montant.", "\"{v}\" is not an amount.", v=shown)
    found = numbers[0]
    words = [w.strip() for w in (folded[:found.start()], folded[found.end():]) if w.strip()]
    named = {c.code for c in list(_KNOWN) + [currency(code)] for w in words if w in c.words}
    if len(named) < len(words) or len(named) > 1:
        raise _refuse("« {v} » n'est pas un montant.", "\"{v}\" is not an amount.", v=shown)
    mine = currency(code)
    if named and named != {code}:
        raise _refuse("« {v} » : ce groupe s'engage en {name} ({sym}) seulement.",
                      "\"{v}\": this group pledges in {name_en} ({sym}) only.",
                      v=shown, name=_currency_name(mine, "fr"), name_en=_currency_name(mine, "en"), sym=mine.symbol)
    number = found.group(0).strip()
    sign = number[0] if number[0] in "-−+" else ""
    digits = number[len(sign):].strip()
    cents = _cents(digits, shown, english=bool(folded[:found.start()].strip()))
    if sign in ("-", "−"):
        raise _refuse("« {v} » : un montant est positif.", "\"{v}\": an amount is positive.", v=shown)
    if cents == 0:
        raise _refuse("« {v} » : un engagement est d'au moins un centime.", "\"{v}\": a pledge is at least one cent.",
                      v=shown)
    return cents


def _currency_name(c: Currency, lang: str) -> str:
    names = {"EUR": ("euros", "euros"), "USD": ("dollars", "dollars"), "GBP": ("livres sterling", "pounds"),
             "CHF": ("francs suisses", "Swiss francs"), "CAD": ("dollars canadiens", "Canadian dollars")}
    fr, en = names.get(c.code, (c.code, c.code))
    return en if lang == "en" else fr


def format_amount(cents: int, code: str, lang: str) -> str:
    """An amount as each language writes it: "1 250 €", "12,50 €" in French; "€1,250",
    "€12.50" in English. Whole amounts have no ",00"."""
    c = currency(code)
    units, rest = divmod(cents, 100)
    if lang == "en":
        number = f"{units:,}" + (f".{rest:02d}" if rest else "")
        return f"{c.symbol}{number}" if c.symbol_first_en else f"{number}{NBSP}{c.symbol}"
    number = f"{units:,}".replace(",", NBSP) + (f",{rest:02d}" if rest else "")
    return f"{number}{NBSP}{c.symbol}"


def per_month(cents: int, code: str, lang: str) -> str:
    """"1 250 €/mois", "€1,250 a month"."""
    amount = format_amount(cents, code, lang)
    return f"{amount} a month" if lang == "en" else f"{amount}/mois"


def typed_amount(cents: int, lang: str) -> str:
    """An amount as a member would type it back in a command: "37,45", "1250" ("37.45" in
    English); `read_amount` reads it as the same number of cents."""
    units, rest = divmod(cents, 100)
    if not rest:
        return str(units)
    return f"{units}.{rest:02d}" if lang == "en" else f"{units},{rest:02d}"
