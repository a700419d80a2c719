"""`chambre-bot`: run, console, serve, when, notice, export, minutes, check-config, digest; the
operator's init, backup and restore are in bot/cli_ops.py."""
from __future__ import annotations

import argparse
import asyncio
import contextlib
import getpass
import io
import json
import logging
import os
import signal
import sys
from datetime import datetime, timezone, tzinfo
from pathlib import Path
from typing import TYPE_CHECKING, Callable, TypeVar

from bot import __version__
from bot.config import Config, ConfigError, load_config, read_env_file
from bot.logs import LOG_FORMATS, LOG_LEVELS, configure

if TYPE_CHECKING:
    from bot.app import App
    from bot.records import Minutes
    from bot.richtext import Doc
    from storage.db import ChambreDatabase, DatabaseThread
    from bot.web import WebServer
    from storage.store import Store

T = TypeVar("T")
DEFAULT_CONFIG = "config.toml"


def _parse_now(text: str | None, tz: tzinfo) -> datetime | None:
    if text is None:
        return None
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise SystemExit(f"--now: expected an ISO 8601 instant such as 2026-12-01T09:00 (got {text!r})") from None
    return value.replace(tzinfo=tz) if value.tzinfo is None else value


def _config(path: str | None, secrets: bool = True) -> Config:
    """The given file; else config.toml in the current folder if there is one; else the
    embedded default (console, local database). Without `secrets`, the chats' passwords and
    tokens may be missing: the commands that only use the database do not need them."""
    chosen = path or os.environ.get("CHAMBRE_CONFIG")
    if chosen is None and Path(DEFAULT_CONFIG).exists():
        chosen = DEFAULT_CONFIG
    try:
        return load_config(chosen, secrets=secrets)
    except ConfigError as err:
        print(f"{chosen}: {len(err.problems)} problem(s) in the configuration\n"
              + "\n".join(f"  - {p}" for p in err.problems), file=sys.stderr)
        raise SystemExit(2) from None


def _logging(level: str | None, verbose: bool = False, fmt: str = "text") -> None:
    """--log-level, else -v (debug), else $CHAMBRE_LOG (a level name; any other non-empty
    value means info), else warning: what an operator must act on, such as a skipped post."""
    env = os.environ.get("CHAMBRE_LOG", "").strip().lower()
    chosen = level or ("debug" if verbose else env if env in LOG_LEVELS else "info" if env else "warning")
    configure(chosen, fmt)


def _secrets_from(env_file: str | None) -> None:
    """--env-file: the secrets as a service gets them from its EnvironmentFile (the
    environment's own values win, as they would over the file's in a shell)."""
    if env_file is None:
        return
    try:
        values = read_env_file(env_file)
    except ConfigError as err:
        print(f"chambre-bot: {err.problems[0]}", file=sys.stderr)
        raise SystemExit(2) from None
    for key, value in values.items():
        os.environ.setdefault(key, value)


async def _start_web(config: Config, app: App) -> WebServer | None:
    """The board beside the chats, when [web] is configured (bot/web/)."""
    if config.web is None:
        return None
    from bot.web import ListenError, WebServer

    web = WebServer(config, app.db, app.clock, app=app)
    try:
        await web.start()
    except ListenError as err:
        raise SystemExit(f"chambre-bot: {err}") from None
    return web


async def _run_console(config: Config, db: str | None, user: str, member: bool, now: datetime | None,
                       schedule: bool = True, serve_web: bool = False) -> None:
    from bot.app import App
    from bot.backends.console import ConsoleBackend
    from bot.clock import Clock, ManualClock

    # Bytes that are not UTF-8 reach the console as such, which refuses that line alone.
    if isinstance(sys.stdin, io.TextIOWrapper):
        sys.stdin.reconfigure(errors="surrogateescape")
    clock = ManualClock(now) if now else Clock()
    console = ConsoleBackend(user, clock, is_organiser=not member, lang=config.chambre.language,
                             tz=config.chambre.tz)
    app = App(config, clock=clock, backends=[console], db_path=db)
    app.schedule = schedule
    web = await _start_web(config, app) if serve_web else None
    await app.start()
    try:
        await app.wait_backend("console")
    finally:
        if web is not None:
            await web.stop()
        await app.stop()


