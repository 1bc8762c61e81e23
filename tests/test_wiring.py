"""The wiring list: the channels handed to the core, in order, each hook where it says."""

from __future__ import annotations

import pytest
from sqlmodel import Session

import wiring
from relais import plugins


def test_every_channel_s_hooks_commands_and_routes_load() -> None:
    names = [channel.name for channel in wiring.CHANNELS]
    assert len(names) == len(set(names))
    hooks = ("subscribe", "component", "worker_component", "doctor", "models", "job_runner")
    for plugin in plugins.plugins():
        assert any(plugin.attr(hook) is not None for hook in hooks), plugin.name
    assert set(plugins.commands()) == {"mail", "newsletter", "subscribers"}
    for reference in plugins.commands().values():
        assert (
            plugins.load(reference).registered_groups or plugins.load(reference).registered_commands
        )
    paths = {route.path for route in plugins.web_routes()}
    assert {"/gestion/", "/e/{code}"} <= paths
    assert [name for name, _panel in plugins.panels()] == ["mail"]


def test_components_start_in_the_list_s_order() -> None:
    with_component = [p.name for p in plugins.plugins() if p.attr("component") is not None]
    assert with_component == ["bot", "inbox", "mailer", "presence", "web"]


def test_the_core_refuses_to_run_unwired(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(plugins, "_channels", None)
    with pytest.raises(plugins.NotWired):
        plugins.commands()


def test_the_dashboard_gets_the_mail_panel_under_the_name_its_template_reads(
    session: Session,
) -> None:
    from web.admin.pages import panels

    found = panels(session)
    assert list(found) == ["mail"]
    assert {"failed", "retrying", "waiting"} <= set(found["mail"])
