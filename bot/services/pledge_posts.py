"""How the mécénat reads, in both languages: the collective (`!mécénat`, the agenda, the digest
line, a web page), a pledger's own commitment (by direct message only), the monthly reminder
and the end notice.

A private amount is written only in what goes to its own pledger: every document here that a
room may show is built from `pledges.collective()`, which holds no private amount."""
from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from bot.config import Config
from bot.money import per_month, typed_amount
from bot.records import Pledge
from bot.render import link_span, tr
from bot.richtext import Doc, Span, b, code, i
from bot.services import pledges as svc
from bot.when.names import MONTHS_EN, MONTHS_FR, format_day
from storage.store import Store

# Names shown in a reply to `!mécénat`: one per pledger, so the list grows with the group,
# not with what one member types; past this, the rest are counted.
NAMES_SHOWN = 100


def _t(lang: str, fr: str, en: str, **values: object) -> str:
    return tr(lang, fr, en).format(**values)


def _colon(lang: str) -> str:
    return ": " if lang == "en" else " : "


def _month(d: date, lang: str) -> str:
    return f"{(MONTHS_EN if lang == 'en' else MONTHS_FR)[d.month - 1]} {d.year}"


def _people(n: int, lang: str) -> str:
    if lang == "en":
        return f"{n} person" if n == 1 else f"{n} people"
    return f"{n} personne" + ("s" if n > 1 else "")


def totals(c: svc.Collective, lang: str) -> str:
    """"1 250 €/mois" (each currency, if the group changed its own meanwhile)."""
    return " + ".join(per_month(cents, code, lang) for code, cents in sorted(c.totals.items()))


def summary(c: svc.Collective, lang: str) -> str:
    """"14 personnes, 1 250 €/mois"."""
    return f"{_people(c.people, lang)}, {totals(c, lang)}"


def _commit_example(config: Config, lang: str) -> str:
    p = config.chambre.prefix
    return p + _t(lang, "mécénat engager 50 par mois ; pendant 12 mois", "pledge commit 50 a month ; for 12 months")


def collective_doc(store: Store, config: Config, now: datetime, lang: str) -> Doc:
    """The collective as every member sees it, organisers included."""
    tz = config.chambre.tz
    c = svc.collective(store, now)
    doc = Doc().heading(_t(lang, "Mécénat des communs", "Commons patronage"))
    if not c.people:
        doc.para(_t(lang, "Personne ne s'est encore engagé à donner chaque mois. Premier pas : ",
                    "Nobody has pledged to give every month yet. A first step: "), code(_commit_example(config, lang)))
        return doc
    assert c.since is not None
    verb = _t(lang, " s'engage" if c.people == 1 else " s'engagent", " pledges" if c.people == 1 else " pledge")
    doc.para(b(_people(c.people, lang)), verb,
             _t(lang, " à donner chaque mois, sans condition : ", " to give every month, unconditionally: "),
             b(totals(c, lang)), _t(lang, " au total, depuis le ", " in all, since "),
             format_day(c.since.astimezone(tz).date(), lang), ".")
    if c.named:
        rows: list[list[Span]] = []
        for n in c.named[:NAMES_SHOWN]:
            row: list[Span] = [n.person]
            if n.amount_cents is not None:
                row += [" — ", per_month(n.amount_cents, n.currency, lang)]
            row += [_t(lang, " (depuis {m})", " (since {m})", m=_month(n.since.astimezone(tz).date(), lang))]
            rows.append(row)
        doc.para(_t(lang, "Nommé·es :", "Named:"))
        doc.bullets(rows)
        if len(c.named) > NAMES_SHOWN:
            doc.para(i(_t(lang, "… et {k} de plus", "… and {k} more", k=len(c.named) - NAMES_SHOWN)))
    if c.anonymous:
        doc.para(_t(lang, "Et {n} anonyme{s}.", "And {k} anonymous {who}.", n=_people(c.anonymous, lang),
                    s="s" if c.anonymous > 1 else "", k=c.anonymous, who="person" if c.anonymous == 1 else "people"))
    doc.para(_t(lang, "Pour quoi :", "What it is for:"))
    doc.bullets([[b(d.name) if d.brick_id is not None else i(_t(lang, "sans brique précisée", "no brick named")),
                  _colon(lang), _people(d.people, lang)] for d in c.destinations])
    # (an italic span ending in a space is not closed in Rocket.Chat's markdown)
    doc.para(i(_t(lang, "Le bot enregistre des engagements ; il ne touche pas à l'argent.",
                  "The bot records pledges; it never handles money.")),
             _t(lang, " S'engager : ", " To pledge: "), code(_commit_example(config, lang)))
    return doc


