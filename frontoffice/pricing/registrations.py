"""How pricing plugs into navigation."""
