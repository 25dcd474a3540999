"""Seeding where no verdict depends on the seed.

Statistical specs (dropout, randint, shuffling) state a false-failure probability that holds for
any draw, and the network specs compute their expected values from the weights the engine drew.
They seed only so that a failure reproduces on an engine that can be seeded; seeding is a
PyTorch convention (``random.manual_seed``), so an engine that declines it runs them unseeded.
"""

SEEDING = "random.manual_seed"


def seed_if_declared(engine, seed: int) -> None:
    """``engine.manual_seed(seed)`` when the engine declares seeding; otherwise nothing."""
    if SEEDING in engine.capabilities:
        engine.manual_seed(seed)
