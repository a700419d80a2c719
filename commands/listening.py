"""!écoute / !listen, !noter / !record: listening in this room (docs/listening.md)."""
from __future__ import annotations

from bot import conversation
from bot.errors import UserError
from bot.richtext import Doc, b
from bot.services import Actor
from bot.services import listening as svc
from commands.context import Context
from commands.registry import ALL, ORGANISERS, Arg, command

MODE = Arg("mode", "mode", "choice", optional=True,
           choices=(("record", "enregistrer", "record"), ("suggest", "suggérer", "suggest"), ("off", "non", "off")))
_SAID = {
    "record": ("j'enregistre les réunions et permanences proposées ici, et je le dis dans le fil du message",
               "I record the meetings and permanences proposed here, and say so in the message's thread"),
    "suggest": ("je propose d'enregistrer les réunions et permanences proposées ici ; ✅ de l'auteur·e "
                "ou d'un·e organisateur·rice (ou !noter dans le fil) les enregistre",
                "I offer to record the meetings and permanences proposed here; a ✅ from the author or an "
                "organiser (or !record in the thread) records them"),
    "off": ("je n'écoute pas les conversations de ce salon (les commandes marchent toujours)",
            "I do not listen to this room's conversation (commands still work)"),
}


def _mode_text(ctx: Context, mode: str) -> str:
    fr, en = _SAID[mode]
    return ctx.t(fr, en).replace("!noter", ctx.prefix + "noter").replace("!record", ctx.prefix + "record")


@command(fr="écoute", en="listen", args=(MODE,), who=ORGANISERS,
         help_fr="ce que le bot fait des réunions proposées en conversation dans ce salon : enregistrer, "
                 "suggérer ou non ; sans argument, le réglage actuel",
         help_en="what the bot does with meetings proposed in this room's conversation: record, suggest or off; "
                 "without an argument, the current setting",
         example_fr="!écoute suggérer", example_en="!listen suggest")
def listen(ctx: Context, mode: str | None = None) -> Doc:
    if ctx.direct:
        raise UserError("L'écoute se règle dans un salon, pas en message privé : je n'écoute jamais les messages privés.",
                        "Listening is set in a room, not in a direct message: I never listen to direct messages.")
    if mode is None:
        current = ctx.listen_mode or "record"
        return Doc().para(ctx.t("Écoute dans ce salon : ", "Listening in this room: "),
                          b(_word(ctx, current)), " — ", _mode_text(ctx, current), ".")
    svc.set_mode(ctx.store, Actor(ctx.sender, ctx.is_organiser), ctx.now, ctx.backend, ctx.room, mode)
    return Doc().para(ctx.t("Écoute réglée pour ce salon : ", "Listening set for this room: "),
                      b(_word(ctx, mode)), " — ", _mode_text(ctx, mode), ".")


def _word(ctx: Context, mode: str) -> str:
    _, fr, en = next(c for c in MODE.choices if c[0] == mode)
    return ctx.t(fr, en)


@command(fr="noter", en="record", who=ALL,
         help_fr="enregistre la réunion ou la permanence que le bot propose de noter (dans son fil)",
         help_en="record the meeting or permanence the bot offers to record (in its thread)",
         example_fr="!noter", example_en="!record")
def record(ctx: Context) -> Doc:
    heard = svc.suggestion(ctx.store, ctx.backend, ctx.room, ctx.thread)
    outcome = svc.accept(ctx.store, Actor(ctx.sender, ctx.is_organiser), ctx.now, heard)
    room = conversation.Room(lang=ctx.lang, tz=ctx.tz, mode="suggest", prefix=ctx.prefix, places=[])
    return conversation.accepted_doc(outcome, room)

