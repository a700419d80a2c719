"""Amounts: read exactly (integer cents) as members write them, refused when unsure, written
back the French and the English way; the configured ceiling exactly."""
from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.config import ConfigError, parse_config
from bot.errors import UserError
from bot.money import NBSP, format_amount, per_month, read_amount, typed_amount

READ = [
    ("50", 5000), ("50 €", 5000), ("50€", 5000), ("€50", 5000), ("50 euros", 5000), ("EUR 50", 5000),
    ("12,50", 1250), ("12.50", 1250), ("12,5", 1250), ("0,01", 1),
    ("1 250", 125000), ("1\u00a0250", 125000), ("1\u202f250,50 €", 125050), ("1'250", 125000),
    ("€1,250", 125000), ("EUR 1,250.50", 125050), ("1,250.00", 125000), ("1.250,00", 125000), ("1,250,000", 125000000), ("1.250.000", 125000000),
    ("50 par mois", 5000), ("50 € par mois", 5000), ("50/mois", 5000), ("50 € / mois", 5000),
    ("€12.50 a month", 1250), ("12.50 per month", 1250), ("50 euros mensuels", 5000), ("50 monthly", 5000),
    ("Cinquante", None),
]


@pytest.mark.parametrize("text,cents", [r for r in READ if r[1] is not None])
def test_amounts_as_members_write_them(text: str, cents: int):
    assert read_amount(text, "EUR") == cents


REFUSED = [
    ("-5", "positif"), ("−5 €", "positif"), ("€-5", "positif"), ("0", "au moins un centime"),
    ("beaucoup", "n'est pas un montant"), ("Cinquante", "n'est pas un montant"), ("", "Il manque"),
    ("50 dollars", "en euros (€) seulement"), ("$50", "en euros (€) seulement"), ("50 CHF", "en euros (€) seulement"),
    ("50 bananes", "n'est pas un montant"), ("50e", "n'est pas un montant"),
    ("1,250", "deux façons"), ("1.250", "deux façons"), ("12,345", "deux façons"),
    ("12,505", "deux façons"), ("0,001", "au centime près"), ("12,3456", "au centime près"),
    ("50 par an", "par mois"), ("600 € par an", "par mois"), ("10 par semaine", "par mois"), ("50 weekly", "par mois"),
    ("5 0", "n'est pas un montant"), ("50 ou 60", "n'est pas un montant"), ("50 € par mois pendant 6 mois", "n'est pas un montant"),
]


@pytest.mark.parametrize("text,says", REFUSED)
def test_amounts_refused_with_the_reason(text: str, says: str):
    with pytest.raises(UserError) as err:
        read_amount(text, "EUR")
    assert says in err.value.message("fr")
    assert err.value.message("en") and err.value.message("en") != err.value.message("fr")


def test_another_group_currency():
    assert read_amount("50 CHF", "CHF") == 5000 and read_amount("50 francs", "CHF") == 5000
    with pytest.raises(UserError) as err:
        read_amount("50 €", "CHF")
    assert "francs suisses (CHF)" in err.value.message("fr") and "Swiss francs (CHF)" in err.value.message("en")


WRITTEN = [
    (5000, "50\u00a0€", "€50"), (1250, "12,50\u00a0€", "€12.50"), (125000, "1\u00a0250\u00a0€", "€1,250"),
    (125050, "1\u00a0250,50\u00a0€", "€1,250.50"), (1, "0,01\u00a0€", "€0.01"), (100000000, "1\u00a0000\u00a0000\u00a0€", "€1,000,000"),
]


@pytest.mark.parametrize("cents,fr,en", WRITTEN)
def test_amounts_written_the_french_and_the_english_way(cents: int, fr: str, en: str):
    assert format_amount(cents, "EUR", "fr") == fr
    assert format_amount(cents, "EUR", "en") == en
    assert per_month(cents, "EUR", "fr") == fr + "/mois" and per_month(cents, "EUR", "en") == en + " a month"
    # what a reader sees is read back as the same amount
    assert read_amount(fr, "EUR") == cents and read_amount(en, "EUR") == cents


def test_other_currencies_are_written_with_their_symbol():
    assert format_amount(5000, "CHF", "en") == f"50{NBSP}CHF" and format_amount(5000, "GBP", "en") == "£50"
    assert format_amount(5000, "XOF", "fr") == f"50{NBSP}XOF"


@given(st.integers(min_value=1, max_value=10**12), st.sampled_from(["fr", "en"]))
def test_every_amount_reads_back_exactly(cents: int, lang: str):
    assert read_amount(typed_amount(cents, lang), "EUR") == cents
    assert read_amount(format_amount(cents, "EUR", lang), "EUR") == cents
    assert read_amount(per_month(cents, "EUR", lang), "EUR") == cents


def test_the_ceiling_is_read_exactly_in_cents():
    assert parse_config({}, env={}).pledges.ceiling == 1_000_000  # 10,000 € a month by default
    assert parse_config({"pledges": {"ceiling": 0.1}}, env={}).pledges.ceiling == 10
    assert parse_config({"pledges": {"ceiling": 2500}}, env={}).pledges.ceiling == 250000
    for wrong in (-1, 0, 0.001, "10000", True, 10**12):
        with pytest.raises(ConfigError) as err:
            parse_config({"pledges": {"ceiling": wrong}}, env={})
        assert err.value.problems[0].startswith("[pledges] ceiling")


def test_the_currency_and_the_reminder_day_are_checked():
    config = parse_config({"pledges": {"currency": "chf", "reminder_day": 28}}, env={})
    assert (config.pledges.currency, config.pledges.reminder_day) == ("CHF", 28)
    with pytest.raises(ConfigError) as err:
        parse_config({"pledges": {"currency": "euro", "reminder_day": 31, "colour": 1}}, env={})
    problems = "\n".join(err.value.problems)
    assert "[pledges] currency" in problems and "ISO 4217" in problems
    assert "[pledges] reminder_day" in problems and "1 to 28" in problems
    assert "[pledges] colour: unknown key" in problems
