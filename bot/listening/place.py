"""Where a proposal takes place: the words after "à la / au / chez / at …", matched against
the places the group already uses (spelled as the group spells them), else as written."""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from bot.when.tokens import Token, normalise

# words that end a place ("au Tiers-lieu pour ranger", "at the library to plan")
STOP = {
    "a", "au", "aux", "chez", "at", "en", "sur", "dans", "pour", "for", "to", "avec", "with",
    "et", "and", "ou", "or", "afin", "si", "if", "qui", "who", "que", "qu", "puis", "then",
    "car", "because", "mais", "but", "on", "in", "venez", "come", "svp", "stp", "please",
    "merci", "thanks", "ensemble", "together", "ce", "cette", "this", "demain", "tomorrow",
    "aujourd", "today", "vers", "around", "from", "ok", "alors", "so", "comme", "as",
    "apres", "after", "avant", "before", "pendant", "during", "jusqu", "until", "entre",
    "between", "rdv", "rendez", "il", "on", "nous", "vous", "we", "you", "je", "i", "tout",
    "tous", "toutes", "all", "everyone", "quand", "when", "ca", "ça",
}
# words after "à la", "au", "at the" that do not start a place ("à la fois", "au moins")
NOT_A_PLACE = {
    "fois", "place", "fin", "suite", "demande", "rentree", "limite", "base", "moins", "plus",
    "sujet", "cas", "lieu", "niveau", "programme", "menu", "ordre", "debut", "fait", "total",
    "passage", "mieux", "pire", "sein", "cours", "bout", "besoin", "hasard", "final", "calme",
    "dernier", "derniere", "prochain", "prochaine", "veille", "lendemain", "meme", "tous",
    "toutes", "tout", "vous", "nous", "moi", "toi", "lui", "eux", "elle", "elles", "ceux",
    "quel", "quelle", "quoi", "combien", "partir", "peu", "priori", "avance", "une", "un",
    "least", "all", "once", "some", "any", "first", "last", "most", "latest", "end",
    "beginning", "same", "time", "moment", "heure", "minute", "reunion", "atelier", "permanence", "rencontre", "assemblee", "seance",
    "meeting", "workshop", "session", "medecin", "dentiste", "ma", "mon", "mes", "my", "your", "votre", "ton",
    "ta", "sa", "son", "prochaines", "faveur", "recherche", "rigueur", "vue", "voir",
}
# inside a place's name: "Maison de l'économie solidaire", "Ferme du Héron"
CONNECTORS = {"de", "du", "des", "d", "l", "la", "le", "les", "of", "the"}
ROOMS = {"salle", "room", "amphi", "bureau", "etage", "batiment", "bat", "local", "hall"}
# one's own places, said alone ("à la maison", "au boulot"): where one is, not a venue
OWN_PLACES = {"maison", "boulot", "travail", "bureau", "taf", "home", "work", "office",
              "school", "ecole", "creche", "hopital", "lit", "bed"}
ONLINE = {("en", "visio"), ("en", "visioconference"), ("en", "ligne"), ("sur", "zoom"),
          ("sur", "jitsi"), ("sur", "teams"), ("sur", "bbb"), ("sur", "discord"), ("on", "zoom"),
          ("on", "jitsi"), ("on", "teams"), ("on", "discord")}
MAX_WORDS = 6


@dataclass(frozen=True)
class Place:
    name: str
    start: int   # the characters of the message that say it, with "à la", "chez"…
    end: int


def _fold(text: str) -> str:
    return " ".join(normalise(text).replace("-", " ").split())


def _known(written: str, known: dict[str, str]) -> str:
    """The group's spelling of a place written otherwise ("meshs" -> "MESHS"), also when
    more is written after it ("MESHS salle 2")."""
    folded = _fold(written)
    if folded in known:
        return known[folded]
    for key, name in known.items():
        if folded.startswith(key + " "):
            return name + written[_prefix_len(written, len(key.split())):]
    return written


def _prefix_len(written: str, words: int) -> int:
    """Where the `words`-th word of `written` ends."""
    count, i, inside = 0, 0, False
    for i, ch in enumerate(written):
        alnum = ch.isalnum()
        if alnum and not inside:
            count += 1
        if not alnum and inside and count == words:
            return i
        inside = alnum
    return len(written)


