"""Bricks: the building blocks of a commons economy, moved along their path with a dated
history of who changed what and why."""
from __future__ import annotations

from datetime import datetime
from urllib.parse import urlsplit, urlunsplit

from bot.errors import NotFound, UserError
from bot.records import Brick
from bot.services import Actor
from bot.text import loose_key
from storage.store import Store

# What one member can make a brick grow to: `!brique voir` shows every link.
MAX_LINKS = 10
_DEFAULT_PORTS = {"http": ":80", "https": ":443"}


def name_key(name: str) -> str:
    """Two brick names are the same name when they differ only in case, accents or spacing."""
    return loose_key(name)


def link_key(url: str) -> str:
    """Two links are the same link when they differ only where the web ignores it: the case
    of the scheme and host, a default port, an empty path."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return url
    user, at, host = parts.netloc.rpartition("@")
    host = host.lower()
    port = _DEFAULT_PORTS.get(parts.scheme.lower())
    if port and host.endswith(port):
        host = host[: -len(port)]
    return urlunsplit((parts.scheme.lower(), user + at + host, parts.path or "/", parts.query, parts.fragment))


def get(store: Store, n: int) -> Brick:
    brick = store.brick(n)
    if brick is None:
        raise NotFound("Pas de brique n°{n}.", "No brick #{n}.", n=n)
    return brick


def listed(store: Store, status: str | None = None, category: str | None = None) -> list[Brick]:
    """The bricks by number (without links and history), of one status or category if given."""
    return store.bricks(status=status, category=category)


def exists(store: Store, n: int) -> bool:
    return any(i == n for i, _ in store.brick_names())


def named(store: Store, text: str) -> list[tuple[int, str]]:
    """The bricks `text` names, as (number, name), names compared as name_key does: the one
    whose whole name it is, else every one whose name holds it. One means found; several,
    that the member must be more precise."""
    names = store.brick_names()
    wanted = name_key(text)
    exact = [(i, name) for i, name in names if name_key(name) == wanted]
    if exact:
        return exact[:1]
    return [(i, name) for i, name in names if wanted in name_key(name)]


def add(store: Store, actor: Actor, now: datetime, name: str, description: str | None) -> Brick:
    key = name_key(name)
    for n, existing in store.brick_names():
        if name_key(existing) == key:
            raise UserError("La brique n°{n} s'appelle déjà « {existing} » (aux majuscules, accents et espaces près).",
                            "Brick #{n} is already called \"{existing}\" (but for case, accents and spacing).",
                            n=n, existing=existing)
    brick = store.add_brick(name, "brick", description or "", actor.user, now)
    store.log("brick.added", brick.id, actor.user, now, name=name)
    return brick


def set_status(store: Store, actor: Actor, now: datetime, n: int, status: str, note: str | None) -> tuple[Brick, str]:
    brick = get(store, n)
    if brick.status == status:
        raise UserError("La brique « {name} » est déjà à ce statut.", "Brick \"{name}\" already has that status.", name=brick.name)
    before = brick.status
    store.update_brick(n, now, status=status)
    store.add_history(n, actor.user, "status", status, note, now)
    store.log("brick.status", n, actor.user, now, name=brick.name, before=before, status=status, note=note)
    return get(store, n), before


def describe(store: Store, actor: Actor, now: datetime, n: int, description: str) -> Brick:
    brick = get(store, n)
    # The old description stays in the history.
    store.add_history(n, actor.user, "description", brick.status, "ancienne description : " + (brick.description or "(vide)"), now)
    store.update_brick(n, now, description=description)
    store.log("brick.described", n, actor.user, now, name=brick.name)
    return get(store, n)


def note(store: Store, actor: Actor, now: datetime, n: int, text: str) -> Brick:
    brick = get(store, n)
    store.add_history(n, actor.user, "note", brick.status, text, now)
    store.update_brick(n, now)
    store.log("brick.note", n, actor.user, now, name=brick.name, note=text)
    return get(store, n)


def link(store: Store, actor: Actor, now: datetime, n: int, url: str, label: str | None) -> Brick:
    brick = get(store, n)
    same = next((existing.url for existing in brick.links if link_key(existing.url) == link_key(url)), None)
    if same is not None:
        raise UserError("Ce lien est déjà sur la brique « {name} » : {url}", "That link is already on brick \"{name}\": {url}",
                        name=brick.name, url=same)
    if len(brick.links) >= MAX_LINKS:
        raise UserError("La brique « {name} » a déjà {max} liens, le plus qu'elle puisse en montrer.",
                        "Brick \"{name}\" already has {max} links, the most it can show.", name=brick.name, max=MAX_LINKS)
    store.add_link(n, url, label, actor.user, now)
    store.add_history(n, actor.user, "link", brick.status, url if not label else f"{label} : {url}", now)
    store.update_brick(n, now)
    store.log("brick.link", n, actor.user, now, name=brick.name, url=url)
    return get(store, n)


def set_lead(store: Store, actor: Actor, now: datetime, n: int, person: str) -> Brick:
    brick = get(store, n)
    store.update_brick(n, now, lead=person)
    store.add_history(n, actor.user, "lead", brick.status, person, now)
    store.log("brick.lead", n, actor.user, now, name=brick.name, lead=person)
    return get(store, n)
