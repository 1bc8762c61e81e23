"""The one router of the bot's buttons: callback data built from a route name, read strictly."""

from __future__ import annotations

import re
from typing import Any

import pytest

from bot import buttons, parts, signup
from bot.actor import Actor
from bot.buttons import Route, Router
from bot.texts import Reply
from relais.identifiers import MAX_ID


def _echo(actor: Actor, args: list[Any]) -> list[Reply]:
    return [Reply(repr(args))]


ROUTER = Router(
    [
        Route("page", _echo, (buttons.number, buttons.optional(buttons.number))),
        Route("card", _echo, (buttons.code,)),
        Route("answer", _echo, (buttons.YES_NO, buttons.word)),
        Route("menu", _echo),
    ]
)


def test_data_is_read_back_with_its_arguments_typed() -> None:
    route, args = ROUTER.read(buttons.data("page", 3, None))
    assert route.name == "page" and args == [3, None]
    assert ROUTER.read(buttons.data("card", "abc234"))[1] == ["abc234"]
    assert ROUTER.read(buttons.data("answer", "y", "2A"))[1] == ["y", "2A"]
    assert ROUTER.read("menu")[1] == []


@pytest.mark.parametrize(
    "data",
    [
        "nowhere", "nowhere:1", "", ":", "menu:1", "page", "page:1", "page:1:2:3",
        f"page:{MAX_ID + 1}:", "page:٣:", "page:²:", "page:-1:", "page: 1:", "card:",
        "card:<script>", "card:a b", "answer:o:2A", "answer:y:", "answer:y:" + "9" * 13,
        "answer:y:é",
    ],
)  # fmt: skip
def test_anything_that_does_not_fit_a_route_is_a_stale_button(data: str) -> None:
    with pytest.raises(buttons.Stale):
        ROUTER.read(data)


def test_callback_data_never_exceeds_telegram_s_64_bytes() -> None:
    assert len(buttons.data("roster.mark", MAX_ID, MAX_ID, MAX_ID).encode()) <= buttons.MAX_DATA
    with pytest.raises(ValueError, match="64 bytes"):
        buttons.data("card", "x" * 60)


def test_two_routes_cannot_share_a_name() -> None:
    with pytest.raises(ValueError, match="taken"):
        Router([Route("menu", _echo), Route("menu", _echo)])


def test_the_bot_s_table_joins_every_area_s_routes() -> None:
    names = set(parts.router().names())
    assert {"menu", "events", "register", "step", "dep_page", "survey.rate", "roster.mark"} <= names
    assert not any(name.startswith("a.") for name in names)  # the admin tools route their own


def test_the_admin_tools_join_their_areas_lists_under_readable_names() -> None:
    """Every admin area's buttons are in the table, named in words; a name is never reused."""
    from bot.admin import common
    from bot.admin.handlers import AREAS, COMMANDS, table

    routes = table().routes
    assert len(routes) == sum(len(area.ROUTES) for area in AREAS)
    assert {"menu", "event", "broadcast_send", "invite_preview", "today_qr"} <= set(routes)
    assert all(re.fullmatch(r"[a-z]{4,}(_[a-z]+)*", name) for name in routes), sorted(routes)
    assert set(COMMANDS.values()) <= set(routes)
    with pytest.raises(ValueError, match="twice"):
        common.registry([routes["menu"], routes["menu"]], [])


def test_the_profile_steps_follow_their_table() -> None:
    assert signup.FIRST == "last_name"
    assert signup.NEXT == {
        "last_name": "first_name", "first_name": "email", "email": "email_confirm",
        "email_confirm": "organisation", "email_code": "organisation",
        "organisation": "structure_type", "structure_type": "profile", "profile": "departement",
        "departement": "phone", "phone": "consent",
    }  # fmt: skip
