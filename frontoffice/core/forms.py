"""Sign-in and password-reset forms of the shell."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm
from django.template import loader
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from frontoffice.core import throttle
from frontoffice.core.tasks import email_enqueue


class ThrottledAuthenticationForm(AuthenticationForm):
    """Django's sign-in form, refusing attempts while the username or address is locked out.

    A locked-out attempt is refused before the password is checked, so guessing right during
    the lock-out gains nothing.
    """

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": _("The username or password is not correct. Both are case-sensitive."),
    }

    def clean(self) -> dict[str, Any]:
        username = self.cleaned_data.get("username") or ""
        address = throttle.client_address(self.request)
        lockout = throttle.login_lockout(username=username, address=address)
        if lockout is not None:
            raise self._locked_out_error(lockout)
        try:
            cleaned = super().clean()
        except forms.ValidationError as error:
            if getattr(error, "code", None) == "invalid_login":
                throttle.login_failed(username=username, address=address)
            raise
        throttle.login_succeeded(username=username)
        return cleaned

    @staticmethod
    def _locked_out_error(lockout: throttle.Lockout) -> forms.ValidationError:
        minutes = lockout.minutes_left
        return forms.ValidationError(
            ngettext(
                "Too many failed sign-in attempts. Please try again in %(minutes)d minute.",
                "Too many failed sign-in attempts. Please try again in %(minutes)d minutes.",
                minutes,
            )
            % {"minutes": minutes},
            code="throttled",
        )


class QueuedPasswordResetForm(PasswordResetForm):
    """Password reset whose e-mail goes out through the task queue, in the user's language.

    Links point at ``settings.SITE_URL`` rather than the request's host header.
    """

    def save(self, *args: Any, **kwargs: Any) -> None:
        kwargs["extra_email_context"] = {
            **(kwargs.get("extra_email_context") or {}),
            "site_url": settings.SITE_URL.rstrip("/"),
        }
        super().save(*args, **kwargs)

    def send_mail(
        self,
        subject_template_name: str,
        email_template_name: str,
        context: dict[str, Any],
        from_email: str | None,
        to_email: str,
        html_email_template_name: str | None = None,
    ) -> None:
        language = getattr(context.get("user"), "language", None) or translation.get_language()
        with translation.override(language):
            subject = "".join(loader.render_to_string(subject_template_name, context).splitlines())
            body = loader.render_to_string(email_template_name, context)
            html_body = (
                loader.render_to_string(html_email_template_name, context)
                if html_email_template_name
                else None
            )
        email_enqueue(subject=subject, body=body, to=[to_email], html_body=html_body)
