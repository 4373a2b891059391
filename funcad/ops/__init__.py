"""First-order primitives by family; each primitive is one block that fills every table of
``funcad.core.rules`` for it (impl, shape rule, JVP, transpose when linear, batching, IR
facts, NumPy kernel, explain notation).

``_shapes`` (shape rules and making a primitive) -> ``_base`` (the primitives the machinery
needs, and the rule definers) -> ``_definers`` (standard elementwise definers), ``_kernels``,
``_operands`` -> the families: ``logical``, ``complex_parts``, ``arithmetic``, ``elementwise``,
``structural``, ``slicing``, ``reductions``, ``indexing``, ``dynamic_slicing``, ``linalg``.
"""
