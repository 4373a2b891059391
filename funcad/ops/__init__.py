"""Primitives by family; each primitive is declared in one block with all of its rules."""
