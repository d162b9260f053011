"""Background tasks of the shell. E-mail always goes out through the task queue.

Tasks take JSON-able arguments, reload what they need and are safe to run twice. They are
enqueued with ``transaction.on_commit`` so a rolled-back transaction sends nothing.
"""

from __future__ import annotations

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
) -> int:
    """Send one e-mail; returns the number of messages sent (0 or 1)."""
    message = EmailMultiAlternatives(
        subject=subject,
        body=body,
        from_email=from_email or settings.DEFAULT_FROM_EMAIL,
        to=to,
        reply_to=reply_to,
    )
    if html_body:
        message.attach_alternative(html_body, "text/html")
    return message.send()


def email_enqueue(
    *,
    subject: str,
    body: str,
    to: list[str],
    html_body: str | None = None,
    reply_to: list[str] | None = None,
) -> None:
    """Queue an e-mail to be sent once the surrounding transaction commits."""
    kwargs = {
        "subject": str(subject),
        "body": body,
        "to": list(to),
        "html_body": html_body,
        "reply_to": reply_to,
    }
    transaction.on_commit(lambda: send_email.enqueue(**kwargs))
