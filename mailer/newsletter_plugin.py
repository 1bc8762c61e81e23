"""The newsletter's mail side as a Relais plugin: the ``relais newsletter`` commands."""

from __future__ import annotations

from mailer.newsletter_cli import app

__all__ = ["commands"]

commands = [("newsletter", app)]
