"""Pipeline stage settings: rules of the service and the settings page, with denials."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from frontoffice.core.models import AuditEntry
from frontoffice.sales.models import Stage
from frontoffice.sales.services import stage_save
from frontoffice.sales.tests.factories import make_opportunity, make_party, stage

pytestmark = pytest.mark.django_db


def test_nsm_adds_an_open_stage_and_it_is_audited(org):
    new = stage_save(
        actor=org.user("nsm"), legal_entity=org.company, name="Demo given", order=35, probability=50
    )
    assert (new.kind, new.probability, new.active) == ("open", 50, True)
    assert AuditEntry.objects.filter(action="sales.stage.created", object_id=str(new.pk)).exists()


def test_a_new_stage_is_always_open(org):
    with pytest.raises(ValidationError) as exc:
        stage_save(
            actor=org.user("nsm"), legal_entity=org.company, name="Won again", probability=100, kind="won"
        )
    assert exc.value.error_dict["kind"][0].code == "closing_stage_fixed"
    assert not Stage.objects.filter(name="Won again").exists()


def test_won_and_lost_keep_their_kind_probability_and_stay_active(org):
    won = stage(org.company, "Won")
    for change, field in (
        ({"kind": "open"}, "kind"),
        ({"probability": 90}, "probability"),
        ({"active": False}, "active"),
    ):
        with pytest.raises(ValidationError) as exc:
            stage_save(actor=org.user("nsm"), legal_entity=org.company, stage=won, **change)
        assert exc.value.error_dict[field][0].code == "closing_stage_fixed"
    won.refresh_from_db()
    assert (won.kind, won.probability, won.active) == ("won", 100, True)
    # Its name can change.
    assert (
        stage_save(actor=org.user("nsm"), legal_entity=org.company, stage=won, name="Closed won").name
        == "Closed won"
    )


def test_a_stage_with_open_opportunities_cannot_be_deactivated(org):
    opp = make_opportunity(org.user("rep_north"), make_party(org))
    with pytest.raises(ValidationError) as exc:
        stage_save(actor=org.user("nsm"), legal_entity=org.company, stage=opp.stage, active=False)
    assert exc.value.error_dict["active"][0].code == "stage_in_use"
    assert Stage.objects.get(pk=opp.stage_id).active


def test_the_last_active_open_stage_stays(org):
    stages = list(Stage.objects.filter(legal_entity=org.company, kind="open").order_by("order"))
    for s in stages[:-1]:
        stage_save(actor=org.user("nsm"), legal_entity=org.company, stage=s, active=False)
    with pytest.raises(ValidationError) as exc:
        stage_save(actor=org.user("nsm"), legal_entity=org.company, stage=stages[-1], active=False)
    assert exc.value.error_dict["active"][0].code == "last_open_stage"


def test_bad_probability_and_duplicate_names_are_refused(org):
    with pytest.raises(ValidationError) as exc:
        stage_save(actor=org.user("nsm"), legal_entity=org.company, name="Too sure", probability=120)
    assert "probability" in exc.value.error_dict
    with pytest.raises(ValidationError):
        stage_save(actor=org.user("nsm"), legal_entity=org.company, name="Proposal", probability=60)


def test_only_stage_managers_of_the_legal_entity(org):
    with pytest.raises(PermissionDenied):
        stage_save(actor=org.user("rep_north"), legal_entity=org.company, name="Mine", probability=5)
    other = Stage.objects.filter(legal_entity=org.other_company).first()
    with pytest.raises(PermissionDenied):
        stage_save(actor=org.user("nsm"), legal_entity=org.company, stage=other, name="Theirs")


def test_settings_page_lists_adds_and_edits(org, client_for):
    client = client_for("nsm")
    page = client.get("/sales/stages/")
    assert page.status_code == 200
    assert b"Negotiation" in page.content
    response = client.post(
        "/sales/stages/new/", {"name": "Trial", "order": "45", "probability": "55", "active": "on"}
    )
    assert response.status_code == 302
    trial = Stage.objects.get(legal_entity=org.company, name="Trial")
    response = client.post(
        f"/sales/stages/{trial.pk}/",
        {"name": "Trial run", "order": "45", "probability": "150", "active": "on"},
    )
    assert response.status_code == 200
    assert b"100" in response.content  # the error names the allowed range
    trial.refresh_from_db()
    assert trial.name == "Trial"


def test_settings_page_denials(org, client_for):
    assert client_for("rep_north").get("/sales/stages/").status_code == 403
    assert (
        client_for("rep_north").post("/sales/stages/new/", {"name": "x", "probability": "1"}).status_code
        == 403
    )
    other = Stage.objects.filter(legal_entity=org.other_company).first()
    assert client_for("finance_manager").get(f"/sales/stages/{other.pk}/").status_code in (403, 404)