async def _run_chat(config: Config) -> int:
    """Every configured backend until SIGINT/SIGTERM (exit status 0), or until one of them
    stops on an error (a refused login...): then all stop, with exit status 1, so that a
    supervisor sees the failure and restarts the bot."""
    from bot.app import App

    app = App(config)
    web = await _start_web(config, app)
    await app.start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    backends = [asyncio.create_task(app.wait_backend(name)) for name in app.backends]
    stopper = asyncio.create_task(stop.wait())
    done, _ = await asyncio.wait([stopper, *backends], return_when=asyncio.FIRST_COMPLETED)
    failed = [t for t in backends if t in done and not t.cancelled() and t.exception() is not None]
    stopper.cancel()
    if web is not None:
        await web.stop()
    await app.stop()
    await asyncio.gather(*backends, return_exceptions=True)  # every outcome retrieved (none unreported)
    return 1 if failed else 0


def _console_input() -> None:
    """The console reads its commands from standard input. Closed (`<&-`, a supervisor that
    closes it), Python has none at all, and the first read would end in a traceback."""
    if sys.stdin is None:
        raise SystemExit("chambre-bot: the console reads commands from standard input, which is closed "
                         "(give it a terminal, a file or /dev/null, or configure a chat)")


def cmd_run(args: argparse.Namespace) -> int:
    from storage.lock import hold_serve_lock

    _secrets_from(args.env_file)
    config = _config(args.config)
    _logging(args.log_level, args.verbose, args.log_format)
    if not config.has_chat:
        _console_input()
    # Held while the bot runs: a second `run` on this database refuses to start.
    with hold_serve_lock(config.database_path()):
        if not config.has_chat:
            asyncio.run(_run_console(config, None, _default_user(), False, None, serve_web=True))
            return 0
        return asyncio.run(_run_chat(config))


def _default_user() -> str:
    with contextlib.suppress(Exception):
        return getpass.getuser()
    return "moi"


def cmd_console(args: argparse.Namespace) -> int:
    from storage.lock import is_served

    config = _config(args.config, secrets=False)  # the console reaches no chat
    _logging(args.log_level, args.verbose, args.log_format)
    _console_input()
    now = _parse_now(args.now, config.chambre.tz)
    path = args.db or config.database_path()
    # Beside a running bot, the console answers commands and leaves the scheduled posts to the
    # bot: else they would show in this terminal instead of the rooms.
    schedule = not is_served(path)
    if not schedule:
        logging.getLogger("bot.cli").warning("a running chambre-bot serves %s: it makes the scheduled posts, "
                                             "this console only answers commands", path)
    asyncio.run(_run_console(config, args.db, args.user or _default_user(), args.member, now, schedule))
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    from bot.config import parse_listen
    from bot.web.server import serve

    _secrets_from(args.env_file)
    config = _config(args.config)
    _logging(args.log_level, args.verbose, args.log_format)
    if args.listen is not None:
        try:
            parse_listen(args.listen)
        except ValueError as err:
            print(f"chambre-bot serve: --listen {args.listen!r}: expected {err}", file=sys.stderr)
            return 2

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError):
                loop.add_signal_handler(sig, stop.set)
        await serve(config, str(args.db or config.database_path()), args.listen, stop)

    from bot.web import ListenError

    try:
        asyncio.run(main())
    except ListenError as err:
        print(f"chambre-bot: {err}", file=sys.stderr)
        return 1
    return 0


def _configured_zone() -> None:
    """The default zone of `when` and `notice` is the configured one (if a configuration is
    found), else Europe/Paris."""
    chosen = os.environ.get("CHAMBRE_CONFIG") or (DEFAULT_CONFIG if Path(DEFAULT_CONFIG).exists() else None)
    if chosen and "CHAMBRE_TIMEZONE" not in os.environ:
        with contextlib.suppress(ConfigError):
            os.environ["CHAMBRE_TIMEZONE"] = load_config(chosen, secrets=False).chambre.timezone


def cmd_when(args: argparse.Namespace) -> int:
    from bot.when import run_when_cli

    _configured_zone()
    return run_when_cli(args.rest)


def cmd_notice(args: argparse.Namespace) -> int:
    from bot.listening.cli import run_notice_cli

    _configured_zone()
    return run_notice_cli(args.rest)


def _open_store(config: Config, db: str | None) -> DatabaseThread:
    from storage.db import DatabaseThread

    # Only `run` and `console` create a database: a mistyped path here is an error, not a new,
    # empty database exported with success.
    return DatabaseThread(db or config.database_path(), create=False)


def cmd_export(args: argparse.Namespace) -> int:
    from bot.clock import Clock
    from bot.export import export_ics, export_json
    from storage.store import Store

    config = _config(args.config, secrets=False)
    database = _open_store(config, args.db)

    def read(export: Callable[[Store], T]) -> T:  # one consistent state, while a running bot goes on writing
        def run(db: ChambreDatabase) -> T:
            with db.snapshot():
                return export(Store(db))
        return database.run_sync(run)

    try:
        if args.format == "ics":
            now = Clock().now()
            sys.stdout.buffer.write(read(lambda store: export_ics(store, config, now)))
        else:
            # Indented for people who read their backup; the records are those of export_json_text.
            json.dump(read(lambda store: export_json(store, config)), sys.stdout, ensure_ascii=False, indent=2)
            sys.stdout.write("\n")
    finally:
        database.close()
    return 0


