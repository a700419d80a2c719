"""`chambre-bot init`: a first configuration, from questions or from flags.

It asks what only the operator knows (the group's time zone and language, the chats and their
rooms), checks each answer with the configuration's own checks (bot/config.py), writes
`config.toml` and, when a chat is configured, `secrets.env` (readable by its owner only: the
secrets never go in config.toml), and says what to do next. It never overwrites an existing
configuration. The file it writes is read back through `load_config` before it says so.

Flags answer questions; `--yes` takes the default for every question no flag answers (no
chat unless one is named), so that a script can run it. Answers may be piped: each line
answers the next question.
"""
from __future__ import annotations

import getpass
import json
import os
import secrets as random
import shlex
import sys
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, TextIO, TypeVar, overload

from bot.config import DEFAULT_DATABASE, SCHEMA, ConfigError, parse_config, parse_env, read_env_file

T = TypeVar("T")

CONFIG_NAME = "config.toml"
SECRETS_NAME = "secrets.env"
SECRET_VARIABLES = {"matrix_password": "CHAMBRE_MATRIX_PASSWORD", "rocketchat_token": "CHAMBRE_ROCKETCHAT_TOKEN",
                    "rocketchat_password": "CHAMBRE_ROCKETCHAT_PASSWORD"}


class InitError(Exception):
    """What stops init, in one sentence (nothing has been written)."""


@dataclass
class Answers:
    timezone: str = "Europe/Paris"
    language: str = "fr"
    database: str = DEFAULT_DATABASE
    matrix_homeserver: str | None = None
    matrix_user: str | None = None
    matrix_rooms: list[str] = field(default_factory=list)
    matrix_password: str | None = None
    rocketchat_url: str | None = None
    rocketchat_user_id: str | None = None
    rocketchat_username: str | None = None
    rocketchat_token: str | None = None
    rocketchat_password: str | None = None
    rocketchat_channels: list[str] = field(default_factory=list)

    @property
    def matrix(self) -> bool:
        return self.matrix_homeserver is not None

    @property
    def rocketchat(self) -> bool:
        return self.rocketchat_url is not None


@dataclass
class Flags:
    """What the command line gave (None or empty: not given)."""

    timezone: str | None = None
    language: str | None = None
    database: str | None = None
    matrix_homeserver: str | None = None
    matrix_user: str | None = None
    matrix_room: list[str] = field(default_factory=list)
    rocketchat_url: str | None = None
    rocketchat_user_id: str | None = None
    rocketchat_username: str | None = None
    rocketchat_channel: list[str] = field(default_factory=list)


# ---- checks: each returns the value to keep or raises ValueError(what was expected) ---------

def _plain(value: str) -> str:
    value = value.strip()
    if any(ord(c) < 32 or ord(c) == 127 for c in value):
        raise ValueError("text without control characters")
    return value


def check_timezone(value: str) -> str:
    name: str = SCHEMA["chambre"]["timezone"](_plain(value))  # the configuration's checks return Any
    return name


def check_language(value: str) -> str:
    lang: str = SCHEMA["chambre"]["language"](_plain(value).lower())
    return lang


def check_database(value: str) -> str:
    value = _plain(value)
    if not value or value.endswith("/"):
        raise ValueError("a file name, such as chambre.db or /var/lib/chambre-bot/chambre.db")
    return value


def check_url(value: str) -> str:
    url: str = SCHEMA["matrix"]["homeserver"](_plain(value))
    return url


def check_matrix_user(value: str) -> str:
    value = _plain(value)
    if not (value.startswith("@") and ":" in value[2:]) or " " in value:
        raise ValueError("a Matrix user id such as @chambre:example.org")
    return value


def check_matrix_room(value: str) -> str:
    # From room version 12 on, a room id names no server ("!opaque"); an alias always does.
    value = _plain(value)
    alias_ok = value.startswith("#") and ":" in value[2:]
    if not (alias_ok or value.startswith("!") and len(value) > 1) or " " in value:
        raise ValueError("a room id (!abc:example.org) or alias (#chambre:example.org)")
    return value


def check_channel(value: str) -> str:
    value = _plain(value).lstrip("#")
    if not value or " " in value:
        raise ValueError("a channel name without spaces, such as chambre-des-communs")
    return value


