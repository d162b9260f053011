"""What the surveys app adds to the shell: navigation, personal data, registries."""

from __future__ import annotations
