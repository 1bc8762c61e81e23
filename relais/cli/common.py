"""What every command needs: settings checked, a session, French errors on one line."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

import typer
from rich.console import Console

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
            from relais.plugins import subscribe_all

            subscribe_all()
            return function(*args, **kwargs)
        except SettingsError as error:
            raise fail(str(error), 2) from None
        except DomainError as error:
            raise fail(error.message) from None

    return wrapper  # type: ignore[return-value]
