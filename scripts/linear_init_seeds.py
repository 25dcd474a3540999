"""Run the body of the spec layers.linear_init on an engine for many consecutive seeds.

The spec runs with one fixed seed; its statement (weights within the bound, allowing the
rounding of the weights' dtype, and a mean square within 10% of bound**2 / 3) must hold for
every seed. Outside the default run because it takes a while::

    python scripts/linear_init_seeds.py                       # PyTorch, seeds 0..9999
    python scripts/linear_init_seeds.py --engine=reference --seeds=2000

Exit status 0 when every seed passes, 1 otherwise (the failing seeds are listed).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engine", default="torch", help="torch (default) or reference")
    parser.add_argument("--seeds", type=int, default=10_000, help="seeds 0..N-1 (10000)")
    args = parser.parse_args(argv)

    from conformance.catalogue import collect
    from conformance.running import SpecFailure, running_spec

    if args.engine == "torch":
        from conformance.engines.torch_engine import TorchEngine as Engine
    else:
        from conformance.engines.reference_engine import ReferenceEngine as Engine
    from conformance.specs.test_layers import check_linear_init

    engine = Engine()
    info = next(s for s in collect() if s.id == "layers.linear_init")
    failed = []
    with running_spec(info, engine):
        for seed in range(args.seeds):
            try:
                check_linear_init(engine, seed)
            except SpecFailure as failure:
                failed.append((seed, str(failure).splitlines()[0]))
    print(
        f"layers.linear_init on {engine.name} {engine.version}: {args.seeds - len(failed)} of "
        f"{args.seeds} consecutive seeds (0..{args.seeds - 1}) pass"
    )
    for seed, why in failed[:20]:
        print(f"  seed {seed}: {why}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
