"""Short French sentences (errors, refusals, command-line lines) by key.

They live in ``templates/messages/fr.yaml`` as Jinja2 strings, next to the
longer templates, so every sentence a person reads can be reworded without
touching code.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import yaml
from jinja2 import Template

from relais.templating import TEMPLATES_DIR, text_environment


@lru_cache(maxsize=1)
def _catalogue() -> dict[str, Template]:
    path = TEMPLATES_DIR / "messages" / "fr.yaml"
    raw: dict[str, str] = yaml.safe_load(path.read_text(encoding="utf-8"))
    env = text_environment()
    return {key: env.from_string(value) for key, value in _flatten(raw).items()}


def _flatten(tree: dict[str, Any], prefix: str = "") -> dict[str, str]:
    flat: dict[str, str] = {}
    for key, value in tree.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(_flatten(value, name + "."))
        else:
            flat[name] = str(value)
    return flat


def t(key: str, **context: object) -> str:
    """Render the French sentence ``key``; a missing key is a bug, so it raises."""
    return _catalogue()[key].render(**context).strip()


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
