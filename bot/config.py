"""Configuration: one TOML file, every key checked, every mistake named with what was expected.

`load_config` returns a `Config` or raises `ConfigError` listing every problem at once, so a
user fixes a file in one pass. Secrets may come from the environment instead of the file.
"""
from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any, Callable
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DEFAULT_DATABASE = "chambre.db"


class ConfigError(Exception):
    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass
class ChambreConfig:
    timezone: str = "Europe/Paris"
    language: str = "fr"
    database: str = DEFAULT_DATABASE
    prefix: str = "!"
    organisers: list[str] = field(default_factory=list)
    admins: list[str] = field(default_factory=list)
    room_languages: dict[str, str] = field(default_factory=dict)
    # Listening (docs/listening.md): what the bot does with meetings and permanences proposed
    # in conversation, in every room and room by room; places the group uses; other bots.
    listen: str = "record"
    listen_rooms: dict[str, str] = field(default_factory=dict)
    places: list[str] = field(default_factory=list)
    bots: list[str] = field(default_factory=list)

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


@dataclass
class MatrixConfig:
    homeserver: str = ""
    user_id: str = ""
    password: str | None = None
    access_token: str | None = None
    device_name: str = "chambre-bot"
    rooms: list[str] = field(default_factory=list)
    invites_from: list[str] = field(default_factory=list)
    organiser_power_level: int | None = 50
    max_command_age: timedelta = timedelta(hours=1)
    # Encryption (docs/matrix.md). The crypto store: the bot's own keys and the room keys it
    # was given, a directory; None until parse_config puts it beside the database.
    store_path: str | None = None
    store_key: str | None = None  # protects the store on disk: a secret, like the password
    trust: str = "all"  # share room keys with every device of the room's members, or "verified"
    verified_devices: list[str] = field(default_factory=list)  # "@user:server DEVICE session-key"


@dataclass
class RocketChatConfig:
    url: str = ""
    user_id: str | None = None
    token: str | None = None
    username: str | None = None
    password: str | None = None
    channels: list[str] = field(default_factory=list)
    organiser_roles: list[str] = field(default_factory=lambda: ["owner", "moderator"])
    max_command_age: timedelta = timedelta(hours=1)


@dataclass
class RhythmConfig:
    rule: str | None = None
    place: str | None = None
    agenda_before: timedelta = timedelta(days=2)
    announce_rooms: list[str] = field(default_factory=list)


@dataclass
class RemindersConfig:
    organisers_before: timedelta = timedelta(hours=24)


@dataclass
class DigestConfig:
    rule: str = "tous les lundis à 9h"
    rooms: list[str] = field(default_factory=list)


@dataclass
class WebConfig:
    """The board and calendar feed (bot/web/); absent section: no web server."""

    listen: str = "127.0.0.1:8080"  # host:port ([::1]:8080 for IPv6); port 0 picks a free one
    base_url: str | None = None  # the public address, for links in the feed and in posts
    language: str | None = None  # else the group's
    show_names: bool = True  # false: "un·e membre" instead of each member's id
    token: str | None = None  # /export.json and /healthz need it; everything does when not public
    public: bool = True

    @property
    def host_port(self) -> tuple[str, int]:
        return parse_listen(self.listen)

    def addresses(self, lang: str) -> tuple[str, str] | None:
        """The board's and the calendar feed's public addresses (None without base_url)."""
        if not self.base_url:
            return None
        return self.base_url + "/", self.base_url + FEED_PATHS[lang if lang in FEED_PATHS else "fr"]


# The calendar feed's two names; each speaks its language unless asked otherwise (bot/web/).
FEED_PATHS = {"fr": "/calendrier.ics", "en": "/calendar.ics"}


def parse_listen(text: str) -> tuple[str, int]:
    """"127.0.0.1:8080" or "[::1]:8080" to (host, port); ValueError otherwise."""
    host, sep, port = text.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise ValueError('an address and port such as "127.0.0.1:8080"')
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    if not host or any(c.isspace() or c in "/[]" for c in host):
        raise ValueError('an address and port such as "127.0.0.1:8080"')
    return host, int(port)


