"""What the mailer shows on the back office's dashboard (its ``panel`` in the wiring list):
e-mails failed or waiting for a new try, and the newsletter issues being sent.

Plain numbers and rows, no words: the web page's template says them in French.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, select

from mailer import newsletter, queue
from relais.newsletter.models import Issue, IssueStatus


def panel(session: Session) -> dict[str, Any]:
    counts = queue.status(session)
    sending = session.exec(
        select(Issue)
        .where(
            col(Issue.status).in_([IssueStatus.SCHEDULED, IssueStatus.SENDING, IssueStatus.PAUSED])
        )
        .order_by(col(Issue.number))
    ).all()
    return {
        "failed": counts.failed,
        "retrying": counts.retrying,
        "waiting": counts.due + counts.sending,
        "failures": [
            {"to": row.to_address, "reply": row.last_reply or "", "kind": row.kind}
            for row in queue.last_failures(session, 5)
        ],
        "issues": [
            {"issue": issue, "progress": newsletter.progress(session, issue.number)}
            for issue in sending
        ],
    }
