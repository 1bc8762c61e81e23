"""``relais backup`` and ``relais restore``: the operator's safety net, in French."""

from __future__ import annotations

from pathlib import Path

import typer

from relais.cli.common import console, friendly, skips_database_check
from relais.db import get_engine
from relais.i18n import t
from relais.location import locate
from relais.settings import get_settings


@friendly
def backup(
    folder: Path = typer.Option(
        None, "--dossier", help="Dossier des sauvegardes (par défaut BACKUP_DIR)."
    ),
    keep: int = typer.Option(
        None, "--garder", min=1, help="Nombre de sauvegardes gardées (par défaut BACKUP_KEEP)."
    ),
) -> None:
    """Sauvegarder la base (et le fichier de réglages) dans un fichier daté."""
    from relais.backup import services

    settings = get_settings()
    written = services.backup(
        get_engine(), settings.database_url, folder or settings.backup_dir,
        locate().env_file, keep or settings.backup_keep,
    )  # fmt: skip
    console.print(t("backup.written", path=str(written.database)), markup=False)
    if written.settings is not None:
        console.print(t("backup.settings_copied", path=str(written.settings)), markup=False)
    console.print(t("backup.keep_safe"), markup=False)


@friendly
@skips_database_check
def restore(
    file: Path = typer.Argument(..., help="Fichier écrit par « relais backup »."),
    force: bool = typer.Option(
        False, "--force", help="Remplacer une base qui contient déjà des données."
    ),
) -> None:
    """Restaurer une sauvegarde dans la base configurée (refuse d'écraser sans --force)."""
    from relais.backup import services
    from relais.migrate import upgrade_if_needed

    settings = get_settings()
    services.restore(get_engine(), settings.database_url, file, force)
    upgrade_if_needed(get_engine())
    console.print(t("backup.restored", file=str(file)), markup=False)
    sibling = file.with_suffix(".env")
    if sibling.is_file():
        console.print(t("backup.settings_beside", path=str(sibling)), markup=False)
