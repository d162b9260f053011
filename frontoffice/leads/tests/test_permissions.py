import pytest

pytestmark = pytest.mark.django_db


def test_shipped_roles_get_the_leads_permissions(org):
    rep = org.user("rep_north")
    assert rep.has_perm("leads.view_lead")
    assert rep.has_perm("leads.convert_lead")
    assert not rep.has_perm("leads.assign_lead")
    assert org.user("rsm_north").has_perm("leads.assign_lead")
    assert org.user("nsm").has_perm("leads.manage_leads")
    assert org.user("auditor").has_perm("leads.view_lead")
    assert not org.user("auditor").has_perm("leads.change_lead")
    assert not org.user("receptionist").has_perm("leads.view_lead")
