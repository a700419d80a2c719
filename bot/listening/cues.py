"""The words of listening: what makes a message a proposal (a cue), and what makes it
something else (a personal appointment, an absence, a negation, the past, a joke, a question
about a meeting that already exists, an answer to one).

Every pattern is matched on the folded text (bot.when.tokens.normalise: lower case, no
accents, apostrophes as spaces) with hyphens as spaces, so "Retrouvons-nous", "retrouvons
nous" and "RETROUVONS NOUS" are one phrase. A blocker wins over every cue: a missed proposal
costs one `!réunion proposer`, a recorded dentist appointment costs the group's trust."""
from __future__ import annotations

import re


def _words(*alternatives: str) -> re.Pattern[str]:
    return re.compile(r"\b(?:" + "|".join(alternatives) + r")\b")


# ---- cues -------------------------------------------------------------------------------------

# Phrases that propose by themselves: "on se retrouve", "je vous propose", "let's meet".
PROPOSING = _words(
    # French
    r"on se (?:retrouve|retrouverait|retrouvera|voit|voie|verrait|verra|reunit|reunirait|"
    r"reunira|capte|cale|rejoint|rejoindrait|fait|ferait|fera|donne rdv|donne rendez vous|"
    r"rencontre|rassemble|programme|organise)",
    r"(?:se|nous) (?:retrouver|voir|reunir|rejoindre|rencontrer|capter|rassembler)",
    r"(?:retrouvons|voyons|reunissons|rencontrons|rejoignez|retrouvez|rassemblons) nous",
    r"(?:je|j|on|nous) (?:vous |te |nous )?(?:propose|proposons|suggere|suggerons)",
    r"qu on se (?:reunisse|retrouve|voie|voit|fasse|cale|capte|rejoigne)",
    r"que (?:l on|nous) (?:nous )?(?:reunissions|retrouvions|voyions|fassions|rejoignions)",
    r"propos(?:e|ons|ez|ent|ition|itions)", r"suggestion",
    r"on (?:fait|ferait|fera|pourrait|peut|organise|lance|tente|prevoit|cale|programme)",
    r"(?:j|nous) (?:organise|organisons|lance|lancons|ouvre|ouvrons|anime|animerai|animons)",
    r"je (?:lance|ouvre|tiendrai|tiens|vais tenir|peux tenir|assurerai|animerai)(?! a\b)",
    r"qui (?:est|serait|sera|sont|seraient|se sent) (?:dispo|disponibles?|partante?s?|chaude?s?|"
    r"motivee?s?|libres?|presente?s?|la|interessee?s?|ok|in|tente)",
    r"qui (?:vient|viendrait|viendra|veut|voudrait|en est|serait la|est des notres|m accompagne)",
    r"(?:quelqu un|quelqu une|des gens|du monde) (?:est|serait|seraient|sont) "
    r"(?:dispo|disponibles?|partante?s?|chaude?s?|motivee?s?|libres?|interessee?s?)",
    r"(?:vous etes|vous seriez|etes vous|seriez vous|t es|tu es|tu serais) (?:dispo|disponibles?|"
    r"partante?s?|chaude?s?|libres?|motivee?s?|interessee?s?)",
    r"ca (?:vous|te) (?:dit|dirait|tente|tenterait|va|irait|convient|interesse|branche)",
    r"venez", r"rejoignez", r"(?:vous etes|soyez) (?:tous |toutes )?(?:invitee?s|les bienvenue?s|bienvenue?s)",
    r"rdv", r"rendez vous", r"rendezvous", r"(?:aura|auront) lieu", r"se (?:tiendra|tiendront|deroulera)",
    # English
    r"let ?s (?:meet|get together|gather|do|have|catch up|sync|talk|hang out|organi[sz]e|hold|"
    r"set up|plan|grab|run)",
    r"(?:shall|can|could|should) we (?:meet|get together|gather|do|have|catch up|sync|talk|hold|"
    r"set up|grab|hang out|run)",
    r"(?:want|wanna|like) to (?:meet|get together|catch up)", r"meet(?: up)?",
    r"i (?:propose|suggest)", r"proposal", r"(?:how|what) about",
    r"who ?s (?:in|free|available|up for|coming|around|joining|interested|keen)",
    r"who (?:is|would be|will be) (?:in|free|available|up for|coming|around|joining|interested|keen)",
    r"who (?:wants|would like|can make it|can come|else is in)",
    r"(?:anyone|anybody|somebody|someone) (?:free|up for|available|around|interested|keen|"
    r"want|wants|coming|joining)",
    r"(?:are you|you) (?:free|available|up for|in for)",
    r"join(?:ing)? us", r"come (?:along|join|by|over)",
    r"(?:you re|you are|everyone is|everybody is|all) (?:all )?(?:welcome|invited)",
    r"(?:i ll|i will|we ll|we will|i m|we re|i am|we are) (?:host|hold|run|organi[sz]e|lead|"
    r"hosting|holding|running|organi[sz]ing|leading)",
    r"(?:will be|is being|is) held", r"(?:takes|will take) place",
)

