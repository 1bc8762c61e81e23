"""« Ressources Info » in the back office: write an issue, preview it, try it, send it,
follow it, pause and resume it, and the archive.

The page renders the issue with the core's rendering (the same as
``relais newsletter preview``); sending is the mailer's, told through domain
events (:mod:`relais.newsletter.editing`). Every page checks
``Action.NEWSLETTER`` in its transaction: the list belongs to the whole CRPV,
so a coordinator limited to some networks is refused.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from relais import identifiers
from relais.errors import InvalidInput, NotFound
from relais.newsletter import editing, issues
from relais.newsletter import services as subscriptions
from relais.newsletter.models import Draft, Issue, IssueStatus, SubscriberStatus
from relais.roles import services as roles
from relais.roles.services import Action
from relais.settings import get_settings
from relais.templating import TEMPLATES_DIR
from relais.timefmt import format_datetime, parse_local, utcnow
from relais.web import guard as web_guard
from web.admin.base import HEADERS, Form, Staff, page, redirect, sentence

HOME = "/gestion/lettre"
#: The newsletter's pages run our own small script (live preview, live progress), nothing else.
SCRIPT_POLICY = web_guard.POLICY + "; script-src 'self'; connect-src 'self'"
#: The draft page shows the e-mail in a frame of our own origin (nothing else may be framed).
FRAMING_POLICY = SCRIPT_POLICY + "; frame-src 'self'"
#: The preview is the e-mail itself: its inline styles, no script, framed only by us.
PREVIEW_POLICY = web_guard.FROZEN_MAIL_POLICY.replace(
    "frame-ancestors 'none'", "frame-ancestors 'self'"
)


def allowed(session: Session, staff: Staff) -> None:
    """The newsletter goes to the whole CRPV's list: not for a coordinator limited to networks."""
    roles.require_principal(session, staff.principal, Action.NEWSLETTER)


def _sample_link() -> str:
    return f"{get_settings().public_base_url}/desabonnement/exemple"


def _active(session: Session) -> int:
    return subscriptions.counts(session)[SubscriberStatus.ACTIVE]


def state(issue: Issue) -> str:
    """Where an issue is, in the words of the pages' templates."""
    if issue.status == IssueStatus.PAUSED:
        return "pause"
    if issue.status == IssueStatus.SENT:
        return "envoyee"
    if issue.status == IssueStatus.SCHEDULED and issue.send_at > utcnow():
        return "programmee"
    return "en-cours"


def index(request: Request, session: Session, staff: Staff) -> Response:
    allowed(session, staff)
    sent = [(issue, editing.progress(session, issue.number))
            for issue in editing.sent_issues(session)]  # fmt: skip
    return page(
        request, "newsletter.html", staff=staff, drafts=editing.drafts(session), sent=sent,
        active=_active(session), done=request.query_params.get("fait", ""), state=state,
    )  # fmt: skip


def _form(
    request: Request, session: Session, staff: Staff, draft: Draft | None,
    values: dict[str, str], errors: dict[str, str], status_code: int = 200,
) -> Response:  # fmt: skip
    """The writing form; once saved, with the preview, the test and the sending forms."""
    context: dict[str, object] = {"text": None, "subject": ""}
    if draft is not None and not set(errors) & set(editing.FIELDS):
        rendered = issues.render(session, editing.source_of(draft))
        context = {"text": issues.personalise(rendered.text, _sample_link()),
                   "subject": rendered.subject}  # fmt: skip
    response = page(
        request, "newsletter_form.html", status_code, staff=staff, draft=draft, values=values,
        errors=errors, active=_active(session), done=request.query_params.get("fait", ""),
        **context,
    )  # fmt: skip
    response.headers["Content-Security-Policy"] = FRAMING_POLICY
    return response


def new_form(request: Request, session: Session, staff: Staff) -> Response:
    allowed(session, staff)
    return _form(request, session, staff, None, editing.blank(session), {})


def _draft(request: Request, session: Session) -> Draft:
    number = identifiers.parse(request.path_params["draft"])
    if number is None:
        raise NotFound("newsletter_web_draft_not_found")
    return editing.get_draft(session, number)


def draft_page(request: Request, session: Session, staff: Staff) -> Response:
    allowed(session, staff)
    draft = _draft(request, session)
    return _form(request, session, staff, draft, editing.values_of(draft), {})


def _typed(form: Form) -> dict[str, str]:
    return {name: form.get(name) for name in editing.FIELDS}


def _messages(problems: dict[str, InvalidInput]) -> dict[str, str]:
    return {name: sentence(problem.message) for name, problem in problems.items()}


