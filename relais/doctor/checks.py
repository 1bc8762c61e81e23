"""The core's checks (database, secret, disk, web listener, public address, sender's DNS)
and the runner.

Channels add theirs (SMTP, Telegram) with an async ``doctor(settings)`` function in
their plugin module (see :mod:`relais.plugins`). A check never raises: whatever
goes wrong becomes a failed line saying what to do, so supervision gets an
exit code and the operator a list, not a traceback.
"""

from __future__ import annotations

import asyncio
import enum
import ipaddress
import json
import shutil
import urllib.error
import urllib.request
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from email.utils import parseaddr
from pathlib import Path

from relais.i18n import t
from relais.settings import Settings

FREE_SPACE_FAILURE = 500 * 1024**2
FREE_SPACE_WARNING = 2 * 1024**3
TIMEOUT = 5.0


class Status(enum.StrEnum):
    OK = "ok"
    WARNING = "warning"
    FAILURE = "failure"


@dataclass(frozen=True)
class Check:
    """One line of the report: what was checked, what was found, what to do."""

    status: Status
    label: str
    found: str
    todo: str = ""

    def line(self) -> str:
        return t(
            "doctor.line",
            status=str(self.status),
            label=self.label,
            found=self.found,
            todo=self.todo,
        )


def ok(label_key: str, found: str) -> Check:
    return Check(Status.OK, t(f"doctor.labels.{label_key}"), found)


def warning(label_key: str, found: str, todo: str = "") -> Check:
    return Check(Status.WARNING, t(f"doctor.labels.{label_key}"), found, todo)


def failure(label_key: str, found: str, todo: str = "") -> Check:
    return Check(Status.FAILURE, t(f"doctor.labels.{label_key}"), found, todo)


def database(settings: Settings) -> list[Check]:
    """Reachable, and at the migrations' head (without creating anything)."""
    from alembic.script import ScriptDirectory

    from relais.db import get_engine
    from relais.location import sqlite_file
    from relais.migrate import alembic_config, current_heads

    file = sqlite_file(settings.database_url)
    if file is not None and not file.exists():
        return [
            failure("database", t("doctor.db_missing", path=str(file)), t("doctor.db_missing_todo"))
        ]
    engine = get_engine()
    label = engine.url.render_as_string(hide_password=True)
    try:
        current = current_heads(engine)
    except Exception as error:
        return [
            failure(
                "database",
                t("doctor.db_unreachable", url=label, error=type(error).__name__),
                t("doctor.db_unreachable_todo"),
            )
        ]
    heads = set(ScriptDirectory.from_config(alembic_config(engine)).get_heads())
    if current != heads:
        return [failure("database", t("doctor.db_behind", url=label), t("doctor.db_behind_todo"))]
    return [ok("database", t("doctor.db_ok", url=label))]


def secret(settings: Settings) -> list[Check]:
    """``SECRET_KEY`` set, or a secret generated and kept in the database (``installation_secret``)."""
    if len(settings.secret_key) >= 16:
        return [ok("secret", t("doctor.secret_setting"))]
    if _secret_in_database(settings):
        return [ok("secret", t("doctor.secret_database"))]
    if settings.environment == "production":
        return [failure("secret", t("doctor.secret_missing"), t("doctor.secret_todo"))]
    return [warning("secret", t("doctor.secret_development"), t("doctor.secret_todo"))]


def _secret_in_database(settings: Settings) -> bool:
    import sqlalchemy as sa

    from relais.db import get_engine
    from relais.location import sqlite_file

    file = sqlite_file(settings.database_url)
    if file is not None and not file.exists():
        return False  # connecting would create an empty database
    try:
        with get_engine().connect() as connection:
            if not sa.inspect(connection).has_table("installation_secret"):
                return False
            return (
                connection.execute(sa.text("SELECT 1 FROM installation_secret LIMIT 1")).first()
                is not None
            )
    except Exception:
        return False


def disk(settings: Settings, folders: Iterable[Path]) -> list[Check]:
    """Free space where the database, the outbox and the backups are written."""
    from relais.location import sqlite_file

    places = [*folders, settings.mail_outbox_dir, settings.backup_dir]
    file = sqlite_file(settings.database_url)
    if file is not None:
        places.append(file.parent)
    existing = {_existing_parent(place) for place in places}
    lowest = min(existing, key=lambda place: shutil.disk_usage(place).free)
    free = shutil.disk_usage(lowest).free
    found = t("doctor.disk_free", size=f"{free / 1024**3:.1f}".replace(".", ","), path=str(lowest))
    if free < FREE_SPACE_FAILURE:
        return [failure("disk", found, t("doctor.disk_todo"))]
    if free < FREE_SPACE_WARNING:
        return [warning("disk", found, t("doctor.disk_todo"))]
    return [ok("disk", found)]


def _existing_parent(path: Path) -> Path:
    path = path.resolve()
    while not path.exists():
        path = path.parent
    return path


BACKUP_MAX_AGE_HOURS = 36


def backups(settings: Settings) -> list[Check]:
    """The newest backup is recent: the nightly timer runs and its files land where expected.

    Outside production (a developer's clone) there is no timer to check: the advice
    is then the plain command, not ``sudo`` and ``systemctl``.
    """
    import time

    production = settings.environment == "production"
    todo = t("doctor.backups_todo" if production else "doctor.backups_todo_dev")
    folder = settings.backup_dir
    files = (
        [*folder.glob("relais-*.sqlite"), *folder.glob("relais-*.dump")] if folder.is_dir() else []
    )
    if not files:
        return [warning("backups", t("doctor.backups_none", folder=str(folder)), todo)]
    newest = max(files, key=lambda path: path.stat().st_mtime)
    hours = (time.time() - newest.stat().st_mtime) / 3600
    found = t("doctor.backups_age", hours=int(hours), path=str(newest))
    if hours <= BACKUP_MAX_AGE_HOURS:
        return [ok("backups", found)]
    return [(failure if production else warning)("backups", found, todo)]


