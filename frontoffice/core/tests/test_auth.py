"""Sign-in with throttling, sign-out, password change and password reset by e-mail."""

from __future__ import annotations

import datetime
import re
from typing import Any

import pytest
import time_machine
from django.conf import settings
from django.core import mail
from django.urls import reverse

from conftest import PASSWORD
from frontoffice.core import throttle

NEW_PASSWORD = "a brand new passphrase 2025"


@pytest.fixture(autouse=True)
def _small_throttle(settings: Any) -> None:
    settings.LOGIN_THROTTLE_LIMIT = 3
    settings.LOGIN_THROTTLE_WINDOW_SECONDS = 600


def login(client: Any, username: str, password: str, address: str = "10.0.0.1") -> Any:
    return client.post(reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=address)


def signed_in_user_id(client: Any) -> str | None:
    return client.session.get("_auth_user_id")


# --- Sign-in -------------------------------------------------------------------------------


def test_login_page_renders_an_accessible_form(client: Any, db: Any) -> None:
    html = client.get(reverse("login")).content.decode()
    assert '<label for="id_username">' in html
    assert '<label for="id_password">' in html
    assert f'href="{reverse("password_reset")}"' in html


def test_correct_password_signs_in_and_goes_to_home(client: Any, org: Any) -> None:
    response = login(client, "receptionist", PASSWORD)
    assert response.status_code == 302
    assert response["Location"] == reverse("core:home")
    assert signed_in_user_id(client) == str(org.user("receptionist").pk)


def test_login_honours_a_safe_next_page(client: Any, org: Any) -> None:
    response = client.post(
        reverse("login"), {"username": "receptionist", "password": PASSWORD, "next": "/search/?q=ab"}
    )
    assert response["Location"] == "/search/?q=ab"


def test_login_ignores_a_next_page_on_another_site(client: Any, org: Any) -> None:
    response = client.post(
        reverse("login"), {"username": "receptionist", "password": PASSWORD, "next": "https://evil.example/"}
    )
    assert response["Location"] == reverse("core:home")


def test_login_sets_the_language_saved_on_the_account(client: Any, org: Any) -> None:
    user = org.user("receptionist")
    user.language = "sv"
    user.save(update_fields=["language"])
    response = login(client, "receptionist", PASSWORD)
    cookie = response.cookies[settings.LANGUAGE_COOKIE_NAME]
    assert cookie.value == "sv"
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"
    home = client.get(reverse("core:home"))
    assert '<html lang="sv"' in home.content.decode()


def test_wrong_password_shows_an_error_and_signs_nobody_in(client: Any, org: Any) -> None:
    response = login(client, "receptionist", "wrong")
    assert response.status_code == 200
    assert response.context["form"].errors["__all__"] == [
        "The username or password is not correct. Both are case-sensitive."
    ]
    assert 'class="form-errors" role="alert"' in response.content.decode()
    assert signed_in_user_id(client) is None


def test_signed_in_user_visiting_login_goes_home(client_for: Any) -> None:
    response = client_for("receptionist").get(reverse("login"))
    assert response.status_code == 302
    assert response["Location"] == reverse("core:home")


# --- Throttling ----------------------------------------------------------------------------


def test_username_is_locked_out_after_the_limit_even_with_the_right_password(client: Any, org: Any) -> None:
    for attempt in range(3):
        login(client, "receptionist", "wrong", address=f"10.0.0.{attempt + 1}")
    response = login(client, "receptionist", PASSWORD, address="10.0.0.9")
    assert response.status_code == 200
    assert response.context["form"].errors["__all__"] == [
        "Too many failed sign-in attempts. Please try again in 10 minutes."
    ]
    assert signed_in_user_id(client) is None


def test_attempts_below_the_limit_do_not_lock_out(client: Any, org: Any) -> None:
    for _ in range(2):
        login(client, "receptionist", "wrong")
    response = login(client, "receptionist", PASSWORD)
    assert response.status_code == 302
    assert signed_in_user_id(client) == str(org.user("receptionist").pk)


def test_lockout_applies_to_the_username_in_any_letter_case(client: Any, org: Any) -> None:
    for attempt in range(3):
        login(client, "Receptionist", "wrong", address=f"10.0.1.{attempt}")
    response = login(client, "receptionist", PASSWORD, address="10.0.2.1")
    assert response.context["form"].errors["__all__"][0].startswith("Too many failed sign-in attempts.")


def test_client_address_is_locked_out_after_failures_across_usernames(client: Any, org: Any) -> None:
    for name in ("admin", "clerk", "auditor"):
        login(client, name, "wrong", address="192.0.2.7")
    refused = login(client, "receptionist", PASSWORD, address="192.0.2.7")
    assert refused.status_code == 200
    assert refused.context["form"].errors["__all__"] == [
        "Too many failed sign-in attempts. Please try again in 10 minutes."
    ]
    accepted = login(client, "receptionist", PASSWORD, address="192.0.2.8")
    assert accepted.status_code == 302


def test_lockout_message_counts_down_the_minutes_left(client: Any, org: Any) -> None:
    start = datetime.datetime(2025, 3, 1, 9, 0, tzinfo=datetime.UTC)
    with time_machine.travel(start, tick=False) as traveller:
        for _ in range(3):
            login(client, "receptionist", "wrong")
        traveller.shift(datetime.timedelta(minutes=9, seconds=10))
        response = login(client, "receptionist", PASSWORD)
    assert response.context["form"].errors["__all__"] == [
        "Too many failed sign-in attempts. Please try again in 1 minute."
    ]


