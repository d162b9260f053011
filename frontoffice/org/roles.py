"""The default roles of PRODUCT.md and their permissions.

Shipped roles are created (never overwritten) after every migrate, so an administrator's
edits to a role's permissions survive upgrades. New permissions added by later releases are
granted to shipped roles that still lack them only through an explicit data migration.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from frontoffice.core.scoping import ScopeLevel

VIEW_ORG = [
    "org.view_legalentity",
    "org.view_region",
    "org.view_location",
    "org.view_team",
    "org.view_staff",
]
PARTY_DESK = [
    "parties.view_party",
    "parties.add_party",
    "parties.change_party",
    "parties.view_interaction",
    "parties.add_interaction",
    "parties.change_interaction",
]
MANAGER = [
    *PARTY_DESK,
    *VIEW_ORG,
    "parties.merge_party",
    "parties.export_party",
    "core.view_auditentry",
]

LEDGER_CLERK = [
    "finance.view_ledgeraccount",
    "finance.view_journalentry",
    "finance.add_journalentry",
    "finance.change_journalentry",
    "finance.post_journalentry",
    "finance.reverse_journalentry",
    "finance.view_ledger_reports",
]
LEDGER_MANAGER = [
    *LEDGER_CLERK,
    "finance.add_ledgeraccount",
    "finance.change_ledgeraccount",
    "finance.approve_journalentry",
    "finance.manage_ledger",
    "finance.view_postingrejection",
]
LEDGER_READ = ["finance.view_ledgeraccount", "finance.view_journalentry", "finance.view_ledger_reports"]

# Billing (frontoffice.billing). Granted to existing shipped roles by billing migration 0002.
BILLING_READ = [
    "billing.view_invoice",
    "billing.view_product",
    "billing.view_productgroup",
    "billing.view_vatcode",
    "billing.view_billingprofile",
]
# Sales sets up customer profiles (with discounted pricing) together with finance.
BILLING_SALES = [*BILLING_READ, "billing.add_billingprofile", "billing.change_billingprofile"]
BILLING_CLERK = [
    *BILLING_SALES,
    "billing.add_invoice",
    "billing.change_invoice",
    "billing.issue_invoice",
]
BILLING_MANAGER = [
    *BILLING_CLERK,
    "billing.add_product",
    "billing.change_product",
    "billing.add_productgroup",
    "billing.change_productgroup",
    "billing.add_vatcode",
    "billing.change_vatcode",
    "billing.manage_billing",
]

# Pricing (frontoffice.pricing). Granted to existing shipped roles by pricing migration 0002.
PRICING_READ = ["pricing.view_priceprofile"]
PRICING_SALES = [*PRICING_READ, "pricing.add_priceprofile", "pricing.change_priceprofile"]
PRICING_APPROVER = [*PRICING_SALES, "pricing.approve_priceprofile"]
PRICING_MANAGER = [
    *PRICING_APPROVER,
    "pricing.view_discountauthority",
    "pricing.change_discountauthority",
]

# Receivables (frontoffice.receivables). Granted to existing shipped roles by receivables
# migration 0002. Sales roles read the aging of their own customers (row scope narrows it).
RECEIVABLES_SALES = ["receivables.view_receivables"]
RECEIVABLES_READ = [
    *RECEIVABLES_SALES,
    "receivables.view_payment",
    "receivables.view_bankimport",
    "receivables.view_reminder",
    "receivables.view_invoicedispute",
]
RECEIVABLES_CLERK = [
    *RECEIVABLES_READ,
    "receivables.add_payment",
    "receivables.change_payment",
    "receivables.add_bankimport",
    "receivables.add_reminder",
    "receivables.add_invoicedispute",
    "receivables.change_invoicedispute",
]
RECEIVABLES_MANAGER = [*RECEIVABLES_CLERK, "receivables.manage_receivables"]

# Leads (frontoffice.leads). Granted to existing shipped roles by leads migration 0002.
# Reps see their own leads plus the unassigned ones of their region (row scope narrows it).
LEADS_READ = ["leads.view_lead", "leads.view_leadsource"]
LEADS_REP = [
    *LEADS_READ,
    "leads.add_lead",
    "leads.change_lead",
    "leads.qualify_lead",
    "leads.convert_lead",
    "leads.export_lead",
]
LEADS_MANAGER = [*LEADS_REP, "leads.assign_lead", "leads.import_lead"]
LEADS_NATIONAL = [*LEADS_MANAGER, "leads.manage_leads"]
LEADS_ADMIN = [*LEADS_READ, "leads.manage_leads"]

DEFAULT_ROLES: dict[str, dict[str, Any]] = {
    "administrator": {
        "name": _("Administrator"),
        "scope": ScopeLevel.ORGANISATION,
        "description": _("Users, roles, settings, legal entities and locations."),
        "permissions": [
            *MANAGER,
            "org.manage_settings",
            "org.add_staff",
            "org.change_staff",
            "org.view_role",
            "org.change_role",
            "org.view_invitation",
            "org.add_invitation",
            "parties.delete_interaction",
            "parties.export_personal_data",
            "parties.erase_party",
            *LEDGER_READ,
            # Setting up the ledger of a new legal entity (chart, first year, SIE import).
            "finance.manage_ledger",
            "finance.post_journalentry",
            *BILLING_READ,
            "billing.manage_billing",
            *RECEIVABLES_READ,
            "receivables.manage_receivables",
            *PRICING_READ,
            "pricing.view_discountauthority",
            *LEADS_ADMIN,
        ],
    },
    "national_sales_manager": {
        "name": _("National sales manager"),
        "scope": ScopeLevel.ORGANISATION,
        "description": _("Compares regions, approves larger discounts, assigns training, coaches."),
        "permissions": [*MANAGER, *BILLING_SALES, *PRICING_APPROVER, *RECEIVABLES_SALES, *LEADS_NATIONAL],
    },
    "regional_sales_manager": {
        "name": _("Regional sales manager"),
        "scope": ScopeLevel.REGION,
        "description": _("Pipeline, rep scorecards and coaching in own regions."),
        "permissions": [*MANAGER, *BILLING_SALES, *PRICING_APPROVER, *RECEIVABLES_SALES, *LEADS_MANAGER],
    },
    "sales_rep": {
        "name": _("Sales rep"),
        "scope": ScopeLevel.OWN,
        "description": _("Own customers and the unassigned leads of the own region."),
        "permissions": [
            *PARTY_DESK,
            "org.view_region",
            "org.view_location",
            *BILLING_SALES,
            *PRICING_SALES,
            *RECEIVABLES_SALES,
            *LEADS_REP,
        ],
    },
    "office_manager": {
        "name": _("Office manager"),
        "scope": ScopeLevel.LOCATION,
        "description": _("Reception desk oversight and receptionist training at own locations."),
        "permissions": [*MANAGER, "parties.export_personal_data"],
    },
    "receptionist": {
        "name": _("Receptionist"),
        "scope": ScopeLevel.LOCATION,
        "description": _("Appointments, check-in, walk-ins and visitors at own location."),
        "permissions": [*PARTY_DESK, "org.view_location"],
    },
    "finance_manager": {
        "name": _("Finance manager / CFO"),
        "scope": ScopeLevel.LEGAL_ENTITY,
        "description": _("Posting standards, periods, approvals, reports and clerk oversight."),
        "permissions": [*MANAGER, *LEDGER_MANAGER, *BILLING_MANAGER, *PRICING_MANAGER, *RECEIVABLES_MANAGER],
    },
    "accounts_clerk": {
        "name": _("Accounts clerk"),
        "scope": ScopeLevel.LEGAL_ENTITY,
        "description": _("Invoices, payments, journal entries and invoice queries."),
        "permissions": [
            *PARTY_DESK,
            "org.view_legalentity",
            *LEDGER_CLERK,
            *BILLING_CLERK,
            *PRICING_READ,
            *RECEIVABLES_CLERK,
        ],
    },
    "auditor": {
        "name": _("Auditor"),
        "scope": ScopeLevel.LEGAL_ENTITY,
        "description": _("Read-only access to the ledger, the audit trail and reports."),
        "permissions": [
            "parties.view_party",
            "parties.view_interaction",
            "core.view_auditentry",
            *VIEW_ORG,
            *LEDGER_READ,
            "finance.view_postingrejection",
            *BILLING_READ,
            *PRICING_READ,
            "pricing.view_discountauthority",
            *RECEIVABLES_READ,
            *LEADS_READ,
        ],
    },
}


# Sales (frontoffice.sales): opportunities, pipeline and forecast. Granted to existing shipped
# roles by sales migration 0002. Reps see their own opportunities, regional managers their
# regions, the national manager all (row scope narrows); finance and auditors read their entity.
SALES_READ = ["sales.view_opportunity", "sales.view_stage", "sales.view_forecast"]
SALES_REP = [*SALES_READ, "sales.add_opportunity", "sales.change_opportunity"]
SALES_GRANTS = {
    "administrator": [*SALES_READ, "sales.manage_stages"],
    "national_sales_manager": [*SALES_REP, "sales.manage_stages"],
    "regional_sales_manager": SALES_REP,
    "sales_rep": SALES_REP,
    "finance_manager": SALES_READ,
    "auditor": SALES_READ,
}
for _code, _perms in SALES_GRANTS.items():
    DEFAULT_ROLES[_code]["permissions"].extend(_perms)


# Requests for proposal (frontoffice.rfps). Granted to existing shipped roles by rfps
# migration 0002. Reps see the RFPs they own or contribute to; managers their regions.
RFPS_REP = ["rfps.view_rfp", "rfps.add_rfp", "rfps.change_rfp"]
RFPS_MANAGER = [*RFPS_REP, "rfps.approve_rfp", "rfps.manage_library"]
RFPS_GRANTS = {
    "administrator": ["rfps.view_rfp", "rfps.manage_library"],
    "national_sales_manager": RFPS_MANAGER,
    "regional_sales_manager": RFPS_MANAGER,
    "sales_rep": RFPS_REP,
}
for _code, _perms in RFPS_GRANTS.items():
    DEFAULT_ROLES[_code]["permissions"].extend(_perms)


# Activities (frontoffice.activities): calls, e-mails, tasks, meetings. Granted to existing
# shipped roles by activities migration 0002. Reps see their own, managers their regions.
ACTIVITIES_READ = ["activities.view_activity", "activities.view_meeting", "activities.view_emailtemplate"]
ACTIVITIES_REP = [
    *ACTIVITIES_READ,
    "activities.add_activity",
    "activities.change_activity",
    "activities.add_meeting",
    "activities.change_meeting",
]
ACTIVITIES_MANAGER = [*ACTIVITIES_REP, "activities.add_emailtemplate", "activities.change_emailtemplate"]
ACTIVITIES_GRANTS = {
    "administrator": [*ACTIVITIES_READ, "activities.add_emailtemplate", "activities.change_emailtemplate"],
    "national_sales_manager": ACTIVITIES_MANAGER,
    "regional_sales_manager": ACTIVITIES_MANAGER,
    "sales_rep": ACTIVITIES_REP,
}
for _code, _perms in ACTIVITIES_GRANTS.items():
    DEFAULT_ROLES[_code]["permissions"].extend(_perms)


# Quotes (frontoffice.quotes). Granted to existing shipped roles by quotes migration 0002.
# Sales roles make and send quotes in their own scope; managers (and finance) approve
# discounts above a rep's authority; clerks read them (and invoice accepted ones); auditors read.
QUOTES_READ = ["quotes.view_quote"]
QUOTES_SALES = [*QUOTES_READ, "quotes.add_quote", "quotes.change_quote", "quotes.send_quote"]
QUOTES_APPROVER = [*QUOTES_SALES, "quotes.approve_quote"]
QUOTES_GRANTS = {
    "sales_rep": QUOTES_SALES,
    "regional_sales_manager": QUOTES_APPROVER,
    "national_sales_manager": QUOTES_APPROVER,
    "finance_manager": QUOTES_APPROVER,
    "accounts_clerk": QUOTES_READ,
    "auditor": QUOTES_READ,
    "administrator": QUOTES_READ,
}
for _code, _perms in QUOTES_GRANTS.items():
    DEFAULT_ROLES[_code]["permissions"].extend(_perms)

# Appointments (frontoffice.appointments). Granted to existing shipped roles by appointments
# migration 0002. Receptionists book at their own location; office managers also set up
# resources, working hours, absences and appointment types.
APPOINTMENTS_DESK = [
    "appointments.view_appointment",
    "appointments.add_appointment",
    "appointments.change_appointment",
    "appointments.view_resource",
    "appointments.view_appointmenttype",
]
APPOINTMENTS_GRANTS = {
    "receptionist": APPOINTMENTS_DESK,
    "office_manager": [*APPOINTMENTS_DESK, "appointments.manage_resources"],
    "administrator": [*APPOINTMENTS_DESK, "appointments.manage_resources"],
}
for _code, _perms in APPOINTMENTS_GRANTS.items():
    DEFAULT_ROLES[_code]["permissions"].extend(_perms)

# Reception (frontoffice.reception). Granted to existing shipped roles by reception migration
# 0002. Receptionists check in, run the waiting room and log complaints at their own location
# (complaints are surveys' since surveys 0004: the surveys.*_complaint permissions below),
# and register prospective patients as leads (leads.add_lead); office managers also read the
# feedback and the desk report and set up kiosks and waiting-time targets.
RECEPTION_DESK = [
    "reception.view_visit",
    "reception.add_visit",
    "reception.change_visit",
    "reception.view_waitingtarget",
    "leads.add_lead",
]
RECEPTION_MANAGER = [
    *RECEPTION_DESK,
    "reception.view_visitfeedback",
    "reception.view_desk_report",
    "reception.view_kiosk",
    "reception.manage_kiosks",
    "reception.change_waitingtarget",
]
RECEPTION_GRANTS = {
    "receptionist": RECEPTION_DESK,
    "office_manager": RECEPTION_MANAGER,
    "administrator": [p for p in RECEPTION_MANAGER if p != "leads.add_lead"],
}
for _code, _perms in RECEPTION_GRANTS.items():
    DEFAULT_ROLES[_code]["permissions"].extend(
        p for p in _perms if p not in DEFAULT_ROLES[_code]["permissions"]
    )


# Training (frontoffice.training). Granted to existing shipped roles by training migration
# 0002. Everyone takes courses; managers build and assign them, observe and coach their people
# (row scope narrows to their reach; coaching to their line); the administrator also sets role
# curricula, certification requirements and rubrics.
TRAINING_LEARNER = ["training.view_course"]
TRAINING_MANAGER = [
    *TRAINING_LEARNER,
    "training.add_course",
    "training.change_course",
    "training.assign_course",
    "training.view_team_training",
    "training.add_observation",
    "training.view_observation",
    "training.add_coachingnote",
]
TRAINING_GRANTS = {
    "administrator": [
        *TRAINING_LEARNER,
        "training.add_course",
        "training.change_course",
        "training.assign_course",
        "training.view_team_training",
        "training.view_observation",
        "training.manage_training",
    ],
    "national_sales_manager": TRAINING_MANAGER,
    "regional_sales_manager": TRAINING_MANAGER,
    "office_manager": TRAINING_MANAGER,
    "finance_manager": TRAINING_MANAGER,
    "sales_rep": TRAINING_LEARNER,
    "receptionist": TRAINING_LEARNER,
    "accounts_clerk": TRAINING_LEARNER,
    "auditor": TRAINING_LEARNER,
}
for _code, _perms in TRAINING_GRANTS.items():
    DEFAULT_ROLES[_code]["permissions"].extend(
        p for p in _perms if p not in DEFAULT_ROLES[_code]["permissions"]
    )


# Insights (frontoffice.insights). Granted to existing shipped roles by insights migration 0002.
# Everyone sees their own scorecard; managers (and the administrator) the people in their reach.
INSIGHTS_OWN = ["insights.view_own_scorecard"]
INSIGHTS_MANAGER = [*INSIGHTS_OWN, "insights.view_team_insights"]
INSIGHTS_GRANTS = {
    "administrator": INSIGHTS_MANAGER,
    "national_sales_manager": INSIGHTS_MANAGER,
    "regional_sales_manager": INSIGHTS_MANAGER,
    "office_manager": INSIGHTS_MANAGER,
    "finance_manager": INSIGHTS_MANAGER,
    "sales_rep": INSIGHTS_OWN,
    "receptionist": INSIGHTS_OWN,
    "accounts_clerk": INSIGHTS_OWN,
}
for _code, _perms in INSIGHTS_GRANTS.items():
    DEFAULT_ROLES[_code]["permissions"].extend(
        p for p in _perms if p not in DEFAULT_ROLES[_code]["permissions"]
    )


# Surveys and complaints (frontoffice.surveys). Granted to existing shipped roles by surveys
# migration 0002. Every desk logs and works complaints and reads survey answers in its own
# scope; legal-entity-wide managers (and the administrator) choose which contacts trigger surveys.
SURVEYS_DESK = [
    "surveys.view_surveyrequest",
    "surveys.view_complaint",
    "surveys.add_complaint",
    "surveys.change_complaint",
]
SURVEYS_MANAGER = [*SURVEYS_DESK, "surveys.manage_surveys"]
SURVEYS_GRANTS = {
    "administrator": SURVEYS_MANAGER,
    "national_sales_manager": SURVEYS_MANAGER,
    "finance_manager": SURVEYS_MANAGER,
    "regional_sales_manager": SURVEYS_DESK,
    "office_manager": SURVEYS_DESK,
    "sales_rep": SURVEYS_DESK,
    "receptionist": SURVEYS_DESK,
    "accounts_clerk": SURVEYS_DESK,
    "auditor": ["surveys.view_surveyrequest", "surveys.view_complaint"],
}
for _code, _perms in SURVEYS_GRANTS.items():
    DEFAULT_ROLES[_code]["permissions"].extend(
        p for p in _perms if p not in DEFAULT_ROLES[_code]["permissions"]
    )


def ensure_default_roles(*, overwrite: bool = False) -> int:
    """Create missing shipped roles (with their permissions); return how many were created."""
    from django.contrib.auth.models import Permission

    from frontoffice.org.models import Role

    perms = {
        f"{p.content_type.app_label}.{p.codename}": p
        for p in Permission.objects.select_related("content_type")
    }
    created = 0
    for code, spec in DEFAULT_ROLES.items():
        role, was_created = Role.objects.get_or_create(
            code=code,
            defaults={
                "name": str(spec["name"]),
                "scope": spec["scope"],
                "description": str(spec["description"]),
                "is_default": True,
            },
        )
        if was_created or overwrite:
            missing = [p for p in spec["permissions"] if p not in perms]
            if missing:
                raise LookupError(f"Role {code} names unknown permissions: {missing}")
            role.permissions.set([perms[p] for p in spec["permissions"]])
            created += int(was_created)
    return created


def ensure_default_roles_after_migrate(sender: Any, using: str = "default", **kwargs: Any) -> None:
    # post_migrate fires app by app; permissions of apps after `org` do not exist yet, so
    # create every app's permissions first (idempotent), then the roles.
    from django.apps import apps as global_apps
    from django.contrib.auth.management import create_permissions

    for app_config in global_apps.get_app_configs():
        create_permissions(app_config, verbosity=0, using=using)
    ensure_default_roles()
