"""``relais mail inbox``: the list in French, the dry run for support, bad input explained."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from sqlmodel import Session, select

from mailer.outbox import enqueue
from relais.bounces.models import AddressBounce
from relais.events.ical import event_uid
from relais.registrations import services as registrations
from tests.factories import make_event, make_person
from tests.inbox.conftest import corpus, read_mailbox
from tests.inbox.dovecot import Dovecot


def relais(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "relais", "mail", "inbox", *args],
        capture_output=True, text=True, cwd=str(cwd), env=dict(os.environ), check=False,
    )  # fmt: skip


def test_empty_list_says_no_mailbox_is_read(db_url: str, tmp_path: Path) -> None:
    result = relais(cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "Aucun message lu pour l'instant : IMAP_HOST n'est pas renseigné" in result.stdout


def test_list_shows_what_was_done(
    session: Session, dovecot: Dovecot, folder: str, tmp_path: Path
) -> None:
    event = make_event(session)
    person = make_person(session, email="alice@ville-exemple.fr")
    assert event.id and person.id
    registrations.register(session, event.id, person.id, source="test")
    enqueue(session, kind="registered", to="inconnu@ville-exemple.fr", idempotency_key="k")
    session.commit()
    dovecot.append(
        folder,
        corpus("reply_forged.eml", uid=event_uid(event), sequence=0,
               attendee="alice@ville-exemple.fr", domain="ville-exemple.fr"),
        corpus("dsn_postfix.eml", address="inconnu@ville-exemple.fr",
               bounce_to="relais@crpv.example"),
        corpus("human.eml", address="nadia@mairie-exemple.fr"),
    )  # fmt: skip
    session.rollback()
    read_mailbox()
    result = relais(cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "Messages lus dans la boîte (3 affichés)" in out
    assert "réponse d'agenda · à confirmer" in out
    assert "rebond · fait" in out and "Adresse inconnu@ville-exemple.fr inexistante (5.1.1)" in out
    assert "message personnel · à lire" in out
    assert "Réponses d'agenda à confirmer :" in out and "« DECLINED »" in out
    assert "Derniers rebonds :" in out and "définitif" in out


def test_dry_run_explains_and_changes_nothing(
    session: Session, db_url: str, tmp_path: Path
) -> None:
    enqueue(session, kind="registered", to="pleine@asso-exemple.org", idempotency_key="k")
    session.commit()
    sample = tmp_path / "rebond.eml"
    sample.write_bytes(
        corpus("dsn_exim.eml", address="pleine@asso-exemple.org", bounce_to="relais@crpv.example")
    )
    result = relais("--essai", str(sample), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "rien n'est modifié" in result.stdout
    assert "Nature : rebond" in result.stdout
    assert "Ce que Relais ferait : fait" in result.stdout
    assert "Rebond temporaire pour pleine@asso-exemple.org (5.2.2) : 1 sur 3" in result.stdout
    session.rollback()
    assert session.exec(select(AddressBounce)).all() == []


def test_bad_input_is_explained(db_url: str, tmp_path: Path) -> None:
    missing = relais("--essai", "absent.eml", cwd=tmp_path)
    assert missing.returncode == 1
    assert "le fichier « absent.eml » est introuvable" in missing.stderr
    (tmp_path / "vide.eml").write_bytes(b"")
    empty = relais("--essai", "vide.eml", cwd=tmp_path)
    assert empty.returncode == 1 and "est vide" in empty.stderr
    unknown = relais("--confirmer", "999", cwd=tmp_path)
    assert unknown.returncode == 1
    assert "aucune réponse d'agenda n° 999" in unknown.stderr
