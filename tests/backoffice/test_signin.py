"""Signing in to the back office over real HTTP: the mailed link (signed, expiring, single
use, recorded), the same answer for any address, sessions that end, Telegram's login hash."""

from __future__ import annotations

import hashlib
import hmac
import time
from datetime import timedelta

import httpx
import pytest
from sqlmodel import Session, select

from relais.audit import AuditEntry
from relais.roles import services as roles
from relais.signin import services as signin
from relais.signin.models import SignInLink, StaffSession
from relais.timefmt import utcnow
from tests.backoffice.conftest import coordinator, mails_to, sign_in, signin_link
from tests.web.conftest import Live, csrf_of

COORDINATOR = "marie.durand@crpv.example"


def _ask(client: httpx.Client, email: str) -> httpx.Response:
    form = client.get("/gestion/connexion")
    return client.post(
        "/gestion/connexion", data={"email": email, "site_web": "", "csrf": csrf_of(form.text)}
    )


def test_link_signs_in_once_and_sign_out_ends_the_session(live: Live, session: Session) -> None:
    coordinator(session, COORDINATOR)
    with httpx.Client(base_url=live.base) as client:
        assert client.get("/gestion/").headers["location"] == "/gestion/connexion"
        sign_in(client, live, COORDINATOR)
        cookie = client.cookies.get("relais_gestion")
        assert cookie
        home = client.get("/gestion/")
        assert home.status_code == 200 and "Tableau de bord" in home.text
        assert COORDINATOR in home.text
        link = signin_link(mails_to(live, COORDINATOR)[-1])
        again = client.get(link)
        assert again.status_code == 410 and "n'est pas valable" in again.text
        spent = client.post(link, data={"csrf": csrf_of(home.text)})
        assert spent.status_code == 410
        out = client.post("/gestion/deconnexion", data={"csrf": csrf_of(home.text)})
        assert out.status_code == 200 and "déconnecté" in out.text
    with httpx.Client(base_url=live.base, cookies={"relais_gestion": cookie}) as copied:
        assert copied.get("/gestion/").status_code == 303
    session.expire_all()
    used = session.exec(select(SignInLink)).one()
    assert used.used_at is not None
    ended = session.exec(select(StaffSession)).one()
    assert ended.ended_at is not None and ended.principal == f"email:{COORDINATOR}"
    actions = [e.action for e in session.exec(select(AuditEntry).order_by(AuditEntry.id))]
    assert actions[-2:] == ["signin.opened", "signin.closed"]


def test_same_answer_for_an_address_without_role_and_no_mail(live: Live, session: Session) -> None:
    coordinator(session, COORDINATOR)
    with httpx.Client(base_url=live.base) as client:
        known = _ask(client, COORDINATOR)
        stranger = _ask(client, "inconnu@exemple.fr")
    assert known.status_code == stranger.status_code == 200
    assert known.text.replace(COORDINATOR, "X") == stranger.text.replace("inconnu@exemple.fr", "X")
    assert mails_to(live, "inconnu@exemple.fr") == []
    assert len(mails_to(live, COORDINATOR)) == 1


