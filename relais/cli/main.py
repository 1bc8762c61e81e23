"""Entry point of the ``relais`` command."""

from __future__ import annotations

import asyncio
import logging

import typer
from typer._click import core as click
from typer.core import TyperGroup

from relais.cli import admin as admin_cli
from relais.cli import attendance as attendance_cli
from relais.cli import backup as backup_cli
from relais.cli import broadcast as broadcast_cli
from relais.cli import doctor as doctor_cli
from relais.cli import events as events_cli
from relais.cli import exports as exports_cli
from relais.cli import french
from relais.cli import networks as networks_cli
from relais.cli import reference as reference_cli
from relais.cli import registrations as registrations_cli
from relais.cli import stats as stats_cli
from relais.cli.common import console, creates_database, fail, friendly
from relais.db import get_engine
from relais.i18n import t
from relais.plugins import commands as channel_commands
from relais.plugins import load
from relais.settings import get_settings


class _WithChannelCommands(TyperGroup):
    """The core's commands plus the channels' (``commands`` of the wiring list).

    A channel's commands are imported only when one of them runs or the help
    lists them, so ``relais stats`` does not load Telegram or SMTP code.
    """

    def list_commands(self, ctx: click.Context) -> list[str]:
        return [*super().list_commands(ctx), *sorted(channel_commands())]

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        command = super().get_command(ctx, name)
        reference = channel_commands().get(name)
        if command is None and reference is not None:
            # Not wired here: listing the help must not import every channel. Each
            # command attaches the channels' hooks when it runs (``friendly``).
            command = typer.main.get_command(load(reference))
            command.name = name
        return command


app = typer.Typer(
    cls=_WithChannelCommands,
    help="Relais : inscriptions par Telegram, invitations et rappels par e-mail pour les réseaux de pairs.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
french.install()
db_app = typer.Typer(help="Base de données.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(events_cli.app, name="event")
app.add_typer(networks_cli.app, name="network")
app.add_typer(reference_cli.app, name="reference")
app.add_typer(attendance_cli.app, name="attendance")
app.add_typer(exports_cli.app, name="export")
app.command("stats")(stats_cli.stats)
app.command("report")(stats_cli.report)
app.add_typer(admin_cli.app, name="admin")
app.add_typer(registrations_cli.app, name="registrations")
app.command("broadcast")(broadcast_cli.broadcast)
app.command("backup")(backup_cli.backup)
app.command("restore")(backup_cli.restore)
app.command("doctor")(doctor_cli.doctor)


LEVELS = {
    "DEBUG": "débogage",
    "INFO": "info",
    "WARNING": "attention",
    "ERROR": "erreur",
    "CRITICAL": "critique",
}


def _french_logging() -> None:
    """Log lines an operator reads, in French; no timestamp of ours under systemd (the journal adds it)."""
    import os

    def french_level(record: logging.LogRecord) -> bool:
        record.niveau = LEVELS.get(record.levelname, record.levelname)
        return True

    stamp = "" if os.environ.get("JOURNAL_STREAM") else "%(asctime)s "
    handler = logging.StreamHandler()
    handler.addFilter(french_level)
    handler.setFormatter(logging.Formatter(f"{stamp}%(niveau)s %(name)s : %(message)s"))
    logging.basicConfig(level=logging.INFO, handlers=[handler])


def _port_free(host: str, port: int) -> bool:
    """Whether the web port can be taken: a busy one usually means Relais already runs."""
    import socket

    if port == 0:
        return True
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


def _safe_url() -> str:
    return get_engine().url.render_as_string(hide_password=True)


@db_app.command("upgrade")
@friendly
@creates_database
def db_upgrade() -> None:
    """Appliquer les migrations (crée la base si besoin)."""
    from relais.migrate import upgrade

    upgrade(get_engine())
    console.print(t("cli.db_upgraded", url=_safe_url()), markup=False)


def _log_to_console() -> None:
    _french_logging()
    for chatty in ("apscheduler", "alembic.runtime.migration", "httpx"):
        logging.getLogger(chatty).setLevel(logging.WARNING)


@app.command("run")
@friendly
@creates_database
def run() -> None:
    """Démarrer Relais : migrations, bot, envois planifiés et pages web, dans un seul processus."""
    from relais.runtime import serve

    settings = get_settings()
    if not _port_free(settings.web_host, settings.web_port):
        raise fail(t("cli.port_busy", host=settings.web_host, port=settings.web_port), 4)
    _log_to_console()
    console.print(t("cli.run_starting", url=_safe_url()), markup=False)
    asyncio.run(serve(get_settings()))
    console.print(t("cli.run_stopped"), markup=False)


@app.command("worker")
@friendly
def worker() -> None:
    """Envoyer seulement (e-mails et messages Telegram en file) : plusieurs peuvent tourner à la fois."""
    from relais.runtime import WORKER, serve

    _log_to_console()
    console.print(t("cli.worker_starting", url=_safe_url()), markup=False)
    asyncio.run(serve(get_settings(), kind=WORKER))
    console.print(t("cli.run_stopped"), markup=False)


@app.command("demo")
@friendly
@creates_database
def demo(
    remove: bool = typer.Option(
        False, "--supprimer", help="Supprimer exactement les données ajoutées par la démonstration."
    ),
) -> None:
    """Créer des données de démonstration (refusé en production ou sur une base réelle)."""
    from relais.db import session_scope
    from relais.demo.services import load_demo, refusal, remove_demo

    with session_scope() as session:
        if remove:
            console.print(t("cli.demo_removed", count=remove_demo(session)), markup=False)
            return
        reason = refusal(session, get_settings().environment)
        if reason is not None:
            raise fail(reason)
        created = load_demo(session)
    console.print(t("cli.demo_done"), markup=False)
    for line in created:
        console.print(line, markup=False)


def main() -> None:
    """The ``relais`` command: the typer app with its own words in French (see french.py)."""
    app(prog_name="relais")
