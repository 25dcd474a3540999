"""Command line: ``conformance run|list|capabilities|docs|matrix|diff|gate``
(or ``python -m conformance ...``)."""

from __future__ import annotations

import argparse
import importlib.util
import subprocess
import sys
from pathlib import Path

from conformance import catalogue, contract_doc, matrix, matrix_docs, matrix_html
from conformance import diff as diff_module
from conformance import gate as gate_module
from conformance.capabilities import CAPABILITIES
from conformance.matrix import ReportError

DOCS = {
    "catalogue.md": lambda: catalogue.as_markdown(catalogue.collect()),
    "contract.md": contract_doc.as_markdown,
}


def add_report_commands(commands) -> None:
    table = commands.add_parser(
        "matrix",
        help="render JSON reports as a conformance matrix (capabilities x engine and device)",
    )
    table.add_argument("reports", nargs="*", metavar="REPORT", help="--conformance-report files")
    table.add_argument("--markdown", metavar="PATH", help="write Markdown here ('-': stdout)")
    table.add_argument("--html", metavar="PATH", help="write a self-contained HTML page here")
    table.add_argument("--title", default="Conformance matrix", help="heading of the matrix")
    table.add_argument(
        "--regenerate-docs",
        action="store_true",
        help="run the reference engine, torch and the example engines afresh and rewrite "
        f"{matrix_docs.PAGE} (and build/matrix/: the reports and matrix.html)",
    )
    compare = commands.add_parser(
        "diff",
        help="compare two reports of one engine (before, after); exit 1 when a spec newly "
        "fails, 2 when the reports are not comparable",
    )
    compare.add_argument("before", metavar="BEFORE")
    compare.add_argument("after", metavar="AFTER")
    compare.add_argument(
        "--force", action="store_true", help="compare reports of another catalogue or engine"
    )
    compare.add_argument("--markdown", action="store_true", help="Markdown instead of text")
    check = commands.add_parser(
        "gate",
        help="CI gate on a run's report: exit 0 pass, 1 regression, 2 usage error, "
        "3 stale baseline, 4 nothing ran",
    )
    check.add_argument("report", metavar="REPORT")
    check.add_argument("--previous", metavar="REPORT", help="an earlier report to diff against")
    check.add_argument(
        "--pytest-status", type=int, metavar="N", help="the exit status of the pytest run"
    )


def run_matrix(args) -> int:
    if args.regenerate_docs:
        return matrix_docs.regenerate()
    if not args.reports:
        print("conformance matrix: give one or more REPORT files", file=sys.stderr)
        return gate_module.USAGE
    model = matrix.build([matrix.load(path) for path in args.reports])
    if args.html:
        Path(args.html).write_text(matrix_html.as_html(model, title=args.title), encoding="utf-8")
        print(f"wrote {args.html}", file=sys.stderr)
    if args.markdown or not args.html:
        text = matrix.as_markdown(model, title=args.title)
        if args.markdown in (None, "-"):
            sys.stdout.write(text)
        else:
            Path(args.markdown).write_text(text, encoding="utf-8")
            print(f"wrote {args.markdown}", file=sys.stderr)
    return 0


def run_diff(args) -> int:
    before, after = matrix.load(args.before), matrix.load(args.after)
    reasons = diff_module.incomparable(before, after)
    if reasons and not args.force:
        print(
            "conformance diff: the reports are not comparable (--force compares them anyway): "
            + "; ".join(reasons),
            file=sys.stderr,
        )
        return gate_module.USAGE
    changes = diff_module.compare(before, after)
    sys.stdout.write(diff_module.as_text(changes, markdown=args.markdown))
    return gate_module.REGRESSION if changes.regressed else gate_module.PASS


def run_gate(args) -> int:
    previous = matrix.load(args.previous) if args.previous else None
    status, lines = gate_module.gate(
        matrix.load(args.report), previous=previous, pytest_status=args.pytest_status
    )
    for line in lines:
        print(line)
    return status


REPORT_COMMANDS = {"matrix": run_matrix, "diff": run_diff, "gate": run_gate}


def make_parser() -> argparse.ArgumentParser:
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
    add_report_commands(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = make_parser()
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["run"]:
        # Every argument after "run" is pytest's, including --help; the catalogue's folder
        # comes first so that pytest collects it wherever it is started. A fresh interpreter:
        # pytest rewrites the asserts of this distribution's modules, which must not be
        # imported before it starts.
        catalogue_spec = importlib.util.find_spec("conformance.specs")
        assert catalogue_spec is not None and catalogue_spec.submodule_search_locations
        location = catalogue_spec.submodule_search_locations[0]
        return subprocess.call([sys.executable, "-m", "pytest", location, *argv[1:]])
    args = parser.parse_args(argv)

    if args.command in REPORT_COMMANDS:
        try:
            return REPORT_COMMANDS[args.command](args)
        except ReportError as error:
            print(f"conformance {args.command}: {error}", file=sys.stderr)
            return gate_module.USAGE
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
