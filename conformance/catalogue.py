"""The catalogue of specs, read from the spec modules without running pytest."""

from __future__ import annotations

import importlib
import json
import pkgutil
from collections import Counter

from conformance.capabilities import ALTERNATIVES, CAPABILITIES, documents_only
from conformance.spec import Document, Source, SpecInfo, info_of


def collect(package: str = "conformance.specs") -> list[SpecInfo]:
    """Every spec's metadata in the package's modules, in module and source order."""
    root = importlib.import_module(package)
    found = []
    for module_info in sorted(pkgutil.iter_modules(root.__path__), key=lambda m: m.name):
        if not module_info.name.startswith("test_"):
            continue
        module = importlib.import_module(f"{package}.{module_info.name}")
        for value in vars(module).values():
            info = info_of(value)
            if info is not None and value.__module__ == module.__name__:
                found.append((module_info.name, value.__code__.co_firstlineno, info))
    return [info for _, _, info in sorted(found, key=lambda item: item[:2])]


def chapter(info: SpecInfo) -> str:
    return info.id.split(".", 1)[0]


def as_json(specs: list[SpecInfo]) -> str:
    return json.dumps(
        [
            {
                "id": s.id,
                "behaviour": s.behaviour,
                "sources": [
                    {"document": src.document.id, "section": src.section}
                    # the passage meant, where the anchor occurs several times
                    | ({"occurrence": src.occurrence} if getattr(src, "occurrence", None) else {})
                    for src in s.sources
                ],
                "about": getattr(s, "about", ""),
                "requires": sorted(s.requires),
                "basic": s.basic,
                "note": s.note,
                "tolerance": None
                if s.tolerance is None
                else {"rtol": s.tolerance.rtol, "atol": s.tolerance.atol, "why": s.tolerance.why},
                "false_failure_probability": s.false_failure_probability,
            }
            for s in specs
        ],
        indent=2,
    )


def short_source(source: Source) -> str:
    """A source in a few characters: the document's number prefix, or "maths", and the section."""
    if source.document.kind == "mathematics":
        document = "maths"
    elif source.document.kind == "document":
        document = source.document.id.split("_", 1)[0]
    else:
        document = source.document.id
    return f"{document} {source.section}"


def as_table(specs: list[SpecInfo]) -> str:
    """One spec per line: id, behaviour, then its sources and capabilities on an indented line."""
    width = max((len(s.id) for s in specs), default=10)
    rows = [f"{'id':<{width}}  behaviour", f"{'':<{width}}    sources | capabilities"]
    for s in specs:
        rows.append(f"{s.id:<{width}}  {s.behaviour}")
        sources = "; ".join(short_source(src) for src in s.sources)
        capabilities = ", ".join(sorted(s.capabilities))
        rows.append(f"{'':<{width}}    {sources} | {capabilities}")
    counts = Counter(chapter(s) for s in specs)
    rows.append(f"{len(specs)} specs: " + ", ".join(f"{c} {n}" for c, n in counts.items()))
    return "\n".join(rows)


def cell(text: str) -> str:
    """Text safe inside a Markdown table cell (of the catalogue page and of the matrix)."""
    return text.replace("|", "\\|").replace("\n", " ")


def reading_notes(package: str = "conformance.specs") -> list[tuple[Document, str, str]]:
    """The catalogue's notes on passages judged not executable: ``NOT_EXECUTABLE`` of the
    package's ``reading`` module, as (document, anchor, why); empty if it has none."""
    try:
        module = importlib.import_module(f"{package}.reading")
    except ModuleNotFoundError:
        return []
    return list(getattr(module, "NOT_EXECUTABLE", []))


def kind(capability: str) -> str:
    """ "PyTorch convention" for a capability whose description says so, else "documents"."""
    return "PyTorch convention" if CAPABILITIES[capability].startswith("PyTorch convention") else ""


def _about(s: SpecInfo) -> str:
    return getattr(s, "about", "") or ", ".join(sorted(s.requires)) or "tensor.core"


def _anchor_text(source: Source) -> str:
    which = getattr(source, "occurrence", None)
    return f"{source.section} (occurrence {which})" if which else source.section


