"""Smallest valid organisation objects from fixed values."""

import factory

from frontoffice.org.models import (
    LegalEntity,
    Location,
    Organisation,
    Region,
    Role,
    Staff,
    Team,
    User,
)


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation
        django_get_or_create = ("name",)

    name = "Frontoffice Demo Group"


class LegalEntityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = LegalEntity

    organisation = factory.SubFactory(OrganisationFactory)
    name = "Tandhälsan Norden AB"
    organisation_number = "556036-0793"
    vat_number = "SE556036079301"


class RegionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Region

    legal_entity = factory.SubFactory(LegalEntityFactory)
    name = "North"
    code = factory.LazyAttribute(lambda o: o.name.lower().replace(" ", "-"))


class LocationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Location

    region = factory.SubFactory(RegionFactory)
    legal_entity = factory.LazyAttribute(lambda o: o.region.legal_entity)
    name = "Clinic"
    city = "Stockholm"


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team

    location = factory.SubFactory(LocationFactory)
    name = "Front desk"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)

    username = "alice"
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.com")
    first_name = factory.LazyAttribute(lambda o: o.username.capitalize())
    last_name = "Test"
    password = factory.django.Password("correct horse battery staple")


def role(code: str) -> Role:
    return Role.objects.get(code=code)


class StaffFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Staff

    user = factory.SubFactory(UserFactory)
    legal_entity = factory.SubFactory(LegalEntityFactory)
    role = factory.LazyFunction(lambda: role("sales_rep"))


def make_entity_admin(org, *, username: str = "entity_admin"):
    """An administrator whose role sees only ``org.other_company`` (legal-entity scope)."""
    from django.contrib.auth.models import Permission

    from frontoffice.core.scoping import ScopeLevel

    role = Role.objects.create(
        code="entity_admin", name="Entity administrator", scope=ScopeLevel.LEGAL_ENTITY
    )
    role.permissions.set(
        Permission.objects.filter(
            content_type__app_label="org", codename__in=["manage_settings", "view_staff", "view_legalentity"]
        )
    )
    user = User.objects.create_user(
        username=username, email=f"{username}@example.com", password="correct horse battery staple"
    )
    Staff.objects.create(user=user, legal_entity=org.other_company, role=role, home_region=org.other_region)
    return user
