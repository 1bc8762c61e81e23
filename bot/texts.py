"""Every word the bot says comes from ``templates/`` (short lines in ``messages/bot.yaml``,
longer messages in ``templates/bot/``), rendered for Telegram's HTML parse mode.

What a person typed (names, e-mails, organisation) and what a coordinator typed
(titles, places) is escaped here, so no input can break a message.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html import escape

from markupsafe import Markup

from relais.errors import DomainError
from relais.i18n import t
from relais.templating import render_html

Button = tuple[str, str]


@dataclass
class Reply:
    """One message to show: new, or replacing the message whose button was tapped."""

    html: str
    buttons: list[list[Button]] = field(default_factory=list)
    document: tuple[str, bytes] | None = None
    edit: bool = False


@dataclass(frozen=True)
class Words:
    """Where an area of the bot finds its words: one helper for every area.

    ``lines`` and ``buttons`` are key prefixes in ``templates/messages/``,
    ``pages`` a folder of ``templates/``.
    """

    lines: str
    buttons: str
    pages: str

    def say(self, key: str, **context: object) -> str:
        """A short line, its string values escaped for HTML mode."""
        safe = {
            name: value
            if isinstance(value, Markup) or not isinstance(value, str)
            else escape(value, quote=False)
            for name, value in context.items()
        }
        return t(f"{self.lines}.{key}", **safe)

    def label(self, key: str, **context: object) -> str:
        """A button label: plain text, never parsed as HTML by Telegram."""
        return t(f"{self.buttons}.{key}", **context)

    def page(self, name: str, **context: object) -> str:
        """A longer message from the area's templates (autoescaped)."""
        return render_html(f"{self.pages}/{name}", **context).strip()


#: The bot's own words: ``bot.*`` in ``messages/bot.yaml``, ``templates/bot/``.
BOT = Words("bot", "bot.buttons", "bot")
say = BOT.say
label = BOT.label
page = BOT.page


def trusted(html_text: str) -> Markup:
    """Already-rendered HTML to nest in another template without escaping it twice."""
    return Markup(html_text)


def problem(error: DomainError | str) -> str:
    """A core error sentence (plain text) as a warning line."""
    message = error.message if isinstance(error, DomainError) else error
    message = message[:1].upper() + message[1:]
    return t("bot.error", message=escape(message, quote=False))


def short(text: str, limit: int = 40) -> str:
    """A title shortened to fit on a button."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
