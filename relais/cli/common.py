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
            from relais.db import get_engine
            from relais.migrate import upgrade_if_needed
            from relais.plugins import subscribe_all

            upgrade_if_needed(get_engine())  # a fresh or older database is brought up to date
            signals.load_subscribers_with(subscribe_all)
            return function(*args, **kwargs)
        except SettingsError as error:
            raise fail(str(error), 2) from None
        except DomainError as error:
            raise fail(error.message) from None
        except (OperationalError, InterfaceError):
            raise fail(t("cli.database_unreachable", url=_database_label()), 3) from None

    return wrapper  # type: ignore[return-value]


def _database_label() -> str:
    """The database address without its password, to say which one could not be reached."""
    from sqlalchemy.engine import make_url

    return make_url(get_settings().database_url).render_as_string(hide_password=True)