def cmd_minutes(args: argparse.Namespace) -> int:
    """A session's minutes, by number or date, as Markdown or a standalone HTML page."""
    from datetime import date

    from bot.minutes import minutes_html, minutes_markdown
    from bot.services import sessions as session_svc
    from storage.store import Store

    config = _config(args.config, secrets=False)  # reads the database only: a cron job needs no chat secret
    ref = args.session.strip()
    number = int(ref) if ref.isdigit() else None
    day = None
    if number is None:
        try:
            day = date.fromisoformat(ref)
        except ValueError:
            print(f"chambre-bot minutes: {ref!r} is neither a session number nor a date YYYY-MM-DD", file=sys.stderr)
            return 2
    database = _open_store(config, args.db)

    def read(db: ChambreDatabase) -> list[Minutes]:
        store = Store(db)
        with db.snapshot():  # a read, as the export's: a running bot goes on writing meanwhile
            if number is not None:
                session = store.session(number)
                found = [session] if session is not None else []
            else:
                assert day is not None  # read above when no number is given
                found = session_svc.held_on(store, day)
            return [session_svc.minutes(store, s) for s in found]

    try:
        found = database.run_sync(read)
    finally:
        database.close()
    if not found:
        print(f"chambre-bot minutes: no session {'number ' + ref if number is not None else 'on ' + ref}", file=sys.stderr)
        return 1
    if len(found) > 1:
        numbers = ", ".join(str(m.session.id) for m in found)
        print(f"chambre-bot minutes: {len(found)} sessions on {ref} (numbers {numbers}): give the number", file=sys.stderr)
        return 1
    write = minutes_html if args.format == "html" else minutes_markdown
    text = write(found[0], config.chambre.language, config.chambre.tz)
    if args.output:
        try:
            Path(args.output).write_text(text, encoding="utf-8")
        except OSError as err:
            print(f"chambre-bot minutes: cannot write {args.output}: {err.strerror}", file=sys.stderr)
            return 1
    else:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
    return 0


def cmd_check_config(args: argparse.Namespace) -> int:
    path = args.config or os.environ.get("CHAMBRE_CONFIG") or DEFAULT_CONFIG
    if not Path(path).exists() and args.config is None:
        print(f"{path}: no such file; the bot would run on its embedded default (console, {Path('chambre.db').resolve()}).")
        return 0
    try:
        env = {**read_env_file(args.env_file), **os.environ} if args.env_file else None
        config = load_config(path, env)
    except ConfigError as err:
        print(f"{path}: {len(err.problems)} problem(s)")
        for problem in err.problems:
            print(f"  - {problem}")
        return 1
    backends = [name for name in ("matrix", "rocketchat") if getattr(config, name) is not None] or ["console"]
    web = f"; web board on {config.web.listen}" if config.web is not None else ""
    print(f"{path}: OK (backends: {', '.join(backends)}; database: {config.database_path()}{web})")
    return 0


def cmd_digest(args: argparse.Namespace) -> int:
    from bot.clock import Clock
    from bot.services import rhythm
    from bot.services.posts import build_digest
    from storage.store import Store

    config = _config(args.config, secrets=False)
    now = _parse_now(args.now, config.chambre.tz) or Clock().now()
    database = _open_store(config, args.db)

    def build(db: ChambreDatabase) -> Doc:
        store, at = Store(db), now.astimezone(timezone.utc)
        with db.atomic():
            rhythm.adopt_configured(store, config, at)  # as the bot does when it starts
            return build_digest(store, config, at, config.chambre.language)

    try:
        doc = database.run_sync(build)
    finally:
        database.close()
    print(doc.plain())
    return 0


