"""Logging for operators: one line per event on stderr, as text or as JSON.

At `info`, the bot logs one line per command it handles and per post it makes, with the
backend, the room and the command's name (`meeting propose`), never what the member typed
after it nor any secret: a log is read by whoever runs the server, and kept. The fields of
such a line are given with `extra=event(...)`: the text format shows them in its message,
the JSON format (`--log-format json`, for log collectors) also as keys of their own.
"""
from __future__ import annotations

import json
import logging
import sys
from datetime import datetime, timezone
from typing import Any

LOG_LEVELS = ("debug", "info", "warning", "error")
LOG_FORMATS = ("text", "json")
# The keys an event line may carry besides its message, in this order in JSON.
EVENT_FIELDS = ("backend", "room", "command", "outcome", "event", "post")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def event(**fields: Any) -> dict[str, Any]:
    """`extra=` for a log call: the event's fields, each kept as a key of the JSON line."""
    unknown = set(fields) - set(EVENT_FIELDS)
    if unknown:
        raise ValueError(f"not event fields: {sorted(unknown)}")
    return {name: value for name, value in fields.items() if value is not None}


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC, ISO 8601), level, logger, message, the event's
    fields, and the traceback (as one string) when there is one."""

    def format(self, record: logging.LogRecord) -> str:
        data: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name in EVENT_FIELDS:
            value = getattr(record, name, None)
            if value is not None:
                data[name] = value
        if record.exc_info:
            data["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            data["stack"] = self.formatStack(record.stack_info)
        return json.dumps(data, ensure_ascii=False, default=str)


def configure(level: str, fmt: str = "text") -> None:
    """The root logger at `level`, writing to stderr in `fmt`. As logging.basicConfig, it
    leaves a root logger that already has handlers as it is (pytest's, an embedding program's)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt == "json" else logging.Formatter(TEXT_FORMAT))
    logging.basicConfig(level=level.upper(), handlers=[handler])
    if level != "debug":
        # matrix-nio warns about its own checks of error answers ("Error validating
        # response"), which the Matrix backend turns into its own one-line messages.
        logging.getLogger("nio").setLevel(logging.ERROR)
