"""Lead scoring learned from a legal entity's own won/lost history, its explanations, the
checklist fallback, bulk rescoring and the ``leads_train_scoring`` command."""

from __future__ import annotations

import datetime
import math
import socket
from io import StringIO
from typing import Any

import factory
import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import CommandError, call_command
from django.template.loader import render_to_string
from django.test import override_settings
from django.utils import timezone

from frontoffice.core.models import AuditEntry
from frontoffice.leads import scoring
from frontoffice.leads.models import Lead, LeadScoringModel, LeadSource, QualificationQuestion
from frontoffice.leads.scoring_logit import sigmoid
from frontoffice.parties.models import Interaction, Party
from frontoffice.sales.models import Opportunity, Stage

pytestmark = pytest.mark.django_db


# -- factories (smallest valid rows from fixed values) ----------------------------------------


class PartyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Party

    kind = Party.Kind.ORGANISATION
    organisation_name = factory.Sequence(lambda n: f"Prospect {n} AB")
    display_name = factory.SelfAttribute("organisation_name")


class LeadSourceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = LeadSource
        django_get_or_create = ("legal_entity", "name")

    name = "Web form"


class LeadFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Lead

    party = factory.SubFactory(PartyFactory, legal_entity=factory.SelfAttribute("..legal_entity"))
    contact_name = factory.Sequence(lambda n: f"Contact {n}")
    channel = Lead.Channel.WEB_FORM
    country = "SE"


class OpportunityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Opportunity

    name = "Deal"
    amount = "1000.00"
    expected_close_on = datetime.date(2026, 6, 30)


def stage_of(legal_entity: Any, kind: str) -> Stage:
    return Stage.objects.filter(legal_entity=legal_entity, kind=kind).order_by("order").first()


def decided_lead(org: Any, *, source: LeadSource, won: bool, disqualify: bool = False, **fields: Any) -> Lead:
    """A lead whose outcome is known: converted and won, converted and lost, or disqualified."""
    company = source.legal_entity
    if disqualify:
        return LeadFactory(
            legal_entity=company,
            source=source,
            stage=Lead.Stage.DISQUALIFIED,
            disqualify_reason="No budget",
            **fields,
        )
    party = PartyFactory(legal_entity=company)
    opportunity = OpportunityFactory(
        legal_entity=company,
        party=party,
        owner=org.people["rep_north"],
        stage=stage_of(company, "won" if won else "lost"),
        closed_on=datetime.date(2026, 3, 1),
    )
    lead = LeadFactory(
        legal_entity=company,
        party=party,
        source=source,
        stage=Lead.Stage.CONVERTED,
        opportunity=opportunity,
        **fields,
    )
    return lead


def build_history(org: Any, count: int = 80) -> dict[str, LeadSource]:
    """``count`` decided leads where referrals mostly win and bought lists mostly lose; every
    third lead has a phone number, which makes no difference."""
    company = org.company
    sources = {
        "referral": LeadSourceFactory(legal_entity=company, name="Referral"),
        "list": LeadSourceFactory(legal_entity=company, name="Bought list"),
    }
    for i in range(count):
        referral = i % 2 == 1
        won = (referral and i % 8 != 1) or (not referral and i % 8 == 0)
        decided_lead(
            org,
            source=sources["referral" if referral else "list"],
            won=won,
            disqualify=not won and i % 4 == 2,
            phone="+46701234567" if i % 3 == 0 else "",
            industry="Dental",
            company_size="10-49",
        )
    return sources


