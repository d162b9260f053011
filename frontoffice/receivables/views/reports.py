"""Receivables views: aging (with drill-down to invoices and CSV/XLSX export), DSO and the
customer statement. Scope narrows every figure: a sales rep sees their own customers."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from frontoffice.core.scoping import get_visible_or_404
from frontoffice.parties.models import Party
from frontoffice.receivables import exports
from frontoffice.receivables.forms import AsOfForm, DsoForm, StatementForm
from frontoffice.receivables.selectors.aging import (
    BUCKET_KEYS,
    BUCKETS,
    aging_invoices,
    days_sales_outstanding,
    receivables_aging,
)
from frontoffice.receivables.selectors.statements import customer_statement
from frontoffice.receivables.views.common import legal_entity_for, permission

VIEW = "receivables.view_receivables"
DRILL_DOWN_ROWS = 200


@permission(VIEW)
@require_GET
def aging(request: HttpRequest) -> HttpResponse:
    """Open amounts per customer in buckets as of a date; ``?format=csv|xlsx`` downloads it."""
    legal_entity = legal_entity_for(request)
    form = AsOfForm(request.GET)
    as_of = form.as_of_date()
    report = receivables_aging(user=request.user, legal_entity=legal_entity, as_of=as_of)
    fmt = request.GET.get("format")
    if fmt in exports.FORMATS:
        headers, rows = exports.aging_rows(report)
        name = _("aging %(date)s") % {"date": as_of.isoformat()}
        return exports.response(fmt, name, _("Receivables aging"), headers, rows)
    context = {
        "legal_entity": legal_entity,
        "form": form,
        "report": report,
        "buckets": BUCKETS,
        "as_of": as_of,
    }
    return render(request, "receivables/aging.html", context)


@permission(VIEW)
@require_GET
def aging_detail(request: HttpRequest) -> HttpResponse:
    """The invoices behind one aging cell (``party``, ``bucket``); HTMX gets the table only."""
    legal_entity = legal_entity_for(request)
    as_of = AsOfForm(request.GET).as_of_date()
    bucket = request.GET.get("bucket") or None
    if bucket is not None and bucket not in BUCKET_KEYS:
        raise Http404
    party = request.GET.get("party") or None
    customer = None
    if party is not None:
        if not party.isdigit():
            raise Http404
        customer = get_visible_or_404(Party.objects.all(), request.user, pk=int(party))
    invoices = aging_invoices(
        user=request.user, legal_entity=legal_entity, as_of=as_of, party=customer, bucket=bucket
    )
    context = {
        "legal_entity": legal_entity,
        "as_of": as_of,
        "customer": customer,
        "bucket_label": dict(BUCKETS).get(bucket, _("All")) if bucket else _("All"),
        "invoices": list(invoices[:DRILL_DOWN_ROWS]),
        "truncated": invoices[DRILL_DOWN_ROWS : DRILL_DOWN_ROWS + 1].exists(),
    }
    if request.htmx and not request.htmx.boosted:
        return render(request, "receivables/aging_detail.html#aging-invoices", context)
    return render(request, "receivables/aging_detail.html", context)


@permission(VIEW)
@require_GET
def dso(request: HttpRequest) -> HttpResponse:
    legal_entity = legal_entity_for(request)
    form = DsoForm(request.GET)
    result = days_sales_outstanding(
        user=request.user, legal_entity=legal_entity, as_of=form.as_of_date(), days=form.days_value()
    )
    comparisons = [
        days_sales_outstanding(user=request.user, legal_entity=legal_entity, as_of=form.as_of_date(), days=n)
        for n in (30, 90, 365)
        if n != result.days
    ]
    return render(
        request,
        "receivables/dso.html",
        {"legal_entity": legal_entity, "form": form, "result": result, "comparisons": comparisons},
    )


@permission(VIEW)
@require_GET
def statement(request: HttpRequest, party: int) -> HttpResponse:
    form = StatementForm(request.GET)
    as_of = form.as_of_date()
    data = getattr(form, "cleaned_data", {})
    result = customer_statement(user=request.user, party=party, as_of=as_of, date_from=data.get("date_from"))
    return render(request, "receivables/statement.html", {"form": form, "statement": result})


urlpatterns = [
    path("aging/", aging, name="aging"),
    path("aging/invoices/", aging_detail, name="aging-invoices"),
    path("dso/", dso, name="dso"),
    path("customers/<int:party>/statement/", statement, name="statement"),
]