def check_name(value: str) -> str:
    value = _plain(value)
    if not value or " " in value:
        raise ValueError("one word, without spaces")
    return value


def check_yes_no(value: str) -> bool:
    value = _plain(value).lower()
    if value in ("y", "yes", "o", "oui"):
        return True
    if value in ("n", "no", "non"):
        return False
    raise ValueError("y or n")


def check_login(value: str) -> str:
    value = _plain(value).lower()
    if value not in ("token", "password"):
        raise ValueError("token or password")
    return value


# ---- questions ------------------------------------------------------------------------------

class Asker:
    """Asks on `out`, reads answers from `inp`; a wrong answer is asked again, with what was
    expected. With `yes`, no question is asked: the default is taken (None: a required
    answer no flag gave, which stops init)."""

    def __init__(self, inp: TextIO, out: TextIO, yes: bool) -> None:
        self.inp, self.out, self.yes = inp, out, yes

    def _line(self, prompt: str, secret: bool = False) -> str:
        if secret and self.inp is sys.stdin and sys.stdin.isatty():
            return getpass.getpass(prompt, stream=self.out)
        self.out.write(prompt)
        self.out.flush()
        line = self.inp.readline()
        if not line:
            raise InitError("no answer (end of input): nothing written")
        if not self.inp.isatty():
            self.out.write("\n")  # a piped answer is not echoed: keep one question a line
        return line.rstrip("\n")

    def ask(self, prompt: str, check: Callable[[str], T], default: str | None = None,
            flag: str | None = None, secret: bool = False) -> T:
        if self.yes:
            if default is None:
                raise InitError(f"{flag or prompt}: needed (--yes asks nothing)")
            return check(default)
        shown = f" [{default}]" if default not in (None, "") else ""
        while True:
            answer = self._line(f"{prompt}{shown}: ", secret)
            if not answer.strip() and default is not None:
                answer = default
            try:
                return check(answer)
            except ValueError as err:
                self.out.write(f"  expected {err}\n")

    def ask_list(self, prompt: str, check: Callable[[str], str]) -> list[str]:
        if self.yes:
            return []
        while True:
            answer = self._line(f"{prompt}: ")
            try:
                return [check(word) for word in answer.replace(",", " ").split()]
            except ValueError as err:
                self.out.write(f"  expected, for each, {err}\n")


# A flag given is its checked value (a repeated flag's each one); a flag not given is None.
@overload
def _flag(name: str, value: str, check: Callable[[str], T]) -> T: ...
@overload
def _flag(name: str, value: str | None, check: Callable[[str], T]) -> T | None: ...
def _flag(name: str, value: str | None, check: Callable[[str], T]) -> T | None:
    if value is None:
        return None
    try:
        return check(value)
    except ValueError as err:
        raise InitError(f"{name} {value!r}: expected {err}") from None


