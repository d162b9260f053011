"""Models of the quotes app."""