def digest_line(store: Store, now: datetime, lang: str) -> list[Span] | None:
    """"Mécénat : 14 personnes, 1 250 €/mois, +2 cette semaine", when pledges changed in the
    past seven days; None otherwise."""
    change = svc.week_change(store, now)
    if change is None:
        return None
    c = svc.collective(store, now)
    shown = f"+{change}" if change > 0 else f"−{-change}" if change < 0 else "±0"
    if not c.people:
        return [b(_t(lang, "Mécénat", "Pledges")), _colon(lang),
                _t(lang, "plus personne ne s'engage ({d} cette semaine)", "nobody pledges any more ({d} this week)", d=shown)]
    return [b(_t(lang, "Mécénat", "Pledges")), _colon(lang), summary(c, lang),
            _t(lang, ", {d} cette semaine", ", {d} this week", d=shown)]


def agenda_section(store: Store, config: Config, now: datetime, lang: str, doc: Doc) -> None:
    """The totals in the session agenda, when anyone pledges."""
    c = svc.collective(store, now)
    if not c.people:
        return
    doc.heading(_t(lang, "Mécénat des communs", "Commons patronage"))
    doc.para(summary(c, lang), _t(lang, " — le détail : ", " — details: "),
             code(config.chambre.prefix + _t(lang, "mécénat", "pledge")))


# ---- to the pledger alone ---------------------------------------------------------------------

def visibility_text(v: str, lang: str) -> str:
    return {
        "named": _t(lang, "votre nom est affiché dans le collectif, pas votre montant",
                    "your name shows in the collective, not your amount"),
        "anonymous": _t(lang, "vous êtes compté·e dans le collectif sans être nommé·e",
                        "you are counted in the collective without being named"),
        "public": _t(lang, "votre nom et votre montant sont affichés dans le collectif",
                     "your name and your amount show in the collective"),
    }[v]


def runs_text(p: Pledge, lang: str) -> str:
    """"12 mois, jusqu'au mardi 30 novembre 2027 inclus"."""
    months = _t(lang, "{n} mois", "{n} month" + ("s" if p.months > 1 else ""), n=p.months)
    return months + _t(lang, ", jusqu'au {d} inclus", ", through {d}", d=format_day(svc.last_day(p), lang))


def left_text(p: Pledge, at: datetime, lang: str) -> str:
    months, days = svc.left(p, at)
    parts = []
    if months:
        parts.append(_t(lang, "{n} mois", "{n} month" + ("s" if months > 1 else ""), n=months))
    if days or not months:
        parts.append(_t(lang, "{n} jour" + ("s" if days > 1 else ""), "{n} day" + ("s" if days > 1 else ""), n=days))
    return _t(lang, " et ", " and ").join(parts)


def _brick_name(store: Store, p: Pledge) -> str | None:
    if p.brick_id is None:
        return None
    brick = store.brick(p.brick_id)
    return brick.name if brick else None


def where_to_give(store: Store, config: Config, p: Pledge, lang: str, doc: Doc) -> None:
    brick = store.brick(p.brick_id) if p.brick_id is not None else None
    links = svc.payment_links(brick)
    if links:
        doc.para(_t(lang, "Où donner :", "Where to give:"))
        doc.bullets([[link_span(link.url, link.label)] for link in links])
    elif brick is not None:
        doc.para(i(_t(lang, "La brique « {name} » n'a pas encore de lien Liberapay ou HelloAsso ({ex}).",
                      "Brick \"{name}\" has no Liberapay or HelloAsso link yet ({ex}).", name=brick.name,
                      ex=config.chambre.prefix + _t(lang, "brique lien {n} ; https://liberapay.com/…",
                                                    "brick link {n} ; https://liberapay.com/…", n=brick.id))))


def renew_command(p: Pledge, config: Config, lang: str) -> str:
    """The command that commits again on the same terms, for `p.months` more months."""
    parts = [config.chambre.prefix + _t(lang, "mécénat engager {a} par mois", "pledge commit {a} a month",
                                         a=typed_amount(p.amount_cents, lang)),
             _t(lang, "pendant {n} mois", "for {n} months", n=p.months)]
    if p.brick_id is not None:
        parts.append(_t(lang, "pour {n}", "to {n}", n=p.brick_id))
    if p.visibility != "named":
        parts.append({"anonymous": _t(lang, "anonyme", "anonymous"),
                      "public": _t(lang, "montant public", "public amount")}[p.visibility])
    return " ; ".join(parts)


def commitment_line(store: Store, p: Pledge, lang: str) -> list[Span]:
    """"37,45 €/mois pendant 12 mois, jusqu'au …, pour « Redistribution vers les collectifs »"."""
    row: list[Span] = [b(per_month(p.amount_cents, p.currency, lang)), _t(lang, " pendant ", " for "), runs_text(p, lang)]
    name = _brick_name(store, p)
    if name:
        row += [_t(lang, ", pour « ", ", to \""), b(name), _t(lang, " »", "\"")]
    return row


