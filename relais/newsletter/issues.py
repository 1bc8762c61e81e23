"""An issue: a Markdown file with front matter, rendered in the « Ressources Info » layout.

The file is what the communication officer writes::

    ---
    number: 42
    title: Les Cités éducatives en Île-de-France
    date: 01/12/2026
    intro: Le mot d'accueil, en Markdown.
    ---
    ## À la une
    ...
    ## Agenda

An empty ``## Agenda`` section is filled with the upcoming published events,
each with its French date and a « S'inscrire » link opening the bot on it.

Rendering gives one HTML body (CSS inlined for Outlook and Gmail), its text
alternative and the archive page. The per-recipient unsubscribe link is a
placeholder swapped in at send time, so one rendering serves every recipient.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import css_inline
import yaml
from sqlmodel import Session

from relais.access import links
from relais.errors import InvalidInput
from relais.events import services as events
from relais.events.models import Event
from relais.i18n import t
from relais.newsletter import markdown
from relais.settings import get_settings
from relais.templating import render_html, render_text
from relais.timefmt import utcnow

UNSUBSCRIBE_PLACEHOLDER = "%%relais_unsubscribe_url%%"
AGENDA_DAYS = 60
AGENDA_MAX = 12
ALIASES = {
    "numero": "number", "numéro": "number", "titre": "title", "objet": "subject",
    "chapeau": "intro", "introduction": "intro", "agenda_jours": "agenda_days",
    "agenda_max": "agenda_max",
}  # fmt: skip
KNOWN = {"number", "title", "date", "intro", "subject", "agenda_days", "agenda_max"}


@dataclass(frozen=True)
class SourceSection:
    title: str
    body: str
    first_line: int


@dataclass(frozen=True)
class IssueSource:
    number: int
    title: str
    date: date
    intro: str
    subject: str
    sections: list[SourceSection]
    agenda_days: int = AGENDA_DAYS
    agenda_max: int = AGENDA_MAX


@dataclass(frozen=True)
class Section:
    title: str
    html: str
    text: str
    anchor: str


@dataclass(frozen=True)
class Rendered:
    subject: str
    html: str
    text: str
    web_html: str
    sections: list[Section] = field(default_factory=list)


def _split_front_matter(text: str) -> tuple[dict[str, Any], str, int]:
    lines = text.lstrip("\ufeff").replace("\r\n", "\n").split("\n")
    if not lines or lines[0].strip() != "---":
        raise InvalidInput("newsletter_no_front_matter")
    try:
        end = next(i for i, line in enumerate(lines[1:], 1) if line.strip() in ("---", "..."))
    except StopIteration:
        raise InvalidInput("newsletter_no_front_matter") from None
    try:
        data = yaml.safe_load("\n".join(lines[1:end])) or {}
    except yaml.YAMLError as error:
        mark = getattr(error, "context_mark", None) or getattr(error, "problem_mark", None)
        line = mark.line + 2 if mark is not None else 1
        raise InvalidInput("newsletter_front_matter_invalid", line=line) from None
    if not isinstance(data, dict):
        raise InvalidInput("newsletter_front_matter_invalid", line=2)
    return data, "\n".join(lines[end + 1 :]), end + 2


def _field(data: dict[str, Any], name: str) -> Any:
    value = data.get(name)
    if value is None or (isinstance(value, str) and not value.strip()):
        raise InvalidInput("newsletter_field_missing", field=t(f"newsletter.fields.{name}"))
    return value


def _positive(data: dict[str, Any], name: str, default: int) -> int:
    value = data.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise InvalidInput(
            "newsletter_field_number", field=t(f"newsletter.fields.{name}"), value=value
        )
    return value


def _date(value: Any) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value).strip()
    for pattern in ("%d/%m/%Y", "%Y-%m-%d"):
        try:
            return datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    raise InvalidInput("newsletter_bad_date", value=text[:30])


def _sections(body: str, first_line: int) -> list[SourceSection]:
    sections: list[SourceSection] = []
    buffer: list[str] = []
    title, start = "", first_line
    for offset, line in enumerate(body.split("\n")):
        if line.startswith("## "):
            if title or "".join(buffer).strip():
                sections.append(SourceSection(title, "\n".join(buffer).rstrip(), start))
            title, start, buffer = line[3:].strip().rstrip("#").strip(), first_line + offset + 1, []
        else:
            buffer.append(line)
    if title or "".join(buffer).strip():
        sections.append(SourceSection(title, "\n".join(buffer).rstrip(), start))
    return sections


def split_sections(body: str, first_line: int) -> list[SourceSection]:
    """The ``## `` sections of a body whose first line is ``first_line`` (for line numbers)."""
    return _sections(body, first_line)


