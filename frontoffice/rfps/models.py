"""Models of the rfps app."""
