"""!brique / !brick"""
from __future__ import annotations

from bot.records import BRICK_CATEGORIES, HistoryEntry
from bot.richtext import Doc, Span, b, i
from bot.services import Actor
from bot.services import bricks as svc
from commands.context import Context
from commands.convert import record_number
from commands.registry import Arg, command, fold
from bot.render import CATEGORY, STATUS, bar, brick_line, instant, link_span, tr, word

REF = Arg("n|nom", "n|name", "brick", max_len=200, key="brick")
# A chat reply, not a report (the export has everything): what one member can make a reply grow to.
LIST_LIMIT = 200
HISTORY_SHOWN = 15
NOTE_SHOWN = 300  # characters of a history note (an old description may be long)
STATUS_CHOICES = (("idea", "idée", "idea"), ("described", "décrite", "described"), ("recipe", "recette", "recipe"),
                  ("building", "en-création", "building"), ("exists", "existante", "exists"),
                  ("paused", "en-pause", "paused"), ("dropped", "abandonnée", "dropped"))
CATEGORY_CHOICES = (("brick", "brique", "brick"), ("infrastructure", "infrastructure", "infrastructure"), ("topic", "sujet", "topic"))


def actor(ctx: Context) -> Actor:
    return Actor(ctx.sender, ctx.is_organiser)


def _filter(value: str) -> tuple[str, str] | None:
    wanted = fold(value).replace(" ", "-")
    for code, fr, en in STATUS_CHOICES:
        if wanted in (fold(fr), en, fold(fr).replace("-", " ")):
            return "status", code
    for code, fr, en in CATEGORY_CHOICES:
        if wanted in (fold(fr), en, fold(fr) + "s", en + "s"):
            return "category", code
    return None


@command(fr="brique liste", en="brick list", args=(Arg("statut|catégorie", "status|category", "text", optional=True, max_len=40, key="filter"),),
         help_fr="les briques avec leur avancement ; filtrer par statut ou catégorie",
         help_en="the bricks with their progress; filter by status or category",
         example_fr="!brique liste recette", example_en="!brick list recipe")
def list_(ctx: Context, filter: str | None = None) -> Doc:
    wanted: dict[str, str] = {}
    if filter:
        found = _filter(filter)
        if found is None:
            names = ", ".join((c[2] if ctx.lang == "en" else c[1]) for c in STATUS_CHOICES + CATEGORY_CHOICES)
            return Doc.text(ctx.t("« {v} » n'est ni un statut ni une catégorie. Possibles : {c}.",
                                  "\"{v}\" is neither a status nor a category. Possible: {c}.", v=filter, c=names))
        wanted[found[0]] = found[1]
    bricks = svc.listed(ctx.store, **wanted)
    if not bricks:
        return Doc.text(ctx.t("Aucune brique ici.", "No brick here."))
    shown = bricks[:LIST_LIMIT]
    doc = Doc()
    for category in BRICK_CATEGORIES:
        group = [br for br in shown if br.category == category]
        if group:
            doc.heading(tr(ctx.lang, {"brick": "Briques", "infrastructure": "Infrastructure", "topic": "Autres sujets"}[category],
                           {"brick": "Bricks", "infrastructure": "Infrastructure", "topic": "Other topics"}[category]))
            doc.bullets([brick_line(br, ctx.lang) for br in group])
    if len(bricks) > len(shown):
        doc.para(ctx.t("… et {k} autres : filtrez par statut ou catégorie ({ex}) ; l'export les donne toutes.",
                       "… and {k} more: filter by status or category ({ex}); the export has them all.",
                       k=len(bricks) - len(shown), ex=ctx.prefix + tr(ctx.lang, "brique liste recette", "brick list recipe")))
    return doc


@command(fr="brique voir", en="brick show", args=(REF,),
         help_fr="une brique : description, liens, historique", help_en="one brick: description, links, history",
         example_fr="!brique voir services légaux", example_en="!brick show 1")
def show(ctx: Context, brick: int) -> Doc:
    br = svc.get(ctx.store, brick)
    doc = Doc().heading(f"{br.id}. ", br.name)
    doc.para(bar(br.status, ctx.lang), " — ", word(CATEGORY, br.category, ctx.lang),
             *([" — ", ctx.t("référent·e : ", "lead: "), br.lead] if br.lead else []))
    if br.description:
        doc.para(br.description)
    if br.links:
        doc.para(ctx.t("Liens :", "Links:"))
        doc.bullets([[link_span(l.url, l.label)] for l in br.links])
    doc.para(ctx.t("Historique :", "History:"))
    rows = []
    for h in br.history[-HISTORY_SHOWN:]:
        row: list[Span] = [instant(h.at, ctx.lang, ctx.tz), " — ", h.by, " — ", _change(ctx, h)]
        if h.note and h.change not in ("link", "lead"):  # already part of the change's label
            note = h.note if len(h.note) <= NOTE_SHOWN else h.note[:NOTE_SHOWN].rstrip() + "…"
            row += [" : " if ctx.lang != "en" else ": ", i(note)]
        rows.append(row)
    doc.bullets(rows)
    if len(br.history) > HISTORY_SHOWN:
        doc.para(ctx.t("({k} entrées plus anciennes dans l'export)", "({k} older entries in the export)",
                       k=len(br.history) - HISTORY_SHOWN))
    return doc


