"""Rows of the op-spec table, one module per family of operations (see tests/op_specs.py)."""