def _by_document(specs: list[SpecInfo], notes: list[tuple[Document, str, str]]) -> list[str]:
    lines = ["", "## By document", ""]
    lines += [
        "For each source document: the passages the catalogue encodes (the anchor, verbatim in "
        "the document up to whitespace), the spec that encodes each, the capability the spec is "
        "about, and whether that capability is a PyTorch convention an engine may decline. Then "
        "the passages judged not executable, and why.",
    ]
    for document in cited_documents(specs, notes):
        rows = [
            (_anchor_text(source), s)
            for s in specs
            for source in s.sources
            if source.document == document
        ]
        lines += ["", f"### `{document.id}`: {document.title}", ""]
        lines += [f"By {document.author}; {document.where}.", ""]
        citing = {s.id: s for _, s in rows}.values()
        runs = sum(runs_on_documents_only(s) for s in citing)
        lines += [
            f"{len(citing)} specs cite it; a documents-only engine runs {runs} of them.",
            "",
        ]
        lines += ["| anchor | spec | about | convention |", "|---|---|---|---|"]
        for anchor, s in rows:
            about = _about(s)
            convention = kind(about) if about in CAPABILITIES else ""
            lines.append(f"| {cell(anchor)} | `{s.id}` | {about} | {convention} |")
        judged = [(anchor, why) for d, anchor, why in notes if d == document]
        if judged:
            lines += ["", "Judged not executable:", ""]
            lines += [f'- "{anchor}": {why}' for anchor, why in judged]
    return lines


def runs_on_documents_only(info: SpecInfo) -> bool:
    """Whether an engine that follows only the source documents (it declares every capability
    but the PyTorch conventions, the documents' side of each alternative included) runs the
    spec: everything it needs is documented."""
    return info.capabilities <= documents_only()


def _per_document(specs: list[SpecInfo], notes: list[tuple]) -> list[str]:
    """The count per source document: specs citing it, how many of them a documents-only engine
    runs, and the passages judged not executable."""
    documents = cited_documents(specs, notes)
    lines = ["", "## Specs per document", ""]
    lines += [
        "A documents-only engine declares every capability except the PyTorch conventions, and "
        "the documents' side of each alternative (`capabilities.documents_only()`); it runs "
        "the specs whose capabilities are all documented and skips the rest. A spec citing "
        "several documents counts under each.",
        "",
        "| document | specs citing it | run by a documents-only engine | judged not executable |",
        "|---|---|---|---|",
    ]
    for document in documents:
        citing = [s for s in specs if any(src.document == document for src in s.sources)]
        runs = sum(runs_on_documents_only(s) for s in citing)
        judged = sum(1 for note in notes if note[0] == document)
        lines.append(f"| `{document.id}` | {len(citing)} | {runs} | {judged} |")
    no_document = [
        s for s in specs if not any(src.document.kind == "document" for src in s.sources)
    ]
    total = sum(runs_on_documents_only(s) for s in specs)
    lines += [
        "",
        f"In all, a documents-only engine runs {total} of the {len(specs)} specs; "
        f"{len(no_document)} specs cite no source document (PyTorch's documentation or "
        "mathematics only).",
    ]
    gated = [
        (s, sorted(c for c in s.capabilities - documents_only()))
        for s in specs
        if not runs_on_documents_only(s) and _about(s) in documents_only()
    ]
    if gated:
        lines += [
            "",
            "Specs about a documented capability that a documents-only engine still skips, "
            "because they also require a convention (for a fixed sample, or to drive the "
            "behaviour through it):",
            "",
        ]
        lines += [f"- `{s.id}` ({_about(s)}): requires {', '.join(needs)}" for s, needs in gated]
    return lines


def cited_documents(specs: list[SpecInfo], notes: list[tuple]) -> list[Document]:
    """The source documents (kind "document") that specs or reading notes cite, by id."""
    found = {src.document for s in specs for src in s.sources} | {note[0] for note in notes}
    return sorted((d for d in found if d.kind == "document"), key=lambda d: d.id)


def _bibliography(specs: list[SpecInfo], notes: list[tuple]) -> list[str]:
    found = {src.document for s in specs for src in s.sources} | {note[0] for note in notes}
    lines = [
        "",
        "## Bibliography",
        "",
        "| id | title | author | where | kind |",
        "|---|---|---|---|---|",
    ]
    for d in sorted(found, key=lambda d: (d.kind, d.id)):
        lines.append(
            f"| `{d.id}` | {cell(d.title)} | {cell(d.author)} | {cell(d.where)} | {d.kind} |"
        )
    return lines


