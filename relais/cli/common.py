"""What every command needs: settings checked, a session, French errors on one line."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

import typer
from rich.console import Console
from sqlalchemy.exc import InterfaceError, OperationalError

from relais.errors import DomainError
from relais.i18n import t
from relais.settings import SettingsError, get_settings

console = Console(highlight=False, soft_wrap=True)
err_console = Console(stderr=True, highlight=False, soft_wrap=True)

F = TypeVar("F", bound=Callable[..., Any])

CLI_ACTOR = "cli"


def fail(message: str, code: int = 1) -> typer.Exit:
    err_console.print(t("cli.error", message=message), markup=False)
    return typer.Exit(code)


def friendly(function: F) -> F:
    """Turn bad settings and domain errors into one French line and a non-zero exit."""

    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            get_settings()
            from relais import signals
            from relais.plugins import subscribe_all

            mode = getattr(function, CREATES_DATABASE, False)
            if mode != REPLACES_DATABASE:
                _database_ready(creates=bool(mode))
            signals.load_subscribers_with(subscribe_all)
            return function(*args, **kwargs)
        except SettingsError as error:
            raise fail(str(error), 2) from None
        except DomainError as error:
            raise fail(error.message) from None
        except (OperationalError, InterfaceError):
            raise fail(t("cli.database_unreachable", url=_database_label()), 3) from None

    return wrapper  # type: ignore[return-value]


def creates_database(function: F) -> F:
    """Mark a command allowed to create the database (``run``, ``db upgrade``, ``demo``…).

    Every other command refuses a missing or empty database and says which one
    it looked for: a new empty database is never created behind the operator's back.
    """
    setattr(function, CREATES_DATABASE, True)
    return function


def skips_database_check(function: F) -> F:
    """Mark a command that handles the database itself (``restore``, ``doctor``): no check first."""
    setattr(function, CREATES_DATABASE, REPLACES_DATABASE)
    return function


CREATES_DATABASE = "_relais_creates_database"
REPLACES_DATABASE = "replaces"


def _database_ready(creates: bool) -> None:
    """Bring an existing database up to date; create a missing one only when allowed."""
    from relais.db import get_engine
    from relais.location import sqlite_file
    from relais.migrate import current_heads, upgrade, upgrade_if_needed

    file = sqlite_file(get_settings().database_url)
    missing = file is not None and not file.exists()
    if missing and not creates:
        raise fail(t("cli.database_missing", path=str(file), config=config_label()), 3)
    if missing or not current_heads(get_engine()):
        if not creates:
            raise fail(t("cli.database_empty", url=_database_label(), config=config_label()), 3)
        console.print(t("cli.database_created", url=_database_label()), markup=False)
        upgrade(get_engine())
        return
    upgrade_if_needed(get_engine())  # an older database is brought up to date


def config_label() -> str:
    """Which settings file this command read, in French, to tell a wrong folder at once."""
    from relais.location import locate

    where = locate()
    if where.env_file is None:
        return t("cli.config_none", home=str(where.home))
    return t("cli.config_file", path=str(where.env_file))


def _database_label() -> str:
    """The database address without its password, to say which one could not be reached."""
    from sqlalchemy.engine import make_url

    return make_url(get_settings().database_url).render_as_string(hide_password=True)