def parser() -> argparse.ArgumentParser:
    from bot.cli_ops import add_operator_commands

    p = argparse.ArgumentParser(prog="chambre-bot", description="The chat bot of the Chambre des Communs de Lille.")
    p.add_argument("--version", action="version", version=f"chambre-bot {__version__}")
    sub = p.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="run the bot: every configured backend, or the console with none")
    run.add_argument("-c", "--config")
    run.add_argument("--env-file", help="read the secrets from this file of KEY=value lines, as systemd's EnvironmentFile")
    run.add_argument("-v", "--verbose", action="store_true", help="the same as --log-level debug")
    run.add_argument("--log-level", choices=LOG_LEVELS, help="what to log on stderr (default: $CHAMBRE_LOG, else warning)")
    run.add_argument("--log-format", choices=LOG_FORMATS, default="text", help="json: one JSON object per line")
    run.set_defaults(fn=cmd_run)

    console = sub.add_parser("console", help="the commands in a terminal, on a local SQLite file")
    console.add_argument("-c", "--config")
    console.add_argument("--db", help="database file (default: the configured one, chambre.db)")
    console.add_argument("--user", help="who you are in the console (default: your login name)")
    console.add_argument("--member", action="store_true", help="be a plain member, not an organiser")
    console.add_argument("--now", help="start the console's clock at this instant (ISO 8601)")
    console.add_argument("-v", "--verbose", action="store_true", help="the same as --log-level debug")
    console.add_argument("--log-level", choices=LOG_LEVELS, help="what to log on stderr (default: $CHAMBRE_LOG, else warning)")
    console.add_argument("--log-format", choices=LOG_FORMATS, default="text", help="json: one JSON object per line")
    console.set_defaults(fn=cmd_console)

    serve = sub.add_parser("serve", help="the web board and calendar feed alone, on a database (no chat)")
    serve.add_argument("-c", "--config")
    serve.add_argument("--env-file", help="read the secrets (CHAMBRE_WEB_TOKEN) from this file of KEY=value lines")
    serve.add_argument("--db", help="database file (default: the configured one, chambre.db)")
    serve.add_argument("--listen", help="address and port (default: [web] listen, else 127.0.0.1:8080)")
    serve.add_argument("-v", "--verbose", action="store_true", help="the same as --log-level debug")
    serve.add_argument("--log-level", choices=LOG_LEVELS, help="what to log on stderr (default: $CHAMBRE_LOG, else warning)")
    serve.add_argument("--log-format", choices=LOG_FORMATS, default="text", help="json: one JSON object per line")
    serve.set_defaults(fn=cmd_serve)

    when = sub.add_parser("when", help="print how a date or recurrence is read, as JSON", add_help=False)
    when.add_argument("rest", nargs=argparse.REMAINDER)
    when.set_defaults(fn=cmd_when)

    notice = sub.add_parser("notice", help="print what listening would record from one message, as JSON",
                            add_help=False)
    notice.add_argument("rest", nargs=argparse.REMAINDER)
    notice.set_defaults(fn=cmd_notice)

    export = sub.add_parser("export", help="everything as JSON (version 1) or an iCalendar file")
    export.add_argument("-c", "--config")
    export.add_argument("--db")
    export.add_argument("--format", choices=("json", "ics"), default="json")
    export.set_defaults(fn=cmd_export)

    minutes = sub.add_parser("minutes", help="a session's minutes, as Markdown or an HTML page")
    minutes.add_argument("-c", "--config")
    minutes.add_argument("--db")
    minutes.add_argument("session", help="the session's number, or its date YYYY-MM-DD")
    minutes.add_argument("--format", choices=("md", "html"), default="md")
    minutes.add_argument("-o", "--output", help="write to this file (default: standard output)")
    minutes.set_defaults(fn=cmd_minutes)

    check = sub.add_parser("check-config", help="say what is wrong in a configuration, key by key")
    check.add_argument("-c", "--config")
    check.add_argument("--env-file", help="the secrets' file the service reads (KEY=value lines)")
    check.set_defaults(fn=cmd_check_config)

    digest = sub.add_parser("digest", help="print the weekly digest as it would be posted then")
    digest.add_argument("-c", "--config")
    digest.add_argument("--db")
    digest.add_argument("--now")
    digest.set_defaults(fn=cmd_digest)

    add_operator_commands(sub, _config)
    return p


def _dispatch(argv: list[str]) -> int:
    if argv[:1] == ["when"]:
        # argparse's REMAINDER drops options that come first (`when --now ... TEXT`):
        # the when command parses its own arguments.
        return cmd_when(argparse.Namespace(rest=argv[1:]))
    if argv[:1] == ["notice"]:  # likewise
        return cmd_notice(argparse.Namespace(rest=argv[1:]))
    args = parser().parse_args(argv)
    return int(args.fn(args) or 0)


def main(argv: list[str] | None = None) -> int:
    from storage.db import StorageError

    try:
        status = _dispatch(list(sys.argv[1:] if argv is None else argv))
        sys.stdout.flush()  # here, where a closed pipe can still be reported
        return status
    except StorageError as err:
        print(f"chambre-bot: {err}", file=sys.stderr)
        return 1
    except BrokenPipeError:
        # The reader stopped early (`export | head`). Nothing more can go to stdout, not even
        # at exit, when Python flushes it again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        print("chambre-bot: the output was closed before all of it was written", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
