"""``frontoffice ledger``: integrity checks of the general ledger.

    frontoffice ledger verify [--legal-entity ORGNR]          hash chains and balances
    frontoffice ledger check-balances [--legal-entity ORGNR]  balances only

Prints a one-line summary and then every problem (the first broken link of each voucher
series, every balance that differs from the sum of its posted lines). Exits with status 1
when anything is broken, so it can run from cron or CI. Reads only; safe while others post.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from frontoffice.finance.services.verify import VerifyReport, check_balances, ledger_verify
from frontoffice.org.models import LegalEntity


class Command(BaseCommand):
    help = "Verify the ledger: voucher hash chains, numbering and account balances."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True, parser_class=type(parser))
        for name, text in (
            ("verify", "Recompute every voucher hash chain and every account balance."),
            ("check-balances", "Compare every account balance with the sum of its posted lines."),
        ):
            action = sub.add_parser(name, help=text, called_from_command_line=parser.called_from_command_line)
            action.add_argument(
                "--legal-entity",
                metavar="ORGNR",
                help="Only this legal entity (its organisation number); default: all of them.",
            )

    def handle(self, *args: Any, action: str, legal_entity: str | None = None, **options: Any) -> None:
        entity = None
        if legal_entity:
            entity = LegalEntity.objects.filter(organisation_number=legal_entity.strip()).first()
            if entity is None:
                raise CommandError(
                    _("No legal entity has the organisation number %(number)s.") % {"number": legal_entity}
                )
        report = (
            ledger_verify(legal_entity=entity) if action == "verify" else check_balances(legal_entity=entity)
        )
        self.stdout.write(self._summary(action, report))
        for problem in report.problems:
            self.stdout.write(f"  {problem}")
        if not report.ok:
            raise CommandError(
                _("The ledger has %(count)s problem(s).") % {"count": len(report.problems)}, returncode=1
            )

    def _summary(self, action: str, report: VerifyReport) -> str:
        values = {
            "series": report.series_checked,
            "vouchers": report.vouchers_checked,
            "balances": report.balances_checked,
            "breaks": len(report.breaks),
            "drifts": len(report.drifts),
        }
        if action == "verify":
            text = _(
                "Checked %(series)s series, %(vouchers)s vouchers and %(balances)s balances: "
                "%(breaks)s broken chain(s), %(drifts)s balance drift(s)."
            )
        else:
            text = _("Checked %(balances)s balances: %(drifts)s balance drift(s).")
        return text % values
