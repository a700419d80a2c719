"""!permanence"""
from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from bot.records import Permanence
from bot.richtext import Doc, Span, b
from bot.services import Actor
from bot.services import permanences as svc
from commands.context import Context
from commands.registry import ORGANISERS_OR_OWNER, Arg, command
from bot.render import instant, permanence_occurrence_line, tr

if TYPE_CHECKING:
    from bot.when import Recurrence

N = Arg("n", "n", "number")
LIST_LIMIT = 20  # permanences in a list, each with its next dates; the export has them all
DAY = Arg("date", "date", "day", max_len=100, key="day")


def actor(ctx: Context) -> Actor:
    return Actor(ctx.sender, ctx.is_organiser)


def _describe(ctx: Context, perm: Permanence) -> str:
    from bot.when import describe_recurrence

    return describe_recurrence(svc.recurrence_of(perm), ctx.lang)


def _next(ctx: Context, perm: Permanence, count: int = 3) -> list[list[Span]]:
    return [permanence_occurrence_line(perm, w, ctx.lang, ctx.tz) for w in svc.occurrences(perm, ctx.now, count=count)]


@command(fr="permanence ajouter", en="permanence add",
         args=(Arg("récurrence", "recurrence", "recurrence", max_len=200, key="rec"), Arg("titre", "title", "text"),
               Arg("lieu", "place", "text", optional=True)),
         help_fr="ajoute une permanence régulière", help_en="add a recurring permanence",
         example_fr="!permanence ajouter tous les mardis 17h-19h ; Permanence des communs ; Tiers-lieu",
         example_en="!permanence add every tuesday 5pm-7pm ; Commons drop-in ; Third place")
def add(ctx: Context, rec: Recurrence, title: str, place: str | None = None) -> Doc:
    perm = svc.add(ctx.store, actor(ctx), ctx.now, rec, title, place, ctx.room)
    doc = Doc().para(ctx.t("Permanence n°{n} ajoutée : ", "Permanence #{n} added: ", n=perm.id), b(title),
                     " — ", _describe(ctx, perm))
    nxt = _next(ctx, perm)
    if nxt:
        doc.para(ctx.t("Prochaines dates :", "Next dates:"))
        doc.bullets(nxt)
    return doc


@command(fr="permanence liste", en="permanence list",
         help_fr="les permanences, chacune avec ses prochaines dates", help_en="the permanences, each with its next dates",
         example_fr="!permanence liste", example_en="!permanence list")
def list_(ctx: Context) -> Doc:
    perms = svc.active(ctx.store)
    if not perms:
        return Doc.text(ctx.t("Aucune permanence pour l'instant. Exemple : {ex}", "No permanence yet. Example: {ex}",
                              ex=ctx.prefix + tr(ctx.lang, "permanence ajouter tous les mardis 17h-19h ; Permanence",
                                                 "permanence add every tuesday 5pm-7pm ; Drop-in")))
    doc = Doc().heading(ctx.t("Permanences", "Permanences"))
    for perm in perms[:LIST_LIMIT]:
        doc.para(b(f"{perm.id}. {perm.title}"), " — ", _describe(ctx, perm), *([" — ", perm.place] if perm.place else []))
        doc.bullets(_next(ctx, perm))
    if len(perms) > LIST_LIMIT:
        doc.para(ctx.t("… et {k} autres ({ex} pour l'une d'elles) ; l'export les donne toutes.",
                       "… and {k} more ({ex} for one of them); the export has them all.",
                       k=len(perms) - LIST_LIMIT, ex=ctx.prefix + tr(ctx.lang, "permanence voir <n>", "permanence show <n>")))
    return doc


@command(fr="permanence voir", en="permanence show", args=(N,),
         help_fr="une permanence, ses dates, qui les tient", help_en="one permanence, its dates and hosts",
         example_fr="!permanence voir 1", example_en="!permanence show 1")
def show(ctx: Context, n: int) -> Doc:
    perm = svc.get(ctx.store, n)
    doc = Doc().heading(ctx.t("Permanence n°{n} : ", "Permanence #{n}: ", n=perm.id), perm.title)
    doc.bullets([
        [ctx.t("Quand : ", "When: "), _describe(ctx, perm)],
        [ctx.t("Lieu : ", "Place: "), perm.place or ctx.t("pas de lieu donné", "no place given")],
        [ctx.t("Créée par ", "Created by "), perm.created_by],
    ] + ([[b(ctx.t("Arrêtée", "Ended"))]] if not perm.active else []))
    if perm.active:
        doc.para(ctx.t("Prochaines dates :", "Next dates:"))
        doc.bullets(_next(ctx, perm, 5))
    upcoming_cancelled = [c for c in perm.cancelled if c >= ctx.now]
    if upcoming_cancelled:
        doc.para(ctx.t("Annulées : ", "Cancelled: "), "; ".join(instant(c, ctx.lang, ctx.tz) for c in upcoming_cancelled))
    return doc


@command(fr="permanence tenir", en="permanence host", args=(N, DAY),
         help_fr="se propose pour tenir la permanence ce jour-là", help_en="volunteer to host that day's occurrence",
         example_fr="!permanence tenir 1 ; 17/12", example_en="!permanence host 1 ; 17/12")
def host(ctx: Context, n: int, day: date) -> Doc:
    perm, when = svc.host(ctx.store, actor(ctx), ctx.now, n, day)
    hosts = next((h for occ, h in perm.hosts.items() if occ == when), [])
    return Doc().para(ctx.t("Merci ! Permanence n°{n} ", "Thank you! Permanence #{n} ", n=perm.id), b(perm.title), " — ",
                      b(instant(when, ctx.lang, ctx.tz)), ctx.t(" : tenue par ", ": hosted by "), ", ".join(hosts))


@command(fr="permanence annuler", en="permanence cancel", args=(N, DAY), who=ORGANISERS_OR_OWNER,
         help_fr="annule une seule date de la permanence", help_en="cancel one occurrence",
         example_fr="!permanence annuler 1 ; 24/12", example_en="!permanence cancel 1 ; 24/12")
def cancel(ctx: Context, n: int, day: date) -> Doc:
    perm, when = svc.cancel_occurrence(ctx.store, actor(ctx), ctx.now, n, day)
    return Doc().para(ctx.t("Permanence n°{n} ", "Permanence #{n} ", n=perm.id), b(perm.title),
                      ctx.t(" annulée le ", " cancelled on "), b(instant(when, ctx.lang, ctx.tz)),
                      ctx.t(" ; les autres dates restent.", "; the other dates stay."))


@command(fr="permanence supprimer", en="permanence remove", args=(N,), who=ORGANISERS_OR_OWNER,
         help_fr="arrête toute la série", help_en="end the whole series",
         example_fr="!permanence supprimer 1", example_en="!permanence remove 1")
def remove(ctx: Context, n: int) -> Doc:
    perm = svc.remove(ctx.store, actor(ctx), ctx.now, n)
    return Doc().para(ctx.t("Permanence n°{n} arrêtée : ", "Permanence #{n} ended: ", n=perm.id), b(perm.title))
