"""Point 4 of the security issue, through the bot and the Bot API stand-in: a draft shows
nothing of itself to a stranger, whatever button or link they forge; buttons name events
by their code, never by a sequential id; coordinators see the drafts of their scope."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session, select

from bot.application import BotComponent
from relais.events import services as events
from relais.events.models import Event, EventStatus
from relais.events.schemas import EventInput
from relais.registrations.models import Registration
from relais.timefmt import utcnow
from tests.admin.conftest import api, bot, bot_settings, coordinator, make_network  # noqa: F401
from tests.admin.test_bot_security import forge
from tests.bot.helpers import known_user
from tests.botapi import BotAPI, ScriptedUser
from tests.factories import make_event

SECRETS = ("Projet confidentiel", "Salle secrète", "Ordre du jour interne", "Cycle caché")
STALE = "n'est plus valable"


def _draft_and_hidden_cycle(session: Session) -> tuple[Event, str, int, str]:
    network = make_network(session, "Réseau des médiateurs – 93")
    draft = make_event(
        session, title="Projet confidentiel", venue="Salle secrète",
        description="Ordre du jour interne", status="draft", networks=[network.code],
    )  # fmt: skip
    start = utcnow() + timedelta(days=20)
    series, _sessions = events.create_series(
        session, "Cycle caché",
        [EventInput(title="Séance cachée", starts_at=start, duration_minutes=60,
                    status=EventStatus.DRAFT)],
        "test",
    )  # fmt: skip
    session.commit()
    assert series.id is not None
    return draft, series.code, series.id, network.code


async def _answers(user: ScriptedUser, text: str) -> list[str]:
    """Every message the bot sends in answer to ``text`` (a /aide afterwards marks the end)."""
    await user.send(text)
    await user.send("/aide")
    seen: list[str] = []
    while not (latest := (await user.next_message()).text).startswith("Ce que je sais faire"):
        seen.append(latest)
    return seen


def _chat(api: BotAPI, user: ScriptedUser) -> str:  # noqa: F811
    return " ".join(m.text for m in api.messages.values() if m.chat_id == user.id)


async def test_a_forged_button_or_link_shows_nothing_of_a_draft(
    api: BotAPI,  # noqa: F811
    bot: BotComponent,  # noqa: F811
    session: Session,
) -> None:
    draft, series_code, series_id, _network = _draft_and_hidden_cycle(session)
    stranger, _person = known_user(api, session, "Sam")
    for data in (f"event:{draft.id}", f"register:{draft.id}", f"event:{draft.code}",
                 f"register:{draft.code}", f"cycle:{series_id}", f"cycle:{series_code}",
                 f"survey.rate:{draft.id}:5"):  # fmt: skip
        await forge(api, stranger, data)
        assert STALE in (await stranger.next_message()).text, data
    for payload in (draft.code, f"c_{series_code}", series_code, f"p_{draft.code}",
                    f"s_{draft.code}"):  # fmt: skip
        missing = f"{payload[:-3]}zzz"  # a code that does not exist
        answer = await _answers(stranger, f"/start {payload}")
        unknown = await _answers(stranger, f"/start {missing}")
        assert [text.replace(payload[-6:], "?") for text in answer] == [
            text.replace(missing[-6:], "?") for text in unknown
        ], payload
    shown = _chat(api, stranger)
    assert not [secret for secret in SECRETS if secret in shown], shown
    assert session.exec(select(Registration)).all() == []


async def test_buttons_name_events_by_code_not_by_id(
    api: BotAPI,  # noqa: F811
    bot: BotComponent,  # noqa: F811
    session: Session,
) -> None:
    published = make_event(session, title="Rencontre ouverte")
    user, _person = known_user(api, session, "Léa")
    await user.send("/evenements")
    listing = await user.expect("Rencontre ouverte")
    data = [button["callback_data"] for row in listing.message.buttons for button in row
            if "callback_data" in button]  # fmt: skip
    assert f"register:{published.code}" in data and f"event:{published.code}" in data
    assert f"register:{published.id}" not in data and f"event:{published.id}" not in data
    await forge(api, user, f"event:{published.code}")
    assert "Rencontre ouverte" in (await user.next_message()).text


async def test_coordinators_see_the_drafts_of_their_scope_only(
    api: BotAPI,  # noqa: F811
    bot: BotComponent,  # noqa: F811
    session: Session,
) -> None:
    draft, _series_code, _series_id, network_code = _draft_and_hidden_cycle(session)
    other = make_network(session, "Réseau des référents PRE – 91")
    outside = coordinator(api, session, "Olivier", networks=[other.code])
    inside = coordinator(api, session, "Claire", networks=[network_code])
    everywhere = coordinator(api, session, "Inès")
    await forge(api, outside, f"event:{draft.code}")
    assert STALE in (await outside.next_message()).text
    assert "Projet confidentiel" not in _chat(api, outside)
    for allowed in (inside, everywhere):
        await allowed.send(f"/start {draft.code}")
        assert "Projet confidentiel" in (await allowed.next_message()).text


async def test_a_cancelled_draft_stays_hidden_a_cancelled_public_event_does_not(
    api: BotAPI,  # noqa: F811
    bot: BotComponent,  # noqa: F811
    session: Session,
) -> None:
    """People who saw an event must learn it is cancelled; a copy never published must not leak."""
    public = make_event(session, title="Rencontre publiée puis annulée")
    assert public.id is not None
    copy = events.duplicate(session, public.id, public.starts_at + timedelta(days=7), "test")
    copy.title = "Copie jamais publiée"
    assert copy.id is not None
    for event_id in (public.id, copy.id):
        events.cancel(session, event_id, "salle indisponible", "test")
    session.commit()
    stranger, _person = known_user(api, session, "Yanis")
    await stranger.send(f"/start {public.code}")
    assert "Rencontre publiée puis annulée" in (await stranger.next_message()).text
    await stranger.send(f"/start {copy.code}")
    assert "Aucun événement" in (await stranger.next_message()).text
    assert "Copie jamais publiée" not in _chat(api, stranger)
