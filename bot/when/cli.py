"""`chambre-bot when [--now ISO] [--tz ZONE] [--recurring] TEXT`: how the bot reads a date."""
from __future__ import annotations

import argparse
import json
import os
import sys
from datetime import datetime
from zoneinfo import ZoneInfo

from .errors import WhenError
from .event import read_event, zone
from .recurrence import read_recurrence
from .scan import looks_recurring


def run_when_cli(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="chambre-bot when",
                                     description="Print how the bot reads a date or a recurrence.")
    parser.add_argument("--now", help="reference time, ISO 8601 (default: the current time)")
    parser.add_argument("--tz", help="time zone (default: $CHAMBRE_TIMEZONE or Europe/Paris)")
    parser.add_argument("--recurring", action="store_true", help="read a recurrence")
    parser.add_argument("--lang", choices=("fr", "en"), help="language of the error messages")
    parser.add_argument("text", nargs="+")
    args = parser.parse_args(argv)
    text = " ".join(args.text)
    try:
        tz = zone(args.tz or os.environ.get("CHAMBRE_TIMEZONE") or "Europe/Paris")
        now = _now(args.now, tz)
        if args.recurring or looks_recurring(text):
            rec = read_recurrence(text, now, tz, args.lang)
            out = rec.to_json()
            # a first day in the past only sets the phase: show what comes next
            out["occurrences"] = [o.isoformat() for o in rec.occurrences(now, count=4)]
        else:
            out = read_event(text, now, tz, args.lang).to_json()
    except WhenError as err:
        print(json.dumps({"error": str(err) if args.lang is None else err.explain(args.lang)},
                         ensure_ascii=False))
        return 1
    print(json.dumps(out, ensure_ascii=False))
    return 0


def _now(value: str | None, tz: ZoneInfo) -> datetime:
    if value is None:
        return datetime.now(tz)
    try:
        now = datetime.fromisoformat(value)
    except ValueError:
        raise WhenError(f"--now : « {value} » n'est pas une date ISO 8601.",
                        f'--now: "{value}" is not an ISO 8601 time.', code="now") from None
    if not 1900 <= now.year <= 2999:  # the dates read against it must fit ten years on
        raise WhenError(f"--now : « {value} » n'est pas entre 1900 et 2999.",
                        f'--now: "{value}" is not between 1900 and 2999.', code="now")
    return now if now.tzinfo else now.replace(tzinfo=tz)


def main() -> None:  # python -m bot.when
    sys.exit(run_when_cli(sys.argv[1:]))
