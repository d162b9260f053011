"""GDPR: survey answers, the opt-out and complaints are exported and anonymised on erasure."""

from __future__ import annotations

from frontoffice.core.registry import registry
from frontoffice.surveys import services
from frontoffice.surveys.models import Complaint, SurveyOptOut, SurveyRequest


def handler():
    return next(h for h in registry.personal_data if h.key == "surveys")


def test_export_and_erasure(org, party, sent):
    services.survey_answer(token=sent.token, score="2", comment="Slow service")
    services.survey_opt_out(token=sent.token)
    services.complaint_create(
        actor=org.user("receptionist"),
        desk="reception",
        location=org.clinic,
        party=party,
        subject="Slow",
        description="Waited an hour",
    )
    data = handler().export(party)
    assert data["survey_requests"][0]["comment"] == "Slow service"
    assert data["survey_requests"][0]["score"] == 2
    assert data["survey_opt_out"]["via"] == "link"
    assert data["complaints"][0]["description"] == "Waited an hour"
    assert handler().count(party) == 2
    assert handler().erase(party, org.user("admin")) == 2
    request = SurveyRequest.objects.get()
    assert (request.comment, request.recipient, request.score) == (
        "",
        "",
        2,
    )  # the score stays for the measures
    complaint = Complaint.objects.get()
    assert (complaint.subject, complaint.description) == ("—", "—")
    assert SurveyOptOut.objects.filter(party=party).exists()  # never surveyed again