def mine_doc(store: Store, config: Config, person: str, now: datetime, lang: str) -> Doc:
    """A pledger's own commitment and history: sent by direct message only."""
    tz = config.chambre.tz
    p = config.chambre.prefix
    history = store.pledges(person)
    current = next((x for x in reversed(history) if x.runs_at(now)), None)
    doc = Doc().heading(_t(lang, "Votre mécénat", "Your pledge"))
    if current is None:
        doc.para(_t(lang, "Vous n'avez pas d'engagement en cours. S'engager : ", "You have no pledge running. To pledge: "),
                 code(_commit_example(config, lang)))
    else:
        began = current.since
        doc.para(_t(lang, "En cours : ", "Running: "), *commitment_line(store, current, lang), ".")
        doc.para(_t(lang, "Vous donnez depuis le {d} ; il reste {left}.", "You have given since {d}; {left} to go.",
                    d=format_day(began.astimezone(tz).date(), lang), left=left_text(current, now, lang)))
        doc.para(visibility_text(current.visibility, lang).capitalize(), ".")
        where_to_give(store, config, current, lang, doc)
        day = config.pledges.reminder_day
        if current.reminders:
            doc.para(_t(lang, "Rappel chaque mois, le {d} : oui (", "Reminder every month, on day {d}: yes (",
                        d="1er" if day == 1 and lang != "en" else day), code(p + _t(lang, "mécénat rappel non", "pledge reminder no")),
                     _t(lang, " pour l'arrêter).", " to stop it)."))
        else:
            doc.para(_t(lang, "Rappel mensuel : non (", "Monthly reminder: no ("),
                     code(p + _t(lang, "mécénat rappel oui", "pledge reminder yes")), _t(lang, " pour le reprendre).", " to have it again)."))
        doc.para(_t(lang, "Changer : ", "To change it: "), code(p + _t(lang, "mécénat engager <montant> par mois", "pledge commit <amount> a month")),
                 _t(lang, " ; arrêter : ", "; to stop: "), code(p + _t(lang, "mécénat arrêter", "pledge stop")))
    past = [x for x in history if x is not current]
    if past:
        doc.para(_t(lang, "Historique :", "History:"))
        doc.bullets([_past_line(x, lang, tz) for x in reversed(past[-10:])])
    return doc


def _past_line(x: Pledge, lang: str, tz: ZoneInfo) -> list[Span]:
    ended = x.stopped_at or x.ends_at
    how = {"stopped": _t(lang, "arrêté", "stopped"), "replaced": _t(lang, "remplacé", "replaced"),
           None: _t(lang, "arrivé à son terme", "came to its end")}[x.end_reason]
    first = format_day(x.started_at.astimezone(tz).date(), lang)
    last = format_day(svc.last_day(x), lang) if x.end_reason is None else format_day(ended.astimezone(tz).date(), lang)
    return [first, " – ", last, _colon(lang), per_month(x.amount_cents, x.currency, lang), " (", how, ")"]


def reminder_doc(store: Store, config: Config, p: Pledge, at: datetime, lang: str, late: bool = False) -> Doc:
    """The monthly direct message: the commitment, where to give, how long it still runs."""
    doc = Doc().heading(_t(lang, "Mécénat des communs — {m}", "Commons patronage — {m}",
                           m=_month(at.astimezone(config.chambre.tz).date(), lang)))
    if late:
        doc.para(i(_t(lang, "(envoyé en retard : le bot était arrêté à l'heure prévue)",
                      "(sent late: the bot was stopped at the planned time)")))
    doc.para(_t(lang, "Votre engagement : ", "Your pledge: "), *commitment_line(store, p, lang), ".")
    where_to_give(store, config, p, lang, doc)
    doc.para(_t(lang, "Il court encore {left}.", "It still runs for {left}.", left=left_text(p, at, lang)))
    prefix = config.chambre.prefix
    doc.para(i(_t(lang, "Le bot ne touche pas à l'argent : vous donnez vous-même.",
                  "The bot never handles money: you give yourself.")),
             _t(lang, " Plus de rappel : ", " No more reminders: "), code(prefix + _t(lang, "mécénat rappel non", "pledge reminder no")))
    return doc


def ending_doc(store: Store, config: Config, p: Pledge, at: datetime, lang: str, late: bool = False) -> Doc:
    """A week before a commitment ends: when, thanks, and the command to renew it."""
    doc = Doc().heading(_t(lang, "Mécénat des communs — votre engagement se termine bientôt",
                           "Commons patronage — your pledge ends soon"))
    if late:
        doc.para(i(_t(lang, "(envoyé en retard : le bot était arrêté à l'heure prévue)",
                      "(sent late: the bot was stopped at the planned time)")))
    doc.para(_t(lang, "Votre engagement de ", "Your pledge of "), b(per_month(p.amount_cents, p.currency, lang)),
             _t(lang, " se termine le {d} (dernier jour). Merci !", " ends on {d} (its last day). Thank you!",
                d=format_day(svc.last_day(p), lang)))
    doc.para(_t(lang, "Pour le renouveler, {n} mois de plus : ", "To renew it for {n} more months: ", n=p.months),
             code(renew_command(p, config, lang)))
    doc.para(i(_t(lang, "Sinon, rien à faire : il s'arrête de lui-même.", "Otherwise, nothing to do: it stops by itself.")))
    return doc
