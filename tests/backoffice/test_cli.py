"""``relais admin grant`` to an e-mail address, and ``relais registrations add``."""

from __future__ import annotations

from sqlmodel import Session, select
from typer.testing import CliRunner

from mailer.models import OutboxMessage
from relais.cli.main import app
from relais.plugins import subscribe_all
from relais.registrations.models import Registration, RegistrationStatus
from relais.roles import services as roles
from relais.roles.models import Role
from tests.backoffice.conftest import network
from tests.factories import make_event


def test_grant_list_revoke_an_address(session: Session) -> None:
    network(session, "Réseau des médiateurs – 93")
    runner = CliRunner()
    granted = runner.invoke(
        app, ["admin", "grant", "Marie.Durand@CRPV.example", "--reseau", "reseau-des-mediateurs-93"]
    )
    assert granted.exit_code == 0, granted.output
    assert "marie.durand@crpv.example est maintenant coordinateur" in granted.output
    grant = roles.grant_of_email(session, "marie.durand@crpv.example")
    assert grant is not None and grant.role == Role.COORDINATOR and grant.networks
    session.commit()  # no lock kept while the command line writes
    listing = runner.invoke(app, ["admin", "list"], env={"COLUMNS": "200"})
    assert "marie.durand@crpv.example" in listing.output and "médiateurs" in listing.output
    wrong = runner.invoke(app, ["admin", "grant", "marie"])
    assert wrong.exit_code == 1 and "ni un identifiant Telegram" in wrong.output
    bad = runner.invoke(app, ["admin", "grant", "marie@", "--role", "administrateur"])
    assert bad.exit_code == 1 and "Erreur" in bad.output
    assert runner.invoke(app, ["admin", "revoke", "marie.durand@crpv.example"]).exit_code == 0
    again = runner.invoke(app, ["admin", "revoke", "marie.durand@crpv.example"])
    assert again.exit_code == 1 and "n'a aucun rôle" in again.output
    session.expire_all()
    assert roles.grant_of_email(session, "marie.durand@crpv.example") is None


def test_registrations_add_sends_the_usual_confirmation(session: Session) -> None:
    subscribe_all()
    event = make_event(session, title="Rencontre PRE", capacity=1)
    session.commit()
    runner = CliRunner()
    arguments = ["registrations", "add", event.code, "--email", "paul@exemple.fr", "--nom",
                 "Durand", "--prenom", "Paul", "--structure", "Ville d'Évry", "--profil",
                 "Médiateur adulte-relais", "--departement", "91", "--type-structure",
                 "Collectivité territoriale"]  # fmt: skip
    done = runner.invoke(app, arguments)
    assert done.exit_code == 0, done.output
    assert "paul@exemple.fr est inscrit·e à « Rencontre PRE »" in done.output
    second = [*arguments[:4], "lea@exemple.fr", *arguments[5:]]
    waiting = runner.invoke(app, second)
    assert waiting.exit_code == 0 and "liste d'attente (position 1)" in waiting.output
    twice = runner.invoke(app, arguments)
    assert twice.exit_code == 1 and "déjà inscrit" in twice.output
    wrong = runner.invoke(app, [*arguments[:-3], "999"])
    assert wrong.exit_code == 1 and "département « 999 » inconnu" in wrong.output
    found = session.exec(select(Registration).order_by(Registration.id)).all()
    assert [(r.status, r.source) for r in found] == [
        (RegistrationStatus.CONFIRMED, "coordinateur"),
        (RegistrationStatus.WAITLISTED, "coordinateur"),
    ]
    kinds = sorted(m.kind for m in session.exec(select(OutboxMessage)))
    assert kinds == ["registered", "waitlisted"]
