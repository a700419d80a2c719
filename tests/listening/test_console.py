"""Listening through the installed `chambre-bot console`, where a plain line is a room
message: what a member reads, and what the export then holds."""
from __future__ import annotations

import json
from pathlib import Path

from tests.core.conftest import run_cli

NOW = "2026-12-01T10:00:00+01:00"  # a Tuesday

TALK = """\
On se retrouve jeudi 18h à la MESHS pour avancer sur les briques ?
J'ai un rdv chez le dentiste jeudi 10h
la réunion de jeudi dernier était bien
Je tiendrai une permanence tous les mardis de 17h à 19h au Tiers-lieu
Je propose qu'on se retrouve jeudi à 18h
!écoute suggérer
Atelier samedi 14h à la MESHS ?
!noter
!écoute
"""


def test_a_conversation_in_the_console(tmp_path: Path):
    db = tmp_path / "chambre.db"
    out = run_cli("console", "--now", NOW, "--db", str(db), "--user", "alice", stdin=TALK).stdout
    blocks = [b for b in out.split("\n\n") if b.strip()]
    # the proposal: 📅 on the line, and the reply in its thread
    assert blocks[0].startswith("[📅]\n↳ Noté : réunion n°8 Avancer sur les briques — jeudi 3 décembre 2026, 18:00 — MESHS")
    assert "!réunion annuler 8" in blocks[0]
    # the dentist and last week's meeting: nothing at all; then the permanence
    assert blocks[1].startswith("[📅]\n↳ Noté : permanence n°1 Permanence — tous les mardis à 17:00 (durée 2 h)")
    assert "!permanence supprimer 1" in blocks[1]
    # the same meeting again: pointed to, not recorded twice
    assert blocks[2].startswith("[📅]\n↳ Déjà noté : réunion n°8") and "!réunion voir 8" in blocks[2]
    assert blocks[3].startswith("Écoute réglée pour ce salon : suggérer")
    assert blocks[4].startswith("[📅]\n↳ Je peux noter une réunion : Atelier — samedi 5 décembre 2026, 14:00 — MESHS")
    assert blocks[5].startswith("Noté : réunion n°9 Atelier — samedi 5 décembre 2026, 14:00")
    assert blocks[6].startswith("Écoute dans ce salon : suggérer")
    assert len(blocks) == 7

    export = json.loads(run_cli("export", "--db", str(db)).stdout)
    heard = [m for m in export["meetings"] if m["source"] == "conversation"]
    assert [(m["id"], m["proposed_by"], m["room"], m["link"]) for m in heard] == [(8, "alice", "console", None),
                                                                                    (9, "alice", "console", None)]
    assert all(m["message"].startswith("console-") for m in heard)
    (perm,) = export["permanences"]
    assert (perm["source"], perm["place"]) == ("conversation", "Tiers-lieu")
