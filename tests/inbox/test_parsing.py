"""The corpus, message by message: what each client's REPLY, each MTA's DSN and each
auto-reply is taken for, without a mailbox or a database."""

from __future__ import annotations

import pytest

from mailer import verp
from mailer.inbox import auth_results, dsn, itip
from mailer.inbox.classify import Kind, classify
from mailer.inbox.process import parse
from relais.settings import load_settings
from tests.inbox.conftest import corpus

ATTENDEE = "claire.martin@ville-exemple.fr"
VALUES = {
    "uid": "event-7-PRE91A@relais.crpv.example", "attendee": ATTENDEE,
    "domain": "ville-exemple.fr", "sequence": 2, "address": "inconnu@ville-exemple.fr",
    "bounce_to": "relais@crpv.example", "sender": "secretariat@ville-exemple.fr",
}  # fmt: skip
SETTINGS = load_settings(
    mail_from="CRPV Relais <relais@crpv.example>",
    newsletter_unsubscribe_mailto="desabonnement@crpv.example",
    imap_trusted_authserv_id="mx.crpv.example",
    secret_key="une-clef-de-test-assez-longue",
)


def message(name: str):  # type: ignore[no-untyped-def]
    return parse(corpus(name, **VALUES))


@pytest.mark.parametrize(
    ("name", "partstat"),
    [
        ("reply_outlook.eml", "DECLINED"),
        ("reply_gmail.eml", "DECLINED"),
        ("reply_apple.eml", "ACCEPTED"),
        ("reply_thunderbird.eml", "TENTATIVE"),
    ],
)
def test_each_client_reply_is_read(name: str, partstat: str) -> None:
    parsed = message(name)
    assert classify(parsed, SETTINGS) == Kind.CALENDAR_REPLY
    reply = itip.find_reply(parsed)
    assert reply == itip.Reply(VALUES["uid"], 2, ATTENDEE, partstat)
    verdict = auth_results.trusted_verdict(parsed, ["mx.crpv.example"])
    assert auth_results.passes_for(verdict, ATTENDEE)


@pytest.mark.parametrize(
    ("name", "status", "action"),
    [
        ("dsn_postfix.eml", "5.1.1", "failed"),
        ("dsn_exim.eml", "5.2.2", "failed"),
        ("dsn_exchange.eml", "5.1.10", "failed"),
        ("dsn_gmail.eml", "5.7.26", "failed"),
        ("dsn_delayed.eml", "4.4.1", "delayed"),
    ],
)
def test_each_mta_bounce_is_read(name: str, status: str, action: str) -> None:
    parsed = message(name)
    assert classify(parsed, SETTINGS) == Kind.BOUNCE
    report = dsn.parse(parsed)
    assert [(r.address, r.status, r.action) for r in report.recipients] == [
        (VALUES["address"], status, action)
    ]
    assert not report.original_is_bounce


def test_diagnostic_keeps_the_server_words() -> None:
    report = dsn.parse(message("dsn_postfix.eml"))
    assert "User unknown in virtual mailbox table" in report.recipients[0].diagnostic
    assert report.original_message_id == "<174231486.1.relais@crpv.example>"


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("auto_reply_fr.eml", Kind.AUTO_REPLY),
        ("auto_reply_en.eml", Kind.AUTO_REPLY),
        ("unsubscribe.eml", Kind.UNSUBSCRIBE),
        ("human.eml", Kind.HUMAN),
        ("bounce_of_bounce.eml", Kind.LOOP),
        ("dsn_no_recipient.eml", Kind.BOUNCE),
        ("calendar_unparsable.eml", Kind.CALENDAR_REPLY),
        ("reply_forged.eml", Kind.CALENDAR_REPLY),
    ],
)
def test_classification(name: str, kind: Kind) -> None:
    assert classify(message(name), SETTINGS) == kind


def test_broken_calendar_raises_a_readable_error() -> None:
    with pytest.raises(itip.UnreadableCalendar):
        itip.find_reply(message("calendar_unparsable.eml"))


def test_dsn_without_recipient_has_none() -> None:
    assert dsn.parse(message("dsn_no_recipient.eml")).recipients == ()


def test_only_the_topmost_trusted_verdict_counts() -> None:
    """The forged reply carries a « dmarc=pass » lower down, written by its sender."""
    verdict = auth_results.trusted_verdict(message("reply_forged.eml"), ["mx.crpv.example"])
    assert verdict is not None
    assert {c.method: c.result for c in verdict.checks}["dmarc"] == "fail"
    assert not auth_results.passes_for(verdict, ATTENDEE)


def test_untrusted_server_or_other_domain_does_not_pass() -> None:
    parsed = message("reply_outlook.eml")
    assert auth_results.trusted_verdict(parsed, ["mx.autre.example"]) is None
    verdict = auth_results.trusted_verdict(parsed, ["mx.crpv.example"])
    assert not auth_results.passes_for(verdict, "quelquun@autre-domaine.fr")
    assert auth_results.passes_for(verdict, "agent@services.ville-exemple.fr")


def test_authentication_results_grammar() -> None:
    verdict = auth_results.parse(
        'mx.crpv.example 1; spf=pass (ok) smtp.mailfrom="a@b.fr"; dkim=fail header.d=b.fr'
    )
    assert verdict.authserv_id == "mx.crpv.example"
    assert verdict.checks[0] == auth_results.Check("spf", "pass", {"smtp.mailfrom": "a@b.fr"})
    assert verdict.checks[1].result == "fail"


def test_verp_round_trip_and_forgery() -> None:
    settings = SETTINGS.model_copy(
        update={"mail_bounce_address": "rebonds@crpv.example", "mail_bounce_verp": True}
    )
    address = verp.envelope_sender(settings, 42)
    assert address.startswith("rebonds+r42-") and address.endswith("@crpv.example")
    assert verp.row_id_from(settings, address) == 42
    assert verp.row_id_from(settings, address.replace("r42", "r43")) is None
    assert verp.row_id_from(settings, "rebonds@crpv.example") is None
    plain = SETTINGS.model_copy(update={"mail_bounce_address": "rebonds@crpv.example"})
    assert verp.envelope_sender(plain, 42) == "rebonds@crpv.example"
