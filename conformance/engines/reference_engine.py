"""The reference engine's adapter (placeholder until reference_impl lands)."""

raise ImportError("reference_impl is not available yet")
