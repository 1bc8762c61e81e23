"""Short French sentences (errors, refusals, command-line lines) by key.

They live in ``templates/messages/*.yaml`` as Jinja2 strings (``fr.yaml`` for
the core, one file per channel), next to the longer templates, so every
sentence a person reads can be reworded without touching code.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import yaml
from jinja2 import Template

from relais.templating import TEMPLATES_DIR, text_environment

#: Under a list's key, the entry that holds how many items it has.
LENGTH = "count"


@lru_cache(maxsize=1)
def _catalogue() -> dict[str, Template]:
    env = text_environment()
    catalogue: dict[str, Template] = {}
    for path in sorted((TEMPLATES_DIR / "messages").glob("*.yaml")):
        raw: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for key, value in _flatten(raw).items():
            if key in catalogue:
                raise KeyError(f"message key {key} defined twice ({path.name})")
            catalogue[key] = env.from_string(value)
    return catalogue


def _flatten(tree: dict[str, Any], prefix: str = "") -> dict[str, str]:
    """Nested keys as dotted names; a list (a table's column headings) keeps one key per item."""
    flat: dict[str, str] = {}
    for key, value in tree.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(_flatten(value, name + "."))
        elif isinstance(value, list):
            flat.update({f"{name}.{index}": str(item) for index, item in enumerate(value)})
            flat[f"{name}.{LENGTH}"] = str(len(value))
        else:
            flat[name] = str(value)
    return flat


def t(key: str, **context: object) -> str:
    """Render the French sentence ``key``; a missing key is a bug, so it raises."""
    return _catalogue()[key].render(**context).strip()


def columns(key: str, **context: object) -> list[str]:
    """The headings of a table, written in the YAML as a list under ``key``."""
    count = int(t(f"{key}.{LENGTH}"))
    return [t(f"{key}.{index}", **context) for index in range(count)]


def has(key: str) -> bool:
    return key in _catalogue()


def validation_reason(item: Any) -> str:
    """A pydantic error (one item of ``ValidationError.errors()``) as a French phrase."""
    kind = item.get("type", "")
    if kind == "value_error":
        return str(item.get("ctx", {}).get("error", item.get("msg", "")))
    context = {k: v for k, v in item.get("ctx", {}).items() if k != "error"}
    if has(f"validation.{kind}"):
        return t(f"validation.{kind}", **context)
    return t("validation.invalid")


def os_reason(error: OSError | UnicodeDecodeError) -> str:
    """Why a file could not be read or written, in French (the system's words are English)."""
    if isinstance(error, UnicodeDecodeError):
        return t("files.not_text")
    for kind, key in (
        (FileNotFoundError, "files.not_found"),
        (IsADirectoryError, "files.is_directory"),
        (PermissionError, "files.forbidden"),
    ):
        if isinstance(error, kind):
            return t(key)
    return t("files.unreadable")
