"""Double opt-in, signed links, unsubscribing, bounces and RGPD hooks."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import Session, select

from relais import signals
from relais.errors import InvalidInput
from relais.newsletter import services, tokens
from relais.newsletter.models import Subscriber, SubscriberStatus
from relais.people import erasure
from relais.people import export as data_export
from relais.people import services as people
from relais.people.models import Consent, ConsentPurpose
from relais.plugins import subscribe_all
from tests.factories import make_person


def _request(session: Session, email: str = "fatou.sy@exemple.fr", **extra: object) -> Subscriber:
    subscriber = services.request(session, email=email, channel="telegram", source="bot", **extra)  # type: ignore[arg-type]
    session.commit()
    return subscriber


def test_signed_tokens_cannot_be_forged_or_moved(db_url: str) -> None:
    token = tokens.make("unsubscribe", 42, "fatou.sy@exemple.fr")
    assert tokens.subscriber_id(token) == 42
    assert tokens.verify("unsubscribe", token, 42, "fatou.sy@exemple.fr")
    assert tokens.verify("unsubscribe", token, 42, "FATOU.SY@exemple.fr")
    assert not tokens.verify("unsubscribe", token, 42, "autre@exemple.fr")
    assert not tokens.verify("confirm", token, 42, "fatou.sy@exemple.fr")
    forged = "43" + token[2:]
    assert not tokens.verify("unsubscribe", forged, 43, "fatou.sy@exemple.fr")
    assert tokens.make("unsubscribe", 43, "fatou.sy@exemple.fr") != forged
    for malformed in ("", "42", "42.", "x.abc", "0." + token.split(".")[1], token + "A"):
        assert tokens.subscriber_id(malformed) is None


def test_from_token_needs_the_right_subscriber(session: Session) -> None:
    one = _request(session)
    other = _request(session, "autre@exemple.fr")
    assert one.id is not None and other.id is not None
    good = tokens.make("unsubscribe", one.id, one.email)
    assert services.from_token(session, "unsubscribe", good) == one
    assert services.from_token(session, "confirm", good) is None
    moved = f"{other.id}.{good.split('.')[1]}"
    assert services.from_token(session, "unsubscribe", moved) is None
    assert services.from_token(session, "unsubscribe", "999999." + good.split(".")[1]) is None


def test_double_opt_in_by_code_records_consent(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    requested: list[int] = []
    handlers = [lambda _s, ev: requested.append(ev.subscriber_id)]
    monkeypatch.setitem(signals._in_transaction, services.SubscriptionRequested, handlers)
    person = make_person(session, email="fatou.sy@exemple.fr")
    subscriber = _request(session, person_id=person.id)
    assert requested == [subscriber.id]
    assert subscriber.status == SubscriberStatus.PENDING and subscriber.confirm_code
    assert len(subscriber.confirm_code) == 6

    wrong = "000000" if subscriber.confirm_code != "000000" else "111111"
    with pytest.raises(InvalidInput) as caught:
        services.confirm_code(session, subscriber, wrong)
    assert "4 essais restants" in caught.value.message
    services.confirm_code(session, subscriber, f" {subscriber.confirm_code} ")
    session.commit()
    assert subscriber.status == SubscriberStatus.ACTIVE and subscriber.consent_at is not None
    assert people.has_consent(session, person.id or 0, ConsentPurpose.NEWSLETTER)

    again = services.request(session, email="fatou.sy@exemple.fr", channel="telegram", source="bot")
    # Still active; its owner gets an « already subscribed » e-mail (no probing of the list).
    assert again.status == SubscriberStatus.ACTIVE and requested == [subscriber.id] * 2


def test_code_expires_and_attempts_are_limited(session: Session) -> None:
    subscriber = _request(session)
    subscriber.confirm_sent_at = (subscriber.confirm_sent_at or subscriber.created_at) - timedelta(
        days=3
    )
    with pytest.raises(InvalidInput) as expired:
        services.confirm_code(session, subscriber, subscriber.confirm_code or "")
    assert "n'est plus valable" in expired.value.message

    fresh = _request(session, "autre@exemple.fr")
    for _ in range(services.MAX_CODE_ATTEMPTS):
        with pytest.raises(InvalidInput):
            services.confirm_code(session, fresh, "abcdef")
    with pytest.raises(InvalidInput) as locked:
        services.confirm_code(session, fresh, fresh.confirm_code or "")
    assert "n'est plus valable" in locked.value.message


def test_unsubscribe_and_bounce_are_final_until_a_new_opt_in(session: Session) -> None:
    person = make_person(session, email="fatou.sy@exemple.fr")
    subscriber = _request(session, person_id=person.id)
    assert services.confirm(session, subscriber)
    assert services.unsubscribe(session, subscriber, channel="web")
    assert not services.unsubscribe(session, subscriber, channel="web")
    session.commit()
    assert subscriber.status == SubscriberStatus.UNSUBSCRIBED and subscriber.left_at
    assert not people.has_consent(session, person.id or 0, ConsentPurpose.NEWSLETTER)

    other = _request(session, "autre@exemple.fr")
    services.confirm(session, other)
    assert services.mark_bounced(session, "Autre@Exemple.fr")
    assert not services.mark_bounced(session, "inconnu@exemple.fr")
    session.commit()
    assert other.status == SubscriberStatus.BOUNCED
    assert services.counts(session)[SubscriberStatus.BOUNCED] == 1


def test_erasure_and_export_reach_the_subscription(session: Session) -> None:
    subscribe_all()
    person = make_person(session, email="fatou.sy@exemple.fr")
    subscriber = _request(session)
    services.confirm(session, subscriber)
    session.commit()
    exported = data_export.export(session, person.id or 0)
    assert exported["lettre_information"]["adresse_e_mail"] == "fatou.sy@exemple.fr"
    assert exported["lettre_information"]["etat"] == "abonné·e"
    assert "confirm_code" not in exported["lettre_information"]
    erasure.erase(session, person.id or 0, "test")
    session.commit()
    assert session.exec(select(Subscriber)).all() == []
    assert session.exec(select(Consent)).all() == []
