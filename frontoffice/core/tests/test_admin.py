"""Django admin stays available to superusers, and the audit trail is read-only there too."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "url_name",
    [
        "admin:org_staff_changelist",
        "admin:org_user_changelist",
        "admin:parties_party_changelist",
        "admin:parties_interaction_changelist",
        "admin:core_auditentry_changelist",
    ],
)
def test_superuser_can_open_admin_lists(client, org, url_name):
    admin = org.user("admin")
    admin.is_staff = admin.is_superuser = True
    admin.save()
    client.force_login(admin)
    assert client.get(reverse(url_name)).status_code == 200


def test_audit_entries_cannot_be_added_in_admin(client, org):
    admin = org.user("admin")
    admin.is_staff = admin.is_superuser = True
    admin.save()
    client.force_login(admin)
    assert client.get(reverse("admin:core_auditentry_add")).status_code == 403


def test_staff_without_superuser_flag_cannot_use_admin(client, org):
    client.force_login(org.user("clerk"))
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302
