"""The back office on the real server: coordinators given a role by address, who sign in
by the mailed link exactly as a person would (form, e-mail through SMTP, button)."""

from __future__ import annotations

import re
from email.message import EmailMessage

import httpx
from sqlmodel import Session

from relais.networks import services as networks
from relais.networks.models import Network
from relais.roles import services as roles
from relais.roles.models import Role
from tests.web.conftest import Live, _fresh_limits, csrf_of, live

__all__ = ["Live", "_fresh_limits", "live"]

SIGNIN = re.compile(r"https?://\S+?/gestion/connexion/[A-Za-z0-9._-]+")


def network(session: Session, name: str) -> Network:
    found = networks.create(session, name, actor="test")
    session.commit()
    return found


def coordinator(session: Session, email: str, *limited: Network) -> None:
    role = Role.COORDINATOR
    roles.grant_email(session, email, role, "test", [n.code for n in limited])
    session.commit()


def signin_link(message: EmailMessage) -> str:
    body = message.get_body(preferencelist=("plain",))
    assert body is not None
    found = SIGNIN.search(body.get_content())
    assert found, "no sign-in link in the e-mail"
    return found.group(0)


def mails_to(live: Live, address: str) -> list[EmailMessage]:
    return [m for m in live.deliver() if address in str(m["To"])]


def sign_in(client: httpx.Client, live: Live, email: str) -> None:
    """Ask for the link, read it in the mail the SMTP server received, press the button."""
    before = len(mails_to(live, email))
    form = client.get("/gestion/connexion")
    asked = client.post(
        "/gestion/connexion", data={"email": email, "site_web": "", "csrf": csrf_of(form.text)}
    )
    assert asked.status_code == 200, asked.text
    received = mails_to(live, email)
    assert len(received) == before + 1
    link = signin_link(received[-1])
    shown = client.get(link)
    assert shown.status_code == 200
    done = client.post(link, data={"csrf": csrf_of(shown.text)})
    assert done.status_code == 303 and done.headers["location"] == "/gestion/"
