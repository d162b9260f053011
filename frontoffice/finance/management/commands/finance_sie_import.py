"""``frontoffice finance_sie_import FILE [--accept-inconsistent-balances] [--dry-run]``

Imports a SIE 4 file into a new legal entity made from its #FNAMN and #ORGNR (or into the
empty legal entity ``--legal-entity ORGNR``), all or nothing. Prints a one-line summary, or
every problem with its line number and exits with status 1. Acts as ``--user`` (default: the
first active superuser).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from frontoffice.finance.management.commands.finance_sie_export import command_actor
from frontoffice.finance.services.sie import sie_import, sie_import_new_entity
from frontoffice.org.models import LegalEntity
from frontoffice.org.validators import normalise_organisation_number


class Command(BaseCommand):
    help = "Import a SIE 4 file into a new legal entity (all or nothing)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="The SIE 4 file.")
        parser.add_argument(
            "--accept-inconsistent-balances",
            action="store_true",
            help="Import even when stated closing balances differ from what the vouchers give.",
        )
        parser.add_argument("--dry-run", action="store_true", help="Check and roll back; write nothing.")
        parser.add_argument("--legal-entity", metavar="ORGNR", help="Import into this empty legal entity.")
        parser.add_argument("--user", help="Act as this user (default: the first active superuser).")

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"No such file: {path}")
        data = path.read_bytes()
        actor = command_actor(options["user"])
        common = {
            "actor": actor,
            "data": data,
            "accept_inconsistent_balances": options["accept_inconsistent_balances"],
            "dry_run": options["dry_run"],
        }
        try:
            if options["legal_entity"]:
                orgnr = normalise_organisation_number(options["legal_entity"])
                entity = LegalEntity.objects.filter(organisation_number=orgnr).first()
                if entity is None:
                    raise CommandError(f"No legal entity with organisation number {orgnr}.")
                result = sie_import(legal_entity=entity, **common)
            else:
                result = sie_import_new_entity(**common)
        except PermissionDenied as exc:
            raise CommandError(str(exc)) from exc
        except ValidationError as exc:
            self.stderr.write(f"{path.name}: not imported, {len(exc.messages)} problem(s):")
            for message in exc.messages:
                self.stderr.write(f"  {message}")
            sys.exit(1)
        self.stdout.write(result.summary())
        for warning in result.warnings:
            self.stdout.write(f"  warning: {warning}")
