"""``relais backup`` and ``relais restore``: one file per backup, restorable on a new server.

SQLite is copied with its online backup API (consistent while Relais runs);
PostgreSQL with ``pg_dump -Fc`` of the schema Relais uses. The database carries
the installation's generated secret; the settings file (``SECRET_KEY``, SMTP
password) is copied next to it. Backups hold personal data: files are mode 600.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Engine, make_url

from relais.errors import DomainError
from relais.location import sqlite_file

SQLITE_MAGIC = b"SQLite format 3\x00"
PG_MAGIC = b"PGDMP"
PREFIX = "relais-"
#: Tables filled by the migrations themselves: a database holding only them is empty.
SEEDED = {"alembic_version", "theme", "profile", "departement"}


class BackupError(DomainError):
    """A backup or a restore that cannot be done; the message says what to do, in French."""


@dataclass(frozen=True)
class Written:
    database: Path
    settings: Path | None


def backup(engine: Engine, url: str, folder: Path, env_file: Path | None, keep: int) -> Written:
    """Write ``relais-AAAAMMJJ-HHMMSS.sqlite|.dump`` (and ``.env``), then keep the last ``keep``."""
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    file = sqlite_file(url)
    target = folder / f"{PREFIX}{stamp}.{'sqlite' if file else 'dump'}"
    partial = target.with_name(target.name + ".partiel")
    try:
        if file is not None:
            _sqlite_copy(file, partial)
        else:
            _pg_dump(engine, url, partial)
        partial.chmod(0o600)
        partial.replace(target)
    finally:
        partial.unlink(missing_ok=True)
    settings = None
    if env_file is not None and env_file.is_file():
        settings = folder / f"{PREFIX}{stamp}.env"
        shutil.copyfile(env_file, settings)
        settings.chmod(0o600)
    _prune(folder, keep)
    return Written(target, settings)


def _sqlite_copy(source: Path, target: Path) -> None:
    with sqlite3.connect(source) as origin, sqlite3.connect(target) as copy:
        origin.backup(copy)
    origin.close()
    copy.close()


def _libpq(url: str) -> tuple[str, dict[str, str]]:
    """A libpq URI without the password, which goes in PGPASSWORD (never on a command line)."""
    parsed = make_url(url)
    env = {**os.environ}
    if parsed.password:
        env["PGPASSWORD"] = str(parsed.password)
    plain = parsed.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), env


def _pg_tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupError("backup.pg_tool_missing", tool=name)
    return found


def _schema(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return connection.execute(sa.text("SELECT current_schema()")).scalar()


def _pg_dump(engine: Engine, url: str, target: Path) -> None:
    schema = _schema(engine) or "public"
    uri, env = _libpq(url)
    command = [_pg_tool("pg_dump"), "-Fc", "--no-owner", "--no-acl", "-n", schema]
    _run([*command, "-f", str(target), uri], env)


def _run(command: list[str], env: dict[str, str]) -> None:
    result = subprocess.run(command, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        last = (result.stderr.strip().splitlines() or ["?"])[-1]
        raise BackupError("backup.tool_failed", tool=Path(command[0]).name, error=last)


def _prune(folder: Path, keep: int) -> None:
    """Older backups beyond ``keep`` go (with their settings copy): the disk must not fill up."""
    stamps = sorted({path.name.split(".")[0] for path in folder.glob(f"{PREFIX}*.*")})
    for stamp in stamps[:-keep]:
        for path in folder.glob(f"{stamp}.*"):
            path.unlink()


def kind_of(file: Path) -> str:
    """``sqlite`` or ``postgresql``, read from the file's first bytes."""
    try:
        with file.open("rb") as stream:
            head = stream.read(len(SQLITE_MAGIC))
    except FileNotFoundError:
        raise BackupError("backup.not_found", file=str(file)) from None
    except IsADirectoryError:
        raise BackupError("backup.not_a_backup", file=str(file)) from None
    if head == SQLITE_MAGIC:
        return "sqlite"
    if head.startswith(PG_MAGIC):
        return "postgresql"
    raise BackupError("backup.not_a_backup", file=str(file))


def rows_held(engine: Engine) -> int:
    """How many tables hold rows besides those the migrations fill (0 = an empty database)."""
    with engine.connect() as connection:
        names = [n for n in sa.inspect(connection).get_table_names() if n not in SEEDED]
        return sum(
            1
            for name in names
            if connection.execute(sa.text(f'SELECT 1 FROM "{name}" LIMIT 1')).first()
        )


def restore(engine: Engine, url: str, file: Path, force: bool) -> None:
    """Replace the configured database's content with the backup's, refusing to lose data."""
    kind = kind_of(file)
    target = sqlite_file(url)
    if (kind == "sqlite") != (target is not None):
        raise BackupError("backup.kind_mismatch", file=str(file), kind=kind)
    if target is None or target.exists():
        filled = rows_held(engine)
        if filled and not force:
            raise BackupError("backup.not_empty", tables=filled)
    if target is not None:
        engine.dispose()
        with sqlite3.connect(file) as origin, sqlite3.connect(target) as copy:
            origin.backup(copy)
        origin.close()
        copy.close()
        return
    _pg_restore(engine, url, file)


def _pg_restore(engine: Engine, url: str, file: Path) -> None:
    listing = subprocess.run(
        [_pg_tool("pg_restore"), "-l", str(file)], capture_output=True, text=True
    ).stdout
    dumped = next((line.split()[-2] for line in listing.splitlines() if " SCHEMA - " in line), None)
    current = _schema(engine)
    engine.dispose()
    if dumped and current and dumped != current:
        raise BackupError("backup.schema_mismatch", dumped=dumped, current=current)
    uri, env = _libpq(url)
    command = [_pg_tool("pg_restore"), "--clean", "--if-exists", "--no-owner", "--no-acl"]
    _run([*command, "--single-transaction", "-d", uri, str(file)], env)
