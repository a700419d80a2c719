"""How long listening takes to decide on one message (bot.listening.notice): messages without
any time expression (most of a busy room: goal p99 < 1 ms), messages with one (goal p99 < 5 ms),
and a flood of 500 ordinary messages. Wall-clock and CPU time per message, after warm_up().

    python -m bench.bench_listen        or        python bench/bench_listen.py
"""
from __future__ import annotations

import os
import statistics
import sys
import time
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

if __package__ in (None, ""):  # run as a file: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.listening import notice  # noqa: E402
from bot.when import warm_up  # noqa: E402

LONG = ("Compte rendu rapide : on a relu la brique des services financiers, il manque encore "
        "la partie sur les prêts entre membres et un schéma des flux. Camille s'occupe du "
        "schéma, Lou relit la partie juridique. ") * 6

WITHOUT_TIME = [
    "Salut tout le monde !", "Merci pour le compte rendu 🙏", "ok", "👍", "+1",
    "Le pad est là : https://pad.example.org/briques", "J'ai relu la brique 3, il manque 2 paragraphes",
    "Quelqu'un a le numéro de la MESHS ?", "On pourrait se voir la semaine prochaine ?",
    "La réunion de jeudi dernier était super, merci à tous",
    "Je propose qu'on en reparle plus tard", "Qui est dispo pour un atelier en janvier ?",
    "let's meet soon to finish the guide", "Thanks, the recipe is on the wiki now",
    "> On se retrouve jeudi ?\n\nOui !", "Rencontre avec la CCI jeudi, je vous tiens au courant",
    "Atelier début décembre, date à fixer", "12 personnes ont répondu au sondage, 3 absents",
    "Le budget 2027 est sur le drive : https://drive.example.org/budget-2027.xlsx",
    "`git commit -m 'v2'` et c'est bon", LONG,
]
WITH_TIME = [
    "On se retrouve jeudi 18h à la MESHS pour avancer sur les briques ?",
    "Je propose une réunion sur la monnaie locale le 15 décembre de 14h à 16h",
    "Qui est dispo pour un atelier licences à réciprocité mardi 8 décembre à 19h ?",
    "Rencontre avec les Cigales vendredi 11 décembre à 12h30 au Tiers-lieu",
    "let's meet on friday at 6pm to finish the guide",
    "Je tiendrai une permanence tous les mardis de 17h à 19h au Tiers-lieu à partir du 8 décembre",
    "Permanence des communs un jeudi sur deux à 18h à la Maison de l'économie solidaire",
    "J'ai un rdv chez le dentiste jeudi 18h, je serai en retard",
    "Réunion jeudi ou vendredi 18h, à voir", "Jeudi, on se retrouve à 18h à la MESHS ?",
    "Le marché de Noël c'est samedi de 10h à 18h", "Mon train arrive à 18h12 jeudi",
    "Salut tout le monde ! Je vous propose un atelier jeudi 10 décembre à 18h à la MESHS pour "
    "avancer sur la brique « services financiers ». On fera le point sur ce qui existe et ce "
    "qui manque. Ramenez vos ordis 💻",
    LONG + " Prochain atelier jeudi 18h.",
]
PLACES = ["MESHS", "Tiers-lieu", "Maison de l'économie solidaire", "Pocheco"]


def timed(texts: list[str], now: datetime, rounds: int) -> tuple[list[float], list[float]]:
    wall: list[float] = []
    cpu: list[float] = []
    for _ in range(rounds):
        for text in texts:
            w, c = time.perf_counter(), time.process_time()
            notice(text, now, "Europe/Paris", places=PLACES)
            cpu.append((time.process_time() - c) * 1000)
            wall.append((time.perf_counter() - w) * 1000)
    return wall, cpu


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * p))]


def main(rounds: int = 200) -> dict[str, float]:
    now = datetime(2026, 12, 2, 10, 0, tzinfo=ZoneInfo("Europe/Paris"))
    t = time.perf_counter()
    warm_up()
    warm = (time.perf_counter() - t) * 1000
    t = time.perf_counter()
    notice(WITH_TIME[0], now, places=PLACES)  # the first decision after start-up
    first = (time.perf_counter() - t) * 1000
    print(f"warm_up {warm:.0f} ms; first decision after it {first:.2f} ms; "
          f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    result: dict[str, float] = {"first ms": first}
    for name, texts, goal in (("without a time", WITHOUT_TIME, 1.0), ("with one", WITH_TIME, 5.0)):
        wall, cpu = timed(texts, now, rounds)
        p50, p99, worst = statistics.median(wall), pct(wall, 0.99), max(wall)
        cpu99 = pct(cpu, 0.99)
        print(f"{name:15s} n={len(wall):5d}  p50 {p50:.3f} ms  p99 {p99:.3f} ms  max {worst:.2f} ms"
              f"  (CPU p99 {cpu99:.3f} ms)  goal p99 < {goal} ms: {'ok' if p99 < goal else 'MISSED'}")
        result[f"{name} p50"], result[f"{name} p99"] = p50, p99
    flood = (WITHOUT_TIME * 30)[:500]
    t = time.perf_counter()
    recorded = sum(notice(text, now, places=PLACES) is not None for text in flood)
    total = (time.perf_counter() - t) * 1000
    print(f"flood of 500 ordinary messages: {total:.1f} ms in all, {recorded} recorded")
    result["flood ms"] = total
    return result


if __name__ == "__main__":
    main()
