"""``relais newsletter …``: preview, send, follow, pause and resume an issue; export the archive."""

from __future__ import annotations

import asyncio
from datetime import datetime
from pathlib import Path

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from mailer import newsletter
from mailer.dispatch import Dispatcher
from relais import identifiers
from relais.cli.common import console, fail, friendly
from relais.db import session_scope
from relais.i18n import t
from relais.newsletter import archive, issues
from relais.newsletter import services as subscriptions
from relais.newsletter.models import IssueStatus, SubscriberStatus
from relais.people import services as people
from relais.settings import get_settings
from relais.timefmt import format_datetime, parse_local, utcnow

#: How often « resume » looks again while another live sender finishes its rows.
FINISH_POLL_SECONDS = 0.2

app = typer.Typer(
    help="La lettre « Ressources Info » : aperçu, envoi, suivi, archive.", no_args_is_help=True
)


def read_issue(path: Path) -> issues.IssueSource:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        raise fail(t("errors.newsletter_file_unreadable", path=path)) from None
    return issues.parse(text)


@app.command("preview")
@friendly
def preview(
    path: Path = typer.Argument(..., help="La lettre en Markdown (voir docs/newsletter.md)."),
    folder: Path | None = typer.Option(
        None, "--sortie", help="Dossier où écrire l'aperçu (par défaut : celui du fichier)."
    ),
) -> None:
    """Écrire l'aperçu HTML et texte d'une lettre, sans rien envoyer."""
    source = read_issue(path)
    with session_scope() as session:
        rendered = issues.render(session, source)
        recipients = subscriptions.counts(session)[SubscriberStatus.ACTIVE]
    sample = f"{get_settings().public_base_url}/desabonnement/exemple"
    target = folder or path.parent
    target.mkdir(parents=True, exist_ok=True)
    html_path = target / f"{path.stem}.html"
    text_path = target / f"{path.stem}.txt"
    html_path.write_text(issues.personalise(rendered.html, sample), encoding="utf-8")
    text_path.write_text(issues.personalise(rendered.text, sample), encoding="utf-8")
    console.print(
        t("newsletter.cli.preview_written", number=source.number, html=html_path, text=text_path),
        markup=False,
    )
    titles = " · ".join(section.title for section in rendered.sections if section.title)
    console.print(t("newsletter.cli.preview_sections", titles=titles), markup=False)
    console.print(t("newsletter.cli.preview_recipients", number=recipients), markup=False)


@app.command("archive")
@friendly
def export_archive(
    folder: Path = typer.Argument(..., help="Dossier où écrire index.html et une page par numéro."),
) -> None:
    """Exporter l'archive des lettres parues en pages HTML statiques."""
    with session_scope() as session:
        written = archive.export_static(session, folder)
    console.print(t("newsletter.cli.archive_written", path=folder, number=written), markup=False)


def _when(moment: datetime) -> str:
    return format_datetime(moment)


def _progress(number: int) -> newsletter.Progress:
    with session_scope() as session:
        return newsletter.progress(session, number)


def _queue(issue_id: int, expected: int) -> None:
    with _bar() as bar:
        task = bar.add_task(t("newsletter.cli.queueing"), total=max(expected, 1))
        newsletter.queue_all(issue_id, on_page=lambda done: bar.update(task, completed=done))
        bar.update(task, completed=max(expected, 1))


def _bar() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=console,
        transient=False,
    )


async def _finish(dispatcher: Dispatcher, number: int) -> None:
    """Send until no delivery of the issue is due now or in flight anywhere.

    Rows claimed by a sender that died are taken back at the first pass; rows
    of a live one (``relais run``, ``relais worker``) are waited for. Stops
    early only when nothing can go now (relay down, hourly limit reached):
    the report then counts those as waiting.
    """
    while True:
        accepted = await dispatcher.run_once()
        with session_scope() as session:
            left = newsletter.unfinished_now(session, number)
            in_flight = newsletter.progress(session, number).sending
        if left == 0 or (accepted == 0 and in_flight == 0):
            return
        await asyncio.sleep(FINISH_POLL_SECONDS)


async def _dispatch(number: int | None) -> None:
    """Run the dispatcher until issue ``number`` is finished (with a bar), or one pass."""
    dispatcher = Dispatcher(get_settings())
    try:
        if number is None:
            await dispatcher.run_once()
            return
        start = await asyncio.to_thread(_progress, number)
        with _bar() as bar:
            task = bar.add_task(t("newsletter.cli.sending"), total=max(start.recipients, 1))
            sender = asyncio.create_task(_finish(dispatcher, number))
            while True:
                done, _ = await asyncio.wait({sender}, timeout=0.5)
                current = await asyncio.to_thread(_progress, number)
                bar.update(task, completed=current.finished)
                if done:
                    break
            sender.result()
    finally:
        await dispatcher.close()


def _report(number: int) -> None:
    with session_scope() as session:
        result = newsletter.progress(session, number)
        issue = newsletter.get_issue(session, number)
        if result.done and issue.status != IssueStatus.PAUSED:
            issue.status = IssueStatus.SENT
            issue.finished_at = issue.finished_at or utcnow()
            session.add(issue)
    console.print(
        t(
            "newsletter.cli.report", sent=result.sent, failed=result.failed,
            bounced=result.bounced, skipped=result.skipped, recipients=result.recipients,
        ),
        markup=False,
    )  # fmt: skip
    if result.waiting:
        console.print(t("newsletter.cli.report_waiting", number=result.waiting), markup=False)


