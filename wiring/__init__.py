"""What Relais is made of: the core and its channels, listed once, in order.

This package is the program's start (the ``relais`` command, ``python -m
relais``, the tests' ``conftest``): it hands :data:`CHANNELS` to the core
(:func:`relais.plugins.install`), then runs the command line. It is the only
code that knows every channel; the core imports none of them and channels do
not import each other (``make lint`` checks both, see ``[tool.importlinter]``
in ``pyproject.toml``).

Each entry names where a channel's hooks are (read only when needed, so
``relais stats`` loads no Telegram or SMTP code). The order is the order in
which ``relais run`` starts components (stopped in reverse) and ``relais
doctor`` shows its lines. Adding a channel is one entry here.
"""

from __future__ import annotations

from relais.plugins import Channel
from relais.plugins import install as _install
from relais.plugins import subscribe_all as _subscribe_all

CHANNELS: tuple[Channel, ...] = (
    Channel("admin", hooks="bot.admin.plugin"),
    Channel("admin_mail", hooks="mailer.network_invitation"),
    Channel("bot", hooks="bot.plugin"),
    Channel("inbox", hooks="mailer.inbox.plugin"),
    Channel(
        "mailer",
        hooks="mailer.plugin",
        commands={"mail": "mailer.cli:app"},
        panels={"mail": "mailer.dashboard:panel"},
    ),
    Channel("scheduler", hooks="scheduler.plugin"),
    Channel(
        "newsletter",
        hooks="mailer.newsletter_plugin",
        commands={"newsletter": "mailer.newsletter_cli:app"},
    ),
    Channel("presence", hooks="bot.presence"),
    Channel(
        "subscribers",
        hooks="relais.newsletter.plugin",
        commands={"subscribers": "relais.newsletter.cli:app"},
    ),
    Channel(
        "web",
        hooks="web.plugin",
        routes=("web.admin.routes:routes", "web.routes:routes"),
    ),
)


def install() -> None:
    """Hand the channels to the core (the tests and the bench scripts start here too)."""
    _install(CHANNELS)


def main() -> None:
    """The ``relais`` command."""
    install()
    from relais.cli.main import main as cli

    cli()


def subscribe_all() -> None:
    """Install the channels and attach their domain-event handlers (scripts that skip the CLI)."""
    install()
    _subscribe_all()
