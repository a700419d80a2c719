"""Commands are declared once: French and English words, arguments, who may use them, help
and an example in both languages. Help, usage on a wrong call, the README's reference check
and the dispatcher all read this one declaration."""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable

if TYPE_CHECKING:
    from bot.richtext import Doc

# A handler: fn(ctx, **args) -> Doc, the args by their `kwarg`, each converted by its kind.
Handler = Callable[..., "Doc"]

ALL = "all"
ORGANISERS = "organisers"
ORGANISERS_OR_OWNER = "organisers_or_owner"  # the owner (proposer, creator, author) is checked by the service
ORGANISERS_OR_CHAIR = "organisers_or_chair"  # the session's chair, checked by the service
ORGANISERS_OR_PERSON = "organisers_or_person"  # the person an action is for, checked by the service
# What an argument holds, each read by its converter in commands/convert.py: a brick is a
# number or (part of) a name; a choice is one of the argument's `choices`.
KINDS = ("text", "number", "when", "recurrence", "day", "brick", "choice", "url")


def fold(text: str) -> str:
    """Case- and accent-insensitive form of a command word."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


@dataclass(frozen=True)
class Arg:
    fr: str
    en: str
    kind: str = "text"  # one of KINDS
    optional: bool = False
    max_len: int = 200
    choices: tuple[tuple[str, str, str], ...] = ()  # (code, french word, english word)
    key: str = ""  # the handler's keyword; defaults to the English name
    # How usage writes it, when "<name>" is not enough: ("<montant> par mois", "<amount> a month").
    shown: tuple[str, str] | tuple[()] = ()

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"argument {self.en!r}: unknown kind {self.kind!r} (one of {', '.join(KINDS)})")

    @property
    def kwarg(self) -> str:
        return self.key or self.en

    def label(self, lang: str) -> str:
        if self.shown:
            return self.shown[1] if lang == "en" else self.shown[0]
        name = self.en if lang == "en" else self.fr
        if self.kind == "choice":
            name = "|".join(c[2] if lang == "en" else c[1] for c in self.choices)
        return f"[{name}]" if self.optional else f"<{name}>"


@dataclass
class Command:
    fr: tuple[str, ...]
    en: tuple[str, ...]
    args: tuple[Arg, ...]
    who: str
    help_fr: str
    help_en: str
    example_fr: str
    example_en: str
    handler: Handler = field(repr=False, default=None)  # type: ignore[assignment]
    spaced_choice: bool = False  # the last argument follows the first after a space: "participe 3 oui"

    def words(self, lang: str) -> tuple[str, ...]:
        return self.en if lang == "en" else self.fr

    def name(self, lang: str) -> str:
        return " ".join(self.words(lang))

    def usage(self, lang: str, prefix: str = "!") -> str:
        parts = [prefix + self.name(lang)]
        args = [a.label(lang) for a in self.args]
        if self.spaced_choice and len(args) == 2:
            parts.append(f"{args[0]} {args[1]}")
        elif args:
            parts.append(" ; ".join(args))
        return " ".join(parts)

    def help(self, lang: str) -> str:
        return self.help_en if lang == "en" else self.help_fr

    def example(self, lang: str, prefix: str = "!") -> str:
        text = self.example_en if lang == "en" else self.example_fr
        return prefix + text.lstrip("!")


class Registry:
    def __init__(self) -> None:
        self.commands: list[Command] = []
        self._by_words: dict[tuple[str, ...], Command] = {}

    def add(self, cmd: Command) -> None:
        for words in (cmd.fr, cmd.en):
            key = tuple(fold(w) for w in words)
            existing = self._by_words.get(key)
            if existing is not None and existing is not cmd:
                raise ValueError(f"command words {words} declared twice")
            self._by_words[key] = cmd
        self.commands.append(cmd)

    def command(self, *, fr: str, en: str, args: tuple[Arg, ...] = (), who: str = ALL, help_fr: str,
                help_en: str, example_fr: str, example_en: str,
                spaced_choice: bool = False) -> Callable[[Handler], Handler]:
        """Decorator declaring a handler `fn(ctx, **args) -> Doc` (args by English name)."""

        def deco(fn: Handler) -> Handler:
            self.add(Command(tuple(fr.split()), tuple(en.split()), args, who, help_fr, help_en,
                             example_fr, example_en, fn, spaced_choice))
            return fn

        return deco

    def lookup(self, words: list[str]) -> tuple[Command | None, int]:
        """The command named by the first one or two words, and how many words it used."""
        folded = [fold(w) for w in words[:2]]
        if len(folded) >= 2 and tuple(folded[:2]) in self._by_words:
            return self._by_words[tuple(folded[:2])], 2
        if folded and (folded[0],) in self._by_words:
            return self._by_words[(folded[0],)], 1
        return None, 0

    def groups(self) -> dict[str, list[Command]]:
        """Commands by their first word (folded, both languages), for "unknown subcommand" help."""
        out: dict[str, list[Command]] = {}
        for cmd in self.commands:
            for words in (cmd.fr, cmd.en):
                group = out.setdefault(fold(words[0]), [])
                if cmd not in group:
                    group.append(cmd)
        return out


REGISTRY = Registry()
command = REGISTRY.command