def test_lockout_ends_when_the_window_has_passed(client: Any, org: Any) -> None:
    start = datetime.datetime(2025, 3, 1, 9, 0, tzinfo=datetime.UTC)
    with time_machine.travel(start, tick=False) as traveller:
        for _ in range(3):
            login(client, "receptionist", "wrong")
        traveller.shift(datetime.timedelta(seconds=601))
        response = login(client, "receptionist", PASSWORD)
        assert response.status_code == 302
        assert signed_in_user_id(client) == str(org.user("receptionist").pk)


def test_successful_login_clears_the_username_counter(client: Any, org: Any) -> None:
    for _ in range(2):
        login(client, "receptionist", "wrong", address="10.1.0.1")
    assert login(client, "receptionist", PASSWORD, address="10.1.0.1").status_code == 302
    client.logout()
    # Two more failures from another address: the earlier two no longer count.
    for _ in range(2):
        login(client, "receptionist", "wrong", address="10.2.0.1")
    assert throttle.login_lockout(username="receptionist", address="10.3.0.1") is None
    assert login(client, "receptionist", PASSWORD, address="10.3.0.1").status_code == 302


def test_successful_login_keeps_the_address_counter(client: Any, org: Any) -> None:
    """Signing in to one's own account must not reset an address that guesses passwords."""
    for name in ("admin", "clerk"):
        login(client, name, "wrong", address="198.51.100.1")
    assert login(client, "receptionist", PASSWORD, address="198.51.100.1").status_code == 302
    client.logout()
    login(client, "auditor", "wrong", address="198.51.100.1")
    lockout = throttle.login_lockout(username="nsm", address="198.51.100.1")
    assert lockout is not None
    assert lockout.minutes_left == 10


def test_unknown_usernames_count_towards_the_address_limit(client: Any, org: Any) -> None:
    for i in range(3):
        login(client, f"ghost{i}", "wrong", address="203.0.113.5")
    assert throttle.login_lockout(username="", address="203.0.113.5") is not None


# --- Sign-out and password change ------------------------------------------------------------


def test_logout_by_post_signs_out_and_returns_to_login(client_for: Any) -> None:
    client = client_for("receptionist")
    response = client.post(reverse("logout"))
    assert response.status_code == 302
    assert response["Location"] == reverse("login")
    assert signed_in_user_id(client) is None


def test_logout_by_get_is_refused(client_for: Any) -> None:
    client = client_for("receptionist")
    assert client.get(reverse("logout")).status_code == 405
    assert signed_in_user_id(client) is not None


def test_password_change_requires_sign_in(client: Any, db: Any) -> None:
    response = client.get(reverse("password_change"))
    assert response["Location"] == f"{reverse('login')}?next={reverse('password_change')}"


def test_user_changes_own_password(client_for: Any, org: Any) -> None:
    client = client_for("receptionist")
    response = client.post(
        reverse("password_change"),
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    user = org.user("receptionist")
    user.refresh_from_db()
    assert response["Location"] == reverse("password_change_done")
    assert user.check_password(NEW_PASSWORD) is True
    assert signed_in_user_id(client) == str(user.pk)


def test_password_change_with_wrong_old_password_shows_inline_error(client_for: Any, org: Any) -> None:
    response = client_for("receptionist").post(
        reverse("password_change"),
        {"old_password": "nope", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert 'class="field field--error field--required"' in html
    assert 'id="id_old_password_error"' in html
    assert org.user("receptionist").check_password(PASSWORD) is True


# --- Password reset --------------------------------------------------------------------------


def test_password_reset_mail_goes_through_the_task_queue_after_commit(
    client: Any, org: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post(reverse("password_reset"), {"email": "receptionist@example.com"})
        assert mail.outbox == []
    assert response["Location"] == reverse("password_reset_done")
    assert len(callbacks) == 1
    callbacks[0]()
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["receptionist@example.com"]
    assert message.subject == "Reset your Frontoffice password"
    assert "Hello Receptionist Test," in message.body
    assert "Your username is: receptionist" in message.body


def test_password_reset_link_lets_the_user_choose_a_new_password(
    client: Any, org: Any, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.SITE_URL = "https://frontoffice.example.com/"
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("password_reset"), {"email": "RECEPTIONIST@example.com"})
    link = re.search(r"https://frontoffice\.example\.com(/accounts/password/reset/\S+/)", mail.outbox[0].body)
    assert link is not None

    confirm = client.get(link.group(1))
    assert confirm.status_code == 302
    form_page = client.get(confirm["Location"])
    assert form_page.context["validlink"] is True
    done = client.post(confirm["Location"], {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert done["Location"] == reverse("password_reset_complete")

    user = org.user("receptionist")
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD) is True
    assert login(client, "receptionist", NEW_PASSWORD).status_code == 302


def test_used_reset_link_says_it_no_longer_works(
    client: Any, org: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("password_reset"), {"email": "receptionist@example.com"})
    path = re.search(r"(/accounts/password/reset/\S+/)", mail.outbox[0].body).group(1)
    confirm = client.get(path)
    client.post(confirm["Location"], {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    again = client.get(path)
    assert again.status_code == 200
    assert again.context["validlink"] is False
    assert "This link no longer works" in again.content.decode()


def test_password_reset_for_unknown_address_sends_nothing_and_reveals_nothing(
    client: Any, org: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client.post(reverse("password_reset"), {"email": "stranger@example.com"})
    assert response["Location"] == reverse("password_reset_done")
    assert callbacks == []
    assert mail.outbox == []


@pytest.mark.parametrize(
    "url_name",
    ["login", "password_reset", "password_reset_done", "password_reset_complete"],
)
def test_auth_pages_render_for_anonymous_visitors(client: Any, db: Any, url_name: str) -> None:
    response = client.get(reverse(url_name))
    assert response.status_code == 200
    assert 'class="auth-card card"' in response.content.decode()