@dataclass
class PledgesConfig:
    currency: str = "EUR"  # ISO 4217: one currency per group
    ceiling: int = 1_000_000  # in cents (the file gives it in currency units: 10000)
    reminder_day: int = 1  # the day of the month of the pledgers' reminder


@dataclass
class Config:
    chambre: ChambreConfig = field(default_factory=ChambreConfig)
    matrix: MatrixConfig | None = None
    rocketchat: RocketChatConfig | None = None
    rhythm: RhythmConfig = field(default_factory=RhythmConfig)
    reminders: RemindersConfig = field(default_factory=RemindersConfig)
    digest: DigestConfig = field(default_factory=DigestConfig)
    web: WebConfig | None = None
    pledges: PledgesConfig = field(default_factory=PledgesConfig)
    path: Path | None = None

    @property
    def has_chat(self) -> bool:
        return self.matrix is not None or self.rocketchat is not None

    def database_path(self) -> Path:
        return _beside(self, Path(self.chambre.database))


def _beside(config: Config, path: Path) -> Path:
    """A path from the configuration: relative ones are relative to the configuration file."""
    path = path.expanduser()
    if not path.is_absolute() and config.path is not None:
        path = config.path.parent / path
    return path


# ---- checking ------------------------------------------------------------------------------

Check = Callable[[Any], Any]  # returns the converted value or raises ValueError(expected)