def open_lead(org: Any, source: LeadSource, **fields: Any) -> Lead:
    return LeadFactory(legal_entity=org.company, source=source, stage=Lead.Stage.NEW, **fields)


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any attempt to open a network connection from Python fails the test."""

    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("lead scoring must not touch the network")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)


# -- features ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "band"),
    [
        ("", ""),
        ("3", "1-9"),
        ("12 employees", "10-49"),
        ("10-49", "10-49"),
        ("1 200", "250+"),
        ("50-249", "50-249"),
        ("Large", "large"),
    ],
)
def test_company_size_is_grouped_in_bands(text: str, band: str) -> None:
    assert scoring.size_band(text) == band


def test_answered_items_counts_checklist_answers_with_a_value() -> None:
    answers = {
        "budget": True,
        "authority": "",
        "need": "yes",
        "timeline": {"answer": False},
        "x": {"value": 3},
    }
    assert scoring.answered_items(answers) == 3
    assert scoring.answered_items([]) == 0


def test_engagement_counts_the_customers_interactions_in_the_first_14_days(org: Any) -> None:
    source = LeadSourceFactory(legal_entity=org.company)
    lead = open_lead(org, source)
    created = lead.created_at
    for offset in (datetime.timedelta(hours=1), datetime.timedelta(days=13), datetime.timedelta(days=15)):
        Interaction.objects.create(
            party=lead.party,
            kind=Interaction.Kind.CALL,
            channel=Interaction.Channel.PHONE,
            started_at=created + offset,
            subject="Call",
            legal_entity=org.company,
        )
    Interaction.objects.create(
        party=lead.party,
        kind=Interaction.Kind.CALL,
        channel=Interaction.Channel.PHONE,
        started_at=created - datetime.timedelta(days=1),
        subject="Before the lead",
        legal_entity=org.company,
    )
    assert scoring.lead_engagement(lead) == 2
    annotated = scoring.with_engagement(Lead.objects.filter(pk=lead.pk)).get()
    assert annotated.interactions_14d == 2
    features = scoring.lead_features(annotated)
    assert features == {
        "source": str(source.pk),
        "channel": "web_form",
        "industry": "",
        "size_band": "",
        "country": "SE",
        "interactions_14d": 2,
        "answered_items": 0,
        "has_phone": 0,
    }


# -- training from the organisation's own history --------------------------------------------


def test_training_learns_from_won_and_lost_history_and_activates_the_model(
    org: Any, no_network: None
) -> None:
    sources = build_history(org)
    referral_lead = open_lead(org, sources["referral"])
    list_lead = open_lead(org, sources["list"])

    result = scoring.scoring_model_train(legal_entity=org.company)

    row = LeadScoringModel.objects.get(legal_entity=org.company)
    assert result.model == row
    assert row.is_active is True
    assert row.sample_size == 80
    assert result.history.won == 40 and result.history.lost == 40
    model = scoring.linear_model_from(row)
    coefficient = dict(zip(model.feature_names, model.coefficients, strict=True))
    assert coefficient[f"source={sources['referral'].pk}"] > 0 > coefficient[f"source={sources['list'].pk}"]
    assert row.metrics["holdout_size"] == 16
    assert 0.5 < row.metrics["accuracy"] <= 1.0
    assert 0.5 < row.metrics["auc"] <= 1.0
    assert row.metrics["converged"] is True
    assert AuditEntry.objects.filter(action="leads.scoring_model.trained", object_id=str(row.pk)).count() == 1

    # Open leads were rescored in bulk with the new model.
    assert result.rescored == 2
    referral_lead.refresh_from_db()
    list_lead.refresh_from_db()
    assert referral_lead.score_source == list_lead.score_source == Lead.ScoreSource.MODEL
    assert referral_lead.score > 70 > 30 > list_lead.score
    assert referral_lead.scored_at is not None


def test_training_is_deterministic(org: Any) -> None:
    build_history(org)
    first = scoring.scoring_model_train(legal_entity=org.company).model
    second = scoring.scoring_model_train(legal_entity=org.company).model
    assert first.coefficients == second.coefficients
    assert first.intercept == second.intercept
    assert first.metrics == second.metrics


def test_retraining_keeps_one_active_model_per_legal_entity(org: Any) -> None:
    build_history(org)
    first = scoring.scoring_model_train(legal_entity=org.company).model
    second = scoring.scoring_model_train(legal_entity=org.company).model
    first.refresh_from_db()
    assert first.is_active is False
    assert second.is_active is True
    assert LeadScoringModel.objects.filter(legal_entity=org.company, is_active=True).count() == 1


def test_scoring_explanations_sum_to_the_score(org: Any) -> None:
    sources = build_history(org)
    scoring.scoring_model_train(legal_entity=org.company)
    model = scoring.linear_model_from(scoring.active_model(org.company.pk))
    leads = [
        open_lead(org, sources["referral"], phone="+46701234567", industry="Dental"),
        open_lead(org, sources["list"], company_size="2", country="NO", industry="Retail"),
        open_lead(org, LeadSourceFactory(legal_entity=org.company, name="Fair"), channel=Lead.Channel.API),
    ]
    for lead in leads:
        result = scoring.score_lead(lead)
        contributions = [factor.contribution for factor in result.factors]
        assert [factor.key for factor in result.factors] == [spec.key for spec in scoring.FEATURE_SPECS]
        # The baseline plus every contribution is the score's log-odds ...
        assert result.baseline + math.fsum(contributions) == result.log_odds
        # ... which is the model's own log-odds for the lead ...
        assert math.isclose(result.log_odds, model.log_odds(scoring.lead_features(lead)), abs_tol=1e-9)
        # ... and the score is that probability in percent, rounded.
        assert result.score == math.floor(sigmoid(result.log_odds) * 100 + 0.5)
        # What is stored on the lead sums the same way.
        scoring.lead_score_apply(lead)
        lead.refresh_from_db()
        stored = math.fsum(item["contribution"] for item in lead.score_factors)
        assert math.isclose(stored, result.log_odds, abs_tol=1e-12)
        assert lead.score == result.score
        # The displayed lines (top factors plus "Other factors") and the baseline add up too.
        explanation = scoring.score_explanation(lead)
        shown = math.fsum(line.factor.contribution for line in explanation.lines)
        assert math.isclose(explanation.baseline.contribution + shown, result.log_odds, abs_tol=1e-12)


def test_explanation_names_the_factors_in_plain_language(org: Any) -> None:
    sources = build_history(org)
    scoring.scoring_model_train(legal_entity=org.company)
    lead = open_lead(org, sources["referral"])
    result = scoring.lead_score_apply(lead)
    source_factor = next(f for f in result.factors if f.key == "source")
    assert source_factor.label == "Source: Referral"
    assert source_factor.contribution > 0
    assert source_factor.text == f"Source: Referral (+{round(source_factor.contribution, 1):.1f})"
    explanation = scoring.score_explanation(lead)
    assert explanation.lines[0].factor.key == "source"
    assert explanation.lines[0].width == 100
    assert all(0 <= line.width <= 100 for line in explanation.lines)
    channel = next(f for f in result.factors if f.key == "channel")
    assert channel.label == "Came in via: Web form"


def test_a_model_is_per_legal_entity(org: Any) -> None:
    build_history(org)
    scoring.scoring_model_train(legal_entity=org.company)
    other_source = LeadSourceFactory(legal_entity=org.other_company, name="Referral")
    other_lead = LeadFactory(legal_entity=org.other_company, source=other_source, checklist_score=40)
    result = scoring.score_lead(other_lead)
    assert result.source == Lead.ScoreSource.CHECKLIST
    assert result.score == 40


# -- too little history: the checklist score, and the explanation says so ---------------------


def test_too_little_history_falls_back_to_the_checklist_score(org: Any) -> None:
    sources = build_history(org, count=12)
    lead = open_lead(org, sources["referral"], checklist_score=75)

    trained = scoring.scoring_model_train(legal_entity=org.company)

    assert trained.model is None
    assert LeadScoringModel.objects.count() == 0
    lead.refresh_from_db()
    assert lead.score == 75
    assert lead.score_source == Lead.ScoreSource.CHECKLIST
    assert lead.score_factors == [
        {
            "key": "fallback",
            "reason": "history",
            "decided": 12,
            "won": 6,
            "lost": 6,
            "required": 50,
            "required_per_class": 10,
        }
    ]
    explanation = scoring.score_explanation(lead)
    assert explanation.note == "Not enough history yet (12 of 50 decided leads): checklist score"
    assert explanation.lines == []
    assert scoring.score_lead(lead).score == 75


def test_enough_leads_but_too_few_of_one_class_falls_back(org: Any) -> None:
    source = LeadSourceFactory(legal_entity=org.company, name="Referral")
    for i in range(55):
        decided_lead(org, source=source, won=i < 4, disqualify=i >= 30)
    lead = open_lead(org, source, checklist_score=20)
    result = scoring.score_lead(lead)
    assert result.source == Lead.ScoreSource.CHECKLIST
    assert result.history.enough is False
    scoring.lead_score_apply(lead)
    assert scoring.score_explanation(lead).note == (
        "Not enough history yet (4 won and 51 lost; at least 10 of each needed): checklist score"
    )


@override_settings(LEADS_SCORING_MIN_OUTCOMES=12, LEADS_SCORING_MIN_PER_CLASS=5)
def test_the_minimum_history_is_configurable(org: Any) -> None:
    build_history(org, count=12)
    assert scoring.scoring_model_train(legal_entity=org.company).model is not None


def test_enough_history_without_a_trained_model_says_so(org: Any) -> None:
    sources = build_history(org)
    lead = open_lead(org, sources["list"], checklist_score=50)
    scoring.lead_score_apply(lead)
    assert lead.score == 50
    assert scoring.score_explanation(lead).note == "No scoring model trained yet: checklist score"


def test_a_lead_without_checklist_score_has_no_score_yet(org: Any) -> None:
    lead = open_lead(org, LeadSourceFactory(legal_entity=org.company))
    result = scoring.lead_score_apply(lead)
    assert result.score is None
    lead.refresh_from_db()
    assert lead.score is None
    html = render_to_string(
        "leads/partials/score_explanation.html", {"score_explanation": scoring.score_explanation(lead)}
    )
    assert "Not scored yet." in html


# -- bulk rescoring ---------------------------------------------------------------------------


def test_rescoring_updates_only_open_leads_with_constant_queries(
    org: Any, django_assert_max_num_queries: Any
) -> None:
    sources = build_history(org)
    scoring.scoring_model_train(legal_entity=org.company, rescore=False)
    open_leads = [open_lead(org, sources["referral" if i % 2 else "list"]) for i in range(30)]
    decided = Lead.objects.filter(stage=Lead.Stage.CONVERTED).first()
    with django_assert_max_num_queries(6):
        assert scoring.rescore_leads(org.company) == 30
    assert Lead.objects.filter(pk__in=[lead.pk for lead in open_leads], score__isnull=True).count() == 0
    decided.refresh_from_db()
    assert decided.score is None


# -- permissions ------------------------------------------------------------------------------


def test_a_sales_rep_may_not_retrain(org: Any) -> None:
    with pytest.raises(PermissionDenied):
        scoring.scoring_model_train(actor=org.user("rep_north"), legal_entity=org.company)
    assert LeadScoringModel.objects.count() == 0


# -- the command ------------------------------------------------------------------------------


def test_command_trains_prints_sample_size_and_metrics(org: Any, no_network: None) -> None:
    build_history(org)
    out = StringIO()
    call_command("leads_train_scoring", "--legal-entity", str(org.company.pk), stdout=out)
    row = LeadScoringModel.objects.get(is_active=True)
    text = out.getvalue()
    assert f"Model #{row.pk} trained on 80 leads and activated" in text
    assert "80 decided leads (40 won, 40 lost)" in text
    assert f"accuracy {row.metrics['accuracy']:.3f}" in text
    assert f"AUC {row.metrics['auc']:.3f}" in text
    assert "holdout of 16" in text


def test_command_without_legal_entity_trains_each_and_reports_too_little_history(org: Any) -> None:
    build_history(org)
    out = StringIO()
    call_command("leads_train_scoring", stdout=out)
    lines = out.getvalue().strip().splitlines()
    assert len(lines) == 2
    assert "Model #" in lines[0]
    assert "Other Company AB" in lines[1]
    assert "Not enough history yet (0 of 50 decided leads): checklist score" in lines[1]
    assert LeadScoringModel.objects.filter(legal_entity=org.other_company).count() == 0


def test_command_rejects_bad_arguments(org: Any) -> None:
    with pytest.raises(CommandError, match="no legal entity with id 999999"):
        call_command("leads_train_scoring", "--legal-entity", "999999", stdout=StringIO())
    with pytest.raises(CommandError, match="no active user"):
        call_command("leads_train_scoring", "--user", "ghost", stdout=StringIO())
    with pytest.raises(CommandError, match="permission"):
        call_command("leads_train_scoring", "--user", "rep_north", stdout=StringIO())
    with pytest.raises(CommandError, match="--l2"):
        call_command("leads_train_scoring", "--l2", "0", stdout=StringIO())


# -- the template partial ---------------------------------------------------------------------


def test_partial_shows_score_factors_and_bars(org: Any) -> None:
    sources = build_history(org)
    scoring.scoring_model_train(legal_entity=org.company)
    lead = open_lead(org, sources["referral"])
    scoring.lead_score_apply(lead)
    html = render_to_string(
        "leads/partials/score_explanation.html", {"score_explanation": scoring.score_explanation(lead)}
    )
    assert f"{lead.score} of 100" in html
    assert "Source: Referral" in html
    assert "width:100%" in html
    assert "raises the score" in html
    assert 'aria-hidden="true"' in html


def test_fallback_keeps_the_checklist_breakdown(org: Any) -> None:
    for order, (key, label) in enumerate([("budget", "Budget"), ("need", "Need")]):
        QualificationQuestion.objects.create(
            legal_entity=org.company, key=key, label=label, weight=50, order=order
        )
    lead = open_lead(
        org,
        LeadSourceFactory(legal_entity=org.company),
        qualification={"budget": True, "need": False},
        checklist_score=50,
    )
    scoring.lead_score_apply(lead)
    lead.refresh_from_db()
    assert lead.score == 50
    assert lead.score_factors[1:] == [
        {"factor": "Budget", "key": "budget", "contribution": 50},
        {"factor": "Need", "key": "need", "contribution": 0},
    ]
    explanation = scoring.score_explanation(lead)
    assert [(line.factor.text, line.width) for line in explanation.lines] == [
        ("Budget (+50)", 100),
        ("Need (0)", 0),
    ]
    html = render_to_string("leads/partials/score_explanation.html", {"score_explanation": explanation})
    assert "Budget" in html
    assert html.count("raises the score") == 1
    assert "> lowers the score" not in html


def test_partial_shows_the_fallback_note(org: Any) -> None:
    lead = open_lead(org, LeadSourceFactory(legal_entity=org.company), checklist_score=60)
    scoring.lead_score_apply(lead)
    html = render_to_string(
        "leads/partials/score_explanation.html", {"score_explanation": scoring.score_explanation(lead)}
    )
    assert "60 of 100" in html
    assert "Not enough history yet (0 of 50 decided leads): checklist score" in html
    assert "Checklist score" in html


def test_scored_at_uses_the_current_time(org: Any) -> None:
    lead = open_lead(org, LeadSourceFactory(legal_entity=org.company), checklist_score=10)
    before = timezone.now()
    scoring.lead_score_apply(lead)
    assert lead.scored_at >= before