def _change(ctx: Context, h: HistoryEntry) -> str:
    labels = {
        "created": ("créée", "created"), "status": ("statut", "status"), "description": ("description changée", "description changed"),
        "note": ("note", "note"), "link": ("lien ajouté", "link added"), "lead": ("référent·e", "lead"),
        "decision": ("décision en séance", "decision in session"),
    }
    text = word(labels, h.change, ctx.lang)
    if h.change in ("created", "status") and h.status:
        text += " → " + word(STATUS, h.status, ctx.lang)
    if h.change in ("link", "lead") and h.note:
        text += " " + h.note
    return text


@command(fr="brique ajouter", en="brick add", args=(Arg("nom", "name", "text", max_len=120), Arg("description", "description", "text", optional=True, max_len=1000)),
         help_fr="ajoute une brique (au statut idée)", help_en="add a brick (as an idea)",
         example_fr="!brique ajouter Cantine des communs ; Une cantine partagée", example_en="!brick add Commons canteen ; A shared canteen")
def add(ctx: Context, name: str, description: str | None = None) -> Doc:
    if record_number(name) is not None:  # "12", "n°12": it would read as brick number 12
        return Doc.text(ctx.t("Un nom de brique ne peut pas être un simple numéro.", "A brick name cannot be a bare number."))
    br = svc.add(ctx.store, actor(ctx), ctx.now, name, description)
    return Doc().para(ctx.t("Brique n°{n} ajoutée : ", "Brick #{n} added: ", n=br.id), b(br.name), "  ", bar(br.status, ctx.lang))


@command(fr="brique statut", en="brick status",
         args=(REF, Arg("statut", "status", "choice", choices=STATUS_CHOICES), Arg("note", "note", "text", optional=True, max_len=1000)),
         help_fr="fait avancer une brique : idée, décrite, recette, en-création, existante, en-pause, abandonnée",
         help_en="move a brick along: idea, described, recipe, building, exists, paused, dropped",
         example_fr="!brique statut 2 ; recette ; la recette est sur le pad", example_en="!brick status 2 ; recipe ; recipe is on the pad")
def status(ctx: Context, brick: int, status: str, note: str | None = None) -> Doc:
    br, before = svc.set_status(ctx.store, actor(ctx), ctx.now, brick, status, note)
    doc = Doc().para(b(br.name), " : " if ctx.lang != "en" else ": ", word(STATUS, before, ctx.lang), " → ", b(word(STATUS, br.status, ctx.lang)))
    doc.para(bar(br.status, ctx.lang))
    if note:
        doc.para(ctx.t("Note : ", "Note: "), i(note))
    return doc


@command(fr="brique décrire", en="brick describe", args=(REF, Arg("description", "description", "text", max_len=1000)),
         help_fr="remplace la description ; l'ancienne reste dans l'historique",
         help_en="replace the description; the old one stays in the history",
         example_fr="!brique décrire 2 ; Collecter via HelloAsso, redistribuer via Liberapay",
         example_en="!brick describe 2 ; Collect with HelloAsso, redistribute with Liberapay")
def describe(ctx: Context, brick: int, description: str) -> Doc:
    br = svc.describe(ctx.store, actor(ctx), ctx.now, brick, description)
    return Doc().para(ctx.t("Description de ", "Description of "), b(br.name), ctx.t(" remplacée.", " replaced."))


@command(fr="brique note", en="brick note", args=(REF, Arg("texte", "text", "text", max_len=1000)),
         help_fr="ajoute une note datée à l'historique", help_en="add a dated note to the history",
         example_fr="!brique note 1 ; rencontre avec l'équipe le 12", example_en="!brick note 1 ; met the team on the 12th")
def note(ctx: Context, brick: int, text: str) -> Doc:
    br = svc.note(ctx.store, actor(ctx), ctx.now, brick, text)
    return Doc().para(ctx.t("Note ajoutée à ", "Note added to "), b(br.name), ".")


@command(fr="brique lien", en="brick link", args=(REF, Arg("url", "url", "url", max_len=500), Arg("libellé", "label", "text", optional=True, max_len=200)),
         help_fr="ajoute un lien (où elle existe, sa recette, son pad) ; http(s) seulement",
         help_en="add a link (where it exists, its recipe, its pad); http(s) only",
         example_fr="!brique lien 2 ; https://pad.example.org/finances ; le pad", example_en="!brick link 2 ; https://pad.example.org/finance ; the pad")
def link(ctx: Context, brick: int, url: str, label: str | None = None) -> Doc:
    br = svc.link(ctx.store, actor(ctx), ctx.now, brick, url, label)
    return Doc().para(ctx.t("Lien ajouté à ", "Link added to "), b(br.name), " : " if ctx.lang != "en" else ": ", link_span(url, label))


@command(fr="brique référent", en="brick lead", args=(REF, Arg("personne", "person", "text", max_len=100)),
         help_fr="désigne la personne référente", help_en="name the lead person",
         example_fr="!brique référent 2 ; Camille", example_en="!brick lead 2 ; Camille")
def lead(ctx: Context, brick: int, person: str) -> Doc:
    br = svc.set_lead(ctx.store, actor(ctx), ctx.now, brick, person)
    return Doc().para(b(br.name), ctx.t(" : référent·e ", ": lead "), b(person))
