"""Services of the leads app (keyword-only, ``actor=`` first)."""

from frontoffice.leads.services.config import lead_source_get_or_create
from frontoffice.leads.services.intake import lead_create
from frontoffice.leads.services.lifecycle import (
    checklist_score,
    lead_assign,
    lead_contact_recorded,
    lead_convert,
    lead_disqualify,
    lead_link_party,
    lead_qualify,
    lead_update,
    questions_for,
)
from frontoffice.leads.services.overdue import lead_overdue_alerts

__all__ = [
    "checklist_score",
    "lead_assign",
    "lead_contact_recorded",
    "lead_convert",
    "lead_create",
    "lead_disqualify",
    "lead_link_party",
    "lead_overdue_alerts",
    "lead_qualify",
    "lead_source_get_or_create",
    "lead_update",
    "questions_for",
]
