"""One module per transform: staging (make_jaxpr), and later jvp, partial_eval,
transpose, batching and jit."""
