"""The web server inside the bot (aiohttp): the board and its pages, the calendar feed, the
JSON export and a health check, all read-only, on the bot's own database thread.

Who may see what ([web] in the configuration):
- the board, its pages and the feed are public, unless `public = false`: then each needs
  the token, as `?token=` (what a calendar program can send) or `Authorization: Bearer`;
- `/export.json` and `/healthz` show more than the board (the chats' state; every name, and
  every pledge with its amount, the anonymous ones too): they need the token whenever one is
  set; without one, the export is refused, since it would show what members keep private.

The feed and the export carry an ETag made from the records' revision (raised by triggers
at every change, storage/migrations.py 0008) and the reader's options: a calendar asking
"changed?" with If-None-Match or If-Modified-Since gets 304 from one small query, without
anything being built; a changed calendar is built once per revision and kept.
"""
from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
from dataclasses import dataclass
from datetime import datetime, time, timedelta, timezone
from email.utils import format_datetime, parsedate_to_datetime
from typing import TYPE_CHECKING, Any, Awaitable, Callable, TypeVar
from urllib.parse import urlencode

import aiohttp_jinja2
import jinja2
from aiohttp import web

from bot.clock import Clock
from bot.config import FEED_PATHS, Config, WebConfig, parse_listen
from bot.export import CalendarView, export_ics, export_json_text
from bot.richtext import safe_url
from bot.services import rhythm as rhythm_svc
from bot.web import views
from storage.db import ChambreDatabase, DatabaseThread
from storage.store import Store

if TYPE_CHECKING:
    from bot.app import App

log = logging.getLogger(__name__)

FEEDS = {path: lang for lang, path in FEED_PATHS.items()}
# Raised when what the feed or the export writes changes shape: their ETags change with it.
FORMAT = "1"
CACHED_DOCUMENTS = 8
# How much of the past the feed carries: meetings and hosted dates from a year ago on.
FEED_PAST = timedelta(days=365)
# A request's longest wait for the database before /healthz calls it unreadable.
HEALTH_TIMEOUT = 5.0
# The largest record number SQLite stores; a larger one in an address is simply not found.
_MAX_ID = 2**63 - 1


class ListenError(Exception):
    """The server cannot listen where it was told (address in use, not this machine's)."""


@dataclass(frozen=True)
class _Cached:
    etag: str
    body: bytes


T = TypeVar("T")


def _read(db: ChambreDatabase, fn: Callable[[Store], T]) -> T:
    """`fn` in one read transaction: a consistent view, without taking the write lock."""
    with db.snapshot():
        return fn(Store(db))


