"""Pricing services, one module per area: ``profiles`` (price profiles and rules),
``approvals`` (routing discounts and recording decisions, reusable by quotes) and
``authority`` (discount authority per role)."""
