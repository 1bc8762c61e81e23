"""``relais doctor``'s SMTP line: the relay reachable, TLS and login accepted, nothing sent."""

from __future__ import annotations

import aiosmtplib

from relais.doctor.checks import Check, failure, ok, warning
from relais.i18n import t
from relais.settings import Settings

TIMEOUT = 10.0


async def doctor(settings: Settings) -> list[Check]:
    """Connect, EHLO, STARTTLS if configured, LOGIN if configured, QUIT: what sending needs."""
    if not settings.smtp_host:
        found = t("doctor.smtp_none", folder=str(settings.mail_outbox_dir))
        if settings.environment == "production":
            return [failure("smtp", found, t("doctor.smtp_none_todo"))]
        return [warning("smtp", found, t("doctor.smtp_none_todo"))]
    where = f"{settings.smtp_host}:{settings.smtp_port}"
    client = aiosmtplib.SMTP(
        hostname=settings.smtp_host, port=settings.smtp_port,
        timeout=min(settings.smtp_timeout, TIMEOUT), use_tls=settings.smtp_security == "tls",
        start_tls=False,
    )  # fmt: skip
    step = "connect"
    try:
        await client.connect()
        step = "ehlo"
        await client.ehlo()
        if settings.smtp_security == "starttls":
            step = "starttls"
            await client.starttls()
        if settings.smtp_username:
            step = "login"
            await client.login(settings.smtp_username, settings.smtp_password)
        await client.quit()
    except aiosmtplib.SMTPAuthenticationError as error:
        return [
            failure(
                "smtp",
                t("doctor.smtp_login_refused", where=where, code=error.code),
                t("doctor.smtp_login_todo"),
            )
        ]
    except (aiosmtplib.SMTPException, OSError, TimeoutError) as error:
        found = t(
            "doctor.smtp_failed", where=where, step=step, error=str(error) or type(error).__name__
        )
        return [
            failure(
                "smtp", found, t(f"doctor.smtp_{'tls' if step == 'starttls' else 'connect'}_todo")
            )
        ]
    finally:
        if client.is_connected:
            client.close()
    return [
        ok(
            "smtp",
            t(
                "doctor.smtp_ok",
                where=where,
                security=settings.smtp_security,
                login=bool(settings.smtp_username),
            ),
        )
    ]