def find_place(body: str, tokens: list[Token], busy: set[int],
               places: Iterable[str] = ()) -> Place | None:
    """The place the message names, if any. `busy`: the tokens of its date."""
    known = {_fold(p): p for p in places if p and p.strip()}
    found: list[Place] = []
    for i, tok in enumerate(tokens):
        if tok.kind != "word" or i in busy:
            continue
        nxt = tokens[i + 1].text if i + 1 < len(tokens) else None
        if (tok.text, nxt) in ONLINE:
            found.append(Place(body[tok.start:tokens[i + 1].end], tok.start, tokens[i + 1].end))
            continue
        if tok.text == "online":
            found.append(Place(body[tok.start:tok.end], tok.start, tok.end))
            continue
        first = _first_word(body, tokens, i)
        if first is None or first in busy:
            continue
        if tok.text == "chez" and tokens[first].text in ("moi", "nous"):
            found.append(Place(body[tok.start:tokens[first].end], tok.start, tokens[first].end))
            continue
        j = _place_end(body, tokens, first, busy)
        while j > first and tokens[j - 1].kind == "sym":
            j -= 1
        if j == first or tokens[first].text in NOT_A_PLACE or tokens[first].kind != "word":
            continue
        if j - first == 1 and tokens[first].text in OWN_PLACES:
            continue
        if j - first >= MAX_WORDS and j < len(tokens) and tokens[j].kind == "word":
            continue  # more words than a place has: a clause, not a place
        written = body[tokens[first].start:tokens[j - 1].end]
        name = _known(written, known)
        if tok.text == "chez" and _fold(written) not in known and name == written:
            name = f"{body[tok.start:tok.end]} {written}"
        found.append(Place(name, tok.start, tokens[j - 1].end))
    for place in found:
        if _fold(place.name) in known or any(_fold(place.name).startswith(k + " ") for k in known):
            return place
    if found:
        return found[0]
    # a place the group uses, named without "à la": "Atelier samedi 14h MESHS"
    folded = " " + normalise(body).replace("-", " ") + " "
    for key, name in known.items():
        at = folded.find(" " + key + " ")
        if at >= 0:
            return Place(name, at, at + len(key))
    return None


def _place_end(body: str, tokens: list[Token], first: int, busy: set[int]) -> int:
    """Where the words of a place starting at `first` end: at punctuation, the date or a
    small word ("pour", "avec", "to"), after MAX_WORDS words; and, for a name that starts
    with a capital, at a lowercase word that is neither inside a "de …" complement nor a
    room ("la Maison de l'économie solidaire", "MESHS salle 2", but "MESHS | organisé par la
    ville")."""
    proper = body[tokens[first].start].isupper()
    complement = False
    j = first
    while j < len(tokens) and j - first < MAX_WORDS and j not in busy:
        t = tokens[j]
        if t.kind == "sym" and t.text != "-":
            break
        if t.kind == "word" and t.text in STOP:
            break
        if t.kind == "word" and j > first:
            if t.text in CONNECTORS:
                complement = True
            elif proper and not complement and not body[t.start].isupper() \
                    and t.text not in ROOMS and tokens[j - 1].text != "-":
                break
        j += 1
    return j


def _first_word(body: str, tokens: list[Token], i: int) -> int | None:
    """The first word of a place after the preposition at i, or None if none starts there:
    "à la X", "à l'X", "au X", "aux X", "chez X", "at the X" take any word; "à X" and
    "at X" only a capitalised one ("à Lille", "at Pocheco")."""
    word = tokens[i].text
    nxt = i + 1
    if nxt >= len(tokens) or tokens[nxt].kind != "word":
        return None
    follow = tokens[nxt].text
    if word == "a" and follow in ("la", "l"):
        return nxt + 1 if nxt + 1 < len(tokens) and tokens[nxt + 1].kind == "word" else None
    if word == "at" and follow == "the":
        return nxt + 1 if nxt + 1 < len(tokens) and tokens[nxt + 1].kind == "word" else None
    if word in ("au", "aux", "chez"):
        return nxt
    if word in ("a", "at") and body[tokens[nxt].start].isupper():
        # "à" written without its accent is also the verb "a" ("elle a Pocheco…"): only
        # "à" itself, or "a" in English
        if word == "a" and body[tokens[i].start] == "a" and body[tokens[i].start:tokens[i].end] != "à":
            return None
        return nxt
    return None
