"""How billing plugs into navigation (each area's views own the URL names reversed here)."""

from __future__ import annotations