def web_listener(settings: Settings) -> list[Check]:
    """The web server listens on loopback only, behind Caddy or nginx.

    The embedded uvicorn (with ``httptools``) takes request headers of any size
    and waits for slow ones without end: only the proxy limits them and times
    them out, so the pages must not be reachable without it."""
    where = f"{settings.web_host}:{settings.web_port}"
    if _loopback(settings.web_host):
        return [ok("web", t("doctor.web_loopback", where=where))]
    return [warning("web", t("doctor.web_exposed", where=where), t("doctor.web_exposed_todo"))]


def _loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def public_address(settings: Settings) -> list[Check]:
    """``PUBLIC_BASE_URL/healthz`` answers, as the links in e-mails need it to."""
    url = f"{settings.public_base_url}/healthz"
    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT) as response:
            body = json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as error:
        return [
            failure(
                "public",
                t("doctor.public_status", url=url, status=error.code),
                t("doctor.public_todo"),
            )
        ]
    except (OSError, ValueError) as error:
        reason = getattr(error, "reason", error)
        return [
            failure(
                "public",
                t("doctor.public_unreachable", url=url, error=str(reason)),
                t("doctor.public_todo"),
            )
        ]
    if body.get("status") != "ok":
        return [
            failure(
                "public", t("doctor.public_status", url=url, status=body), t("doctor.public_todo")
            )
        ]
    if settings.environment == "production" and not url.startswith("https://"):
        return [warning("public", t("doctor.public_ok", url=url), t("doctor.public_https_todo"))]
    return [ok("public", t("doctor.public_ok", url=url))]


Resolver = Callable[[str], list[str]]


def dns_txt(name: str) -> list[str]:
    """The TXT records of ``name`` (empty when there is none); raises when DNS cannot answer."""
    import dns.resolver

    resolver = dns.resolver.Resolver()
    resolver.lifetime = TIMEOUT
    try:
        answer = resolver.resolve(name, "TXT")
    except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer):
        return []
    return [b"".join(record.strings).decode(errors="replace") for record in answer]


def sender_domain(settings: Settings, resolve: Resolver = dns_txt) -> list[Check]:
    """SPF, DKIM and DMARC of the sender's domain: without them Gmail and Outlook file mail as spam."""
    domain = parseaddr(settings.mail_from)[1].rpartition("@")[2].lower()
    if "." not in domain or domain.endswith((".local", ".localhost", ".test")):
        return [warning("dns", t("doctor.dns_local", domain=domain), t("doctor.dns_local_todo"))]
    try:
        spf = [r for r in resolve(domain) if r.lower().startswith("v=spf1")]
        dmarc = [r for r in resolve(f"_dmarc.{domain}") if r.lower().startswith("v=dmarc1")]
        dkim = (
            resolve(f"{settings.dkim_selector}._domainkey.{domain}")
            if settings.dkim_selector
            else None
        )
    except Exception as error:
        return [
            warning(
                "dns",
                t("doctor.dns_unreachable", domain=domain, error=type(error).__name__),
                t("doctor.dns_unreachable_todo"),
            )
        ]
    checks = [
        ok("spf", spf[0])
        if spf
        else failure("spf", t("doctor.spf_missing", domain=domain), t("doctor.spf_todo")),
        ok("dmarc", dmarc[0])
        if dmarc
        else failure("dmarc", t("doctor.dmarc_missing", domain=domain), t("doctor.dmarc_todo")),
    ]
    if dkim is None:
        checks.append(warning("dkim", t("doctor.dkim_no_selector"), t("doctor.dkim_selector_todo")))
    elif any("p=" in record for record in dkim):
        checks.append(
            ok("dkim", t("doctor.dkim_ok", name=f"{settings.dkim_selector}._domainkey.{domain}"))
        )
    else:
        checks.append(
            failure(
                "dkim",
                t("doctor.dkim_missing", name=f"{settings.dkim_selector}._domainkey.{domain}"),
                t("doctor.dkim_todo"),
            )
        )
    return checks


ChannelCheck = Callable[[Settings], Awaitable[list[Check]]]


async def run_all(settings: Settings, home: Path) -> list[Check]:
    """Every check, in the order an operator fixes things; none may stop the others."""
    from relais.plugins import plugins

    results: list[Check] = []
    results += await _guarded("database", asyncio.to_thread(database, settings))
    results += await _guarded("secret", asyncio.to_thread(secret, settings))
    results += await _guarded("disk", asyncio.to_thread(disk, settings, [home]))
    results += await _guarded("backups", asyncio.to_thread(backups, settings))
    for plugin in plugins():
        channel_check: ChannelCheck | None = plugin.attr("doctor")
        if channel_check is not None:
            results += await _guarded(plugin.name, channel_check(settings))
    results += await _guarded("dns", asyncio.to_thread(sender_domain, settings))
    results += await _guarded("web", asyncio.to_thread(web_listener, settings))
    results += await _guarded("public", asyncio.to_thread(public_address, settings))
    return results


async def _guarded(label_key: str, pending: Awaitable[list[Check]]) -> list[Check]:
    try:
        return await pending
    except Exception as error:
        label = t(f"doctor.labels.{label_key}") if label_key in _LABELS else label_key
        return [
            Check(
                Status.FAILURE, label, t("doctor.crashed", error=f"{type(error).__name__}: {error}")
            )
        ]


_LABELS = {"database", "secret", "disk", "backups", "dns", "web", "public"}