def as_sources(specs: list[SpecInfo], package: str = "conformance.specs") -> str:
    """The bibliography as text: every document the catalogue cites, by title, with its file
    (id), author and where a reader finds it (``conformance sources``)."""
    notes = reading_notes(package)
    found = {src.document for s in specs for src in s.sources} | {note[0] for note in notes}
    lines = []
    for d in sorted(found, key=lambda d: (d.kind, d.title)):
        lines.append(d.title)
        lines += [
            f"  {label}: {value}"
            for label, value in (
                ("file", d.id),
                ("author", d.author),
                ("where", d.where),
                ("kind", d.kind),
            )
            if value
        ]
    return "\n".join(lines)


def _conventions(specs: list[SpecInfo]) -> list[str]:
    lines = ["", "## PyTorch conventions and alternatives", ""]
    lines += [
        "Behaviour no document states, kept because PyTorch has it; each is its own capability, "
        "so an engine that follows only the documents declines it and loses nothing else. These "
        "specs cite PyTorch's API documentation (an external source, named as such).",
        "",
        "| capability | specs about it |",
        "|---|---|",
    ]
    for name, description in CAPABILITIES.items():
        if description.startswith("PyTorch convention"):
            about = [f"`{s.id}`" for s in specs if getattr(s, "about", "") == name]
            lines.append(f"| {name} | {', '.join(about)} |")
    lines += [
        "",
        "Where the documents and PyTorch disagree, both readings are capabilities; an engine "
        "declares the one it follows and the specs of that side check it:",
        "",
    ]
    for pytorch, document in ALTERNATIVES.items():
        lines.append(f"- `{pytorch}` (PyTorch) or `{document}` (documents)")
    return lines


def as_markdown(specs: list[SpecInfo], package: str = "conformance.specs") -> str:
    counts = Counter(chapter(s) for s in specs)
    lines = [
        "# Spec catalogue",
        "",
        "Generated by `python -m conformance docs`; a test fails when this page is out of date.",
        f"{len(specs)} specs: " + ", ".join(f"{c} {n}" for c, n in counts.items()) + ".",
        f"An engine that follows only the source documents runs "
        f"{sum(runs_on_documents_only(s) for s in specs)} of them (see Specs per document).",
        "",
        "Three kinds of source, never mixed in one citation: a document of `shared/seeds/` with an "
        "anchor that occurs in it verbatim up to whitespace and leads to one passage (a test "
        "checks every anchor); `mathematics`, with the "
        "derivation; external API documentation (PyTorch's), for conventions no document states. "
        "The bibliography at the end says where a reader finds each document.",
    ]
    current = None
    for s in specs:
        if chapter(s) != current:
            current = chapter(s)
            lines += [
                "",
                f"## {current}",
                "",
                "| id | behaviour | source | about | also requires |",
                "|---|---|---|---|---|",
            ]
        sources = "<br>".join(cell(str(src)) for src in s.sources)
        about = _about(s)
        also = ", ".join(sorted(s.requires - {about})) or "-"
        lines.append(f"| `{s.id}` | {cell(s.behaviour)} | {sources} | {about} | {also} |")
    lines += _conventions(specs)
    notes = reading_notes(package)
    lines += _per_document(specs, notes)
    lines += _by_document(specs, notes)
    noted = [s for s in specs if s.note]
    if noted:
        lines += ["", "## Notes: PyTorch nuances and choices", ""]
        lines += [f"- `{s.id}`: {s.note}" for s in noted]
    own = [s for s in specs if s.tolerance is not None]
    if own:
        lines += ["", "## Specs with their own tolerance", ""]
        lines += [f"- `{s.id}`: {t} ({t.why})" for s in own if (t := s.tolerance) is not None]
    statistical = [s for s in specs if s.false_failure_probability is not None]
    if statistical:
        lines += [
            "",
            "## Statistical specs",
            "",
            "Each runs with a fixed seed; the bound below holds for any seed (derivations in the",
            "spec modules' comments; `scripts/check_probabilities.py` rechecks each by a second",
            "method).",
            "",
        ]
        lines += [
            f"- `{s.id}`: false failure probability at most {s.false_failure_probability:.2g}"
            for s in statistical
        ]
    lines += _bibliography(specs, notes)
    return "\n".join(lines) + "\n"
