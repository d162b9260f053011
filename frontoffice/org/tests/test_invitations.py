"""Invitations: sent by e-mail through the task queue, accepted once through a public link."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone, translation

from frontoffice.core.models import AuditEntry
from frontoffice.org import services
from frontoffice.org.models import Invitation, Role, Staff, User

pytestmark = pytest.mark.django_db

LINK = re.compile(r"https://frontoffice\.example\.com/settings/invitations/accept/([\w-]+)/")


@pytest.fixture(autouse=True)
def _site_url(settings):
    settings.SITE_URL = "https://frontoffice.example.com/"


def invite(org, **overrides):
    fields = {
        "email": "Nina@Example.com",
        "first_name": "Nina",
        "last_name": "Nilsson",
        "legal_entity": org.company.pk,
        "role": Role.objects.get(code="receptionist").pk,
        "home_region": org.north.pk,
        "home_location": org.clinic.pk,
    }
    fields.update(overrides)
    return fields


def send_invitation(org, client, django_capture_on_commit_callbacks, **overrides):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("org:invitation-create"), invite(org, **overrides))
    return response


def test_invitation_journey_from_e_mail_to_signed_in_staff_member(
    org, client_for, client, django_capture_on_commit_callbacks
):
    admin_client = client_for("admin")
    response = send_invitation(org, admin_client, django_capture_on_commit_callbacks)
    assert response.status_code == 302
    invitation = Invitation.objects.get()
    assert invitation.email == "nina@example.com"
    assert invitation.invited_by == org.people["admin"]
    assert invitation.expires_at - invitation.created_at == pytest.approx(
        timedelta(days=7), abs=timedelta(seconds=5)
    )

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["nina@example.com"]
    assert message.subject == "Your invitation to Frontoffice"
    assert (
        "Admin Test has invited you to join Tandhälsan Norden AB in Frontoffice as Receptionist."
        in message.body
    )
    token = LINK.search(message.body).group(1)
    assert token not in str(Invitation.objects.values_list().get())  # only the hash is stored

    client.logout()
    accept_url = reverse("org:invitation-accept", args=[token])
    page = client.get(accept_url)
    assert page.status_code == 200
    assert "Admin Test has invited you to join Tandhälsan Norden AB as Receptionist." in page.content.decode()

    weak = client.post(accept_url, {"username": "nina", "password": "12345678", "password_again": "12345678"})
    assert weak.status_code == 200
    assert weak.context["form"].errors["password"] == [
        "This password is too common.",
        "This password is entirely numeric.",
    ]
    assert User.objects.filter(username="nina").exists() is False

    done = client.post(
        accept_url,
        {"username": "nina", "password": "plums-and-pears-42", "password_again": "plums-and-pears-42"},
    )
    assert done.status_code == 302
    assert done.url == reverse("core:home")
    user = User.objects.get(username="nina")
    assert user.email == "nina@example.com"
    assert user.check_password("plums-and-pears-42") is True
    staff = Staff.objects.get(user=user)
    assert (staff.legal_entity, staff.role.code, staff.home_region, staff.home_location) == (
        org.company,
        "receptionist",
        org.north,
        org.clinic,
    )
    invitation.refresh_from_db()
    assert invitation.accepted_at is not None
    assert client.get(reverse("core:home")).context["user"] == user
    assert list(AuditEntry.objects.for_object(invitation).values_list("action", flat=True)) == [
        "org.invitation.accepted",
        "org.invitation.created",
    ]
    assert AuditEntry.objects.for_object(staff).get().actor == user

    client.logout()
    again = client.get(accept_url)
    assert again.status_code == 410
    assert "This invitation has been used already." in again.content.decode()
    assert (
        client.post(accept_url, {"username": "nina2", "password": "x", "password_again": "x"}).status_code
        == 410
    )
    assert User.objects.filter(username="nina2").exists() is False


def test_invitation_e_mail_is_sent_only_when_the_transaction_commits(org, client_for):
    client_for("admin").post(reverse("org:invitation-create"), invite(org))
    assert Invitation.objects.count() == 1
    assert mail.outbox == []  # the on-commit callback was not run


def test_an_existing_users_e_mail_is_refused_at_invitation_time(
    org, client_for, django_capture_on_commit_callbacks
):
    response = send_invitation(
        org, client_for("admin"), django_capture_on_commit_callbacks, email="CLERK@example.com"
    )
    assert response.status_code == 200
    assert response.context["form"].errors == {"email": ["A user with this e-mail address already exists."]}
    assert Invitation.objects.count() == 0
    assert mail.outbox == []


def test_a_second_open_invitation_to_the_same_address_is_refused(
    org, client_for, django_capture_on_commit_callbacks
):
    client = client_for("admin")
    send_invitation(org, client, django_capture_on_commit_callbacks)
    response = send_invitation(org, client, django_capture_on_commit_callbacks)
    assert response.context["form"].errors == {
        "email": ["An open invitation to this e-mail address exists already."]
    }
    assert Invitation.objects.count() == 1


def test_invitation_units_must_belong_to_the_chosen_legal_entity(org):
    with pytest.raises(ValidationError) as exc:
        services.invitation_create(
            actor=org.user("admin"),
            email="x@example.com",
            first_name="X",
            last_name="Y",
            legal_entity=org.other_company,
            role=Role.objects.get(code="receptionist"),
            home_location=org.clinic,
        )
    assert {f: [e.code for e in errs] for f, errs in exc.value.error_dict.items()} == {
        "home_region": ["unit_entity"],
        "home_location": ["unit_entity"],
    }


@pytest.fixture
def open_invitation(org):
    invitation, raw = services.invitation_create(
        actor=org.user("admin"),
        email="nina@example.com",
        first_name="Nina",
        last_name="Nilsson",
        legal_entity=org.company,
        role=Role.objects.get(code="receptionist"),
    )
    return invitation, raw


def test_an_expired_link_shows_a_clear_message_and_creates_nobody(org, client, open_invitation):
    invitation, raw = open_invitation
    Invitation.objects.filter(pk=invitation.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    url = reverse("org:invitation-accept", args=[raw])
    response = client.get(url)
    assert response.status_code == 410
    assert "This invitation has expired." in response.content.decode()
    client.post(
        url, {"username": "nina", "password": "plums-and-pears-42", "password_again": "plums-and-pears-42"}
    )
    assert User.objects.filter(username="nina").exists() is False
    with pytest.raises(ValidationError) as exc:
        services.invitation_accept(token=raw, username="nina", password="plums-and-pears-42")
    assert exc.value.code == "invitation_expired"


def test_a_withdrawn_link_shows_a_clear_message(org, client_for, client, open_invitation):
    invitation, raw = open_invitation
    response = client_for("admin").post(reverse("org:invitation-revoke", args=[invitation.pk]))
    assert response.status_code == 302
    invitation.refresh_from_db()
    assert invitation.revoked_at is not None
    assert AuditEntry.objects.for_object(invitation).first().action == "org.invitation.revoked"
    client.logout()
    page = client.get(reverse("org:invitation-accept", args=[raw]))
    assert page.status_code == 410
    assert "This invitation has been withdrawn." in page.content.decode()
    with pytest.raises(ValidationError) as exc:
        services.invitation_accept(token=raw, username="nina", password="plums-and-pears-42")
    assert exc.value.code == "invitation_revoked"


def test_an_accepted_invitation_cannot_be_withdrawn(org, open_invitation):
    invitation, raw = open_invitation
    services.invitation_accept(token=raw, username="nina", password="plums-and-pears-42")
    invitation.refresh_from_db()
    with pytest.raises(ValidationError) as exc:
        services.invitation_revoke(actor=org.user("admin"), invitation=invitation)
    assert exc.value.code == "invitation_used"


def test_an_unknown_link_is_not_found(org, client):
    response = client.get(reverse("org:invitation-accept", args=["not-a-real-token"]))
    assert response.status_code == 404
    assert "This invitation link is not valid." in response.content.decode()


def test_a_taken_username_is_refused_on_acceptance(org, client, open_invitation):
    _invitation, raw = open_invitation
    response = client.post(
        reverse("org:invitation-accept", args=[raw]),
        {"username": "clerk", "password": "plums-and-pears-42", "password_again": "plums-and-pears-42"},
    )
    assert response.status_code == 200
    assert response.context["form"].errors == {"username": ["A user with that username already exists."]}


def test_invitation_list_shows_each_state(org, client_for, open_invitation):
    invitation, _raw = open_invitation
    response = client_for("admin").get(reverse("org:invitation-list"))
    assert [i.state for i in response.context["page_obj"]] == ["pending"]
    assert reverse("org:invitation-revoke", args=[invitation.pk]) in response.content.decode()


@pytest.mark.parametrize(
    ("language", "expires"),
    [("en", "March 9, 2026, 9 a.m."), ("sv", "9 mars 2026 09:00")],
)
def test_invitation_e_mail_is_written_in_the_inviters_language(
    org, client_for, django_capture_on_commit_callbacks, language, expires
):
    client = client_for("admin")
    client.cookies["frontoffice_language"] = language
    with time_machine.travel("2026-03-02 09:00 +01:00", tick=False), translation.override("en"):
        send_invitation(org, client, django_capture_on_commit_callbacks)
    assert (
        expires in mail.outbox[0].body or expires.replace("valid until", "giltig till") in mail.outbox[0].body
    )
