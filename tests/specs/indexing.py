"""Op-spec rows (being written)."""
SPECS: list = []
