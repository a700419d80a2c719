"""The one error type that means "tell the user this", in both languages."""
from __future__ import annotations


class UserError(Exception):
    """A refusal or a mistake to explain to the person who typed the command."""

    def __init__(self, fr: str, en: str, **values: object) -> None:
        super().__init__(fr.format(**values))
        self.fr = fr
        self.en = en
        self.values = values

    def message(self, lang: str) -> str:
        return (self.en if lang == "en" else self.fr).format(**self.values)


class Forbidden(UserError):
    """The person may not do this; the message says who may."""


class NotFound(UserError):
    """A record number or name that does not exist."""
