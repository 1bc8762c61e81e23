"""``relais doctor``: one French line per check, and an exit code for supervision."""

from __future__ import annotations

import asyncio

import typer

from relais.cli.common import config_label, console, friendly, skips_database_check
from relais.doctor.checks import Status, run_all
from relais.i18n import t
from relais.location import locate
from relais.settings import get_settings


@friendly
@skips_database_check
def doctor() -> None:
    """Vérifier l'installation : base, secret, disque, SMTP, Telegram, DNS, adresse publique."""
    console.print(t("doctor.title", config=config_label()), markup=False)
    results = asyncio.run(run_all(get_settings(), locate().home))
    for check in results:
        console.print(check.line(), markup=False)
    failures = sum(check.status == Status.FAILURE for check in results)
    warnings = sum(check.status == Status.WARNING for check in results)
    console.print(t("doctor.summary", failures=failures, warnings=warnings), markup=False)
    if failures:
        raise typer.Exit(1)