def parse_date(value: Any) -> date:
    """« 01/12/2026 » or « 2026-12-01 »; a French error naming what was typed otherwise."""
    return _date(value)


def parse(text: str) -> IssueSource:
    """Read the front matter and sections; each problem is a French message with a line."""
    raw, body, body_line = _split_front_matter(text)
    data = {ALIASES.get(str(key).lower(), str(key).lower()): value for key, value in raw.items()}
    unknown = sorted(set(data) - KNOWN)
    if unknown:
        raise InvalidInput("newsletter_unknown_field", field=", ".join(unknown))
    _field(data, "number")
    number = _positive(data, "number", 0)
    title = " ".join(str(_field(data, "title")).split())
    if len(title) > 200:
        raise InvalidInput("field_too_long", field=t("newsletter.fields.title"), limit=200)
    sections = _sections(body, body_line)
    if not sections:
        raise InvalidInput("newsletter_no_sections")
    intro = str(data.get("intro") or "").strip()
    markdown.tokens(intro, 2)
    for part in sections:
        markdown.tokens(part.body, part.first_line)
    subject = str(data.get("subject") or t("newsletter.subject", number=number, title=title))
    return IssueSource(
        number=number,
        title=title,
        date=_date(_field(data, "date")),
        intro=intro,
        subject=" ".join(subject.split())[:250],
        sections=sections,
        agenda_days=_positive(data, "agenda_days", AGENDA_DAYS),
        agenda_max=_positive(data, "agenda_max", AGENDA_MAX),
    )


def is_agenda(title: str) -> bool:
    folded = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode().lower()
    return folded.strip() == "agenda"


def signup_link(event: Event) -> str:
    """Where « S'inscrire » leads: the event page (which offers Telegram), or the bot."""
    return links.register_link(event)


def archive_url(number: int) -> str:
    return f"{get_settings().public_base_url}/lettre/{number}"


def agenda_items(session: Session, source: IssueSource, now: datetime) -> list[dict[str, Any]]:
    horizon = now + timedelta(days=source.agenda_days)
    found = events.upcoming(session, now=now, limit=source.agenda_max)
    return [
        {
            "title": event.title,
            "starts_at": event.starts_at,
            "ends_at": event.ends_at,
            "place": "" if event.is_online else events.place_label(event),
            "format": t(f"labels.short_formats.{event.format.value}"),
            "link": signup_link(event),
        }
        for event in found
        if event.starts_at <= horizon
    ]


def _render_section(
    session: Session, source: IssueSource, part: SourceSection, index: int, now: datetime
) -> Section:
    anchor = f"rubrique-{index}"
    if is_agenda(part.title) and not part.body.strip():
        items = agenda_items(session, source, now)
        return Section(
            part.title,
            render_html("newsletter/agenda.html", items=items),
            render_text("newsletter/agenda.txt", items=items),
            anchor,
        )
    parsed = markdown.tokens(part.body, part.first_line)
    return Section(part.title, markdown.to_html(parsed), markdown.to_text(parsed), anchor)


def render(session: Session, source: IssueSource, *, now: datetime | None = None) -> Rendered:
    """The e-mail (HTML with inlined CSS, text) and the archive page of this issue."""
    moment = now or utcnow()
    intro = markdown.tokens(source.intro, 2)
    sections = [
        _render_section(session, source, part, index, moment)
        for index, part in enumerate(source.sections, 1)
    ]
    settings = get_settings()
    context: dict[str, Any] = {
        "issue": source,
        "intro_html": markdown.to_html(intro),
        "intro_text": markdown.to_text(intro),
        "preheader": " ".join(markdown.to_text(intro).split())[:140],
        "sections": sections,
        "organisation": settings.organisation_name,
        "privacy_url": settings.privacy_url,
        "web_url": archive_url(source.number),
        "archive_index": f"{settings.public_base_url}/lettre/",
        "unsubscribe_url": UNSUBSCRIBE_PLACEHOLDER,
    }
    return Rendered(
        subject=source.subject,
        html=inline(render_html("newsletter/issue.html", web=False, **context)),
        text=render_text("newsletter/issue.txt", **context),
        web_html=inline(render_html("newsletter/issue.html", web=True, **context)),
        sections=sections,
    )


def inline(html: str) -> str:
    """Move the layout's CSS onto each element; media queries stay in a kept ``<style>``."""
    return css_inline.inline(html)


def personalise(body: str, unsubscribe_url: str) -> str:
    return body.replace(UNSUBSCRIBE_PLACEHOLDER, unsubscribe_url)
