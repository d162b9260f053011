"""Pricing views, one module per area: price profiles with their approval, discount authority."""
