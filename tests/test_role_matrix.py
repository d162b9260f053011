"""Role-by-resource matrix: every persona against every list, detail, export and API endpoint.

Expectations come from the role definitions (frontoffice/org/roles.py, the specification of
what each role may do) and from an explicit table of which customer each persona may see —
never from the scoping code under test. A permission the role lacks is a 403; a record
outside the persona's scope is a 404 (a guessed id reveals nothing); lists never contain
records outside the scope.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.urls import reverse

from frontoffice.org.roles import DEFAULT_ROLES
from frontoffice.org.services import api_token_create
from frontoffice.parties.tests.factories import make_party

pytestmark = pytest.mark.django_db

ROLE_OF = {
    "admin": "administrator",
    "nsm": "national_sales_manager",
    "rsm_north": "regional_sales_manager",
    "rep_north": "sales_rep",
    "rep_south": "sales_rep",
    "office_manager": "office_manager",
    "receptionist": "receptionist",
    "finance_manager": "finance_manager",
    "clerk": "accounts_clerk",
    "auditor": "auditor",
    "other_clerk": "accounts_clerk",
    "nobody": None,
}
PERSONAS = list(ROLE_OF)

# Which of the three customers each persona may see (N: North clinic, unassigned;
# S: South office, owned by rep_south; O: the other legal entity's customer).
VISIBLE = {
    "admin": "NSO",
    "nsm": "NSO",
    "rsm_north": "N",
    "rep_north": "N",
    "rep_south": "S",
    "office_manager": "N",
    "receptionist": "N",
    "finance_manager": "NS",
    "clerk": "NS",
    "auditor": "NS",
    "other_clerk": "O",
    "nobody": "",
}
LAST_NAMES = {"N": "Northclinic", "S": "Southoffice", "O": "Othercompany"}


def perms(persona: str) -> set[str]:
    role = ROLE_OF[persona]
    return set(DEFAULT_ROLES[role]["permissions"]) if role else set()


@dataclass(frozen=True)
class Resource:
    name: str
    url_name: str
    perm: str | None
    about: str | None = None  # "N"/"S"/"O": a detail of that customer
    api: bool = False
    lists_customers: bool = False
    # POST with an empty body: allowed users get the form back with errors, nothing saved.
    post: bool = False


HTML_LISTS = [
    Resource("customer list", "parties:party-list", "parties.view_party", lists_customers=True),
    Resource("customer search", "parties:party-list", "parties.view_party", lists_customers=True),
    Resource("customer export", "parties:party-export", "parties.export_party", lists_customers=True),
    Resource("new customer form", "parties:party-create", "parties.add_party"),
    Resource("interaction list", "parties:interaction-list", "parties.view_interaction"),
    Resource("organisation tree", "org:tree", "org.manage_settings"),
    Resource("staff settings", "org:staff-list", "org.manage_settings"),
    Resource("roles settings", "org:role-list", "org.manage_settings"),
    Resource("invitations", "org:invitation-list", "org.manage_settings"),
    Resource("own API tokens", "org:token-list", None),
]
API_LISTS = [
    Resource("API customers", "api:party-list", "parties.view_party", api=True, lists_customers=True),
    Resource("API interactions", "api:interaction-list", "parties.view_interaction", api=True),
    Resource("API legal entities", "api:legal-entity-list", "org.view_legalentity", api=True),
    Resource("API regions", "api:region-list", "org.view_region", api=True),
    Resource("API locations", "api:location-list", "org.view_location", api=True),
    Resource("API teams", "api:team-list", "org.view_team", api=True),
    Resource("API staff", "api:staff-list", "org.view_staff", api=True),
    Resource("API me", "api:me", None, api=True),
]
DETAILS = [
    Resource(f"{label} of {key}", url_name, perm, about=key, api=api, post=url_name.endswith("-create"))
    for key in "NSO"
    for label, url_name, perm, api in [
        ("customer page", "parties:party-detail", "parties.view_party", False),
        ("customer edit", "parties:party-edit", "parties.change_party", False),
        ("customer merge", "parties:party-merge", "parties.merge_party", False),
        ("personal data export", "parties:party-export-personal-data", "parties.export_personal_data", False),
        ("customer erase", "parties:party-erase", "parties.erase_party", False),
        ("log interaction", "parties:interaction-create", "parties.add_interaction", False),
        ("API customer", "api:party-detail", "parties.view_party", True),
        ("API customer timeline", "api:party-interaction-list", "parties.view_party", True),
    ]
]
RESOURCES = HTML_LISTS + API_LISTS + DETAILS


@pytest.fixture
def customers(org):
    admin = org.user("admin")
    return {
        "N": make_party(admin, first_name="Nora", last_name=LAST_NAMES["N"], location=org.clinic),
        "S": make_party(
            admin,
            first_name="Sune",
            last_name=LAST_NAMES["S"],
            location=org.south_office,
            owner=org.user("rep_south"),
        ),
        "O": make_party(admin, first_name="Olle", last_name=LAST_NAMES["O"], location=org.other_office),
    }


def expected_status(persona: str, resource: Resource) -> int:
    if resource.perm is not None and resource.perm not in perms(persona):
        return 403
    if resource.about and resource.about not in VISIBLE[persona]:
        return 404
    return 200


def request(client, org, persona: str, resource: Resource, customers):
    args = [customers[resource.about].pk] if resource.about else []
    url = reverse(resource.url_name, args=args)
    query = {"q": "o"} if resource.name.endswith("search") else {}
    if resource.api:
        _, raw = api_token_create(actor=org.user(persona), name="matrix")
        return client.get(url, query, HTTP_AUTHORIZATION=f"Token {raw}")
    client.force_login(org.user(persona))
    if resource.post:
        return client.post(url, {})
    return client.get(url, query)


@pytest.mark.parametrize("resource", RESOURCES, ids=lambda r: r.name)
def test_every_persona_gets_exactly_its_rights_on(client, org, customers, resource):
    from frontoffice.parties.models import Interaction

    interactions_before = Interaction.objects.count()
    mismatches = []
    for persona in PERSONAS:
        response = request(client, org, persona, resource, customers)
        expected = expected_status(persona, resource)
        if response.status_code != expected:
            mismatches.append(f"{persona}: expected {expected}, got {response.status_code}")
            continue
        if expected != 200:
            if resource.api:
                assert set(response.json()) >= {"message", "code"}, f"{persona}: error shape"
            continue
        if resource.lists_customers:
            body = b"".join(response.streaming_content) if response.streaming else response.content
            text = body.decode()
            for key, last_name in LAST_NAMES.items():
                shown = last_name in text
                if shown != (key in VISIBLE[persona]):
                    mismatches.append(
                        f"{persona}: {last_name} {'shown' if shown else 'missing'} in {resource.name}"
                    )
        client.logout()
    assert mismatches == [], "\n".join(mismatches)
    assert Interaction.objects.count() == interactions_before


def test_anonymous_visitors_are_sent_to_login_or_get_401(client, customers):
    for resource in RESOURCES:
        args = [customers[resource.about].pk] if resource.about else []
        send = client.post if resource.post else client.get
        response = send(reverse(resource.url_name, args=args))
        if resource.api:
            assert response.status_code == 401, resource.name
            assert response.json()["code"] == "not_authenticated"
        else:
            assert response.status_code == 302, resource.name
            assert response.url.startswith(reverse("login")), resource.name


def test_guessed_ids_that_do_not_exist_are_404_for_everyone(client, org, customers):
    missing = max(p.pk for p in customers.values()) + 1000
    for persona in ("admin", "rep_north", "auditor"):
        client.force_login(org.user(persona))
        assert client.get(reverse("parties:party-detail", args=[missing])).status_code == 404
        _, raw = api_token_create(actor=org.user(persona), name="guess")
        response = client.get(reverse("api:party-detail", args=[missing]), HTTP_AUTHORIZATION=f"Token {raw}")
        assert response.status_code == 404
        assert response.json()["code"] == "not_found"


# ---------------------------------------------------------------- the ledger

FINANCE_RESOURCES = [
    Resource("voucher list", "finance:voucher-list", "finance.view_journalentry"),
    Resource("new voucher form", "finance:voucher-create", "finance.add_journalentry"),
    Resource("chart of accounts", "finance:account-list", "finance.view_ledgeraccount"),
    Resource("trial balance", "finance:report-trial-balance", "finance.view_ledger_reports"),
    Resource("balance sheet", "finance:report-balance-sheet", "finance.view_ledger_reports"),
    Resource("VAT return", "finance:report-vat", "finance.view_ledger_reports"),
    Resource("posting compliance", "finance:report-compliance", "finance.view_postingrejection"),
    Resource("SIE export", "finance:sie-export", "finance.view_ledger_reports"),
    Resource("API accounts", "api:finance-account-list", "finance.view_ledgeraccount", api=True),
    Resource("API vouchers", "api:finance-voucher-list", "finance.view_journalentry", api=True),
    Resource(
        "API trial balance", "api:finance-report-trial-balance", "finance.view_ledger_reports", api=True
    ),
]
# The voucher belongs to the personas' company; "N" marks it visible like the North customer
# to everyone of that company, and to organisation-wide roles.
VOUCHER_VISIBLE = {p for p, keys in VISIBLE.items() if "N" in keys or "S" in keys}
FINANCE_DETAILS = [
    Resource("voucher page", "finance:voucher-detail", "finance.view_journalentry", about="V"),
    Resource("API voucher", "api:finance-voucher-detail", "finance.view_journalentry", about="V", api=True),
]


@pytest.fixture
def company_voucher(org):
    import datetime

    from frontoffice.finance.services.chart import ledger_setup
    from frontoffice.finance.services.posting import EntryInput, LineInput, journal_entry_post

    ledger_setup(
        actor=org.user("finance_manager"),
        legal_entity=org.company,
        first_year_start=datetime.date(2026, 1, 1),
    )
    ledger_setup(actor=None, legal_entity=org.other_company, first_year_start=datetime.date(2026, 1, 1))
    return journal_entry_post(
        actor=org.user("clerk"),
        legal_entity=org.company,
        entry=EntryInput(
            "A",
            datetime.date(2026, 3, 1),
            "Zebrafish rent",
            [LineInput("5010", debit="10.00"), LineInput("1930", credit="10.00")],
        ),
    )


@pytest.mark.parametrize("resource", FINANCE_RESOURCES + FINANCE_DETAILS, ids=lambda r: r.name)
def test_every_persona_gets_exactly_its_ledger_rights_on(client, org, company_voucher, resource):
    mismatches = []
    for persona in PERSONAS:
        expected = 403 if resource.perm not in perms(persona) else 200
        if expected == 200 and resource.about and persona not in VOUCHER_VISIBLE:
            expected = 404
        args = [company_voucher.pk] if resource.about else []
        url = reverse(resource.url_name, args=args)
        if resource.api:
            _, raw = api_token_create(actor=org.user(persona), name="matrix")
            response = client.get(url, HTTP_AUTHORIZATION=f"Token {raw}")
        else:
            client.force_login(org.user(persona))
            response = client.get(url)
        if response.status_code != expected:
            mismatches.append(
                f"{persona}: expected {expected}, got {response.status_code} {response.content[:300]!r}"
            )
        elif expected == 200 and not resource.about and persona not in VOUCHER_VISIBLE:
            # Another legal entity's lists never show the company's voucher or amounts.
            assert "Zebrafish" not in response.content.decode(), persona
        client.logout()
    assert mismatches == [], "\n".join(mismatches)