# Nouns of a gathering. They count when nothing or an indefinite word comes before them
# ("Réunion LMI jeudi", "une réunion", "petite réu"); after a definite or possessive word
# ("la réunion de jeudi", "mon atelier") they name one that exists, or one's own.
GATHERING = (
    "reunion", "reunions", "reu", "reus", "atelier", "ateliers", "rencontre", "rencontres",
    "assemblee", "assemblees", "ag", "ago", "age", "pleniere", "seance", "session", "sessions",
    "apero", "aperitif", "soiree", "conference", "debat", "table ronde", "formation",
    "visite", "pique nique", "piquenique", "repas partage", "dejeuner partage", "petit dej",
    "petit dej partage", "petit dejeuner", "brunch", "cafe des communs", "visio",
    "visioconference", "point", "chantier", "brainstorm", "brainstorming", "hackathon",
    "webinaire", "projection", "rassemblement", "forum", "meetup", "meet up", "journee portes ouvertes",
    "portes ouvertes", "cercle", "groupe de travail", "comite", "permanence", "permanences",
    "perm", "perms", "conseil d administration",
    "meeting", "meetings", "workshop", "workshops", "gathering", "assembly", "get together",
    "hangout", "brainstorm", "webinar", "screening", "training", "seminar", "conference",
    "presentation", "potluck", "picnic", "standup", "stand up", "retreat", "kickoff",
    "kick off", "drop in", "office hours", "open hours", "catch up",
)
# Nouns that are just as often something else ("call me", "a walk", "lunch with my mum"):
# counted only after an indefinite word ("un café", "a quick call").
WEAK_GATHERING = (
    "cafe", "dej", "repas", "dejeuner", "diner", "pot", "sortie", "fete", "balade", "gouter",
    "call", "talk", "walk", "visit", "event", "party", "drinks", "social", "jam", "sprint",
    "demo", "sync", "lunch", "dinner", "breakfast", "coffee", "session",
)
PERMANENCE_NOUNS = {"permanence", "permanences", "perm", "perms", "drop in", "office hours",
                    "open hours"}
INDEFINITE = {"un", "une", "a", "an", "another", "autre", "nouvelle", "nouveau", "nouvel",
              "new", "petit", "petite", "quick", "short", "little", "grand", "grande", "big",
              "vraie", "vrai", "real", "first", "premier", "premiere", "prochaine", "prochain",
              "next", "team", "video", "zoom", "phone", "online"}
# before a gathering noun, these say it already exists, or is someone's own
DEFINITE = {"la", "le", "l", "les", "cette", "ce", "cet", "ces", "the", "this", "that", "these",
            "those", "ma", "mon", "mes", "ta", "ton", "tes", "sa", "son", "ses", "my", "your",
            "his", "her", "their", "votre", "vos", "leur", "leurs", "du", "au", "aux", "des",
            "de", "d", "bonne", "bon", "good", "great", "nice", "belle", "excellente"}
# words that may stand between a determiner and its noun: "la prochaine réunion"
ADJECTIVES = {"prochaine", "prochain", "petite", "petit", "grande", "grand", "nouvelle",
              "nouveau", "nouvel", "premiere", "premier", "deuxieme", "seconde", "derniere",
              "dernier", "next", "first", "second", "last", "big", "little", "quick", "short",
              "new", "weekly", "monthly", "mensuelle", "hebdomadaire", "autre", "another",
              "other", "vraie", "real", "open", "ouverte", "publique", "public", "extra",
              "grosse", "gros", "fameuse", "fameux", "super"}

