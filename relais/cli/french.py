"""The command line's own words in French.

typer prints its help screens and usage errors in English (« Missing
argument », « Show this message and exit. »). A coordinator who mistypes a
command must read French like everywhere else, so this module re-words them
from ``templates/toolkit/click.fr.yaml``: panel titles and the help option
when the help is built, usage errors when they are shown.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

import typer.core
import typer.rich_utils
from typer._click import core as click_core
from typer._click import formatting

from relais.templating import TEMPLATES_DIR

TYPER_CONSTANTS = (
    "ARGUMENTS_PANEL_TITLE", "OPTIONS_PANEL_TITLE", "COMMANDS_PANEL_TITLE",
    "ERRORS_PANEL_TITLE", "ABORTED_TEXT", "DEFAULT_STRING", "REQUIRED_LONG_STRING",
    "DEPRECATED_STRING", "RICH_HELP",
)  # fmt: skip


@lru_cache(maxsize=1)
def _catalogue() -> dict[str, Any]:
    import yaml

    path = TEMPLATES_DIR / "toolkit" / "click.fr.yaml"
    return dict(yaml.safe_load(path.read_text(encoding="utf-8")) or {})


def gettext(message: str) -> str:
    return str(_catalogue()["words"].get(message, message))


def translate_error(message: str) -> str:
    """A usage error's English sentence, re-worded with the catalogue's patterns."""
    for pattern, french in _catalogue()["errors"].items():
        message = re.sub(pattern, french, message)
    return message


def install() -> None:
    """Re-word typer's panels, help option, usage line and error messages."""
    typer.core._ = gettext  # type: ignore[attr-defined]
    typer.rich_utils._ = gettext  # type: ignore[attr-defined]
    for constant in TYPER_CONSTANTS:
        setattr(typer.rich_utils, constant, gettext(getattr(typer.rich_utils, constant)))
    _reword_help_option()
    _reword_value_types()
    _reword_usage_prefix()
    _reword_usage_errors()


def _reword_help_option() -> None:
    original = click_core.Command.get_help_option

    def get_help_option(self: Any, ctx: Any) -> Any:
        option = original(self, ctx)
        if option is not None:
            option.help = gettext("Show this message and exit.")
        return option

    click_core.Command.get_help_option = get_help_option  # type: ignore[method-assign]


def value_type(shown: str | None, *, flag: bool) -> str | None:
    """« <str> » means nothing to a coordinator: the kind of value in French, none for a flag."""
    if flag or shown is None:
        return None
    words: dict[str, str] = _catalogue()["types"]
    inner = shown.strip("<>")
    return f"<{words.get(inner, inner)}>" if shown.startswith("<") else shown


def _reword_value_types() -> None:
    for parameter in (typer.core.TyperOption, typer.core.TyperArgument):
        original = parameter.display_type_rich

        def display_type_rich(self: Any, ctx: Any, original: Any = original) -> str | None:
            return value_type(original(self, ctx), flag=bool(getattr(self, "is_flag", False)))

        parameter.display_type_rich = display_type_rich  # type: ignore[method-assign]


def _reword_usage_prefix() -> None:
    original = formatting.HelpFormatter.write_usage

    def write_usage(self: Any, prog: str, args: str = "", prefix: str | None = None) -> None:
        original(self, prog, args, gettext("Usage: ") if prefix is None else prefix)

    formatting.HelpFormatter.write_usage = write_usage  # type: ignore[method-assign]


def _reword_usage_errors() -> None:
    original = typer.rich_utils.rich_format_error

    def rich_format_error(self: Any) -> None:
        self.message = translate_error(self.format_message())
        self.format_message = lambda: self.message
        original(self)

    typer.rich_utils.rich_format_error = rich_format_error
