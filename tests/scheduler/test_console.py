"""The console: `/avance 3 jours` shows the posts due in between, in order, each once."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

SCRIPT = """\
!rythme régler un jeudi sur deux à 18h à partir du 3 décembre ; MESHS
!permanence ajouter tous les mercredis 17h-19h ; Permanence du mercredi ; Café des communs
!odj ajouter Budget 2027
/avance 3 jours
!odj liste
/avance 5 jours
"""


def _console(tmp_path: Path, script: str) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CHAMBRE_")}
    done = subprocess.run(
        [sys.executable, "-m", "bot.cli", "console", "--now", "2026-12-01T08:00", "--db", str(tmp_path / "c.db"),
         "--user", "alice"],
        input=script, capture_output=True, text=True, timeout=60, cwd=tmp_path, env={**env, "PYTHONPATH": str(Path.cwd())},
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_console_advance_shows_the_posts_due_in_between_in_order(tmp_path):
    out = _console(tmp_path, SCRIPT)
    first_advance = out.index("Point n°1 ajouté")
    markers = [
        "Rappel — permanence n°1 Permanence du mercredi — mercredi 2 décembre 2026, 17:00",  # Tue 1 Dec 17:00
        "Prochaine séance : jeudi 3 décembre 2026, 18:00 — MESHS",  # the agenda, Tue 1 Dec 18:00
        "Rappel — séance du jeudi 3 décembre 2026, 18:00 — MESHS",  # Wed 2 Dec 18:00
        "La semaine de la Chambre — lundi 7 décembre 2026, 09:00",  # the digest, after the second /avance
        "Rappel — permanence n°1 Permanence du mercredi — mercredi 9 décembre 2026, 17:00",  # Tue 8 Dec 17:00
    ]
    positions = [out.index(m) for m in markers]
    assert positions == sorted(positions)
    assert all(out.count(m) == 1 for m in markers)
    assert first_advance < positions[0]
    # the reply to `!odj liste` comes between the two /avance: after the session reminder, before the digest
    topic_list = out.index("Ordre du jour\n• 1. Budget 2027 — alice\n\n", positions[2])
    assert topic_list < positions[3]
    # reminders are direct messages to the console's user, an organiser
    assert out.count("[message privé pour alice]") == 3
    # the agenda carries the topic and the permanence without a host
    agenda = out[positions[1]:positions[2]]
    assert "• 1. Budget 2027 — alice" in agenda and "personne pour la tenir" in agenda
    # nothing posted before its hour: the session reminder is not shown before the first /avance
    assert "Rappel" not in out[:first_advance]


def test_console_restarted_on_the_same_database_posts_nothing_twice(tmp_path):
    _console(tmp_path, SCRIPT)
    again = _console(tmp_path, "/avance 1 heure\n")
    # the clock starts again at 1 December: everything before 9 December is already posted
    assert "Rappel" not in again and "Prochaine séance" not in again and "La semaine" not in again
