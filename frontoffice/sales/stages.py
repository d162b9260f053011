"""Default pipeline stages of a legal entity (created on first use and for new legal entities)."""

from __future__ import annotations

from typing import Any

# (name, order, probability %, kind). Names are data: an administrator may rename them.
DEFAULT_STAGES: list[tuple[str, int, int, str]] = [
    ("Prospecting", 10, 10, "open"),
    ("Qualification", 20, 20, "open"),
    ("Needs analysis", 30, 40, "open"),
    ("Proposal", 40, 60, "open"),
    ("Negotiation", 50, 80, "open"),
    ("Won", 90, 100, "won"),
    ("Lost", 100, 0, "lost"),
]


def create_default_stages(stage_model: Any, legal_entity_id: int) -> int:
    """Create the default stages for a legal entity that has none; return how many were made.

    Takes the model class so the data migration can pass its historical model.
    """
    if stage_model.objects.filter(legal_entity_id=legal_entity_id).exists():
        return 0
    stage_model.objects.bulk_create(
        [
            stage_model(legal_entity_id=legal_entity_id, name=name, order=order, probability=prob, kind=kind)
            for name, order, prob, kind in DEFAULT_STAGES
        ]
    )
    return len(DEFAULT_STAGES)


def ensure_default_stages(legal_entity_id: int) -> int:
    from frontoffice.sales.models import Stage

    return create_default_stages(Stage, legal_entity_id)


def legal_entity_saved(sender: Any, instance: Any, created: bool, raw: bool = False, **kwargs: Any) -> None:
    """post_save of org.LegalEntity: a new legal entity starts with the default stages."""
    if created and not raw:
        ensure_default_stages(instance.pk)
