"""Recheck each statistical spec's stated false-failure probability by a second method.

The specs state bounds from Hoeffding-type inequalities (derivations in their modules). This
script computes the same failure events another way: exact binomial, hypergeometric and
fixed-point tails, or Chernoff bounds with the exact moment generating function. Every second
value must lie at or below the stated one::

    python scripts/check_probabilities.py     # a table: spec, stated, second method, how
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def log_choose(n: int, k: int) -> float:
    return math.lgamma(n + 1) - math.lgamma(k + 1) - math.lgamma(n - k + 1)


def log_sum(logs: list[float]) -> float:
    top = max(logs)
    return top + math.log(sum(math.exp(v - top) for v in logs))


def binomial_two_sided(n: int, p: float, low: int, high: int) -> float:
    """P(X <= low or X >= high) for X ~ Binomial(n, p), summed exactly in log space."""
    ks = [k for k in range(n + 1) if k <= low or k >= high]
    return math.exp(
        log_sum([log_choose(n, k) + k * math.log(p) + (n - k) * math.log1p(-p) for k in ks])
    )


def band(n: int, centre: float, half_width: float) -> tuple[int, int]:
    """The largest count below and the smallest above the open band centre +- half_width."""
    low = math.ceil(n * (centre - half_width)) - 1
    high = math.floor(n * (centre + half_width)) + 1
    while (low + 1) / n - centre <= -half_width:  # counts at the edge fail the strict check
        low += 1
    while (high - 1) / n - centre >= half_width:
        high -= 1
    return low, high


def randn_standard_normal() -> float:
    # Chernoff with the exact Gaussian and chi-square moment generating functions.
    n, mean_band, square_band = 100_000, 0.025, 0.036
    mean = 2 * math.exp(-n * mean_band**2 / 2)
    d = square_band
    upper = math.exp(-n / 2 * (d - math.log1p(d)))
    lower = math.exp(-n / 2 * (-d - math.log1p(-d)))
    return mean + upper + lower


def dropout_scaling() -> float:
    return max(p**1000 for p in (0.2, 0.5, 0.8))  # every unit dropped, exactly


def dropout_rate() -> float:
    n, width = 20_000, 0.035
    return max(binomial_two_sided(n, p, *band(n, p, width)) for p in (0.2, 0.5))


def dropout_independent() -> float:
    return max(binomial_two_sided(m, 0.25, *band(m, 0.25, 0.04)) for m in (10_000, 20_000))


def random_split_shuffles() -> float:
    # X ~ Hypergeometric(1000 items, 500 marked, 700 drawn); failure: |X - 350| >= 90.
    def log_p(x: int) -> float:
        return log_choose(500, x) + log_choose(500, 700 - x) - log_choose(1000, 700)

    return math.exp(log_sum([log_p(x) for x in range(200, 501) if abs(x - 350) >= 90]))


def loader_shuffle_random() -> float:
    # P(at least 15 fixed points) of a uniform permutation of 100, exactly, for two comparisons.
    def derangements(m: int) -> int:
        d = [1, 0]
        for i in range(2, m + 1):
            d.append((i - 1) * (d[-1] + d[-2]))
        return d[m]

    at_least = sum(math.comb(100, k) * derangements(100 - k) for k in range(15, 101))
    return 2 * at_least / math.factorial(100)


def linear_init() -> float:
    # The bound check cannot fail (a draw within [-b, b] rounds to at most float32(b)). The mean
    # of n = 20000 squares s = u**2, u ~ U(-1, 1) (scaled to b = 1), must stay within 1/30 of 1/3.
    # Chernoff: P(mean >= a) <= exp(-n sup_l (l a - log M(l))), M(l) = E exp(l s) = int_0^1
    # exp(l u**2) du, integrated by Simpson's rule.
    n, mean, t = 20_000, 1 / 3, 1 / 30

    def log_mgf(lam: float, steps: int = 2000) -> float:
        h = 1 / steps
        total = sum(
            (1 if i in (0, steps) else 4 if i % 2 else 2) * math.exp(lam * (i * h) ** 2)
            for i in range(steps + 1)
        )
        return math.log(total * h / 3)

    def rate(a: float, lams: list[float]) -> float:
        return max(lam * a - log_mgf(lam) for lam in lams)

    up = rate(mean + t, [i / 10 for i in range(1, 60)])
    down = rate(mean - t, [-i / 10 for i in range(1, 60)])
    return math.exp(-n * up) + math.exp(-n * down)


def randint_labels() -> float:
    return binomial_two_sided(1000, 0.5, *band(1000, 0.5, 0.11))


def properties_linear_init_bounds() -> float:
    # The spread check fails when all of >= 40 weights fall within half the bound: 2**-40 each,
    # one such tensor per example, at most THOROUGH_EXAMPLES examples in the largest profile.
    from conformance.specs.strategies import THOROUGH_EXAMPLES

    return THOROUGH_EXAMPLES * 0.5**40


def properties_dropout_modes() -> float:
    # A train-mode pass keeps all 200 units with probability at most 0.8**200 (p >= 0.2 in one
    # layer at least); at most 4 passes per example, THOROUGH_EXAMPLES examples.
    from conformance.specs.strategies import THOROUGH_EXAMPLES

    return THOROUGH_EXAMPLES * 4 * 0.8**200


SECOND_METHOD: dict[str, tuple[Callable[[], float], str]] = {
    "tensors.randn_standard_normal": (randn_standard_normal, "Chernoff, exact MGFs"),
    "regularisation.dropout_scaling": (dropout_scaling, "exact: p**1000"),
    "regularisation.dropout_rate": (dropout_rate, "exact binomial tail"),
    "regularisation.dropout_independent": (dropout_independent, "exact binomial tail"),
    "data.random_split_shuffles": (random_split_shuffles, "exact hypergeometric tail"),
    "data.loader_shuffle_random": (loader_shuffle_random, "exact fixed-point count"),
    "layers.linear_init": (linear_init, "Chernoff, exact MGF of u**2"),
    "data.randint_labels": (randint_labels, "exact binomial tail"),
    "properties.dropout_modes_through_containers": (
        properties_dropout_modes,
        "exact 0.8**200 per pass, union over passes and the thorough profile's examples",
    ),
    "properties.linear_init_bounds": (
        properties_linear_init_bounds,
        "exact 2**-40 per example, union over the thorough profile's examples",
    ),
}


def rows() -> list[tuple[str, float, float, str]]:
    """(spec id, stated probability, second method's value, method) for every statistical spec
    of the catalogue that has a second method here."""
    from conformance import catalogue

    found = []
    for info in catalogue.collect():
        if info.false_failure_probability is not None and info.id in SECOND_METHOD:
            compute, how = SECOND_METHOD[info.id]
            found.append((info.id, info.false_failure_probability, compute(), how))
    return found


def main() -> int:
    bad = 0
    for spec_id, stated, second, how in rows():
        ok = second <= stated
        bad += not ok
        print(
            f"{spec_id:36} stated {stated:8.2g}  second {second:8.2g}  ({how}){'' if ok else '  !'}"
        )
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
