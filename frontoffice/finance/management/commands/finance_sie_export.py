"""``frontoffice finance_sie_export --legal-entity ORGNR --year 2026 --output file.se``

Writes the fiscal year starting in ``--year`` as a SIE 4E file (PC8, CRLF) and prints a
one-line summary. Acts as ``--user`` (default: the first active superuser), whose permissions
and scope the export service checks.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from frontoffice.finance.models import FiscalYear
from frontoffice.finance.services.sie import sie_export
from frontoffice.org.models import LegalEntity
from frontoffice.org.validators import normalise_organisation_number


def command_actor(username: str | None) -> Any:
    """The user a SIE command acts as: ``--user``, else the first active superuser."""
    users = get_user_model().objects.filter(is_active=True)
    user = (
        users.filter(username=username).first()
        if username
        else users.filter(is_superuser=True).order_by("pk").first()
    )
    if user is None:
        raise CommandError(
            f"No active user {username!r}." if username else "No active superuser; name one with --user."
        )
    return user


class Command(BaseCommand):
    help = "Export a fiscal year of a legal entity as a SIE 4E file."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--legal-entity", required=True, metavar="ORGNR", help="Organisation number.")
        parser.add_argument("--year", required=True, type=int, help="The year the fiscal year starts in.")
        parser.add_argument("--output", required=True, help="The file to write.")
        parser.add_argument("--user", help="Act as this user (default: the first active superuser).")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            orgnr = normalise_organisation_number(options["legal_entity"])
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        entity = LegalEntity.objects.filter(organisation_number=orgnr).first()
        if entity is None:
            raise CommandError(f"No legal entity with organisation number {orgnr}.")
        year = FiscalYear.objects.filter(legal_entity=entity, start_on__year=options["year"]).first()
        if year is None:
            raise CommandError(f"{entity} has no fiscal year starting in {options['year']}.")
        try:
            data = sie_export(actor=command_actor(options["user"]), fiscal_year=year)
        except PermissionDenied as exc:
            raise CommandError(str(exc)) from exc
        Path(options["output"]).write_bytes(data)
        vouchers = data.count(b"\r\n#VER ")
        self.stdout.write(
            f"Exported {entity}, fiscal year {year}: {vouchers} vouchers to {options['output']}."
        )
