"""The catalogue: one module per chapter of the documented autograd semantics."""