def gather(flags: Flags, asker: Asker) -> Answers:
    """The answers: each flag given (checked as its question's answer would be), else the
    question asked (with --yes: its default, or a stop where there is none)."""
    a = Answers()
    tz = _flag("--timezone", flags.timezone, check_timezone)
    a.timezone = tz if tz is not None else asker.ask("Time zone of the group", check_timezone, a.timezone)
    lang = _flag("--language", flags.language, check_language)
    a.language = lang if lang is not None else asker.ask("Language of replies and posts, fr or en",
                                                          check_language, a.language)
    db = _flag("--database", flags.database, check_database)
    a.database = db if db is not None else asker.ask(
        "Database file, relative to the configuration's folder or absolute", check_database, a.database)

    a.matrix_homeserver = _flag("--matrix-homeserver", flags.matrix_homeserver, check_url)
    a.matrix_user = _flag("--matrix-user", flags.matrix_user, check_matrix_user)
    a.matrix_rooms = [_flag("--matrix-room", r, check_matrix_room) for r in flags.matrix_room]
    matrix = a.matrix_homeserver is not None or a.matrix_user is not None or bool(a.matrix_rooms)
    if not matrix and not asker.yes:
        matrix = asker.ask("Connect the bot to Matrix? (y/n)", check_yes_no, "n")
    if matrix:
        if a.matrix_homeserver is None:
            a.matrix_homeserver = asker.ask("  Homeserver address, such as https://matrix.example.org", check_url,
                                            flag="--matrix-homeserver")
        if a.matrix_user is None:
            a.matrix_user = asker.ask("  The bot's Matrix user id, such as @chambre:example.org", check_matrix_user,
                                      flag="--matrix-user")
        if not a.matrix_rooms:
            a.matrix_rooms = asker.ask_list("  Rooms it listens in: ids or aliases, separated by spaces",
                                            check_matrix_room)
        if not asker.yes:
            a.matrix_password = asker.ask("  The bot's password (not shown; Enter: write it later in secrets.env)",
                                          str, "", secret=True) or None

    a.rocketchat_url = _flag("--rocketchat-url", flags.rocketchat_url, check_url)
    a.rocketchat_user_id = _flag("--rocketchat-user-id", flags.rocketchat_user_id, check_name)
    a.rocketchat_username = _flag("--rocketchat-username", flags.rocketchat_username, check_name)
    a.rocketchat_channels = [_flag("--rocketchat-channel", c, check_channel) for c in flags.rocketchat_channel]
    if a.rocketchat_user_id and a.rocketchat_username:
        raise InitError("--rocketchat-user-id and --rocketchat-username: give one (a token's user id, or a "
                        "username with a password)")
    rocketchat = (a.rocketchat_url is not None or a.rocketchat_user_id is not None
                  or a.rocketchat_username is not None or bool(a.rocketchat_channels))
    if not rocketchat and not asker.yes:
        rocketchat = asker.ask("Connect the bot to Rocket.Chat? (y/n)", check_yes_no, "n")
    if rocketchat:
        if a.rocketchat_url is None:
            a.rocketchat_url = asker.ask("  Server address, such as https://chat.example.org", check_url,
                                         flag="--rocketchat-url")
        if not (a.rocketchat_user_id or a.rocketchat_username):
            if asker.yes:
                raise InitError("--rocketchat-url: needs --rocketchat-user-id (with a personal access token, "
                                "recommended) or --rocketchat-username (with a password)")
            login = asker.ask("  Log in with a personal access token (recommended) or a password? (token/password)",
                              check_login, "token")
            if login == "token":
                a.rocketchat_user_id = asker.ask("  The bot's user id (shown beside the token when it is made)",
                                                 check_name)
            else:
                a.rocketchat_username = asker.ask("  The bot's username", check_name)
        if not asker.yes and a.rocketchat_user_id:
            a.rocketchat_token = asker.ask("  The token (not shown; Enter: write it later in secrets.env)",
                                           str, "", secret=True) or None
        elif not asker.yes:
            a.rocketchat_password = asker.ask("  Its password (not shown; Enter: write it later in secrets.env)",
                                              str, "", secret=True) or None
        if not a.rocketchat_channels:
            a.rocketchat_channels = asker.ask_list("  Channels it listens in: names separated by spaces",
                                                   check_channel)
    return a


# ---- the files ---------------------------------------------------------------------------

def _toml(value: object) -> str:
    # JSON's strings and lists of strings are TOML's (the answers hold no control character).
    return json.dumps(value, ensure_ascii=False)


