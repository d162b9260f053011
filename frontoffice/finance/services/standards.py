"""Posting standards: what every voucher is checked against before it may be posted.

Each rule has a stable code, an explanation a clerk understands and an anchor on the
standards page (``finance:standards``), where the rule and how to fix it are explained.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.urls import NoReverseMatch, reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

STANDARDS: dict[str, tuple[Promise, Promise]] = {
    "too_few_lines": (
        _("A voucher needs at least two lines"),
        _(
            "Every voucher moves an amount from one account to another: at least one debit and one credit line."
        ),
    ),
    "unbalanced": (
        _("Debits must equal credits"),
        _("The sum of the debit lines must equal the sum of the credit lines, to the öre."),
    ),
    "amount_invalid": (
        _("Amounts are positive numbers with at most two decimals"),
        _(
            "Write amounts like 1250.50. Use the debit or credit column for the direction, never a minus sign."
        ),
    ),
    "unknown_account": (
        _("Accounts must exist in the chart of accounts"),
        _("Use an account number from your company's chart of accounts."),
    ),
    "inactive_account": (
        _("No posting to inactive accounts"),
        _(
            "The account has been closed in the chart of accounts. Ask the finance manager which account replaces it."
        ),
    ),
    "control_account": (
        _("No manual posting to control accounts"),
        _(
            "Receivables, payables and VAT accounts are kept by invoices, payments and the VAT settlement. "
            "Post to them through those documents, not by hand."
        ),
    ),
    "certificate_required": (
        _("Restricted accounts need a certificate for manual vouchers"),
        _(
            "The finance manager has restricted some accounts: a manual voucher with a line on one of "
            "them needs a valid certificate of the course the administrator requires. The message links "
            "to the course."
        ),
    ),
    "dimension_required": (
        _("Some accounts need a dimension"),
        _("The finance manager has decided that this account must carry a cost centre, project or region."),
    ),
    "unknown_dimension": (
        _("Dimensions must exist"),
        _("Use a cost centre, project or region code that exists and is active."),
    ),
    "no_fiscal_year": (
        _("The date must fall in a fiscal year"),
        _("The voucher date is outside every fiscal year of the company. Check the date."),
    ),
    "year_closed": (
        _("The fiscal year must be open"),
        _("The year has been closed. Corrections belong in the open year."),
    ),
    "period_locked": (
        _("The date must fall in an open period"),
        _(
            "The period has been locked for your role. Date the voucher in an open period, or ask the finance manager."
        ),
    ),
    "series_not_allowed": (
        _("Post only to the series your role may use"),
        _("Each voucher series lists the roles that may post to it."),
    ),
    "attachment_required": (
        _("Large vouchers need a supporting document"),
        _(
            "Above the company's amount limit, attach the receipt, invoice or agreement the voucher is based on."
        ),
    ),
    "self_approval": (
        _("A second person must approve"),
        _(
            "Above the company's amount limit, someone other than the person who entered the voucher approves it."
        ),
    ),
}


def standard_help_url(code: str) -> str:
    try:
        return f"{reverse('finance:standards')}#standard-{code}"
    except NoReverseMatch:
        return f"#standard-{code}"


@dataclass(frozen=True)
class Violation:
    code: str
    message: str
    line: int | None = None  # 1-based line number, when the rule is about one line

    @property
    def title(self) -> str:
        return str(STANDARDS[self.code][0])

    @property
    def help_url(self) -> str:
        return standard_help_url(self.code)

    def as_dict(self) -> dict[str, object]:
        return {
            "code": self.code,
            "title": self.title,
            "message": self.message,
            "line": self.line,
            "help_url": self.help_url,
        }


class PostingRejected(ValidationError):
    """Raised with every violated standard at once; nothing was written but the rejection."""

    def __init__(self, violations: list[Violation]):
        self.violations = violations
        super().__init__(
            [ValidationError(v.message, code=v.code, params={"line": v.line}) for v in violations],
            code="posting_rejected",
        )