class WebServer:
    def __init__(self, config: Config, db: DatabaseThread, clock: Clock | None = None, app: "App | None" = None,
                 listen: str | None = None) -> None:
        self.config = config
        self.web: WebConfig = config.web or WebConfig()
        self.db = db
        self.clock = clock or Clock()
        self.app = app
        self.listen = listen or self.web.listen
        self._runner: web.AppRunner | None = None
        self._cache: dict[str, _Cached] = {}  # per kind of document, its last build
        self.builds = 0  # documents built (not answered from the cache or with 304), for the tests
        self.url = ""

    # ---- life cycle -----------------------------------------------------------------------------

    def application(self) -> web.Application:
        app = web.Application(middlewares=[self._errors])
        env = aiohttp_jinja2.setup(
            app, loader=jinja2.PackageLoader("bot.web", "templates"),
            autoescape=jinja2.select_autoescape(["html"], default=True), undefined=jinja2.StrictUndefined,
            trim_blocks=True, lstrip_blocks=True)
        env.tests["web_url"] = safe_url
        app.router.add_get("/", self.board)
        app.router.add_get(r"/briques/{n:\d{1,30}}", self.brick)
        app.router.add_get(r"/reunions/{n:\d{1,30}}", self.meeting)
        app.router.add_get(r"/seances/{n:\d{1,30}}", self.minutes)
        for path in FEEDS:
            app.router.add_get(path, self.feed)
        app.router.add_get("/export.json", self.export)
        app.router.add_get("/healthz", self.health)
        return app

    async def start(self) -> None:
        host, port = parse_listen(self.listen)
        self._runner = web.AppRunner(self.application(), access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        try:
            await site.start()
        except OSError as err:
            await self._runner.cleanup()
            self._runner = None
            raise ListenError(f"cannot listen on {self.listen} for the web board ({err.strerror or err})") from None
        bound = self._runner.addresses[0]
        shown = f"[{bound[0]}]" if ":" in bound[0] else bound[0]
        self.url = f"http://{shown}:{bound[1]}"
        log.info("web: the board is on %s/", self.url)

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    # ---- who asks, in what language -------------------------------------------------------------

    def _token_ok(self, request: web.Request) -> bool:
        token = self.web.token
        if not token:
            return False
        given = request.query.get("token") or ""
        header = request.headers.get("Authorization", "")
        if not given and header.lower().startswith("bearer "):
            given = header[7:].strip()
        return hmac.compare_digest(given.encode("utf-8", "replace"), token.encode("utf-8"))

    def _lang(self, request: web.Request, default: str | None = None) -> str:
        asked = request.query.get("lang")
        if asked in ("fr", "en"):
            return asked
        return default or self.web.language or self.config.chambre.language

    def _base(self, request: web.Request) -> str:
        """The board's public address: the configured one, else the one this request used."""
        return self.web.base_url or f"{request.scheme}://{request.host}"

    def _view(self, request: web.Request, lang: str) -> CalendarView:
        return CalendarView(lang=lang, base_url=self._base(request), show_names=self.web.show_names)

    def _page(self, request: web.Request) -> views.Page:
        lang = self._lang(request)
        return views.Page(lang, self.config.chambre.tz, self._view(request, lang))

    def _kept(self, request: web.Request, keep_lang: bool = True, **extra: str) -> str:
        """The query to keep on the page's own links: the language asked for, and the token
        when the board is not public (else the next click would be refused)."""
        keep = {"lang": request.query["lang"]} if keep_lang and request.query.get("lang") in ("fr", "en") else {}
        if not self.web.public and self._token_ok(request):
            keep["token"] = request.query.get("token") or self.web.token or ""
        keep.update(extra)
        return ("?" + urlencode(keep)) if keep else ""

    def _refused(self, request: web.Request, status: int, fr: str, en: str) -> web.Response:
        page = self._page(request)
        response = aiohttp_jinja2.render_template(
            "error.html", request, self._context(request, page, page_title=page.t(fr, en), message=page.t(fr, en)),
            status=status)
        if status == 401:
            response.headers["WWW-Authenticate"] = 'Bearer realm="chambre-bot"'
        return response

    def _public(self, request: web.Request) -> web.Response | None:
        """None when the board may be shown to this request, else the refusal."""
        if self.web.public or self._token_ok(request):
            return None
        return self._refused(request, 401, "Ce tableau demande un jeton : ajoutez ?token=… à l'adresse.",
                             "This board needs a token: add ?token=… to the address.")

    def _private(self, request: web.Request) -> web.Response | None:
        """None when /export.json or /healthz may be shown to this request, else the refusal."""
        if self.web.token:
            return None if self._token_ok(request) else self._refused(
                request, 401, "Il faut le jeton ([web] token) : ?token=… ou l'en-tête Authorization.",
                "The token ([web] token) is needed: ?token=… or the Authorization header.")
        return None

    # ---- pages ----------------------------------------------------------------------------------

    def _context(self, request: web.Request, page: views.Page, **values: Any) -> dict[str, Any]:
        lang = page.lang
        feed = FEED_PATHS[lang]
        https = self._base(request) + feed + self._kept(request, keep_lang=False)  # the feed's name says its language
        other = "fr" if lang == "en" else "en"
        return {
            "lang": lang, "t": page.t, "href": lambda path: path + self._kept(request), "prefix": self.config.chambre.prefix,
            "feed_https": https, "feed_webcal": "webcal://" + https.split("://", 1)[1],
            "other_lang": other, "other_lang_href": request.path + self._kept(request, lang=other),
            **values,
        }

    async def _render(self, request: web.Request, template: str, build: Callable[[Store, views.Page], Any],
                      title: Callable[[Any, views.Page], str]) -> web.Response:
        refused = self._public(request)
        if refused is not None:
            return refused
        page = self._page(request)
        found = await self.db.run(lambda db: _read(db, lambda store: build(store, page)))
        if found is None:
            return self._refused(request, 404, "Rien à cette adresse.", "Nothing at this address.")
        response = aiohttp_jinja2.render_template(
            template, request, self._context(request, page, page_title=title(found, page), data=found))
        response.headers["Cache-Control"] = "no-cache"
        return response

    async def board(self, request: web.Request) -> web.Response:
        now = self.clock.now()
        return await self._render(request, "board.html",
                                  lambda store, page: views.board(store, self.config, page, now),
                                  lambda _, page: page.t("Chambre des Communs de Lille", "Chambre des Communs de Lille"))

    async def brick(self, request: web.Request) -> web.Response:
        n = int(request.match_info["n"])
        return await self._render(request, "brick.html",
                                  lambda store, page: views.brick_page(store, page, n) if n <= _MAX_ID else None,
                                  lambda found, _: found.row.name)

    async def meeting(self, request: web.Request) -> web.Response:
        n = int(request.match_info["n"])
        return await self._render(request, "meeting.html",
                                  lambda store, page: views.meeting_page(store, page, n) if n <= _MAX_ID else None,
                                  lambda found, _: found.row.title)

    async def minutes(self, request: web.Request) -> web.Response:
        n = int(request.match_info["n"])
        return await self._render(request, "minutes.html",
                                  lambda store, page: views.minutes_page(store, page, n) if n <= _MAX_ID else None,
                                  lambda found, _: found.minutes.title)

    @web.middleware
    async def _errors(self, request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]) -> web.StreamResponse:
        try:
            return await handler(request)
        except web.HTTPNotFound:
            return self._refused(request, 404, "Rien à cette adresse.", "Nothing at this address.")
        except web.HTTPMethodNotAllowed:
            return self._refused(request, 405, "Ce tableau se lit seulement.", "This board is read-only.")

    # ---- documents with an ETag -----------------------------------------------------------------

    async def _document(self, request: web.Request, kind: str, options: tuple[object, ...], content_type: str,
                        build: Callable[[Store], bytes]) -> web.Response:
        """A document that changes only with the records: 304 when the reader has it, else
        the last build when still current, else a new build (in the same transaction as the
        revision it is tagged with)."""
        n, changed_at = await self.db.run(lambda db: Store(db).records_revision())
        etag = self._etag(kind, n, options)
        last_modified = format_datetime(changed_at.astimezone(timezone.utc), usegmt=True)
        headers = {"ETag": etag, "Last-Modified": last_modified, "Cache-Control": "no-cache"}
        if _not_modified(request, etag, changed_at):
            return web.Response(status=304, headers=headers)
        cached = self._cache.get(kind)
        if cached is None or cached.etag != etag:
            def fresh(db: ChambreDatabase) -> tuple[int, bytes]:
                return _read(db, lambda store: (store.records_revision()[0], build(store)))

            n, body = await self.db.run(fresh)
            self.builds += 1
            etag = headers["ETag"] = self._etag(kind, n, options)  # a change may have come in between
            cached = self._cache[kind] = _Cached(etag, body)
            while len(self._cache) > CACHED_DOCUMENTS:  # one per language and address the board was asked by
                self._cache.pop(next(iter(self._cache)))
        return web.Response(body=cached.body, headers={**headers, "Content-Type": content_type})

    def _etag(self, kind: str, revision: int, options: tuple[object, ...]) -> str:
        key = "\0".join(str(part) for part in (FORMAT, kind, revision, self.config.chambre.timezone, *options))
        return '"' + hashlib.sha256(key.encode()).hexdigest()[:24] + '"'

    async def feed(self, request: web.Request) -> web.Response:
        refused = self._public(request)
        if refused is not None:
            return refused
        # /calendar.ics speaks English unless asked otherwise; /calendrier.ics, the board's language.
        view = self._view(request, self._lang(request, "en" if FEEDS[request.path] == "en" else None))
        # A year of past meetings and the hosts of the dates to come (bot/export.py): the feed
        # changes with the day too.
        now = self.clock.now()
        today = datetime.combine(now.astimezone(self.config.chambre.tz).date(), time(0), self.config.chambre.tz)
        since = today - FEED_PAST
        options = (view.lang, view.base_url, view.show_names, today.isoformat())
        return await self._document(request, f"ics:{options}", options, "text/calendar; charset=utf-8",
                                    lambda store: export_ics(store, self.config, now, view, since, hosts_from=today))

    async def export(self, request: web.Request) -> web.Response:
        refused = self._private(request)
        if refused is not None:
            return refused
        if not self.web.token:  # it holds every pledge, amount and pledger, the anonymous ones too
            return self._refused(request, 403, "L'export montre ce que les membres gardent privé (leurs engagements de "
                                 "mécénat) : il demande un jeton ([web] token).",
                                 "The export shows what members keep private (their pledges): it needs a token ([web] token).")
        return await self._document(request, "json", (), "application/json; charset=utf-8",
                                    lambda store: export_json_text(store, self.config).encode("utf-8"))

    async def health(self, request: web.Request) -> web.Response:
        refused = self._private(request)
        if refused is not None:
            return refused
        try:
            depth = await asyncio.wait_for(self.db.run(lambda db: Store(db).outbox_depth()), HEALTH_TIMEOUT)
        except Exception as err:  # unreadable, locked for too long, not a database: say which
            log.warning("web: /healthz cannot read the database: %s", err)
            return web.json_response({"status": "error", "database": str(err) or err.__class__.__name__}, status=503)
        now = self.clock.now()
        backends = {}
        for name, status in (self.app.backend_status() if self.app is not None else {}).items():
            backends[name] = {
                "connected": status.connected,
                "last_event_age_seconds": None if status.last_event is None
                else round(max((now - status.last_event).total_seconds(), 0.0), 1),
                "outbox": depth.get(name, 0),
            }
        return web.Response(text=json.dumps({"status": "ok", "database": "ok", "backends": backends}),
                            content_type="application/json", headers={"Cache-Control": "no-store"})


