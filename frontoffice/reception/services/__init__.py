"""Services of the reception app (keyword-only, ``actor=`` first): check-in, walk-ins, the
visit status, the kiosk, prospective patients and visit feedback. Complaints are logged through
``surveys.services`` (desk "reception", about the visit)."""

from frontoffice.reception.services.feedback import (
    FeedbackAnswered,
    LinkGone,
    LinkNotFound,
    feedback_request,
    feedback_resolve,
    feedback_submit,
)
from frontoffice.reception.services.kiosks import (
    KioskRefused,
    kiosk_actor,
    kiosk_check_in,
    kiosk_create,
    kiosk_resolve,
    kiosk_revoke,
    waiting_target_set,
)
from frontoffice.reception.services.prospects import prospect_register
from frontoffice.reception.services.visits import (
    next_ticket,
    visit_check_in,
    visit_set_status,
    visit_walk_in,
)

__all__ = [
    "FeedbackAnswered",
    "KioskRefused",
    "LinkGone",
    "LinkNotFound",
    "feedback_request",
    "feedback_resolve",
    "feedback_submit",
    "kiosk_actor",
    "kiosk_check_in",
    "kiosk_create",
    "kiosk_resolve",
    "kiosk_revoke",
    "next_ticket",
    "prospect_register",
    "visit_check_in",
    "visit_set_status",
    "visit_walk_in",
    "waiting_target_set",
]
