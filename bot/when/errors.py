"""WhenError: the one way the time layer says "I could not read that", in the user's language,
with what was understood and examples that work."""
from __future__ import annotations

EXAMPLES: dict[str, dict[str, tuple[str, ...]]] = {
    "event": {
        "fr": ("jeudi 18h", "le 27 avril de 14h à 16h", "dans quinze jours à 9h"),
        "en": ("thursday 6pm", "april 27 from 2pm to 4pm", "in two weeks at 9am"),
    },
    "recurrence": {
        "fr": ("tous les jeudis à 18h", "un jeudi sur deux de 18h à 20h",
               "le premier lundi du mois à 19h"),
        "en": ("every thursday at 6pm", "every other thursday 6pm-8pm",
               "first monday of the month at 7pm"),
    },
    "day": {
        "fr": ("17/12", "jeudi 17 décembre", "jeudi"),
        "en": ("17/12", "thursday 17 december", "thursday"),
    },
    "duration": {
        "fr": ("2 jours", "24 heures", "30 minutes"),
        "en": ("2 days", "24 hours", "30 minutes"),
    },
}


class WhenError(ValueError):
    """An expression that could not be read. `str(err)` is the explanation in the language of
    the request; `explain(lang)` gives it in the language asked for."""

    def __init__(self, fr: str, en: str, *, kind: str = "event", lang: str = "fr",
                 understood: str | None = None, code: str = "unreadable") -> None:
        self.messages = {"fr": fr, "en": en}
        self.kind = kind
        self.lang = lang if lang in ("fr", "en") else "fr"
        self.understood = understood
        self.code = code
        super().__init__(self.explain(self.lang))

    def explain(self, lang: str) -> str:
        lang = lang if lang in ("fr", "en") else "fr"
        message = self.messages[lang]
        if self.understood:
            if lang == "fr":
                message += f" (compris : « {self.understood} »)"
            else:
                message += f' (understood: "{self.understood}")'
        examples = EXAMPLES.get(self.kind, EXAMPLES["event"])[lang]
        if lang == "fr":
            listed = ", ".join(f"« {e} »" for e in examples)
            return f"{message}\nExemples qui marchent : {listed}."
        listed = ", ".join(f'"{e}"' for e in examples)
        return f"{message}\nExamples that work: {listed}."

    def __str__(self) -> str:
        return self.explain(self.lang)
