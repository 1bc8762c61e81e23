"""Where an installation keeps its configuration, wherever ``relais`` is run from.

An operator who runs ``relais`` from another folder must reach the same
database as the service, not a new empty ``relais.db`` next to them. So the
settings file is looked for in this order, the first match wins:

1. ``RELAIS_CONFIG``: the path of a settings file, explicitly;
2. ``RELAIS_HOME``: an installation directory, its ``.env``;
3. the path written at install time in the virtual environment
   (``<venv>/relais-config``, see ``deploy/install.sh``);
4. the source checkout the command runs from (development install), its ``.env``;
5. ``/etc/relais/relais.env``;
6. the current directory's ``.env``.

The environment always overrides the file. The *home* (where a relative
SQLite path or outbox folder is resolved) is ``RELAIS_HOME`` when set (in the
environment or in the file), else the folder of the checkout or of the file.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path

from dotenv import dotenv_values

SYSTEM_CONFIG = Path("/etc/relais/relais.env")
MARKER_NAME = "relais-config"


@dataclass(frozen=True)
class Location:
    """The settings file chosen (``None`` when there is none) and the home folder."""

    env_file: Path | None
    home: Path
    reason: str


def locate() -> Location:
    """Apply the documented order; reading the environment and a few files only."""
    explicit = os.environ.get("RELAIS_CONFIG", "").strip()
    if explicit:
        path = Path(explicit).expanduser().resolve()
        return _with_home(path if path.is_file() else None, path.parent, "RELAIS_CONFIG")
    home = os.environ.get("RELAIS_HOME", "").strip()
    if home:
        folder = Path(home).expanduser().resolve()
        return _with_home(_existing(folder / ".env"), folder, "RELAIS_HOME")
    marker = Path(sys.prefix) / MARKER_NAME
    if marker.is_file():
        path = Path(marker.read_text(encoding="utf-8").strip())
        return _with_home(_existing(path), path.parent, str(marker))
    checkout = _source_checkout()
    if checkout is not None:
        return _with_home(_existing(checkout / ".env"), checkout, "checkout")
    if SYSTEM_CONFIG.is_file():
        return _with_home(SYSTEM_CONFIG, SYSTEM_CONFIG.parent, str(SYSTEM_CONFIG))
    cwd = Path.cwd()
    return _with_home(_existing(cwd / ".env"), cwd, "cwd")


def _existing(path: Path) -> Path | None:
    return path if path.is_file() else None


def _with_home(env_file: Path | None, default_home: Path, reason: str) -> Location:
    """``RELAIS_HOME`` written in the file (as the installer does) beats the file's folder."""
    home = os.environ.get("RELAIS_HOME", "").strip()
    if not home and env_file is not None:
        home = (dotenv_values(env_file).get("RELAIS_HOME") or "").strip()
    folder = Path(home).expanduser().resolve() if home else default_home
    return Location(env_file=env_file, home=folder, reason=reason)


def _source_checkout() -> Path | None:
    """The repository the code runs from, for a development (editable) install."""
    root = Path(__file__).resolve().parent.parent
    if (root / "pyproject.toml").is_file() and (root / "relais").is_dir():
        return root
    return None


def anchored_sqlite_url(url: str, home: Path) -> str:
    """``sqlite:///relais.db`` means ``<home>/relais.db``, not the current folder's."""
    prefix, _, path = url.partition(":///")
    if not url.startswith("sqlite") or not path or path.startswith((":memory:", "/")):
        return url
    return f"{prefix}:///{home / path}"


def sqlite_file(url: str) -> Path | None:
    """The file of a SQLite URL (``None`` for PostgreSQL or in-memory databases)."""
    if not url.startswith("sqlite"):
        return None
    path = url.partition(":///")[2].split("?", 1)[0]
    if not path or path.startswith(":memory:"):
        return None
    return Path(path)
