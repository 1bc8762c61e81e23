"""Importing events from a YAML or CSV file, all-or-nothing by default.

Every row is validated first and every bad row reported with its line number;
nothing is written when a row is bad unless the coordinator asks to skip them.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError
from sqlmodel import Session

from relais.csvread import is_too_long, too_long
from relais.errors import DomainError, InvalidInput
from relais.events import services as events
from relais.events.schemas import EventInput, describe_errors, future_problem
from relais.i18n import os_reason, t

#: French column names accepted beside the English ones.
ALIASES = {
    "titre": "title", "debut": "starts_at", "début": "starts_at", "fin": "ends_at",
    "duree": "duration_minutes", "durée": "duration_minutes", "modalite": "format",
    "modalité": "format", "thematique": "theme", "thématique": "theme", "lieu": "venue",
    "lien": "visio_url", "lien_visio": "visio_url", "places": "capacity",
    "date_limite": "registration_deadline", "reseaux": "networks", "réseaux": "networks",
    "liste_attente": "waitlist_enabled", "public": "audience_profiles",
    "reserve_membres": "members_only", "statut": "status", "cycle": "cycle",
}  # fmt: skip


@dataclass
class ImportReport:
    imported: list[str] = field(default_factory=list)
    errors: list[tuple[int, str]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def read_rows(path: Path) -> list[tuple[int, dict[str, Any]]]:
    """(line number, raw row) pairs; raises InvalidInput for an unreadable file."""
    suffix = path.suffix.lower()
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise InvalidInput("import_unreadable", file=str(path), reason=os_reason(error)) from None
    text = raw.decode("utf-8-sig") if _is_utf8(raw) else raw.decode("latin-1")
    if "\x00" in text or not text.strip():
        reason = t("import.binary") if text.strip() else t("import.empty")
        raise InvalidInput("import_unreadable", file=str(path), reason=reason)
    if suffix in (".yaml", ".yml"):
        return _yaml_rows(text, path)
    if suffix == ".csv":
        return _csv_rows(text)
    raise InvalidInput("import_unknown_type", file=str(path))


def _is_utf8(raw: bytes) -> bool:
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _yaml_rows(text: str, path: Path) -> list[tuple[int, dict[str, Any]]]:
    try:
        document = yaml.compose(text)
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = mark.line + 1 if mark is not None else "?"
        raise InvalidInput(
            "import_unreadable", file=str(path), reason=t("import.yaml_syntax", line=line)
        ) from None
    if isinstance(data, dict) and "events" in data:
        data = data["events"]
        document = next(v for k, v in document.value if k.value == "events")  # type: ignore[union-attr]
    if not isinstance(data, list):
        raise InvalidInput("import_unreadable", file=str(path), reason=t("import.yaml_shape"))
    for number, item in enumerate(data, start=1):
        if not isinstance(item, dict):
            reason = t("import.yaml_item", number=number)
            raise InvalidInput("import_unreadable", file=str(path), reason=reason)
    lines = [node.start_mark.line + 1 for node in document.value]  # type: ignore[union-attr]
    return [(line, _normalise_keys(item)) for line, item in zip(lines, data, strict=True)]


def _csv_rows(text: str) -> list[tuple[int, dict[str, Any]]]:
    sample = text[:4096]
    delimiter = ";" if sample.count(";") > sample.count(",") else ","
    reader = csv.DictReader(io.StringIO(text), delimiter=delimiter)
    rows = []
    last_line = 1
    try:
        for row in reader:
            last_line = reader.line_num
            cleaned = {k: v for k, v in row.items() if k is not None and v not in (None, "")}
            if cleaned:
                rows.append((reader.line_num, _normalise_keys(cleaned)))
    except csv.Error as error:
        if is_too_long(error):
            raise too_long(last_line + 1) from None
        raise InvalidInput(
            "import_unreadable", file="CSV", reason=t("import.csv_broken", line=reader.line_num)
        ) from None
    return rows


def _normalise_keys(row: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for key, value in row.items():
        name = str(key).strip().lower().replace(" ", "_")
        out[ALIASES.get(name, name)] = value
    return out


def import_file(
    session: Session, path: Path, actor: str, *, skip_errors: bool = False
) -> ImportReport:
    """Validate every row, then create the events (and cycles) in one transaction."""
    report = ImportReport()
    valid: list[tuple[int, str | None, EventInput]] = []
    for line, row in read_rows(path):
        cycle = row.pop("cycle", None)
        try:
            data = EventInput(**row)
        except ValidationError as error:
            report.errors.extend((line, message) for message in describe_errors(error))
            continue
        problem = future_problem(data)
        if problem:
            report.errors.append((line, problem))
            continue
        valid.append((line, str(cycle).strip() if cycle else None, data))
    cycles: dict[str, list[tuple[int, EventInput]]] = {}
    for line, cycle, data in valid:
        try:
            with session.begin_nested():
                if cycle:
                    cycles.setdefault(cycle, []).append((line, data))
                    continue
                report.imported.append(events.create(session, data, actor).code)
        except DomainError as error:
            report.errors.append((line, error.message))
    for title, rows in cycles.items():
        try:
            with session.begin_nested():
                _series, created = events.create_series(session, title, [d for _, d in rows], actor)
                report.imported.extend(e.code for e in created)
        except DomainError as error:
            report.errors.append((rows[0][0], error.message))
    if report.errors and not skip_errors:
        session.rollback()
        report.imported.clear()
    return report