def _save(
    request: Request, session: Session, staff: Staff, form: Form, draft: Draft | None
) -> Response:
    """« Prévisualiser »: checked field by field, kept as a draft, shown as subscribers will."""
    checked = editing.check(_typed(form))
    if checked.source is None:
        return _form(request, session, staff, draft, checked.values,
                     _messages(checked.errors), 422)  # fmt: skip
    try:
        with session.begin_nested():
            saved = editing.save(session, draft, checked.source, checked.values, staff.actor)
    except InvalidInput as error:
        return _form(request, session, staff, draft, checked.values,
                     {"numero": sentence(error.message)}, 422)  # fmt: skip
    return redirect(f"{HOME}/brouillons/{saved.id}?fait=apercu#apercu")


def create(request: Request, session: Session, staff: Staff, form: Form) -> Response:
    allowed(session, staff)
    return _save(request, session, staff, form, None)


def update(request: Request, session: Session, staff: Staff, form: Form) -> Response:
    allowed(session, staff)
    return _save(request, session, staff, form, _draft(request, session))


def preview(request: Request, session: Session, staff: Staff) -> Response:
    """The HTML e-mail as it is now (agenda of today), for the frame of the draft page."""
    allowed(session, staff)
    rendered = issues.render(session, editing.source_of(_draft(request, session)))
    headers = {**HEADERS, "Content-Security-Policy": PREVIEW_POLICY,
               "X-Frame-Options": "SAMEORIGIN"}  # fmt: skip
    return HTMLResponse(issues.personalise(rendered.html, _sample_link()), headers=headers)


def try_out(request: Request, session: Session, staff: Staff, form: Form) -> Response:
    """« Envoyer un essai »: to a few addresses, subject marked [TEST], nothing recorded as sent."""
    allowed(session, staff)
    draft = _draft(request, session)
    values = {**editing.values_of(draft), "essai": form.get("essai")[:1000]}
    try:
        addresses = editing.test_addresses(form.get("essai"))
    except InvalidInput as error:
        return _form(request, session, staff, draft, values,
                     {"essai": sentence(error.message)}, 422)  # fmt: skip
    editing.send_test(session, editing.source_of(draft), addresses, staff.actor)
    return redirect(f"{HOME}/brouillons/{draft.id}?fait=essai#essai-titre")


def _when(form: Form) -> datetime | None:
    """None for « maintenant »; a moment to come for « programmer »."""
    if form.get("quand") != "plus-tard":
        return None
    typed = form.get("moment").strip()[:40]
    try:
        moment = parse_local(typed)
    except ValueError:
        raise InvalidInput("bad_datetime", value=typed) from None
    if moment <= utcnow():
        raise InvalidInput("newsletter_web_when_past", when=format_datetime(moment))
    return moment


def send(request: Request, session: Session, staff: Staff, form: Form) -> Response:
    """Freeze the issue and hand it to the mailer; the issue's page follows the sending."""
    allowed(session, staff)
    draft = _draft(request, session)
    values = {**editing.values_of(draft), "moment": form.get("moment")[:40],
              "quand": form.get("quand")[:20]}  # fmt: skip
    try:
        send_at = _when(form)
    except InvalidInput as error:
        return _form(request, session, staff, draft, values,
                     {"moment": sentence(error.message)}, 422)  # fmt: skip
    issue = editing.send(session, draft, send_at, staff.actor)
    return redirect(f"{HOME}/{issue.number}?fait={'programme' if send_at else 'envoi'}")


def _number(request: Request) -> int:
    number = identifiers.parse(request.path_params["number"], minimum=1)
    if number is None:
        raise NotFound("newsletter_not_found", number="?")
    return number


def issue_page(request: Request, session: Session, staff: Staff) -> Response:
    """How far the sending is: sent, waiting, failed, bounced; pause or resume."""
    allowed(session, staff)
    issue = editing.get_issue(session, _number(request))
    response = page(
        request, "newsletter_issue.html", staff=staff, issue=issue,
        progress=editing.progress(session, issue.number), state=state,
        when=format_datetime(issue.send_at), done=request.query_params.get("fait", ""),
    )  # fmt: skip
    response.headers["Content-Security-Policy"] = SCRIPT_POLICY
    return response


_script: list[bytes] = []


def script(_request: Request) -> Response:
    """The back office's small script (``templates/web/admin/gestion.js``)."""
    if not _script:
        _script.append((TEMPLATES_DIR / "web" / "admin" / "gestion.js").read_bytes())
    return Response(_script[0], media_type="text/javascript; charset=utf-8",
                    headers={"Cache-Control": "public, max-age=3600"})  # fmt: skip


def pause(request: Request, session: Session, staff: Staff, form: Form) -> Response:
    allowed(session, staff)
    issue = editing.pause(session, _number(request), staff.actor)
    return redirect(f"{HOME}/{issue.number}?fait=pause")


def resume(request: Request, session: Session, staff: Staff, form: Form) -> Response:
    allowed(session, staff)
    issue = editing.resume(session, _number(request), staff.actor)
    return redirect(f"{HOME}/{issue.number}?fait=reprise")