_GATHERING_RE = re.compile(r"\b(" + "|".join(sorted(set(GATHERING) | set(WEAK_GATHERING),
                                                     key=len, reverse=True)) + r")\b")

# ---- blockers ---------------------------------------------------------------------------------

# One's own appointments and plans: "j'ai un rdv chez le dentiste", "je suis chez le kiné",
# "my dentist appointment", "je vais chez le coiffeur".
PERSONAL = _words(
    r"j ai (?:un |une |mon |ma |le |la )?(?:rdv|rendez vous|rencard|dentiste|medecin|docteur|kine|"
    r"cours|examen|exam|entretien|train|avion|vol|boulot|taf|travail|reunion|conseil|anniv|"
    r"anniversaire|consultation|seance|rdv medical|garde|permanence|formation|atelier|visite)",
    r"j avais", r"j ai rdv", r"(?:mon|ma|mes) (?:rdv|rendez vous|anniversaire|anniv|train|vol|avion|cours|"
    r"medecin|dentiste|docteur|kine|boulot|travail|taf|chef|patron|fils|fille|enfants?|mere|pere|"
    r"femme|mari|copine?|conge|conges|vacances)",
    r"chez (?:le|la|l|mon|ma|un|une) (?:medecin|dentiste|docteur|kine|coiffeur|coiffeuse|garagiste|"
    r"osteo|osteopathe|veto|veterinaire|gyneco|ophtalmo|notaire|banquier|psy|generaliste|"
    r"specialiste|pediatre)",
    r"je (?:suis|serai|serais|vais etre) (?:chez|au|a l|a la|aux|en|pris|prise|occupee?|"
    r"malade|absente?|de garde|coincee?|bloquee?|indisponible|dispo|disponible|pas|plus|la|"
    r"partante?|ok|d accord|en retard|en avance|a l heure)",
    r"je (?:vais|passe|file) (?:chez|au|a|aux|en|etre|partir)",
    r"je (?:pars|rentre|reviens|bosse|travaille|dois|devrai|viens|participe|serai la)",
    r"je (?:peux|pourrai|pourrais) (?:venir|passer|etre la|y aller|pas)",
    r"j y (?:serai|vais|suis)", r"pour moi", r"ca me va", r"ok pour moi",
    r"i (?:have|ve got|had) (?:a|an|my|the|to)", r"i (?:need|have|must) to",
    r"i m (?:at|in|off|away|busy|out|sick|late|going|travelling|traveling|free|available|in)",
    r"i (?:ll|will) be (?:away|out|late|at|in|off|busy|travelling|traveling|there)",
    r"i can (?:make it|come|join|be there|do it)", r"i (?:won t|can t|cannot|will not)",
    r"my (?:appointment|doctor|dentist|flight|train|class|birthday|boss|kids?|son|daughter|"
    r"mum|mom|dad|wife|husband|partner|holiday|vacation|shift|sister|brother|family|parents|"
    r"friends?|girlfriend|boyfriend|place|house|flat)",
    r"(?:ma|mes) (?:soeur|mere|fille|famille|copine|femme|parents|amis|amies|potes)",
    r"(?:mon|mes) (?:frere|pere|fils|copain|mari|appart|appartement)",
    r"birthday", r"anniversaire", r"anniv",
    r"appointment", r"dentist", r"doctor", r"works for me", r"count me in", r"see you",
)

# The negations and what is called off: "je ne serai pas là", "pas de permanence",
# "réunion annulée", "can't make it".
NEGATION = _words(
    r"ne? (?:\w+ ){0,3}(?:plus|jamais)",
    r"(?<!hesitez )(?<!hesite )pas(?! besoin| mal| loin| trop tard| cher| de souci| de probleme)",
    r"sans (?:moi|nous)", r"aucune?", r"personne ne",
    r"not", r"no(?! need| worries| problem)", r"never", r"cannot", r"nope",
    r"(?:can|won|don|isn|aren|didn|doesn|couldn|wouldn|shouldn|haven|hasn|wasn|weren) t",
    r"annul\w*", r"supprim\w*", r"report\w*", r"decal\w*", r"deplac\w*", r"cancel\w*",
    r"postpon\w*", r"called off", r"reschedul\w*", r"moved? to", r"(?:est|sera|c est|sont|seront) fermee?s?",
    r"closed", r"oubli\w*", r"forget", r"ignore[sz]?", r"non(?=\s*(?:[,.!?;:]|$))", r"absente?s?",
    r"indisponibles?", r"excusee?s?", r"sorry", r"desolee?s?",
)

