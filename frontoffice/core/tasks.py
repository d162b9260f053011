"""Background tasks of the shell. E-mail always goes out through the task queue; the
scheduler's periodic jobs run through it too.

Tasks take JSON-able arguments, reload what they need and are safe to run twice. They are
enqueued with ``transaction.on_commit`` so a rolled-back transaction sends nothing.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django_tasks import task


@task()
def send_email(
    *,
    subject: str,
    body: str,
    to: list[str],
    html_body: str | None = None,
    from_email: str | None = None,
    reply_to: list[str] | None = None,
    attachments: list[dict[str, str]] | None = None,
) -> int:
    """Send one e-mail; returns the number of messages sent (0 or 1).

    ``attachments`` are ``{"filename", "content" (base64), "mimetype"}`` dicts, so the task's
    arguments stay JSON-able.
    """
    message = EmailMultiAlternatives(
        subject=subject,
        body=body,
        from_email=from_email or settings.DEFAULT_FROM_EMAIL,
        to=to,
        reply_to=reply_to,
    )
    if html_body:
        message.attach_alternative(html_body, "text/html")
    for item in attachments or ():
        message.attach(item["filename"], base64.b64decode(item["content"]), item["mimetype"])
    return message.send()


def email_enqueue(
    *,
    subject: str,
    body: str,
    to: list[str],
    html_body: str | None = None,
    reply_to: list[str] | None = None,
    attachments: Sequence[tuple[str, bytes, str]] | None = None,
) -> None:
    """Queue an e-mail to be sent once the surrounding transaction commits.

    ``attachments`` are ``(filename, content bytes, MIME type)`` triples.
    """
    kwargs: dict = {
        "subject": str(subject),
        "body": body,
        "to": list(to),
        "html_body": html_body,
        "reply_to": reply_to,
    }
    if attachments:
        kwargs["attachments"] = [
            {"filename": filename, "content": base64.b64encode(content).decode("ascii"), "mimetype": mimetype}
            for filename, content, mimetype in attachments
        ]
    transaction.on_commit(lambda: send_email.enqueue(**kwargs))


@task()
def scheduled_job_run(*, run_id: int) -> str:
    """Run the command of one claimed scheduler slot (``core.scheduler``); returns its output."""
    from frontoffice.core.scheduler import scheduled_run_execute

    return scheduled_run_execute(run_id=run_id)
