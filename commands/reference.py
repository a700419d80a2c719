"""Print the command reference (Markdown) from the declarations: `python -m commands.reference`.
The README's reference is made with it, and a test checks that it stays complete."""
from __future__ import annotations

from commands import REGISTRY  # noqa: F401  (importing the package declares the commands)
from commands.registry import ORGANISERS, ORGANISERS_OR_CHAIR, ORGANISERS_OR_OWNER, ORGANISERS_OR_PERSON


def markdown() -> str:
    who = {ORGANISERS: "organisers", ORGANISERS_OR_OWNER: "organisers, author",
           ORGANISERS_OR_CHAIR: "organisers, chair", ORGANISERS_OR_PERSON: "organisers, its person"}

    def cell(text: str, code: bool = False) -> str:
        text = text.replace("|", "\\|")
        return f"`{text}`" if code else text

    rows = ["| French | English | who | what | example |", "|---|---|---|---|---|"]
    for cmd in REGISTRY.commands:
        cells = [cell(cmd.usage("fr"), True), cell(cmd.usage("en"), True), who.get(cmd.who, "all"),
                 cell(cmd.help_en), cell(cmd.example("fr"), True)]
        rows.append("| " + " | ".join(cells) + " |")
    return "\n".join(rows)


if __name__ == "__main__":
    print(markdown())
