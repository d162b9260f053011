"""Two submissions of one link store one answer; two contacts finishing at once send one survey
(PostgreSQL: threads hold their own connections, so these are concurrent transactions)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connections

from frontoffice.parties.models import Interaction
from frontoffice.surveys import services
from frontoffice.surveys.models import SurveyRequest, SurveySettings

WORKERS = 6


def run_concurrently(fn: Callable[[int], Any]) -> tuple[list[Any], list[BaseException]]:
    barrier = threading.Barrier(WORKERS)
    results: list[Any] = []
    errors: list[BaseException] = []

    def worker(n: int) -> None:
        try:
            barrier.wait(timeout=30)
            results.append(fn(n))
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(WORKERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results, errors


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_submissions_of_one_link_store_one_answer(org, party, touch):
    SurveySettings.objects.create(legal_entity=org.company, triggers={"reception.visit_completed": "csat"})
    token = services.survey_request_for_touchpoint(touchpoint=touch()).token

    def submit(n: int) -> str:
        try:
            services.survey_answer(token=token, score=str(1 + n % 5), comment=f"answer {n}")
        except services.SurveyAnswered:
            return "answered"
        return "stored"

    results, errors = run_concurrently(submit)
    assert not errors, errors
    assert sorted(results) == ["answered"] * (WORKERS - 1) + ["stored"]
    request = SurveyRequest.objects.get()
    assert request.answered_at is not None
    assert request.comment in {f"answer {n}" for n in range(WORKERS)}
    assert request.score == 1 + int(request.comment.split()[1]) % 5  # score and comment of one submission
    assert Interaction.objects.filter(kind="feedback").count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_contacts_send_one_survey_within_the_fatigue_window(org, party, touch):
    SurveySettings.objects.create(legal_entity=org.company, triggers={"reception.visit_completed": "csat"})

    def send(n: int) -> str:
        outcome = services.survey_request_for_touchpoint(touchpoint=touch(concerns=f"reception.visit:{n}"))
        return outcome.skipped or "sent"

    results, errors = run_concurrently(send)
    assert not errors, errors
    assert sorted(results) == ["fatigue"] * (WORKERS - 1) + ["sent"]
    assert SurveyRequest.objects.count() == 1
