"""Signed survey links: whoever holds the link may answer for that person and session.

The token carries the two ids and an HMAC of them under the installation key (:mod:`relais.keys`), so it
cannot be forged or moved to another person; no table needed.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

from sqlmodel import Session

from relais import identifiers
from relais.errors import InvalidInput
from relais.keys.services import signing_key
from relais.registrations.models import Registration
from relais.settings import get_settings

PURPOSE = b"relais-satisfaction:"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _signature(payload: str) -> str:
    digest = hmac.new(signing_key(), PURPOSE + payload.encode(), hashlib.sha256)
    return _b64(digest.digest()[:16])


def make(event_id: int, person_id: int) -> str:
    payload = f"{event_id}.{person_id}"
    return f"{payload}.{_signature(payload)}"


def read(token: str) -> tuple[int, int]:
    """(event_id, person_id) of a genuine token; InvalidInput otherwise."""
    parts = token.strip().split(".")
    ids = [identifiers.parse(part, minimum=1) for part in parts[:2]]
    if len(parts) == 3 and None not in ids:
        payload = f"{parts[0]}.{parts[1]}"
        try:
            genuine = hmac.compare_digest(_unb64(parts[2]), _unb64(_signature(payload)))
        except ValueError:
            genuine = False
        if genuine:
            return int(parts[0]), int(parts[1])
    raise InvalidInput("presence.token_invalid")


def _registration_signature(registration_id: int) -> str:
    key = signing_key()
    return hmac.new(key, f"satisfaction:{registration_id}".encode(), hashlib.sha256).hexdigest()[
        :24
    ]


def registration_token(registration_id: int) -> str:
    """The follow-up e-mail's ``<registration id>.<hex signature>`` survey token."""
    return f"{registration_id}.{_registration_signature(registration_id)}"


def resolve(session: Session, token: str) -> tuple[int, int]:
    """(event_id, person_id) of a survey link, in either format.

    Besides :func:`make`'s ``<event>.<person>.<signature>``, the follow-up
    e-mail's ``<registration id>.<hex signature>`` links are accepted.
    """
    parts = token.strip().split(".")
    registration_id = identifiers.parse(parts[0], minimum=1)
    if len(parts) == 2 and registration_id is not None:
        expected = _registration_signature(registration_id)
        if hmac.compare_digest(parts[1].encode(), expected.encode()):
            registration = session.get(Registration, registration_id)
            if registration is not None:
                return registration.event_id, registration.person_id
        raise InvalidInput("presence.token_invalid")
    return read(token)


def answer_url(event_id: int, person_id: int, rating: int | None = None) -> str:
    """The web page where the survey is answered (a rating pre-selected from an e-mail button)."""
    base = get_settings().public_base_url
    query = f"?note={rating}" if rating is not None else ""
    return f"{base}/satisfaction/{make(event_id, person_id)}{query}"