def _not_modified(request: web.Request, etag: str, changed_at: datetime) -> bool:
    """RFC 9110 §13.1: If-None-Match when given (a list, or *), else If-Modified-Since."""
    match = request.headers.get("If-None-Match")
    if match is not None:
        tags = [t.strip().removeprefix("W/") for t in match.split(",")]
        return "*" in tags or etag in tags
    since = request.headers.get("If-Modified-Since")
    if since:
        try:
            when = parsedate_to_datetime(since)
        except (TypeError, ValueError, IndexError):
            return False
        if when.tzinfo is None:
            when = when.replace(tzinfo=timezone.utc)
        # HTTP dates have whole seconds: a change in the same second as the reader's copy
        # would look older than it. Within that second, only the ETag answers.
        settled = datetime.now(timezone.utc) - changed_at >= timedelta(seconds=1)
        return settled and changed_at <= when
    return False


async def serve(config: Config, db_path: str, listen: str | None, stop: asyncio.Event) -> None:
    """`chambre-bot serve`: the board alone on a database, until `stop` is set."""
    import sys

    db = DatabaseThread(db_path, create=False)
    server = WebServer(config, db, listen=listen)
    try:
        await db.open()  # a wrong path is said now, not at the first request
        await db.run(lambda d: _adopt_rhythm(d, config, server.clock.now()))
        await server.start()
        print(f"chambre-bot: the board is on {server.url}/ (the feed: {server.url}/calendrier.ics)",
              file=sys.stderr, flush=True)
        await stop.wait()
    finally:
        await server.stop()
        await asyncio.to_thread(db.close)


def _adopt_rhythm(db: ChambreDatabase, config: Config, now: datetime) -> None:
    """`[rhythm] rule`, read once and stored before anything reads it, as the bot does when
    it opens its database (bot/services/rhythm.py): the board alone shows it too."""
    with db.atomic():
        rhythm_svc.adopt_configured(Store(db), config, now)
