"""`chambre-bot notice [--now ISO] [--tz ZONE] [--place NAME]… TEXT`: what listening would
record from one message, as JSON; `{}` when nothing."""
from __future__ import annotations

import argparse
import json
import os
import sys

from bot.when import WhenError
from bot.when.cli import _now
from bot.when.event import zone

from .notice import notice


def run_notice_cli(argv: list[str], places: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="chambre-bot notice",
        description="Print what listening would record from one chat message, as JSON.")
    parser.add_argument("--now", help="when the message was said, ISO 8601 (default: now)")
    parser.add_argument("--tz", help="time zone (default: $CHAMBRE_TIMEZONE or Europe/Paris)")
    parser.add_argument("--lang", choices=("fr", "en"), help="language of the room")
    parser.add_argument("--place", action="append", default=[], metavar="NAME",
                        help="a place the group uses, spelled as it spells it (repeatable)")
    parser.add_argument("text", nargs="+")
    args = parser.parse_args(argv)
    try:
        tz = zone(args.tz or os.environ.get("CHAMBRE_TIMEZONE") or "Europe/Paris")
        now = _now(args.now, tz)
    except WhenError as err:
        print(json.dumps({"error": str(err)}, ensure_ascii=False))
        return 2
    found = notice(" ".join(args.text), now, tz, args.lang, [*(places or []), *args.place])
    print(json.dumps(found.to_json() if found else {}, ensure_ascii=False))
    return 0


def main() -> None:  # python -m bot.listening.cli
    sys.exit(run_notice_cli(sys.argv[1:]))


if __name__ == "__main__":
    main()
