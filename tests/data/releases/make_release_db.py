"""Make the database a release leaves behind, for the upgrade tests (tests/ops/test_upgrades.py).

    .venv/bin/python tests/data/releases/make_release_db.py v0.1.0

takes the tagged release's source (`git archive`, nothing checked out), installs it in a
temporary venv, and runs its own console on a new database with SESSIONS: commands that make
every kind of record (meetings in each state, answers, permanences with hosts and cancelled
dates, an ended one, bricks moved along with links, notes and a lead, topics open and done,
the rhythm) and, by moving the console's clock, the scheduled posts (agenda, reminders,
digest). It keeps the database, that release's own JSON export of it, and the transcript, in
tests/data/releases/<version>/. Each release adds its own; the tests open every one of them.
"""
from __future__ import annotations

import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]

# (who, organiser?, the console's clock at the start, what they type). Dates are in Lille.
SESSIONS: list[tuple[str, bool, str, list[str]]] = [
    ("alice", True, "2026-11-02T10:00", [
        "!rythme régler un jeudi sur deux à 18h à partir du 5 novembre ; MESHS",
        "!réunion proposer vendredi 19h ; Atelier briques ; MESHS",
        "!réunion proposer ? ; Visite de la Coop",
        "!réunion proposer le 20 novembre de 14h à 16h ; Réunion à annuler",
        "!réunion proposer 27/11 à 18h ; Réunion à déplacer ; Tiers-lieu",
        "!réunion proposer le 12 décembre ; Journée portes ouvertes",
        "!réunion proposer mardi 12h ; Apéro 🍻 « des communs » & co ; Café <b>Chez Léa</b>",
        "!réunion confirmer 1",
        "!réunion annuler 3 ; salle indisponible",
        "!réunion déplacer 4 ; jeudi 3 décembre 18h-20h",
        "!réunion lieu 2 ; Tiers-lieu, salle 2",
        "!réunion participe 1 oui",
        "!permanence ajouter tous les mardis 17h-19h ; Permanence des communs ; Tiers-lieu",
        "!permanence ajouter le premier lundi du mois à 19h ; Permanence mensuelle",
        "!permanence tenir 1 ; 10/11",
        "!permanence annuler 1 ; 17/11",
        "!permanence supprimer 2",
        "!brique ajouter Cantine des communs ; Une cantine partagée",
        "!brique statut cantine ; décrite ; la recette est sur le pad",
        "!brique décrire cantine ; Une cantine partagée, ouverte le midi",
        "!brique note cantine ; rencontre avec l'équipe le 12",
        "!brique lien cantine ; https://pad.example.org/cantine ; le pad",
        "!brique référent cantine ; Camille",
        "!brique statut 1 ; recette",
        "!odj ajouter Trouver une salle pour janvier",
        "!odj ajouter Budget 2027",
        "!odj fait 1",
        "/avance 4 jours",
    ]),
    ("bob", False, "2026-11-06T20:00", [
        "!réunion participe 1 peut-être",
        "!réunion participe 2 non",
        "!permanence tenir 1 ; 24/11",
        "!odj ajouter Un point de Bob",
        "!brique note 1 ; une note de Bob",
        "/avance 5 jours",
    ]),
]


def transcript_of(console: Path, db: Path) -> str:
    out = []
    for user, organiser, now, lines in SESSIONS:
        args = [str(console), "console", "--db", str(db), "--user", user, "--now", now]
        if not organiser:
            args.append("--member")
        proc = subprocess.run(args, input="\n".join(lines) + "\n", capture_output=True, text=True, timeout=300)
        if proc.returncode != 0 or "Traceback" in proc.stderr:
            raise SystemExit(f"the console of this release failed:\n{proc.stderr}")
        out.append(f"### {' '.join(args[1:]).replace(str(db), 'chambre.db')}\n{proc.stdout}")
    return "\n".join(out)


def main(tag: str) -> None:
    with tempfile.TemporaryDirectory(prefix="chambre-release-") as tmp_name:
        tmp = Path(tmp_name)
        archive = tmp / "src.tar"
        subprocess.run(["git", "-C", str(ROOT), "archive", "--format=tar", "-o", str(archive), tag], check=True)
        src = tmp / "src"
        with tarfile.open(archive) as tar:
            tar.extractall(src, filter="data")
        version = {}
        exec((src / "bot" / "__init__.py").read_text(encoding="utf-8"), version)
        venv = tmp / "venv"
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(venv / "bin" / "pip"), "install", "--quiet", str(src)], check=True)
        console = venv / "bin" / "chambre-bot"
        work = tmp / "work"
        work.mkdir()
        db = work / "chambre.db"
        transcript = transcript_of(console, db)
        export = subprocess.run([str(console), "export", "--db", str(db)], capture_output=True, text=True,
                                check=True, cwd=work)
        target = HERE / version["__version__"]
        target.mkdir(parents=True, exist_ok=True)
        shutil.copy2(db, target / "chambre.db")
        (target / "export.json").write_text(export.stdout, encoding="utf-8")
        (target / "transcript.txt").write_text(transcript, encoding="utf-8")
        print(f"{target}: chambre.db, export.json, transcript.txt from {tag}")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit("usage: make_release_db.py <tag>   (e.g. v0.1.0)")
    main(sys.argv[1])
