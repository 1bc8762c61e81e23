"""``relais attendance …``: mark, import and list who came to a session."""

from __future__ import annotations

from pathlib import Path

import typer

from relais.attendance import importer
from relais.attendance import services as attendance
from relais.attendance.models import AttendanceStatus
from relais.cli.common import CLI_ACTOR, console, fail, friendly
from relais.cli.tables import print_table
from relais.db import session_scope
from relais.events import services as events
from relais.i18n import t
from relais.people import services as people
from relais.reference import services as reference

app = typer.Typer(help="Présences : marquer, importer (Zoom, Teams), lister.", no_args_is_help=True)

STATUS_WORDS = {
    "present": AttendanceStatus.PRESENT, "présent": AttendanceStatus.PRESENT,
    "presente": AttendanceStatus.PRESENT, "présente": AttendanceStatus.PRESENT,
    "absent": AttendanceStatus.ABSENT, "absente": AttendanceStatus.ABSENT,
    "excused": AttendanceStatus.EXCUSED, "excuse": AttendanceStatus.EXCUSED,
    "excusé": AttendanceStatus.EXCUSED, "excusée": AttendanceStatus.EXCUSED,
}  # fmt: skip


def parse_status(text: str) -> AttendanceStatus:
    status = STATUS_WORDS.get(text.strip().lower())
    if status is None:
        raise fail(t("presence.cli.bad_status", value=text))
    return status


@app.command("mark")
@friendly
def mark(
    event: str = typer.Argument(..., help="Code (ou numéro) de l'événement."),
    emails: list[str] = typer.Argument(..., help="Adresses e-mail des personnes."),
    status: str = typer.Option(
        "present", "--status", "--statut", help="present, absent ou excused."
    ),
) -> None:
    """Marquer des personnes présentes, absentes ou excusées."""
    chosen = parse_status(status)
    with session_scope() as session:
        found = events.lookup(session, event)
        assert found.id is not None
        ids: list[int] = []
        unknown: list[str] = []
        for email in emails:
            person = people.by_email(session, email)
            if person is None or person.id is None:
                unknown.append(email)
            else:
                ids.append(person.id)
        if unknown:
            raise fail(t("presence.cli.unknown_emails", emails=", ".join(unknown)))
        changes = attendance.mark(session, found.id, ids, chosen, CLI_ACTOR)
    label = t(f"presence.statuses.{chosen.value}")
    console.print(
        t("presence.cli.marked", changed=sum(changes), unchanged=len(changes) - sum(changes),
          status=label, title=found.title),
        markup=False,
    )  # fmt: skip


@app.command("import")
@friendly
def import_report(
    event: str = typer.Argument(..., help="Code (ou numéro) de l'événement."),
    file: Path = typer.Argument(..., help="Rapport de présence Zoom ou Teams (.csv)."),
    min_minutes: float = typer.Option(
        0, "--duree-min", "--min-minutes", help="Durée minimale de connexion (minutes)."
    ),
    mark_absent: bool = typer.Option(
        False, "--absents", help="Marquer absents les inscrits absents du rapport."
    ),
) -> None:
    """Importer un rapport de présence de webinaire (Zoom ou Teams)."""
    lines = importer.read_report(file)
    with session_scope() as session:
        found = events.lookup(session, event)
        result = importer.apply(
            session, found, lines, actor=CLI_ACTOR, min_minutes=min_minutes, mark_absent=mark_absent
        )
    console.print(
        t("presence.cli.imported", lines=len(lines), present=len(result.marked),
          new=result.newly_present, absent=result.absent, title=found.title),
        markup=False,
    )  # fmt: skip
    for line in result.too_short:
        console.print(t("presence.cli.too_short", line=line.line, name=line.name,
                        minutes=round(line.minutes)), markup=False)  # fmt: skip
    for line in result.ambiguous:
        console.print(t("presence.cli.ambiguous", line=line.line, name=line.name), markup=False)
    for line in result.unmatched:
        console.print(
            t("presence.cli.unmatched", line=line.line, name=line.name, email=line.email),
            markup=False,
        )
    if result.types_filled:
        console.print(t("presence.cli.types_filled", count=result.types_filled), markup=False)
    if result.unknown_types:
        with session_scope() as session:
            choices = ", ".join(kind.name for kind in reference.structure_types(session))
        for line in result.unknown_types:
            console.print(
                t("presence.cli.unknown_type", line=line.line, value=line.structure_type[:60],
                  choices=choices),
                markup=False,
            )  # fmt: skip


@app.command("list")
@friendly
def list_attendance(
    event: str = typer.Argument(..., help="Code (ou numéro) de l'événement."),
) -> None:
    """Lister les inscrits d'une séance et leur présence."""
    with session_scope() as session:
        found = events.lookup(session, event)
        assert found.id is not None
        lines = attendance.roster(session, found.id)
        rows = [
            (
                line.person.full_name or t("presence.anonymous"),
                line.person.email or "",
                t(f"presence.statuses.{line.status.value}") if line.status else "—",
            )
            for line in lines
        ]
        title = t("presence.cli.roster_title", title=found.title)
    print_table("presence.cli.roster_columns", rows, title=title)
