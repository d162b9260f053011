"""Extension points through which domain apps plug into the shell.

Each domain app registers, from its ``registrations`` module (imported in ``AppConfig.ready``):

- navigation entries (``register_nav``): shown to users holding the permission;
- global search providers (``register_search``): return the user's visible matches;
- personal-data handlers (``register_personal_data``): what GDPR export includes and what
  erasure anonymises or must keep, and why;
- home-page panels (``register_home_panel``): cards on the start page, each with its own
  template and context;
- customer-page panels (``register_party_panel``): cards on a customer's page (deals, quotes,
  leads, meetings, ...), each with its own template and context;
- the reach provider (``set_reach_provider``): the function that turns a user into the
  ``UserScope`` the scoping service applies (the ``org`` app owns staff and roles);
- touchpoints (``register_touchpoint_kind``, ``touchpoint_completed``,
  ``subscribe_touchpoints``): a desk announces a completed customer contact (visit completed,
  meeting held, invoice question resolved) without knowing who listens (surveys does).

Periodic jobs (``register_periodic_job``) are declared in each app's ``schedules`` module,
which ``CoreConfig.ready`` imports for every installed app; ``frontoffice scheduler`` runs them
(see ``core.scheduler`` and ``docs/operations.md``).

Nothing here queries the database itself; providers own their selectors and scoping.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.utils.functional import Promise


@dataclass(frozen=True)
class NavItem:
    key: str
    label: str | Promise
    url_name: str
    permission: str | None
    order: int = 100
    section: str = "main"  # "main" or "settings"
    # Extra condition beyond the permission (e.g. "has a staff profile"); None: none.
    visible: Callable[[Any], bool] | None = None


@dataclass(frozen=True)
class SearchHit:
    kind: str | Promise
    title: str
    url: str
    detail: str = ""


@dataclass(frozen=True)
class SearchProvider:
    key: str
    label: str | Promise
    permission: str
    search: Callable[[Any, str, int], Iterable[SearchHit]]  # (user, query, limit)


@dataclass(frozen=True)
class PersonalDataHandler:
    """How one app's records about a party are exported and erased."""

    key: str
    label: str | Promise
    export: Callable[[Any], Any]  # party -> JSON-able data
    erase: Callable[[Any, Any], int]  # (party, actor) -> rows anonymised
    # Shown before erasure: which records are kept and the legal reason.
    kept_reason: str | Promise | None = None
    count: Callable[[Any], int] | None = None


@dataclass(frozen=True)
class HomePanel:
    """A card on the start page: ``context(request)`` returns its context, or None to hide it."""

    key: str
    template_name: str
    context: Callable[[Any], dict[str, Any] | None]
    order: int = 100


@dataclass(frozen=True)
class PartyPanel:
    """A card on the customer page: ``context(request, party)`` returns its context, or None to hide it.

    The provider checks the user's permission and scope itself (through its selectors) and keeps
    its query count constant: the customer page renders every panel.
    """

    key: str
    template_name: str
    context: Callable[[Any, Any], dict[str, Any] | None]
    order: int = 100


@dataclass(frozen=True)
class TouchpointKind:
    """A kind of completed customer contact a desk announces with ``touchpoint_completed``."""

    key: str  # "<app>.<event>", e.g. "reception.visit_completed"
    label: str | Promise
    desk: str  # "reception", "sales" or "finance"
    # The desk already sends its own feedback link after this contact.
    own_feedback: bool = False


@dataclass(frozen=True)
class Touchpoint:
    """One completed contact, in ids only (subscribers reload rows, usually in a task)."""

    kind: str  # a TouchpointKind key
    party_id: int
    legal_entity_id: int
    user_id: int | None = None  # the staff member the contact is attributed to
    location_id: int | None = None
    region_id: int | None = None
    interaction_id: int | None = None
    concerns: str = ""  # "app_label.model:pk" of the desk's record (visit, meeting, question)


