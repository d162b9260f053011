"""Test-wide settings and the personas every test can ask for.

Personas (one legal entity "Tandhälsan Norden AB" with regions North and South, plus a
second legal entity "Other Company AB"):

- admin            administrator, sees the whole organisation
- nsm              national sales manager, sees every region
- rsm_north        regional sales manager of North: North only
- rep_north        sales rep in North: own customers + unassigned ones of North
- rep_south        sales rep in South
- office_manager   office manager of the North clinic (location scope)
- receptionist     receptionist at the North clinic
- finance_manager  CFO of Tandhälsan Norden AB (legal entity scope)
- clerk            accounts clerk of Tandhälsan Norden AB
- auditor          auditor of Tandhälsan Norden AB, read only
- other_clerk      accounts clerk of Other Company AB: sees nothing of the first company
- nobody           signed-in user without a staff profile: sees nothing
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from frontoffice.core.scoping import forget_scope

PASSWORD = "correct horse battery staple"  # noqa: S105 - test personas only


def pytest_configure(config: Any) -> None:
    from django.conf import settings

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    settings.SECURE_SSL_REDIRECT = False
    settings.LANGUAGE_CODE = "en"
    # Daily facts follow every saved source row only in the insights tests that check them
    # (``live_facts``); elsewhere the extra refresh after each commit would only slow tests.
    settings.INSIGHTS_LIVE_FACTS = False
    # WhiteNoise warns (an error here) when STATIC_ROOT is missing before collectstatic.
    Path(settings.STATIC_ROOT).mkdir(parents=True, exist_ok=True)


def pytest_collection_modifyitems(config: Any, items: list[Any]) -> None:
    from django.conf import settings

    if settings.DATABASES["default"]["ENGINE"].endswith("postgresql"):
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL (run with DATABASE_URL=postgres://...)")
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def _clear_cache() -> None:
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(autouse=True)
def _immediate_tasks() -> None:
    """Every test starts with tasks run in-process. django-tasks caches its backends per
    thread and context (asgiref Local); on PostgreSQL, where the configured backend is the
    database queue, a test run after the OpenAPI generation found the database backend again
    and its e-mails were queued, not sent. Rebuilding the handlers per test rules that out."""
    from django.conf import settings
    from django_tasks import task_backends

    expected = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    if expected == settings.TASKS and type(task_backends["default"]).__name__ != "ImmediateBackend":
        from django.core.signals import setting_changed

        setting_changed.send(sender=None, setting="TASKS", value=settings.TASKS, enter=True)


@dataclass
class Org:
    organisation: Any
    company: Any
    other_company: Any
    north: Any
    south: Any
    other_region: Any
    clinic: Any
    sales_office: Any
    south_office: Any
    other_office: Any
    people: dict[str, Any]

    def user(self, name: str) -> Any:
        user = self.people[name]
        forget_scope(user)
        for attr in ("_role_perm_cache", "_perm_cache", "_user_perm_cache", "_group_perm_cache"):
            if hasattr(user, attr):
                delattr(user, attr)
        return user


def build_org() -> Org:
    from frontoffice.org.models import (
        LegalEntity,
        Location,
        Organisation,
        Region,
        Role,
        Staff,
        User,
    )

    organisation = Organisation.objects.create(name="Frontoffice Demo Group")
    company = LegalEntity.objects.create(
        organisation=organisation,
        name="Tandhälsan Norden AB",
        organisation_number="556036-0793",
        vat_number="SE556036079301",
    )
    other_company = LegalEntity.objects.create(
        organisation=organisation, name="Other Company AB", organisation_number="556677-8899"
    )
    north = Region.objects.create(legal_entity=company, name="North", code="north")
    south = Region.objects.create(legal_entity=company, name="South", code="south")
    other_region = Region.objects.create(legal_entity=other_company, name="Other region", code="other")
    clinic = Location.objects.create(
        region=north, legal_entity=company, name="North Dental Clinic", kind="clinic", city="Umeå"
    )
    sales_office = Location.objects.create(
        region=north,
        legal_entity=company,
        name="North Sales Office",
        kind="sales_office",
        city="Luleå",
    )
    south_office = Location.objects.create(
        region=south,
        legal_entity=company,
        name="South Sales Office",
        kind="sales_office",
        city="Malmö",
    )
    other_office = Location.objects.create(
        region=other_region, legal_entity=other_company, name="Other Office", city="Göteborg"
    )
    specs = {
        "admin": ("administrator", company, None, None),
        "nsm": ("national_sales_manager", company, None, None),
        "rsm_north": ("regional_sales_manager", company, north, sales_office),
        "rep_north": ("sales_rep", company, north, sales_office),
        "rep_south": ("sales_rep", company, south, south_office),
        "office_manager": ("office_manager", company, north, clinic),
        "receptionist": ("receptionist", company, north, clinic),
        "finance_manager": ("finance_manager", company, None, None),
        "clerk": ("accounts_clerk", company, None, None),
        "auditor": ("auditor", company, None, None),
        "other_clerk": ("accounts_clerk", other_company, other_region, other_office),
    }
    people: dict[str, Any] = {}
    roles = {r.code: r for r in Role.objects.all()}
    for name, (role_code, entity, region, location) in specs.items():
        user = User.objects.create_user(
            username=name,
            email=f"{name}@example.com",
            password=PASSWORD,
            first_name=name.title(),
            last_name="Test",
        )
        Staff.objects.create(
            user=user,
            legal_entity=entity,
            role=roles[role_code],
            home_region=region,
            home_location=location,
        )
        people[name] = user
    Staff.objects.get(user=people["rsm_north"]).regions.add(north)
    people["nobody"] = User.objects.create_user(
        username="nobody", email="nobody@example.com", password=PASSWORD
    )
    return Org(
        organisation,
        company,
        other_company,
        north,
        south,
        other_region,
        clinic,
        sales_office,
        south_office,
        other_office,
        people,
    )


@pytest.fixture
def org(db: Any) -> Org:
    return build_org()


@pytest.fixture
def client_for(client: Any, org: Org):
    """``client_for("rep_north")``: a test client signed in as that persona."""

    def _login(name: str) -> Any:
        client.force_login(org.user(name))
        return client

    return _login


@pytest.fixture
def in_ci() -> bool:
    return os.environ.get("CI", "").lower() == "true"
