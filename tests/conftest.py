"""Fixtures: every database test runs on SQLite and, when reachable, on PostgreSQL.

Each run migrates a private SQLite template and a private PostgreSQL schema
once (with the real Alembic migrations); each test then gets a fresh copy of
the SQLite file or an emptied schema, and the process-wide settings and engine
are pointed at it.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

import wiring
from web import pagecache


def _own_settings() -> None:
    """Tests run with settings of their own, whatever the machine's ``.env`` and environment say.

    An operator's ``PUBLIC_BASE_URL`` or ``SECRET_KEY`` would change links and
    signatures that tests compare: every variable Relais reads is dropped from
    this process's environment (and so from the commands tests start), and no
    ``.env`` file is read in this process. Tests set what they need themselves.
    """
    from relais.settings import Settings

    for name in Settings.model_fields:
        os.environ.pop(name.upper(), None)
    Settings.model_config["env_file"] = None
    os.environ["ENVIRONMENT"] = "test"
    os.environ["TIMEZONE"] = "Europe/Paris"
    # Not the defaults (no bot; an address derived from WEB_PORT): the bot and the address
    # the links of the golden files were written with. Tests of the defaults remove them.
    os.environ["TELEGRAM_BOT_USERNAME"] = "RelaisCRPVBot"
    os.environ["PUBLIC_BASE_URL"] = "http://localhost:8080"
    # Nor the checkout's .env or /etc/relais (see relais.location): a home of their own.
    os.environ["RELAIS_HOME"] = tempfile.mkdtemp(prefix="relais-tests-home-")


_own_settings()
wiring.install()  # the channels, as the `relais` command hands them to the core

PG_BASE = os.environ.get("RELAIS_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
REFERENCE_TABLES = {"theme", "profile", "structure_type", "departement", "alembic_version"}


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    """In CI (``CI`` set) a skipped test is an error: what it checks was not checked.

    ``.ci/run`` installs what the tests need (PostgreSQL, Chromium…); a skip
    there means an install step is missing, not that the test may pass.
    """
    outcome = yield
    report = outcome.get_result()  # type: ignore[attr-defined]
    if os.environ.get("CI") and report.skipped and not hasattr(report, "wasxfail"):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else report.longrepr
        report.outcome = "failed"
        report.longrepr = f"skipped in CI, which must run every test: {reason}"


def _pg_reachable() -> str | None:
    try:
        engine = sa.create_engine(PG_BASE, connect_args={"connect_timeout": 3})
        with engine.connect() as connection:
            connection.execute(sa.text("select 1"))
        engine.dispose()
    except Exception as error:  # any failure means: skip, and say why
        return f"PostgreSQL injoignable ({PG_BASE}): {type(error).__name__}"
    return None


PG_SKIP_REASON = _pg_reachable()


GOLDEN = Path(__file__).resolve().parent / "golden"


def assert_golden(name: str, actual: str) -> None:
    """Compare ``actual`` with ``tests/golden/<name>``, exactly.

    A missing file fails: a test whose expected text was never reviewed
    proves nothing. ``UPDATE_GOLDEN=1`` writes the files, and the wording
    change is then a diff to review.
    """
    path = GOLDEN / name
    if os.environ.get("UPDATE_GOLDEN") == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(actual, encoding="utf-8")
    if not path.exists():
        pytest.fail(f"golden file {path} is missing: write it with UPDATE_GOLDEN=1, then review it")
    assert actual == path.read_text(encoding="utf-8"), f"differs from {path}"


def reset_caches() -> None:
    from relais.db import get_engine
    from relais.keys.services import clear_cache
    from relais.settings import get_settings

    with contextlib.suppress(Exception):
        get_engine().dispose()
    get_engine.cache_clear()
    get_settings.cache_clear()
    clear_cache()
    pagecache.clear()  # the pages kept rendered show the previous test's database


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from relais.db import make_engine
    from relais.migrate import upgrade

    path = tmp_path_factory.mktemp("template") / "template.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()
    return path


@pytest.fixture(scope="session")
def pg_schema_url() -> Iterator[str]:
    if PG_SKIP_REASON:
        pytest.skip(PG_SKIP_REASON)
    from relais.db import make_engine
    from relais.migrate import upgrade

    schema = f"relais_test_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(PG_BASE, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    url = f"{PG_BASE}?options=-csearch_path%3D{schema}"
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    try:
        yield url
    finally:
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def _empty_pg(url: str) -> None:
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        tables = [
            name for name in sa.inspect(connection).get_table_names()
            if name not in REFERENCE_TABLES
        ]  # fmt: skip
        if tables:
            quoted = ", ".join(f'"{name}"' for name in tables)
            connection.execute(sa.text(f"TRUNCATE {quoted} RESTART IDENTITY CASCADE"))
    engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    sqlite_template: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[str]:
    """A migrated, empty database, configured as the process's DATABASE_URL."""
    if request.param == "sqlite":
        path = tmp_path / "relais.db"
        shutil.copy(sqlite_template, path)
        url = f"sqlite:///{path}"
    else:
        url = request.getfixturevalue("pg_schema_url")
        _empty_pg(url)
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("MAIL_OUTBOX_DIR", str(tmp_path / "outbox"))
    monkeypatch.chdir(tmp_path)
    reset_caches()
    yield url
    reset_caches()


@pytest.fixture
def engine(db_url: str) -> Engine:
    from relais.db import get_engine

    return get_engine()


@pytest.fixture
def session(engine: Engine) -> Iterator[sa.orm.Session]:
    from sqlmodel import Session

    with Session(engine, expire_on_commit=False) as session:
        yield session