@dataclass(frozen=True)
class PeriodicJob:
    """A management command ``frontoffice scheduler`` runs once per slot of its schedule.

    The command must be safe to run twice and to catch up by itself: after downtime the
    scheduler runs a job once, for its latest slot, not once per missed slot.
    """

    key: str  # "<app>.<job>", e.g. "leads.overdue"; identifies the job's runs, keep it stable
    command: str  # management command name, e.g. "leads_overdue"
    schedule: Any  # a core.recurrence schedule: EveryMinutes, DailyAt or WeeklyAt
    args: tuple[str, ...] = ()
    description: str = ""


@dataclass
class Registry:
    nav: list[NavItem] = field(default_factory=list)
    search: list[SearchProvider] = field(default_factory=list)
    personal_data: list[PersonalDataHandler] = field(default_factory=list)
    home_panels: list[HomePanel] = field(default_factory=list)
    party_panels: list[PartyPanel] = field(default_factory=list)
    reach_provider: Callable[[Any], Any] | None = None
    capability_check: Callable[[Any, str], None] | None = None
    touchpoint_kinds: list[TouchpointKind] = field(default_factory=list)
    touchpoint_subscribers: list[Callable[[Touchpoint], None]] = field(default_factory=list)
    periodic_jobs: list[PeriodicJob] = field(default_factory=list)


registry = Registry()


def register_nav(item: NavItem) -> None:
    if all(existing.key != item.key for existing in registry.nav):
        registry.nav.append(item)
        registry.nav.sort(key=lambda i: (i.section, i.order))


def register_search(provider: SearchProvider) -> None:
    if all(existing.key != provider.key for existing in registry.search):
        registry.search.append(provider)


def register_personal_data(handler: PersonalDataHandler) -> None:
    if all(existing.key != handler.key for existing in registry.personal_data):
        registry.personal_data.append(handler)


def register_home_panel(panel: HomePanel) -> None:
    if all(existing.key != panel.key for existing in registry.home_panels):
        registry.home_panels.append(panel)
        registry.home_panels.sort(key=lambda p: p.order)


def register_party_panel(panel: PartyPanel) -> None:
    if all(existing.key != panel.key for existing in registry.party_panels):
        registry.party_panels.append(panel)
        registry.party_panels.sort(key=lambda p: p.order)


def set_reach_provider(provider: Callable[[Any], Any]) -> None:
    """Install the function computing a user's ``UserScope`` (one provider per project)."""
    registry.reach_provider = provider


def register_touchpoint_kind(kind: TouchpointKind) -> None:
    if all(existing.key != kind.key for existing in registry.touchpoint_kinds):
        registry.touchpoint_kinds.append(kind)


def subscribe_touchpoints(subscriber: Callable[[Touchpoint], None]) -> None:
    if subscriber not in registry.touchpoint_subscribers:
        registry.touchpoint_subscribers.append(subscriber)


def touchpoint_completed(touchpoint: Touchpoint) -> None:
    """Announce a completed contact to every subscriber. Called inside the desk's transaction;
    subscribers must defer their work with ``transaction.on_commit`` (a rollback sends nothing)."""
    for subscriber in list(registry.touchpoint_subscribers):
        subscriber(touchpoint)


def set_capability_check(check: Callable[[Any, str], None]) -> None:
    """Install the certificate check behind ``require_capability`` (training installs it)."""
    registry.capability_check = check


def require_capability(user: Any, key: str) -> None:
    """Raise ``ValidationError(code="certificate_required")`` when the administrator requires a
    certificate for ``key`` and ``user`` holds no valid one; without a check installed (or an
    ungated key) it passes. Apps that may not import ``training`` (finance, leads) call this."""
    if registry.capability_check is not None:
        registry.capability_check(user, key)


def register_periodic_job(job: PeriodicJob) -> None:
    if all(existing.key != job.key for existing in registry.periodic_jobs):
        registry.periodic_jobs.append(job)
        registry.periodic_jobs.sort(key=lambda j: j.key)
