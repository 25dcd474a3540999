"""Command line: ``conformance run|list|capabilities|docs`` (or ``python -m conformance ...``)."""

from __future__ import annotations

import argparse
import importlib.util
import subprocess
import sys
from pathlib import Path

from conformance import catalogue, contract_doc
from conformance.capabilities import CAPABILITIES

DOCS = {
    "catalogue.md": lambda: catalogue.as_markdown(catalogue.collect()),
    "contract.md": contract_doc.as_markdown,
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m conformance", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser(
        "run",
        help="run the installed catalogue from any folder; other arguments go to pytest "
        "(e.g. conformance run --engine=torch -k autograd)",
        add_help=False,
    )
    listing = commands.add_parser(
        "list", help="list every spec: id, behaviour, sources, capabilities"
    )
    listing.add_argument("--json", action="store_true", help="full metadata as JSON")
    commands.add_parser("capabilities", help="the capability vocabulary")
    docs = commands.add_parser("docs", help="regenerate docs/catalogue.md and docs/contract.md")
    docs.add_argument("--dir", default="docs", help="output folder (default: docs)")
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["run"]:
        # Every argument after "run" is pytest's, including --help; the catalogue's folder
        # comes first so that pytest collects it wherever it is started. A fresh interpreter:
        # pytest rewrites the asserts of this distribution's modules, which must not be
        # imported before it starts.
        folder = importlib.util.find_spec("specs").submodule_search_locations[0]
        return subprocess.call([sys.executable, "-m", "pytest", folder, *argv[1:]])
    args = parser.parse_args(argv)

    if args.command == "list":
        specs = catalogue.collect()
        print(catalogue.as_json(specs) if args.json else catalogue.as_table(specs))
    elif args.command == "capabilities":
        for name, description in CAPABILITIES.items():
            print(f"{name:<26} {description}")
    elif args.command == "docs":
        folder = Path(args.dir)
        folder.mkdir(parents=True, exist_ok=True)
        for name, render in DOCS.items():
            (folder / name).write_text(render(), encoding="utf-8")
            print(f"wrote {folder / name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