def _send_now_or_later(issue_id: int, number: int, send_at: datetime, expected: int) -> None:
    _queue(issue_id, expected)
    if send_at > utcnow():
        console.print(
            t("newsletter.cli.scheduled", number=number, when=_when(send_at)), markup=False
        )
        return
    asyncio.run(_dispatch(number))
    _report(number)


def _send_tests(source: issues.IssueSource, addresses: list[str]) -> None:
    cleaned = [people.normalize_email(address) for address in addresses]
    with session_scope() as session:
        rendered = issues.render(session, source)
        newsletter.send_tests(session, rendered, source.number, cleaned)
    asyncio.run(_dispatch(None))
    console.print(t("newsletter.cli.test_sent", addresses=", ".join(cleaned)), markup=False)


def _ask(question: str) -> bool:
    """A yes/no question answered in French (o, oui) or English (y, yes); no by default."""
    answer = typer.prompt(f"{question} [o/N]", default="n", show_default=False)
    return str(answer).strip().lower() in ("o", "oui", "y", "yes")


def _send_time(at: str | None) -> datetime:
    if at is None:
        return utcnow()
    try:
        moment = parse_local(at)
    except ValueError:
        raise fail(t("errors.bad_datetime", value=at)) from None
    if moment <= utcnow():
        raise fail(t("newsletter.cli.at_in_past", when=_when(moment)))
    return moment


@app.command("send")
@friendly
def send(
    path: Path = typer.Argument(..., help="La lettre en Markdown."),
    test: list[str] = typer.Option(
        [], "--test", help="Envoyer seulement à cette adresse de test (répétable)."
    ),
    at: str | None = typer.Option(
        None,
        "--at",
        help="Programmer l'envoi : « JJ/MM/AAAA HH:MM » ou « AAAA-MM-JJ HH:MM », heure locale.",
    ),
    yes: bool = typer.Option(
        False, "--yes", "-y", help="Ne pas demander de confirmation (scripts)."
    ),
) -> None:
    """Envoyer une lettre à tous les abonnés (ou seulement à des adresses de test)."""
    source = read_issue(path)
    if test:
        _send_tests(source, test)
        return
    send_at = _send_time(at)
    with session_scope() as session:
        existing = archive.by_number(session, source.number)
        if existing is not None and (existing.queued_through or existing.queue_complete):
            raise fail(t("newsletter.cli.already_queued", number=source.number))
        recipients = subscriptions.counts(session)[SubscriberStatus.ACTIVE]
    question = t(
        "newsletter.cli.confirm_send", number=source.number, title=source.title,
        recipients=recipients, when=_when(send_at) if at else "",
    )  # fmt: skip
    if not yes and not _ask(question):
        console.print(t("newsletter.cli.cancelled"), markup=False)
        raise typer.Exit(1)
    with session_scope() as session:
        rendered = issues.render(session, source, now=send_at)
        issue = archive.freeze(session, source, rendered, send_at)
        issue.status = IssueStatus.SENDING if at is None else IssueStatus.SCHEDULED
        session.add(issue)
    assert issue.id is not None
    _send_now_or_later(issue.id, source.number, send_at, recipients)


@app.command("status")
@friendly
def status(
    number: int = typer.Argument(..., min=1, max=identifiers.MAX_ID, help="Numéro de la lettre."),
) -> None:
    """Où en est l'envoi d'une lettre : envoyés, en attente, échecs, adresses en erreur, ignorés."""
    with session_scope() as session:
        issue = newsletter.get_issue(session, number)
        result = newsletter.progress(session, number)
    if issue.status == IssueStatus.PAUSED:
        state = t("newsletter.cli.state_paused")
    elif issue.send_at > utcnow():
        state = t("newsletter.cli.state_scheduled", when=_when(issue.send_at))
    elif result.done and issue.queue_complete:
        state = t("newsletter.cli.state_sent")
    else:
        state = t("newsletter.cli.state_sending")
    console.print(
        t("newsletter.cli.status_title", number=number, title=issue.title, state=state),
        markup=False,
    )
    for name in ("recipients", "sent", "waiting", "sending", "failed", "bounced", "skipped"):
        label = t(f"newsletter.cli.counts.{name}")
        console.print(f"  {label} : {getattr(result, name)}", markup=False)


@app.command("pause")
@friendly
def pause(
    number: int = typer.Argument(..., min=1, max=identifiers.MAX_ID, help="Numéro de la lettre."),
) -> None:
    """Mettre en pause l'envoi d'une lettre (les e-mails déjà partis le restent)."""
    with session_scope() as session:
        held = newsletter.pause(session, number)
    console.print(t("newsletter.cli.paused", number=number, held=held), markup=False)


@app.command("resume")
@friendly
def resume(
    number: int = typer.Argument(..., min=1, max=identifiers.MAX_ID, help="Numéro de la lettre."),
) -> None:
    """Reprendre l'envoi d'une lettre en pause ou interrompue : seuls ceux qui ne l'ont pas reçue la reçoivent."""
    with session_scope() as session:
        issue = newsletter.resume(session, number)
        expected = subscriptions.counts(session)[SubscriberStatus.ACTIVE]
    assert issue.id is not None
    console.print(t("newsletter.cli.resumed", number=number), markup=False)
    _send_now_or_later(issue.id, number, issue.send_at, expected)
