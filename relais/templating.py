"""The Jinja2 environment every channel renders its French text from.

Words live in ``templates/`` so a CRPV can reword without touching code
(design rule 4). Channels pick their own autoescaping: HTML e-mails and
Telegram's HTML mode escape, plain-text parts do not.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from relais import elision, timefmt

TEMPLATES_DIR = Path(
    os.environ.get("RELAIS_TEMPLATES_DIR", Path(__file__).resolve().parent.parent / "templates")
)


#: A template edited on disk is picked up within this many seconds, without a restart.
FRESHNESS_SECONDS = 2.0


class _Loader(FileSystemLoader):
    """Jinja's file loader, looking at a template's date at most every few seconds.

    Jinja checks the file's date at every render otherwise: one system call per
    template per page, which a busy web page pays for on every request.
    """

    def get_source(
        self, environment: Environment, template: str
    ) -> tuple[str, str, Callable[[], bool]]:
        source, filename, uptodate = super().get_source(environment, template)
        checked = [time.monotonic()]

        def fresh() -> bool:
            now = time.monotonic()
            if now - checked[0] < FRESHNESS_SECONDS:
                return True
            checked[0] = now
            return bool(uptodate())

        return source, filename, fresh


NBSP = "\u00a0"
NNBSP = "\u202f"
#: French typography: a space that may not break inside « » and before : ; ! ?
#: (narrow for guillemets and ; ! ?, a full one before a colon).
_SPACING = [
    (re.compile(r"« +"), "«" + NNBSP),
    (re.compile(r" +»"), NNBSP + "»"),
    (re.compile(r" +:(?=\s|$|<)"), NBSP + ":"),
    (re.compile(r" +([;!?])(?=\s|$|[»<.)])"), NNBSP + r"\1"),
]
_TEXT_NODE = re.compile(r">([^<]+)<")


def french_spacing(text: str) -> str:
    """Plain text with non-breaking spaces where French typography wants them, so that
    « à « », a lone « : » or « ? » never end or begin a line on a narrow screen."""
    for pattern, replacement in _SPACING:
        text = pattern.sub(replacement, text)
    return text


def french_spacing_html(html: str) -> str:
    """:func:`french_spacing` in the text between tags only: attributes, and so the values
    typed back into a form, are left exactly as they are."""
    return _TEXT_NODE.sub(lambda found: ">" + french_spacing(found.group(1)) + "<", html)


def _add_filters(env: Environment) -> Environment:
    env.filters["date_fr"] = timefmt.format_datetime
    env.filters["day_fr"] = timefmt.format_date
    env.filters["time_fr"] = timefmt.format_time
    env.filters["range_fr"] = timefmt.format_range
    env.filters["number_fr"] = timefmt.format_number
    env.filters["de"] = elision.de
    return env


@lru_cache(maxsize=1)
def text_environment() -> Environment:
    """For plain text: CLI output, text e-mail parts, the message catalogue."""
    env = Environment(
        loader=_Loader(TEMPLATES_DIR),
        autoescape=False,
        undefined=StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return _add_filters(env)


@lru_cache(maxsize=1)
def html_environment() -> Environment:
    """For HTML: e-mail bodies, web pages and Telegram's HTML parse mode."""
    env = Environment(
        loader=_Loader(TEMPLATES_DIR),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return _add_filters(env)


def render_text(name: str, **context: object) -> str:
    return text_environment().get_template(name).render(**context)


def render_html(name: str, **context: object) -> str:
    return html_environment().get_template(name).render(**context)
