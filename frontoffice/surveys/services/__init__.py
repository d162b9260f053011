"""The surveys app's write path: settings, survey requests and answers, opt-outs, complaints.

See each module's docstring for the invariants it protects.
"""

from frontoffice.surveys.services.complaints import complaint_create, complaint_resolve, complaint_update
from frontoffice.surveys.services.config import survey_settings_for, survey_settings_update, touchpoint_kinds
from frontoffice.surveys.services.requests import (
    LinkGone,
    LinkNotFound,
    Outcome,
    SurveyAnswered,
    is_opted_out,
    survey_answer,
    survey_lookup,
    survey_opt_out,
    survey_opt_out_record,
    survey_remind,
    survey_reminders_due,
    survey_request_for_touchpoint,
    survey_request_send,
    survey_resolve,
    survey_send_reminders,
)

__all__ = [
    "LinkGone",
    "LinkNotFound",
    "Outcome",
    "SurveyAnswered",
    "complaint_create",
    "complaint_resolve",
    "complaint_update",
    "is_opted_out",
    "survey_answer",
    "survey_lookup",
    "survey_opt_out",
    "survey_opt_out_record",
    "survey_remind",
    "survey_reminders_due",
    "survey_request_for_touchpoint",
    "survey_request_send",
    "survey_resolve",
    "survey_send_reminders",
    "survey_settings_for",
    "survey_settings_update",
    "touchpoint_kinds",
]
