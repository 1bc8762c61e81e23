"""The receiving server's verdict on a message (``Authentication-Results``, RFC 8601).

Only a header stamped by a trusted ``authserv-id`` counts, and only the topmost
such header (the one our own server added last): anything below it may have
been written by the sender. A verdict passes when DMARC passed for the
attendee's domain, or SPF or DKIM passed for a domain aligned with it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from email.message import Message

_COMMENT = re.compile(r"\([^()]*\)")
_RESULT = re.compile(r"^\s*([a-z0-9-]+)\s*=\s*([a-z]+)", re.IGNORECASE)
_PROPERTY = re.compile(r"([a-z0-9-]+\.[a-z0-9-]+)\s*=\s*(\"[^\"]*\"|[^\s;]+)", re.IGNORECASE)


@dataclass(frozen=True)
class Check:
    method: str
    result: str
    properties: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Verdict:
    authserv_id: str
    checks: tuple[Check, ...]


def parse(value: str) -> Verdict:
    """One header value: ``authserv-id [version]; method=result prop=value; …``."""
    text = " ".join(_COMMENT.sub(" ", str(value)).split())
    head, *parts = text.split(";")
    checks: list[Check] = []
    for part in parts:
        found = _RESULT.match(part)
        if found is None:
            continue
        properties = {
            name.lower(): raw.strip('"').lower()
            for name, raw in _PROPERTY.findall(part[found.end() :])
        }
        checks.append(Check(found.group(1).lower(), found.group(2).lower(), properties))
    return Verdict(head.strip().split(" ")[0].lower(), tuple(checks))


def trusted_verdict(message: Message, trusted_ids: list[str]) -> Verdict | None:
    """The topmost verdict stamped by one of ``trusted_ids``, or None."""
    wanted = {item.strip().lower() for item in trusted_ids if item.strip()}
    for value in message.get_all("Authentication-Results") or []:
        verdict = parse(str(value))
        if verdict.authserv_id in wanted:
            return verdict
    return None


def domain_of(address: str) -> str:
    return address.rpartition("@")[2].strip().lower().rstrip(".")


def aligned(domain: str, other: str) -> bool:
    """Relaxed alignment: the same domain, or one a subdomain of the other."""
    if not domain or not other:
        return False
    return domain == other or domain.endswith("." + other) or other.endswith("." + domain)


def _domain_property(check: Check, *names: str) -> str:
    for name in names:
        value = check.properties.get(name, "")
        if value:
            return domain_of(value) if "@" in value else value.rstrip(".")
    return ""


def passes_for(verdict: Verdict | None, address: str) -> bool:
    """Whether the server vouched that ``address``'s domain really sent the message."""
    if verdict is None:
        return False
    domain = domain_of(address)
    for check in verdict.checks:
        if check.result != "pass":
            continue
        if check.method == "dmarc" and aligned(_domain_property(check, "header.from"), domain):
            return True
        if check.method == "spf" and aligned(_domain_property(check, "smtp.mailfrom"), domain):
            return True
        if check.method == "dkim" and aligned(
            _domain_property(check, "header.d", "header.i"), domain
        ):
            return True
    return False
