"""Point 7 of the security issue: odd numbers (huge, Unicode digits) get a clear French
answer and no traceback, on the web pages, in the bot's buttons and on the command line."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from sqlmodel import Session

from bot.application import BotComponent
from relais.identifiers import MAX_ID, parse
from tests.admin.test_bot_security import forge
from tests.bot.conftest import api, bot, bot_settings  # noqa: F401  (the bot fixtures)
from tests.botapi import BotAPI
from tests.security.conftest import RunningRelais

HUGE = "9" * 20


def test_the_helper_takes_ascii_digits_within_range_only() -> None:
    assert parse("42") == 42 and parse("0") == 0 and parse(str(MAX_ID)) == MAX_ID
    for bad in (HUGE, str(MAX_ID + 1), "²", "٣", "１２", "-1", "+1", " 1", "1.0", "", "0x1"):
        assert parse(bad) is None, bad
    assert parse("0", minimum=1) is None and parse("6", maximum=5) is None


def test_web_paths_with_odd_numbers_answer_404_without_traceback(
    relais_run: RunningRelais,
) -> None:
    with httpx.Client(base_url=relais_run.base_url) as http:
        for path in (f"/lettre/{HUGE}", "/lettre/%C2%B2", "/lettre/0"):
            response = http.get(path)
            assert response.status_code == 404 and "Lettre introuvable" in response.text, path
        for path in (
            f"/desabonnement/{HUGE}.AAAAAAAAAAAAAAAAAAAAAA",
            f"/confirmation/{'9' * 10}.AAAAAAAAAAAAAAAAAAAAAA",
        ):
            for response in (http.get(path), http.post(path)):
                assert response.status_code == 404 and "pas valable" in response.text, path
        for path in (
            f"/satisfaction/{HUGE}.{HUGE}.AAAAAAAAAAAAAAAAAAAAAA",
            "/satisfaction/%C2%B2.%C2%B3.AAAA",
            f"/satisfaction/{HUGE}.0123456789abcdef01234567",
            "/satisfaction/%C2%B2.0123456789abcdef01234567",
        ):
            for response in (http.get(path), http.post(path, data={"note": "²"})):
                assert response.status_code == 400, path
                assert "lien de questionnaire" in response.text, path
    output = relais_run.stop()
    assert "Traceback" not in output and "OverflowError" not in output, output


async def test_buttons_with_odd_numbers_say_the_button_expired(
    api: BotAPI,  # noqa: F811
    bot: BotComponent,  # noqa: F811
    caplog: pytest.LogCaptureFixture,
) -> None:
    user = api.user("Nadia")
    caplog.set_level(logging.ERROR)
    for data in (f"event:{HUGE}", f"register:{HUGE}", f"cycle:{HUGE}", f"cancel:{HUGE}",
                 f"cancel.yes:{HUGE}", "event:²", f"events:{HUGE}:::", f"events:0:{HUGE}::",
                 f"survey.rate:{HUGE}:5", "survey.rate:1:²", f"roster:{HUGE}:0",
                 f"roster.mark:1:{HUGE}:0", f"dep_page:{HUGE}", "step:consent:y:extra",
                 "step:nowhere:y", "menu:1"):  # fmt: skip
        await forge(api, user, data)
        answer = await user.next_message()
        assert "n'est plus valable" in answer.text, data
    assert (
        "échec du traitement d'un message Telegram" not in caplog.text
        and "Traceback" not in caplog.text
    )


def test_command_line_numbers_are_bounded(tmp_path: Path, db_url: str) -> None:
    environment = {**os.environ, "DATABASE_URL": db_url, "COLUMNS": "200"}
    for arguments in (
        ["newsletter", "status", HUGE],
        ["newsletter", "status", "²"],
        ["admin", "grant", HUGE * 2, "--role", "coordinator"],
        ["event", "show", HUGE],
    ):
        done = subprocess.run(
            [sys.executable, "-m", "relais", *arguments],
            cwd=tmp_path, env=environment, capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        output = done.stdout + done.stderr
        assert done.returncode != 0, arguments
        assert "Traceback" not in output and "OverflowError" not in output, output
        assert "Erreur" in output, output


def test_a_genuine_survey_link_with_a_unicode_note_gets_a_french_answer(
    relais_run: RunningRelais, session: Session
) -> None:
    from relais.satisfaction import tokens
    from tests.presence.test_satisfaction import _past_session_with

    event, person_id = _past_session_with(session, None)
    assert event.id is not None
    path = f"/satisfaction/{tokens.make(event.id, person_id)}"
    with httpx.Client(base_url=relais_run.base_url) as http:
        for response in (
            http.get(f"{path}?note=%C2%B2"),
            http.get(f"{path}?note={HUGE}"),
            http.post(path, data={"note": "²", "commentaire": "Très bien"}),
        ):
            assert response.status_code == 400
            assert "la note doit être un nombre entier de 1 à 5" in response.text
    output = relais_run.stop()
    assert "Traceback" not in output and "ValueError" not in output, output