# The past and what is only reported: "c'était", "a eu lieu", "was", "last week".
PAST = _words(
    r"c etait", r"etait", r"etaient", r"a eu lieu", r"ont eu lieu", r"avait", r"avaient",
    r"avons eu", r"on a eu", r"on a fait", r"s est (?:tenue?|bien passee?|passee?)",
    r"s etait dit", r"s etaient dit", r"etais", r"etions", r"aurait du", r"aurions du",
    r"aurais du", r"il y a eu", r"il y avait", r"was", r"were", r"took place", r"happened",
    r"had", r"last (?:week|time|month|year|night)", r"should have",
)

# Jokes: a date said in fun must not become a meeting.
JOKE = re.compile(r"\b(?:lol|mdr|ptdr|xd|haha\w*|hihi\w*|jk|blague|rigole|kidding|"
                  r"poisson d avril)\b|[\U0001F602\U0001F923\U0001F61C\U0001F61D\U0001F643]")

# Questions about a meeting that exists, not a proposal: "c'est toujours bon ?",
# "c'est où ?", "is it still on?", "le lien pour la visio".
ABOUT_EXISTING = _words(
    r"c est (?:quand|ou|a quelle heure|bien|toujours)", r"est (?:bien|toujours)",
    r"(?:est|is) ce qu on maintient", r"maintenue?s?", r"maintient", r"confirmee?s?",
    r"quelle heure", r"what time", r"when is", r"where is", r"is it still", r"still on",
    r"toujours (?:bon|ok|d accord|prevue?|valable|maintenue?|dispo)", r"horaires?",
    r"opening hours", r"comme (?:prevue?|convenue?|d hab\w*)", r"as (?:planned|agreed|usual)",
    r"c est note", r"bien (?:note|notee|recu)", r"notee? dans", r"noted", r"rappel", r"reminder",
    r"inscrite?s", r"complet", r"sold out", r"est ce qu il y a", r"y a t il", r"is there",
    r"(?:vous savez|tu sais|quelqu un sait|on sait|savez vous) s", r"(?:do you|does anyone|anyone) know",
)


# A negation inside "those who cannot come" is about them, not about the proposal.
_RELATIVE_NEGATION = re.compile(
    r"\b(?:ceux|celles|celui|celle|personnes|gens|les autres) qui (?:ne |n )?(?:\w+ ){0,2}pas\b"
    r"|\b(?:those|people|anyone|everyone|others) who (?:\w+ )?(?:can t|cannot|couldn t|won t|"
    r"don t|didn t)\b")


def without_relative_negations(folded: str) -> str:
    return _RELATIVE_NEGATION.sub(lambda m: " " * len(m.group(0)), folded)


def find_gatherings(folded: str) -> list[tuple[int, int, str]]:
    """(start, end, noun) of every gathering noun in the folded text."""
    return [(m.start(), m.end(), m.group(1)) for m in _GATHERING_RE.finditer(folded)]


def words_before(folded: str, pos: int, n: int) -> list[str]:
    """Up to n words just before character `pos`, nearest last."""
    return re.findall(r"[a-z0-9]+", folded[max(0, pos - 60):pos])[-n:]


def counts_as_cue(folded: str, start: int, noun: str) -> bool:
    """A gathering noun proposes when nothing, an indefinite or an adjective comes before it
    ("Réunion", "une réunion", "petite réu"), not after a determiner ("la réunion") or a
    wish ("bonne réunion"). A weak noun needs an indefinite word ("un café")."""
    before = words_before(folded, start, 3)
    while before and before[-1] in ADJECTIVES and before[-1] not in INDEFINITE:
        before.pop()
    prev = before[-1] if before else None
    if prev in DEFINITE:
        return False
    if noun in WEAK_GATHERING and noun not in GATHERING:
        return prev in INDEFINITE
    return True
