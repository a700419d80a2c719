"""bot.when.find: where the date expressions are in free text."""
from __future__ import annotations

from hypothesis import given, settings, strategies as st

from bot.when.find import _TextReader, find_expressions
from bot.when.grammar import Reader
from bot.when.tokens import tokenize


def spans(text: str) -> list[tuple[str, list[str]]]:
    return [(e.text, sorted(e.kinds)) for e in find_expressions(text).expressions]


def test_expressions_and_their_kinds() -> None:
    assert spans("On se retrouve jeudi 18h à la MESHS pour avancer ?") == [
        ("jeudi 18h", ["time", "weekday"])]
    assert spans("Réunion du groupe finances: mercredi 31 mars, 18h, salle 204") == [
        ("mercredi 31 mars, 18h", ["date", "time"])]
    assert spans("Permanence tous les mardis de 17h à 19h au Tiers-lieu à partir du 8 décembre") == [
        ("tous les mardis de 17h à 19h", ["rule", "time"]),
        ("à partir du 8 décembre", ["anchor"])]
    assert spans("Merci à tous, à bientôt") == []


def test_a_short_weekday_name_is_a_word_unless_a_number_or_a_dot_follows() -> None:
    assert spans("mon atelier avec Sam, au bord de la mer, un jeu") == []
    assert spans("atelier sam. 5 déc. à 14h") != []
    assert [e.kinds for e in find_expressions("jeu 10 à 18h").expressions][0] >= {"date"}


def test_an_impossible_piece_is_reported_not_read() -> None:
    found = find_expressions("On se voit jeudi à 25h")
    assert found.unreadable and [e.text for e in found.expressions] == ["jeudi"]


def test_positions_point_into_the_text() -> None:
    text = "Rencontre avec les Cigales vendredi 11 décembre à 12h30 au Tiers-lieu"
    (expr,) = find_expressions(text).expressions
    assert text[expr.start:expr.end] == "vendredi 11 décembre à 12h30" == expr.text


WORDS = ["le", "de", "a", "partir", "du", "tous", "les", "the", "day", "after", "tomorrow",
         "jusqu", "au", "ce", "soir", "on", "x", "et", "quart", "d", "heure", "un"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(WORDS), max_size=8), st.integers(0, 8),
       st.sampled_from(["a partir du", "the day after tomorrow", "jusqu au", "ce soir",
                        "un quart d heure", "le", "de l apresmidi"]))
def test_the_text_reader_matches_phrases_like_the_grammar(words, i, phrase) -> None:
    tokens = tokenize(" ".join(words))
    ours, theirs = _TextReader(tokens, "", "event", "fr"), Reader(tokens, "", "event", "fr")
    assert ours.phrase(i, phrase) == theirs.phrase(i, phrase)
    phrases = ("a partir du", "a partir de", "de l apresmidi", "ce soir", "le", "les", phrase)
    assert ours.any_phrase(i, phrases) == theirs.any_phrase(i, phrases)
