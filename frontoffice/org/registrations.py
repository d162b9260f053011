"""How the organisation app plugs into scoping, navigation, global search and the start page."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from frontoffice.core.registry import (
    HomePanel,
    NavItem,
    SearchHit,
    SearchProvider,
    register_home_panel,
    register_nav,
    register_search,
    set_reach_provider,
)
from frontoffice.org.reach import user_reach

register_nav(
    NavItem("org-tree", _("Organisation"), "org:tree", "org.manage_settings", order=10, section="settings")
)
register_nav(
    NavItem("staff", _("Staff"), "org:staff-list", "org.manage_settings", order=20, section="settings")
)
register_nav(
    NavItem("roles", _("Roles"), "org:role-list", "org.manage_settings", order=30, section="settings")
)
register_nav(
    NavItem(
        "invitations",
        _("Invitations"),
        "org:invitation-list",
        "org.manage_settings",
        order=40,
        section="settings",
    )
)
# Every signed-in user manages their own API tokens.
register_nav(NavItem("api-tokens", _("API tokens"), "org:token-list", None, order=90, section="settings"))


def _search_staff(user: Any, query: str, limit: int) -> list[SearchHit]:
    from frontoffice.org.selectors import staff_list

    url_name = "org:staff-edit" if user.has_perm("org.manage_settings") else "org:staff-detail"
    return [
        SearchHit(
            kind=_("Staff"),
            title=str(s),
            url=reverse(url_name, args=[s.pk]),
            detail=" · ".join(
                filter(None, [s.user.email, s.role.name, s.home_location.name if s.home_location else ""])
            ),
        )
        for s in staff_list(user=user, query=query, active="yes")[:limit]
    ]


register_search(SearchProvider("staff", _("Staff"), "org.view_staff", _search_staff))


# ---------------------------------------------------------------- reach and start page

set_reach_provider(user_reach)


def _home_role_context(request: Any) -> dict[str, Any] | None:
    from frontoffice.core.scoping import ScopeLevel, user_scope
    from frontoffice.org.selectors import scope_unit_names, staff_profile

    scope = user_scope(request.user)
    if scope.nothing:
        return None
    return {
        "staff": staff_profile(user=request.user),
        "scope_label": ScopeLevel(scope.level).label if scope.level else "",
        "scope_units": scope_unit_names(scope=scope),
    }


register_home_panel(HomePanel("role", "org/partials/home_role.html", _home_role_context, order=10))
