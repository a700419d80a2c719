"""Turning an argument's text into what the handler needs, or a clear refusal."""
from __future__ import annotations

import re
from datetime import date
from typing import TYPE_CHECKING, Any, Callable

from bot.errors import NotFound, UserError
from bot.richtext import safe_url
from commands import registry as reg
from commands.context import Context

if TYPE_CHECKING:
    from bot.when import Event, Recurrence, WhenError


def _when_error(err: WhenError, ctx: Context) -> UserError:
    return UserError("{why}", "{why}", why=err.explain(ctx.lang))


def text(ctx: Context, cmd: reg.Command, arg: reg.Arg, value: str) -> str:
    return " ".join(value.split()) if "\n" not in value else value.strip()


# A record's number as members write it: 3, n°3, n° 3, N°3, nº3, no 3, no. 3, #3.
NUMBER = re.compile(r"(?:n\s*[°º]|no\.?|#)?\s*(\d{1,9})(?!\d)", re.IGNORECASE)


def record_number(value: str) -> int | None:
    """The number `value` names (0 included, which names no record), or None."""
    found = NUMBER.fullmatch(value.strip())
    return int(found.group(1)) if found else None


def split_number(value: str) -> tuple[str, str] | None:
    """A leading record number and what follows it: "n° 3 oui" -> ("n° 3", "oui")."""
    found = NUMBER.match(value.strip())
    return (found.group(0), value.strip()[found.end():].strip()) if found else None


def number(ctx: Context, cmd: reg.Command, arg: reg.Arg, value: str) -> int:
    from commands.dispatcher import usage_error

    n = record_number(value)
    if not n:
        raise usage_error(ctx, cmd, "« {v} » n'est pas un numéro.", "\"{v}\" is not a number.", v=value)
    return n


def when(ctx: Context, cmd: reg.Command, arg: reg.Arg, value: str) -> Event | None:
    from bot.when import WhenError, read_event

    if value.strip() == "?":
        return None  # a meeting still to organise
    try:
        return read_event(value, ctx.now, ctx.tz, ctx.lang)
    except WhenError as err:
        raise _when_error(err, ctx) from None


def recurrence(ctx: Context, cmd: reg.Command, arg: reg.Arg, value: str) -> Recurrence:
    from bot.when import WhenError, read_recurrence

    try:
        return read_recurrence(value, ctx.now, ctx.tz, ctx.lang)
    except WhenError as err:
        raise _when_error(err, ctx) from None


def day(ctx: Context, cmd: reg.Command, arg: reg.Arg, value: str) -> date:
    from bot.when import WhenError, read_day

    try:
        return read_day(value, ctx.now, ctx.tz, ctx.lang)
    except WhenError as err:
        raise _when_error(err, ctx) from None


def brick(ctx: Context, cmd: reg.Command, arg: reg.Arg, value: str) -> int:
    """A brick by number (written as anywhere else: 2, n°2, #2), by its name, or by a part of
    its name that names only one; names compare as bricks.name_key does."""
    from bot.services import bricks

    n = record_number(value)
    if n is not None:
        if bricks.exists(ctx.store, n):
            return n
        raise NotFound("Pas de brique n°{n}. {liste} montre les numéros.", "No brick #{n}. {liste} shows the numbers.",
                       n=n, liste=ctx.prefix + ("brick list" if ctx.lang == "en" else "brique liste"))
    matches = bricks.named(ctx.store, value)
    if len(matches) == 1:
        return matches[0][0]
    if not matches:
        raise NotFound("Aucune brique ne s'appelle « {v} ». {liste} montre les briques.",
                       "No brick is called \"{v}\". {liste} shows the bricks.",
                       v=value, liste=ctx.prefix + ("brick list" if ctx.lang == "en" else "brique liste"))
    shown = "; ".join(f"{i} {name}" for i, name in matches[:6])
    raise UserError("« {v} » désigne plusieurs briques : {m}. Donnez le numéro.",
                    "\"{v}\" names several bricks: {m}. Give the number.", v=value, m=shown)


def choice(ctx: Context, cmd: reg.Command, arg: reg.Arg, value: str) -> str:
    from commands.dispatcher import usage_error

    wanted = reg.fold(value).replace(" ", "-")
    for code, fr, en in arg.choices:
        if wanted in (reg.fold(fr), reg.fold(en), code):
            return code
    raise usage_error(ctx, cmd, "« {v} » n'est pas une valeur possible ({c}).", "\"{v}\" is not one of: {c}.",
                      v=value, c=", ".join(c[2] if ctx.lang == "en" else c[1] for c in arg.choices))


def url(ctx: Context, cmd: reg.Command, arg: reg.Arg, value: str) -> str:
    value = value.strip()
    if not safe_url(value):
        raise UserError("« {v} » n'est pas une adresse http(s) : seuls les liens http:// et https:// sont acceptés.",
                        "\"{v}\" is not an http(s) address: only http:// and https:// links are accepted.", v=value)
    return value


CONVERTERS: dict[str, Callable[..., Any]] = {
    "text": text, "number": number, "when": when, "recurrence": recurrence, "day": day,
    "brick": brick, "choice": choice, "url": url,
}
