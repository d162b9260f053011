"""Navigation (filled in with the views)."""
