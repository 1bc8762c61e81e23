"""Handing one prepared message to the SMTP relay, or to a ``.eml`` file without one.

The answer is reduced to the engine's :class:`~relais.delivery.Result`: accepted, to retry (4xx, the
server unreachable) or failed (5xx), and whether the address itself is bad
(enhanced status 5.1.x; 5.7.x is a policy refusal, not the address's fault).
"""

from __future__ import annotations

import asyncio
import os
import re
import ssl
from dataclasses import dataclass
from pathlib import Path

import aiosmtplib

from relais.delivery import Result
from relais.settings import Settings

_ENHANCED = re.compile(r"\b([245])\.(\d{1,3})\.(\d{1,3})\b")

#: How a reply that is the relay's fault, not the message's, starts (``relais mail status``).
RELAY_PROBLEMS = {
    "auth": "authentification refusée :",
    "tls": "chiffrement TLS impossible :",
    "connection": "connexion :",
}

#: The stored answer for a message written to a ``.eml`` file: no path, since the
#: reply is shown to the person in their data export (``relais mail status`` too).
FILE_REPLY = "déposé dans le dossier d'envoi (aucun serveur SMTP réglé)"
#: How that answer started before, followed by the file's path on the server.
LEGACY_FILE_REPLY = "écrit dans "


def relay_problem(reply: str) -> str | None:
    """Which relay problem a stored reply tells (``auth``, ``tls``, ``connection``), if any."""
    for problem, prefix in RELAY_PROBLEMS.items():
        if reply.startswith(prefix):
            return problem
    return None


def _is_tls(error: BaseException) -> bool:
    """An SSL handshake failure, or a server that does not offer STARTTLS."""
    chain: BaseException | None = error
    while chain is not None:
        if isinstance(chain, ssl.SSLError) or re.search(r"\b(SSL|TLS|STARTTLS)\b", str(chain)):
            return True
        chain = chain.__cause__ or chain.__context__
    return False


def _relay_failure(prepared: Prepared, error: BaseException, detail: str) -> Result:
    """A failure of the relay itself: retried later, with its cause first."""
    if isinstance(error, aiosmtplib.SMTPAuthenticationError) or "AUTH" in str(error):
        problem = "auth"
    elif _is_tls(error):
        problem = "tls"
    else:
        problem = "connection"
    return to_retry(prepared, f"{RELAY_PROBLEMS[problem]} {detail}")


@dataclass(frozen=True)
class Prepared:
    """A claimed row turned into bytes, ready for the wire."""

    row_id: int
    sender: str
    to: str
    data: bytes

    @property
    def key(self) -> None:
        """No pacing per address: the overall rate is the relay's."""
        return None


def accepted(prepared: Prepared, reply: str) -> Result:
    return Result(prepared.row_id, True, reply[:500])


def to_retry(prepared: Prepared, reply: str) -> Result:
    return Result(prepared.row_id, False, reply[:500], retry=True)


def refused(prepared: Prepared, code: int, message: str) -> Result:
    """A negative SMTP reply: 4xx waits and retries, 5xx is final."""
    reply = f"{code} {message}".strip()[:500]
    if 400 <= code < 500:
        return to_retry(prepared, reply)
    enhanced = _ENHANCED.search(message)
    bad_address = enhanced is not None and enhanced.group(1, 2) == ("5", "1")
    return Result(prepared.row_id, False, reply, bad_address=bad_address, address=prepared.to)


class SmtpConnection:
    """One reused connection to the relay, reopened after any transport error."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.client: aiosmtplib.SMTP | None = None

    def _new_client(self) -> aiosmtplib.SMTP:
        security = self.settings.smtp_security
        return aiosmtplib.SMTP(
            hostname=self.settings.smtp_host,
            port=self.settings.smtp_port,
            timeout=self.settings.smtp_timeout,
            use_tls=security == "tls",
            start_tls=security == "starttls",
            username=self.settings.smtp_username or None,
            password=self.settings.smtp_password or None,
        )

    async def deliver(self, prepared: Prepared) -> tuple[Result, bool]:
        """The result, and whether the relay is reachable (False: stop sending for now)."""
        try:
            if self.client is None or not self.client.is_connected:
                self.client = self._new_client()
                await self.client.connect()
            errors, reply = await self.client.sendmail(
                prepared.sender, [prepared.to], prepared.data
            )
        except aiosmtplib.SMTPRecipientsRefused as error:
            first = error.recipients[0]
            return refused(prepared, first.code, first.message), True
        except aiosmtplib.SMTPAuthenticationError as error:
            await self.close()
            return _relay_failure(prepared, error, f"{error.code} {error.message}"), False
        except (aiosmtplib.SMTPServerDisconnected, aiosmtplib.SMTPConnectError) as error:
            await self.close()
            return _relay_failure(prepared, error, str(error)), False
        except aiosmtplib.SMTPResponseException as error:
            if error.code in (421, -1):
                await self.close()
                return to_retry(prepared, f"{error.code} {error.message}"), False
            return refused(prepared, error.code, error.message), True
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as error:
            await self.close()
            return _relay_failure(prepared, error, f"{type(error).__name__} {error}"), False
        refusal = errors.get(prepared.to)
        if refusal is not None:
            return refused(prepared, refusal.code, refusal.message), True
        return accepted(prepared, reply), True

    async def close(self) -> None:
        client, self.client = self.client, None
        if client is not None and client.is_connected:
            try:
                await asyncio.wait_for(client.quit(), timeout=5)
            except (aiosmtplib.SMTPException, OSError, TimeoutError):
                client.close()


class EmlFolder:
    """Without a relay (embedded default): each message becomes ``<id>.eml``, atomically."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    async def deliver(self, prepared: Prepared) -> tuple[Result, bool]:
        self.folder.mkdir(parents=True, exist_ok=True)
        final = self.folder / f"{prepared.row_id:08d}.eml"
        partial = final.with_suffix(".eml.part")
        partial.write_bytes(prepared.data)
        os.replace(partial, final)
        return accepted(prepared, FILE_REPLY), True

    async def close(self) -> None:
        return None