def _string(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError("a text in quotes")
    return value


def _nonempty(value: Any) -> str:
    text = _string(value)
    if not text.strip():
        raise ValueError("a non-empty text")
    return text


def _optional_string(value: Any) -> str | None:
    return None if value is None else _string(value)


def _string_list(value: Any) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError('a list of texts, such as ["a", "b"]')
    return list(value)


def _url(value: Any) -> str:
    text = _string(value)
    if not text.startswith(("http://", "https://")):
        raise ValueError("an http:// or https:// address")
    return text.rstrip("/")


def _language(value: Any) -> str:
    if value not in ("fr", "en"):
        raise ValueError('"fr" or "en"')
    return _string(value)


def _room_languages(value: Any) -> dict[str, str]:
    if not isinstance(value, dict) or not all(v in ("fr", "en") for v in value.values()):
        raise ValueError('a table of room = "fr" or "en"')
    return dict(value)


LISTEN_MODES = ("record", "suggest", "off")


def _listen_mode(value: Any) -> str:
    if value not in LISTEN_MODES:
        raise ValueError('"record", "suggest" or "off"')
    return str(value)


def _listen_rooms(value: Any) -> dict[str, str]:
    if not isinstance(value, dict) or not all(v in LISTEN_MODES for v in value.values()):
        raise ValueError('a table of room = "record", "suggest" or "off"')
    return dict(value)


def _timezone(value: Any) -> str:
    name = _string(value)
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError('a time zone name such as "Europe/Paris"') from None
    return name


def _prefix(value: Any) -> str:
    prefix = _string(value)
    if not prefix or len(prefix) > 3 or any(c.isspace() or c.isalnum() for c in prefix):
        raise ValueError('one to three punctuation characters, such as "!"')
    return prefix


def _boolean(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError("true or false")
    return value


def _listen(value: Any) -> str:
    address = _string(value)
    parse_listen(address)
    return address


def _token(value: Any) -> str:
    # Sent in a calendar's address (?token=): long enough not to be guessed, and nothing
    # an address would need to escape.
    if not isinstance(value, str) or len(value) < 16 or not all(c.isalnum() or c in "-_." for c in value):
        raise ValueError("at least 16 letters, digits, '-', '_' or '.'")
    return value


def _power_level(value: Any) -> int | None:
    if value is False or value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 100:
        raise ValueError("a whole number from 0 to 100, or false")
    return value


# Every configured duration is a lead time or an age limit of hours or days: a year is plenty,
# and a larger one would take the scheduler's instants out of the calendar's range.
LONGEST_DURATION = timedelta(days=365)


def _trust(value: Any) -> str:
    if value not in ("all", "verified"):
        raise ValueError('"all" (every device of the room\'s members) or "verified" (only verified_devices)')
    return str(value)


def _verified_devices(value: Any) -> list[str]:
    entries = _string_list(value)
    for entry in entries:
        parts = entry.split()
        if len(parts) < 3 or not (parts[0].startswith("@") and ":" in parts[0]):
            raise ValueError('entries such as "@camille:example.org ABCDEFGHIJ <session key as Element shows it>"')
    return entries


def _duration(value: Any) -> timedelta:
    from bot.when import WhenError, read_duration

    if not isinstance(value, str):
        raise ValueError('a duration in quotes, such as "2 jours", "24 heures" or "30 minutes"')
    try:
        length = read_duration(value)
    except (WhenError, OverflowError):
        raise ValueError('a duration such as "2 jours", "24 heures" or "30 minutes"') from None
    if length > LONGEST_DURATION:
        raise ValueError("a duration of at most a year (365 days)")
    return length


def _recurrence_text(value: Any) -> str:
    from datetime import datetime, timezone

    from bot.when import WhenError, read_recurrence

    text = _nonempty(value)
    try:
        # Read against a fixed instant: only whether the text is a recurrence matters here.
        read_recurrence(text, datetime(2026, 1, 1, tzinfo=timezone.utc))
    except WhenError as err:
        raise ValueError(f'a recurrence such as "un jeudi sur deux à 18h" ({err.explain("en")})') from None
    return text


def _currency(value: Any) -> str:
    if not isinstance(value, str) or len(value) != 3 or not value.isascii() or not value.isalpha():
        raise ValueError('a three-letter currency code (ISO 4217), such as "EUR"')
    return value.upper()


# The largest ceiling a total of many pledges stays far within SQLite's integers with.
LARGEST_CEILING = 10**9


def _ceiling(value: Any) -> int:
    """Currency units (10000, or 10000.50) to cents, exactly: a float from TOML is read
    through its shortest text, so 0.1 is ten cents and not 0.1000000000000000055."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError("a positive amount in currency units, such as 10000")
    from decimal import Decimal

    exact = Decimal(repr(value)) * 100
    if exact != exact.to_integral_value() or not 0 < exact <= LARGEST_CEILING * 100:
        raise ValueError(f"a positive amount in currency units, to the cent, at most {LARGEST_CEILING:,}")
    return int(exact)


def _reminder_day(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 28:
        raise ValueError("a day of the month from 1 to 28 (every month has it)")
    return value


SCHEMA: dict[str, dict[str, Check]] = {
    "chambre": {
        "timezone": _timezone, "language": _language, "database": _nonempty, "prefix": _prefix,
        "organisers": _string_list, "admins": _string_list, "room_languages": _room_languages,
        "listen": _listen_mode, "listen_rooms": _listen_rooms, "places": _string_list, "bots": _string_list,
    },
    "matrix": {
        "homeserver": _url, "user_id": _nonempty, "password": _optional_string,
        "access_token": _optional_string, "device_name": _nonempty, "rooms": _string_list,
        "invites_from": _string_list, "organiser_power_level": _power_level,
        "max_command_age": _duration, "store_path": _nonempty, "store_key": _optional_string,
        "trust": _trust, "verified_devices": _verified_devices,
    },
    "rocketchat": {
        "url": _url, "user_id": _optional_string, "token": _optional_string,
        "username": _optional_string, "password": _optional_string, "channels": _string_list,
        "organiser_roles": _string_list, "max_command_age": _duration,
    },
    "rhythm": {
        "rule": _recurrence_text, "place": _optional_string, "agenda_before": _duration,
        "announce_rooms": _string_list,
    },
    "reminders": {"organisers_before": _duration},
    "digest": {"rule": _recurrence_text, "rooms": _string_list},
    "web": {
        "listen": _listen, "base_url": _url, "language": _language, "show_names": _boolean,
        "token": _token, "public": _boolean,
    },
    "pledges": {"currency": _currency, "ceiling": _ceiling, "reminder_day": _reminder_day},
}

# Never printed, not even when wrong: a mistyped secret is still a secret.
SECRETS = {("matrix", "password"), ("matrix", "access_token"), ("matrix", "store_key"), ("rocketchat", "token"),
           ("rocketchat", "password"), ("web", "token")}

SECTION_TYPES = {
    "chambre": ChambreConfig, "matrix": MatrixConfig, "rocketchat": RocketChatConfig,
    "rhythm": RhythmConfig, "reminders": RemindersConfig, "digest": DigestConfig, "web": WebConfig,
    "pledges": PledgesConfig,
}


def _given(data: dict[str, Any], section: str) -> dict[str, Any]:
    """The keys the file gives in `section` (none if it is not a table: named as wrong already)."""
    values = data.get(section)
    return values if isinstance(values, dict) else {}


def parse_config(data: dict[str, Any], env: dict[str, str] | None = None, path: Path | None = None,
                 secrets: bool = True) -> Config:
    """The checked configuration; with `secrets=False`, one whose chat secrets may be missing
    (for the commands that only read the database: an operator's cron job has no password)."""
    env = dict(os.environ) if env is None else env
    problems: list[str] = []
    config = Config(path=path)
    for section, values in data.items():
        if section not in SCHEMA:
            problems.append(f"[{section}]: unknown section (expected one of: {', '.join(SCHEMA)})")
            continue
        if not isinstance(values, dict):
            problems.append(f"[{section}]: expected a table of keys")
            continue
        kwargs: dict[str, Any] = {}
        for key, value in values.items():
            check = SCHEMA[section].get(key)
            if check is None:
                problems.append(f"[{section}] {key}: unknown key (expected one of: {', '.join(SCHEMA[section])})")
                continue
            try:
                kwargs[key] = check(value)
            except ValueError as err:
                if (section, key) in SECRETS:
                    problems.append(f"[{section}] {key}: expected {err} (the value is a secret: not shown)")
                else:
                    problems.append(f"[{section}] {key} = {value!r}: expected {err}")
        setattr(config, section, SECTION_TYPES[section](**kwargs))

    if config.matrix is not None:
        m = config.matrix
        m.password = m.password or env.get("CHAMBRE_MATRIX_PASSWORD") or None
        m.access_token = m.access_token or env.get("CHAMBRE_MATRIX_ACCESS_TOKEN") or None
        given = _given(data, "matrix")
        if not m.homeserver and "homeserver" not in given:  # a wrong value was named above
            problems.append("[matrix] homeserver: missing (expected an address such as https://matrix.example.org)")
        if not m.user_id and "user_id" not in given:
            problems.append('[matrix] user_id: missing (expected the bot\'s user id, such as "@chambre:example.org")')
        elif not (m.user_id.startswith("@") and ":" in m.user_id):
            problems.append(f'[matrix] user_id = {m.user_id!r}: expected a user id such as "@chambre:example.org"')
        if secrets and not (m.password or m.access_token):
            problems.append("[matrix] password or access_token: missing (or set CHAMBRE_MATRIX_PASSWORD / CHAMBRE_MATRIX_ACCESS_TOKEN)")
        # Never matrix-nio's default key: the store holds the keys that read every encrypted room.
        m.store_key = m.store_key or env.get("CHAMBRE_MATRIX_STORE_KEY") or None
        if secrets and not m.store_key:  # a backup or the console opens no store
            problems.append("[matrix] store_key: missing (or set CHAMBRE_MATRIX_STORE_KEY): a long random text that "
                            "protects the bot's encryption keys on disk, kept with the other secrets")
        elif m.store_key and len(m.store_key) < 16:
            problems.append("[matrix] store_key: expected at least 16 characters (the value is a secret: not shown)")
        m.store_path = str(_beside(config, Path(m.store_path)) if m.store_path
                           else config.database_path().with_name(config.database_path().name + ".crypto"))
    if config.rocketchat is not None:
        r = config.rocketchat
        r.token = r.token or env.get("CHAMBRE_ROCKETCHAT_TOKEN") or None
        r.password = r.password or env.get("CHAMBRE_ROCKETCHAT_PASSWORD") or None
        if not r.url and "url" not in _given(data, "rocketchat"):
            problems.append("[rocketchat] url: missing (expected an address such as https://chat.example.org)")
        if not ((r.user_id and (r.token or not secrets)) or (r.username and (r.password or not secrets))):
            problems.append("[rocketchat] expected user_id and token (or CHAMBRE_ROCKETCHAT_TOKEN), or username and password")
    if config.web is not None:
        w = config.web
        if not w.token and env.get("CHAMBRE_WEB_TOKEN"):
            try:
                w.token = _token(env["CHAMBRE_WEB_TOKEN"])
            except ValueError as err:
                problems.append(f"CHAMBRE_WEB_TOKEN: expected {err} (the value is a secret: not shown)")
        # Without its secrets (export, digest, console: main's cron jobs) nothing is served, so
        # no token is needed; a private board without one would refuse every reader anyway.
        if secrets and not w.public and not w.token:
            problems.append("[web] public = false: expected a token too (or CHAMBRE_WEB_TOKEN), "
                            "else nobody can open the board")
    known_rooms_ok = all(isinstance(room, str) and room for room in config.rhythm.announce_rooms + config.digest.rooms)
    if not known_rooms_ok:
        problems.append("[rhythm] announce_rooms / [digest] rooms: expected room ids, aliases or rocketchat:<channel>")
    if problems:
        raise ConfigError(problems)
    return config


def read_env_file(path: str | Path) -> dict[str, str]:
    """The KEY=value lines of an environment file, as systemd's EnvironmentFile reads them
    (see parse_env)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError([f"{path}: no such file"]) from None
    except (OSError, UnicodeDecodeError) as err:
        raise ConfigError([f"{path}: cannot be read ({getattr(err, 'strerror', None) or err})"]) from None
    return parse_env(text, str(path))


def parse_env(text: str, name: str) -> dict[str, str]:
    """KEY=value lines: blank lines and lines starting with # or ; are skipped; a value may
    be quoted. Empty values are left out: a placeholder not yet filled in is no secret. A
    line that is not KEY=value is named by its number only: it may hold a secret."""
    values: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line[0] in "#;":
            continue
        key, sep, value = line.partition("=")
        key, value = key.strip(), value.strip()
        if not sep or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", key):
            raise ConfigError([f"{name}, line {number}: expected KEY=value"])
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            value = value[1:-1]
        if value:
            values[key] = value
    return values


def load_config(path: str | Path | None, env: dict[str, str] | None = None, secrets: bool = True) -> Config:
    """Load and check a configuration file; None gives the embedded default."""
    if path is None:
        return parse_config({}, env, secrets=secrets)
    path = Path(path)
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
    except FileNotFoundError:
        raise ConfigError([f"{path}: no such file"]) from None
    except IsADirectoryError:
        raise ConfigError([f"{path}: is a directory, not a configuration file"]) from None
    except OSError as err:
        raise ConfigError([f"{path}: cannot be read ({err.strerror or err})"]) from None
    except UnicodeDecodeError:
        raise ConfigError([f"{path}: not a text file in UTF-8"]) from None
    except tomllib.TOMLDecodeError as err:
        raise ConfigError([f"{path}: not valid TOML ({err})"]) from None
    return parse_config(data, env, path=path.resolve(), secrets=secrets)
