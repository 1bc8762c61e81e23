"""``relais newsletter …``: preview, send, follow, pause and resume an issue; export the archive."""

from __future__ import annotations

from pathlib import Path

import typer

from relais.cli.common import console, fail, friendly
from relais.db import session_scope
from relais.i18n import t
from relais.newsletter import archive, issues
from relais.newsletter import services as subscriptions
from relais.newsletter.models import SubscriberStatus
from relais.settings import get_settings

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