def config_text(a: Answers, secrets_name: str) -> str:
    from bot import __version__

    lines = [
        f"# chambre-bot's configuration, written by `chambre-bot init` ({__version__}).",
        "# Every key, with its default and what it does: config.example.toml in chambre-bot's source.",
        "# After a change: chambre-bot check-config -c <this file>" + (f" --env-file {secrets_name}" if a.matrix
                                                                            or a.rocketchat else ""),
        "# No secret goes here: passwords and tokens come from the environment (" + secrets_name + ").",
        "",
        "[chambre]",
        "# The group's time zone: dates typed in chat are read, and posts made, in local time.",
        f"timezone = {_toml(a.timezone)}",
        '# The language of replies and posts, "fr" or "en" (per room: room_languages).',
        f"language = {_toml(a.language)}",
        "# The SQLite database, relative to this file's folder. Back it up: chambre-bot backup.",
        f"database = {_toml(a.database)}",
        "# Organisers confirm meetings, set the rhythm, and get reminders by direct message: Matrix",
        "# user ids, Rocket.Chat usernames (rocketchat:<name> when both chats run). On Matrix, members",
        "# of power level 50 or more are organisers too; on Rocket.Chat, the room's owners and moderators.",
        "organisers = []",
    ]
    if a.matrix:
        lines += [
            "",
            "[matrix]",
            f"homeserver = {_toml(a.matrix_homeserver)}",
            f"user_id = {_toml(a.matrix_user)}",
            "# The password for the first login (CHAMBRE_MATRIX_PASSWORD), or an access token",
            "# (CHAMBRE_MATRIX_ACCESS_TOKEN): in " + secrets_name + ". After the first login, the bot",
            "# keeps its access token and device in the database.",
            "# The rooms it joins and listens in (invite it first to a private room).",
            f"rooms = {_toml(a.matrix_rooms)}",
            "# Invites to other rooms are accepted only from these users or servers.",
            "invites_from = []",
        ]
    if a.rocketchat:
        login = ([f"user_id = {_toml(a.rocketchat_user_id)}",
                  "# Its personal access token: CHAMBRE_ROCKETCHAT_TOKEN in " + secrets_name + "."]
                 if a.rocketchat_user_id else
                 [f"username = {_toml(a.rocketchat_username)}",
                  "# Its password: CHAMBRE_ROCKETCHAT_PASSWORD in " + secrets_name + "."])
        lines += [
            "",
            "[rocketchat]",
            f"url = {_toml(a.rocketchat_url)}",
            *login,
            "# The channels it listens in (names, without #); the bot must be a member of each.",
            f"channels = {_toml(a.rocketchat_channels)}",
        ]
    lines += [
        "",
        "[rhythm]",
        "# The biweekly session; it can also be set in chat with !rythme régler.",
        '# rule = "un jeudi sur deux à 18h à partir du 3 décembre 2026"',
        "# Where the agenda is posted (empty: every room the bot listens in).",
        "announce_rooms = []",
        "",
        "[digest]",
        "# When the weekly digest is posted, and where (empty: every room the bot listens in).",
        f"rule = {_toml('tous les lundis à 9h' if a.language == 'fr' else 'every monday at 9am')}",
        "rooms = []",
        "",
    ]
    return "\n".join(lines)


def _env_value(value: str, name: str) -> str:
    """A value as an EnvironmentFile line takes it: bare when it can be, else quoted."""
    if value and not any(c.isspace() or c in "\"'\\#;$`" for c in value):
        return value
    if "'" not in value:
        return f"'{value}'"
    raise InitError(f"the {name} holds both a quote and a space or symbol that an environment file "
                    "cannot carry as typed: leave it empty here and write it in the file yourself")


def secrets_text(a: Answers) -> str:
    lines = [
        "# chambre-bot's secrets, read by its service (EnvironmentFile=) or by",
        "# `chambre-bot run --env-file` and `check-config --env-file`. Keep it readable by its owner only.",
    ]
    if a.matrix:
        lines += ["# The Matrix account's password, for the first login (or, instead, an access token).",
                  f"CHAMBRE_MATRIX_PASSWORD={_env_value(a.matrix_password, 'password') if a.matrix_password else ''}",
                  "# CHAMBRE_MATRIX_ACCESS_TOKEN=",
                  "# The key that protects the bot's encryption keys on disk (its crypto store), made here",
                  "# at random. The store opens with no other: keep this file with the backups.",
                  f"CHAMBRE_MATRIX_STORE_KEY={random.token_urlsafe(32)}"]
    if a.rocketchat and a.rocketchat_user_id:
        lines += ["# The Rocket.Chat personal access token (Account > Personal Access Tokens).",
                  f"CHAMBRE_ROCKETCHAT_TOKEN={_env_value(a.rocketchat_token, 'token') if a.rocketchat_token else ''}"]
    if a.rocketchat and a.rocketchat_username:
        lines += ["# The Rocket.Chat account's password.",
                  "CHAMBRE_ROCKETCHAT_PASSWORD="
                  + (_env_value(a.rocketchat_password, 'password') if a.rocketchat_password else "")]
    return "\n".join(lines) + "\n"


@dataclass
class Written:
    config: Path
    secrets: Path | None
    secrets_kept: bool  # an existing secrets file left as it was
    missing: list[str]  # the secret variables still empty


