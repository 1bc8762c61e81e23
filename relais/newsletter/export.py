"""The subscriber list as a CSV a spreadsheet opens safely.

``;`` and a UTF-8 BOM because that is what a French Excel expects. A cell
that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return would
be run as a formula by Excel or LibreOffice (CSV injection): it is written
with a leading apostrophe, which spreadsheets show as text.
"""

from __future__ import annotations

import csv
from typing import TextIO

from sqlmodel import Session, select

from relais.exports.safe import safe_text
from relais.i18n import t
from relais.newsletter import services
from relais.newsletter.models import SubscriberStatus
from relais.reference.models import StructureType
from relais.timefmt import local


def safe_cell(value: str) -> str:
    """No formula, no control character (see :mod:`relais.exports.safe`)."""
    return safe_text(value)


def write_csv(session: Session, out: TextIO, status: SubscriberStatus | None = None) -> int:
    """Stream every subscriber into ``out``; returns how many were written."""
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(t("newsletter.cli.export_header").split(";"))
    written = 0
    types = {kind.id: kind.name for kind in session.exec(select(StructureType))}
    for subscriber in services.stream(session, status=status):
        consent_at = (
            local(subscriber.consent_at).strftime("%d/%m/%Y %H:%M") if subscriber.consent_at else ""
        )
        writer.writerow(
            safe_cell(value)
            for value in (
                subscriber.email,
                subscriber.first_name,
                subscriber.last_name,
                subscriber.organisation,
                types.get(subscriber.structure_type_id, ""),
                t(f"newsletter.statuses.{subscriber.status.value}"),
                subscriber.consent_channel,
                subscriber.consent_source,
                consent_at,
            )
        )
        written += 1
    return written
