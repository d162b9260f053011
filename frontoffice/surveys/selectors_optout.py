"""Read path of survey opt-outs for staff: the opted-out customers in the user's scope, and one
customer's opt-out.

A ``SurveyOptOut`` has no scope of its own: it is visible when its customer is
(``visible_to(Party)``), so the list, the customer page's panel and the API agree with the
customer pages on who may see it.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from frontoffice.core.scoping import visible_to
from frontoffice.surveys.models import SurveyOptOut


def survey_opt_out_list(*, user: Any, q: str = "") -> QuerySet[SurveyOptOut]:
    """Opt-outs of the customers ``user`` may see, newest first; ``q`` searches the customer's
    name, e-mail, phone, number and city (every word must match). Constant query count."""
    from frontoffice.parties.models import Party
    from frontoffice.parties.selectors import party_search_filter

    parties = visible_to(Party.objects.all(), user)
    if q:
        parties = party_search_filter(parties, q)
    return (
        SurveyOptOut.objects.filter(party__in=parties.values("pk"))
        .select_related("party", "recorded_by")
        .order_by("-created_at", "-pk")
    )


def survey_opt_out_for(*, party: Any) -> SurveyOptOut | None:
    """The opt-out of ``party`` (a customer the caller has already found in its scope), if any."""
    return SurveyOptOut.objects.filter(party_id=party.pk).select_related("recorded_by").first()
