"""One module per transform: jvp (forward mode), partial_eval (linearize), transpose
(reverse mode), batching (vmap), staging (make_jaxpr and jit), and the transforms of
sub-IRs that higher-order primitives use (subjaxpr)."""
