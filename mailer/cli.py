"""``relais mail …``: the outbox queue and the resources listed in thank-you e-mails."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlparse

import typer

from mailer import queue
from mailer.delivery import relay_problem
from mailer.models import EventResource
from relais.cli.common import console, fail, friendly
from relais.db import session_scope
from relais.events import services as events
from relais.i18n import t

app = typer.Typer(
    help="E-mails : file d'envoi, nouveaux essais, ressources, boîte de réception.",
    no_args_is_help=True,
)


@app.command("status")
@friendly
def show_status() -> None:
    """Afficher la file d'envoi : à envoyer, envoyés, en nouvel essai, en échec."""
    with session_scope() as session:
        counts = queue.status(session)
        failures = queue.last_failures(session)
        problem = queue.relay_problem(session)
    console.print(t("mail.status.title"), markup=False)
    for name in ("due", "scheduled", "retrying", "sending", "sent", "failed"):
        console.print(f"  {t(f'mail.status.{name}')} : {getattr(counts, name)}", markup=False)
    if problem:
        kind = relay_problem(problem) or "connection"
        console.print(t("mail.status.relay_problem", reply=problem), markup=False)
        console.print(t(f"mail.status.relay_hints.{kind}"), markup=False)
    if failures:
        console.print(t("mail.status.last_failures"), markup=False)
        for row in failures:
            line = t(
                "mail.status.failure_line", id=row.id, to=row.to_address, kind=row.kind,
                reply=row.last_reply,
            )  # fmt: skip
            console.print(line, markup=False)


@app.command("retry")
@friendly
def retry(
    ids: list[int] = typer.Argument(None, help="Numéros des e-mails (tous les échecs sinon)."),
) -> None:
    """Remettre dans la file les e-mails en échec (après correction du relais SMTP par exemple)."""
    with session_scope() as session:
        count = queue.retry_failed(session, ids or None)
    console.print(t("mail.retry_done", count=count) if count else t("mail.retry_none"))


@app.command("resource")
@friendly
def add_resource(
    event: str = typer.Argument(..., help="Code ou numéro de l'événement."),
    title: str = typer.Argument(..., help="Titre de la ressource."),
    url: str = typer.Argument(..., help="Lien (https://…)."),
) -> None:
    """Ajouter une ressource (support, compte rendu) au message de remerciement."""
    parsed = urlparse(url.strip())
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise fail(t("mail.bad_resource_url", value=url[:60]))
    with session_scope() as session:
        found = events.lookup(session, event)
        assert found.id is not None
        session.add(EventResource(event_id=found.id, title=title.strip()[:200], url=url.strip()))
    console.print(t("mail.resource_added", title=found.title), markup=False)


@app.command("inbox")
@friendly
def inbox(
    essai: Path | None = typer.Option(None, "--essai", help=t("inbox.cli.essai_help")),
    confirmer: int | None = typer.Option(None, "--confirmer", help=t("inbox.cli.confirmer_help")),
    limite: int = typer.Option(30, "--limite", min=1, max=1000, help=t("inbox.cli.limite_help")),
) -> None:
    """Messages lus dans la boîte de Relais et ce qui en a été fait (--essai : sans rien changer)."""
    from mailer.inbox import cli

    if essai is not None:
        cli.try_file(essai)
    elif confirmer is not None:
        cli.confirm(confirmer)
    else:
        cli.show(limite)