def write(directory: Path, a: Answers) -> Written:
    """Write the files (the configuration read back through the loader first); InitError if
    that would overwrite a configuration."""
    config_path = directory / CONFIG_NAME
    secrets_path = directory / SECRETS_NAME if a.matrix or a.rocketchat else None
    text = config_text(a, SECRETS_NAME)
    secrets = secrets_text(a) if secrets_path else ""
    try:
        # The secrets may still be to write: everything else must load as it is.
        parse_config(tomllib.loads(text), {}, path=config_path.resolve(), secrets=False)
        parse_env(secrets, SECRETS_NAME)
    except ConfigError as err:  # a check of ours let through what the loader refuses: write nothing
        raise InitError("the configuration would not load: " + "; ".join(err.problems)) from None
    if config_path.exists():
        raise InitError(f"{config_path} already exists: nothing written (move it away, or choose another --dir)")
    # The service reads config.toml as the bot's own user, root having written it: readable
    # by all (it holds no secret), whatever root's umask; secrets.env stays root's.
    if not directory.exists():
        directory.mkdir(parents=True)
        directory.chmod(0o755)
    kept = bool(secrets_path and secrets_path.exists())
    with open(config_path, "x", encoding="utf-8") as fh:
        fh.write(text)
    config_path.chmod(0o644)
    if secrets_path and not kept:
        fd = os.open(secrets_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(secrets)
    present = read_env_file(secrets_path) if secrets_path else {}
    missing = [var for var in _needed(a) if var not in present]
    return Written(config_path, secrets_path, kept, missing)


def _needed(a: Answers) -> list[str]:
    needed = []
    if a.matrix:
        needed += ["CHAMBRE_MATRIX_PASSWORD", "CHAMBRE_MATRIX_STORE_KEY"]
    if a.rocketchat:
        needed.append("CHAMBRE_ROCKETCHAT_TOKEN" if a.rocketchat_user_id else "CHAMBRE_ROCKETCHAT_PASSWORD")
    return needed


def next_steps(a: Answers, w: Written) -> str:
    def q(p: Path) -> str:
        return shlex.quote(str(p.resolve()))

    config = q(w.config)
    out = [f"Wrote {w.config.resolve()}"]
    if w.secrets is not None:
        out.append(f"{'Kept' if w.secrets_kept else 'Wrote'} {w.secrets.resolve()}"
                   + (" (as it was)" if w.secrets_kept else " (readable by its owner only)"))
    out += ["", "Next steps:"]
    steps: list[str] = []
    if not a.matrix and not a.rocketchat:
        steps.append(f"Try the commands in a terminal:\n       chambre-bot console -c {config}")
        steps.append("To serve a chat, add a [matrix] or [rocketchat] section (chambre-bot init in another "
                     "folder writes one), then: chambre-bot run -c " + config)
        return "\n".join(out + [f"  {n}. {s}" for n, s in enumerate(steps, 1)]) + "\n"
    assert w.secrets is not None  # a chat is configured: write() wrote or kept secrets.env
    env = q(w.secrets)
    for var in w.missing:
        what = {"CHAMBRE_MATRIX_PASSWORD": "the bot's Matrix password (or CHAMBRE_MATRIX_ACCESS_TOKEN, its token)",
                "CHAMBRE_MATRIX_STORE_KEY": "a long random text that protects the bot's encryption keys "
                                            "(openssl rand -base64 32)",
                "CHAMBRE_ROCKETCHAT_TOKEN": "the bot's Rocket.Chat personal access token",
                "CHAMBRE_ROCKETCHAT_PASSWORD": "the bot's Rocket.Chat password"}[var]
        steps.append(f"Write {what} in {w.secrets.resolve()}, after {var}=")
    if a.matrix:
        rooms = ", ".join(a.matrix_rooms) or "each room it should serve (then list them in [matrix] rooms)"
        steps.append(f"On Matrix, invite {a.matrix_user} to {rooms}; to post in a room where members may not "
                     "write, it needs that power level (docs/operating.md, \"Accounts\").")
    if a.rocketchat:
        channels = ", ".join(a.rocketchat_channels) or "each channel it should serve (then list them in [rocketchat] channels)"
        steps.append(f"On Rocket.Chat, add the bot's user to {channels}.")
    steps.append(f"Check the configuration:\n       chambre-bot check-config -c {config} --env-file {env}")
    steps.append(f"Start the bot:\n       chambre-bot run -c {config} --env-file {env}\n"
                 "     or install it as a service: deploy/chambre-bot.service and docs/operating.md.")
    return "\n".join(out + [f"  {n}. {s}" for n, s in enumerate(steps, 1)]) + "\n"