def test_bad_address_is_answered_beside_the_field_and_requests_are_limited(
    live: Live, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    with httpx.Client(base_url=live.base) as client:
        wrong = _ask(client, "pas-une-adresse")
        assert wrong.status_code == 422
        assert 'id="email-erreur"' in wrong.text and 'aria-invalid="true"' in wrong.text
        answers = [_ask(client, COORDINATOR).status_code for _ in range(6)]
    assert answers[:5] == [200] * 5 and answers[5] == 429


def test_expired_forged_and_revoked_links_are_refused(live: Live, session: Session) -> None:
    coordinator(session, COORDINATOR)
    with httpx.Client(base_url=live.base) as client:
        _ask(client, COORDINATOR)
        link = signin_link(mails_to(live, COORDINATOR)[-1])
        nonce, _mac = link.rsplit("/", 1)[1].split(".")
        forged = link.rsplit("/", 1)[0] + f"/{nonce}.{'A' * 22}"
        assert client.get(forged).status_code == 410
        row = session.get(SignInLink, nonce)
        assert row is not None
        row.expires_at = utcnow() - timedelta(seconds=1)
        session.add(row)
        session.commit()
        page = client.get(link)
        assert page.status_code == 410
        token = csrf_of(client.get("/gestion/connexion").text)
        assert client.post(link, data={"csrf": token}).status_code == 410
        _ask(client, COORDINATOR)
        fresh = signin_link(mails_to(live, COORDINATOR)[-1])
        roles.revoke_email(session, COORDINATOR, "test")
        session.commit()
        shown = client.get(fresh)
        assert client.post(fresh, data={"csrf": csrf_of(shown.text)}).status_code == 410
        assert "relais_gestion" not in client.cookies


def test_revoked_coordinator_is_stopped_at_the_next_request(live: Live, session: Session) -> None:
    coordinator(session, COORDINATOR)
    with httpx.Client(base_url=live.base) as client:
        sign_in(client, live, COORDINATOR)
        assert client.get("/gestion/evenements").status_code == 200
        roles.revoke_email(session, COORDINATOR, "test")
        session.commit()
        refused = client.get("/gestion/evenements")
        assert refused.status_code == 403 and "Accès refusé" in refused.text


def _telegram_answer(token: str, **fields: str) -> dict[str, str]:
    check = "\n".join(f"{key}={fields[key]}" for key in sorted(fields))
    secret = hashlib.sha256(token.encode()).digest()
    return {**fields, "hash": hmac.new(secret, check.encode(), hashlib.sha256).hexdigest()}


def test_telegram_login_answer_is_checked_with_the_bot_token(
    live: Live, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    from relais.settings import get_settings

    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "123456:test-token")
    get_settings.cache_clear()
    roles.grant(session, 4242, roles.Role.COORDINATOR, "test")
    session.commit()
    now = str(int(time.time()))
    genuine = _telegram_answer("123456:test-token", id="4242", first_name="Marie", auth_date=now)
    with httpx.Client(base_url=live.base) as client:
        tampered = {**genuine, "id": "4243"}
        assert client.get("/gestion/connexion/telegram", params=tampered).status_code == 410
        other_bot = _telegram_answer("999:other", id="4242", first_name="Marie", auth_date=now)
        assert client.get("/gestion/connexion/telegram", params=other_bot).status_code == 410
        old = _telegram_answer(
            "123456:test-token",
            id="4242",
            first_name="Marie",
            auth_date=str(int(time.time()) - 7200),
        )
        assert client.get("/gestion/connexion/telegram", params=old).status_code == 410
        stranger = _telegram_answer("123456:test-token", id="77", first_name="X", auth_date=now)
        assert client.get("/gestion/connexion/telegram", params=stranger).status_code == 403
        done = client.get("/gestion/connexion/telegram", params=genuine)
        assert done.status_code == 303
        home = client.get("/gestion/")
        assert home.status_code == 200 and "Telegram 4242" in home.text
    assert signin.telegram_principal(genuine) == "telegram:4242"


def test_telegram_button_only_when_asked_and_only_on_the_sign_in_page(
    live: Live, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Off by default (a script from telegram.org); on, its policy opens Telegram to that page."""
    from relais.settings import get_settings

    with httpx.Client(base_url=live.base) as client:
        plain = client.get("/gestion/connexion")
        assert "telegram-widget" not in plain.text
        assert "script-src" not in plain.headers["content-security-policy"]
        monkeypatch.setenv("TELEGRAM_LOGIN_WIDGET", "true")
        get_settings.cache_clear()
        page = client.get("/gestion/connexion")
        policy = page.headers["content-security-policy"]
        assert 'src="https://telegram.org/js/telegram-widget.js?22"' in page.text
        base = get_settings().public_base_url.rstrip("/")
        assert f'data-auth-url="{base}/gestion/connexion/telegram"' in page.text
        assert "script-src https://telegram.org;" in policy and "'unsafe-inline'" not in policy
        assert "frame-src https://oauth.telegram.org;" in policy
        elsewhere = client.get("/gestion/connexion/inconnu")
        assert "telegram" not in elsewhere.headers["content-security-policy"]


def test_session_cookie_is_httponly_lax_expiring_and_secure_behind_https(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from relais.settings import get_settings
    from web.admin.signin import _signed_in

    for base, secure in (("https://relais.crpv.example", True), ("http://127.0.0.1:8080", False)):
        monkeypatch.setenv("PUBLIC_BASE_URL", base)
        get_settings.cache_clear()
        header = _signed_in("valeur").headers["set-cookie"].lower()
        assert "httponly" in header and "samesite=lax" in header and "path=/gestion" in header
        assert f"max-age={12 * 3600}" in header
        assert ("; secure" in header) is secure
    get_settings.cache_clear()
