"""Authentication backend that grants the permissions of the user's role."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend


class RoleBackend(ModelBackend):
    """Username/password login; permissions come from the active staff profile's role."""

    def _get_role_permissions(self, user_obj: Any) -> Any:
        from django.contrib.auth.models import Permission

        return Permission.objects.filter(roles__staff__user=user_obj, roles__staff__active=True)

    def get_all_permissions(self, user_obj: Any, obj: Any = None) -> set[str]:
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        if not hasattr(user_obj, "_role_perm_cache"):
            perms = self._get_role_permissions(user_obj).values_list("content_type__app_label", "codename")
            user_obj._role_perm_cache = {f"{ct}.{name}" for ct, name in perms}
        return super().get_all_permissions(user_obj, obj) | user_obj._role_perm_cache
