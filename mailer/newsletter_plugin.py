"""The newsletter's mail side as a Relais plugin: the ``relais newsletter`` commands,
the renderers of its e-mails and the hooks that keep unsubscribed addresses unmailed."""

from __future__ import annotations

from mailer.newsletter import subscribe
from mailer.newsletter_cli import app

__all__ = ["commands", "subscribe"]

commands = [("newsletter", app)]
