"""!aide, !quand, !agenda, !digest"""
from __future__ import annotations

from bot.services.posts import build_agenda, build_digest
from bot.richtext import Doc, b, code
from commands import registry as reg
from commands.context import Context
from commands.registry import Arg, command


@command(fr="aide", en="help", args=(Arg("commande", "command", "text", optional=True, max_len=60),),
         help_fr="les commandes, avec un exemple chacune ; « !aide réunion » pour un groupe",
         help_en="the commands, each with an example; \"!help meeting\" for one group",
         example_fr="!aide réunion", example_en="!help meeting")
def help_(ctx: Context, command: str | None = None) -> Doc:
    p = ctx.prefix
    commands = reg.REGISTRY.commands
    if command:
        words = command.lstrip(p).split()
        found, used = reg.REGISTRY.lookup(words)
        # "!aide agenda": that command; "!aide mécénat": the group, not only "!mécénat" itself.
        alone = len(reg.REGISTRY.groups().get(reg.fold(words[0]), [])) <= 1 if words else True
        if found is not None and used == len(words[:2]) and (used == 2 or len(words) == 1 and len(found.words(ctx.lang)) == 1 and alone):
            chosen = [found]
        else:
            first = reg.fold(words[0]) if words else ""
            chosen = reg.REGISTRY.groups().get(first, [])
        if not chosen:
            return Doc.text(ctx.t("Pas de commande « {c} ». {aide} donne la liste.", "No command \"{c}\". {aide} lists them.",
                                  c=command, aide=p + ("help" if ctx.lang == "en" else "aide")))
    else:
        chosen = commands
    doc = Doc()
    if not command:
        doc.heading(ctx.t("Commandes de la Chambre", "The Chambre's commands"))
        doc.para(ctx.t("Arguments séparés par « ; ». Un numéro désigne une réunion, une permanence, une brique ou un point.",
                       "Arguments are separated by \" ; \". A number names a meeting, permanence, brick or topic."))
    doc.bullets([[code(c.usage(ctx.lang, p)), " — ", c.help(ctx.lang), ctx.t(". Exemple : ", ". Example: "),
                  code(c.example(ctx.lang, p)),
                  *([ctx.t(" (organisateurs)", " (organisers)")] if c.who == reg.ORGANISERS else [])]
                 for c in chosen])
    return doc


@command(fr="quand", en="when", args=(Arg("expression", "expression", "text", max_len=200),),
         help_fr="montre comment le bot lit une date ou une récurrence", help_en="show how the bot reads a date or a recurrence",
         example_fr="!quand un jeudi sur deux à 18h", example_en="!when every other thursday at 6pm")
def when(ctx: Context, expression: str) -> Doc:
    from bot.when import (WhenError, describe_recurrence, format_event, format_instant, looks_recurring,
                          read_event, read_recurrence)

    try:
        # the time layer's own test, as `chambre-bot when` uses it: one answer to "is this a recurrence"
        if looks_recurring(expression):
            rec = read_recurrence(expression, ctx.now, ctx.tz, ctx.lang)
            doc = Doc().para(ctx.t("Je comprends : ", "I read: "), b(describe_recurrence(rec, ctx.lang)))
            doc.para(ctx.t("Prochaines dates :", "Next dates:"))
            # a first day in the past only sets the weeks: show what comes next
            doc.bullets([format_instant(s, ctx.lang, ctx.tz) for s in rec.occurrences(ctx.now, count=4)])
            return doc
        event = read_event(expression, ctx.now, ctx.tz, ctx.lang)
    except WhenError as err:
        return Doc.text(err.explain(ctx.lang))
    return Doc().para(ctx.t("Je comprends : ", "I read: "), b(format_event(event, ctx.lang)))


@command(fr="agenda", en="agenda",
         help_fr="la prochaine séance et les deux semaines à venir : réunions, permanences, points",
         help_en="the next session and the next two weeks: meetings, permanences, topics",
         example_fr="!agenda", example_en="!agenda")
def agenda(ctx: Context) -> Doc:
    return build_agenda(ctx.store, ctx.config, ctx.now, ctx.lang)


@command(fr="digest", en="digest",
         help_fr="le résumé de la semaine tel qu'il serait posté maintenant",
         help_en="the weekly digest as it would be posted now",
         example_fr="!digest", example_en="!digest")
def digest(ctx: Context) -> Doc:
    return build_digest(ctx.store, ctx.config, ctx.now, ctx.lang)
