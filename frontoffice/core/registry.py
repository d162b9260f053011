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
  ``UserScope`` the scoping service applies (the ``org`` app owns staff and roles).

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


@dataclass
class Registry:
    nav: list[NavItem] = field(default_factory=list)
    search: list[SearchProvider] = field(default_factory=list)
    personal_data: list[PersonalDataHandler] = field(default_factory=list)
    home_panels: list[HomePanel] = field(default_factory=list)
    party_panels: list[PartyPanel] = field(default_factory=list)
    reach_provider: Callable[[Any], Any] | None = None


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
