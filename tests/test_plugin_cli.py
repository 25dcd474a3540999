"""The command lines: ``pytest --help`` and ``python -m conformance``; the generated pages."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conformance import __main__ as cli
from conformance import catalogue, discovery
from conformance.capabilities import CAPABILITIES
from tests.plugin_run import REPO, TINY, spec_source

OPTIONS = (
    "--engine",
    "--device",
    "--spec-timeout",
    "--conformance-report",
    "--baseline",
    "--write-baseline",
    "--isolate",
    "--probe-undeclared",
    # the namespaced names of the four above that engine projects may define themselves
    "--conformance-engine",
    "--conformance-device",
    "--conformance-baseline",
    "--conformance-isolate",
)


def help_of_options(result) -> dict[str, str]:
    """Option -> its help text, from the "autograd conformance" group of ``pytest --help``."""
    lines = result.stdout.str().split("autograd conformance:\n", 1)[1].split("\n\n", 1)[0]
    found: dict[str, str] = {}
    for line in lines.splitlines():
        words = line.split()
        if line.startswith("  --"):
            option = words[0].split("=")[0]
            found[option] = " ".join(words[1:])
        else:
            found[option] += " " + " ".join(words)
    return found


def test_help_lists_every_option_with_help_text(run):
    result = run("--help")
    assert result.ret == pytest.ExitCode.OK
    options = help_of_options(result)
    assert sorted(options) == sorted(OPTIONS)
    assert all(len(text.split()) >= 5 for text in options.values()), options
    assert "Default: reference" in options["--conformance-engine"]
    assert "short for --conformance-engine" in options["--engine"]
    assert "Default: 60" in options["--spec-timeout"]


def test_help_works_when_the_default_engine_cannot_load(run, monkeypatch):
    monkeypatch.setitem(discovery.BUILTIN, "reference", "no_such_module_xyz:Engine")
    assert run("--help").ret == pytest.ExitCode.OK
    # A session without specs is not disturbed either; one with a spec says what is wrong.
    run.pytester.makepyfile(test_plain="def test_plain():\n    pass\n")
    run().assert_outcomes(passed=1)
    run.write(spec_source())
    result = run()
    assert result.ret == pytest.ExitCode.INTERRUPTED
    result.stdout.fnmatch_lines(
        ["*the default engine cannot be used: engine 'reference': cannot import*--engine=NAME"]
    )


def test_explicit_engine_is_loaded_even_without_specs(run):
    # An explicitly named engine that cannot load is a usage error at once.
    result = run("--engine=no_such_module_xyz:Engine")
    assert result.ret == pytest.ExitCode.USAGE_ERROR


def test_named_engine_without_specs_says_how_to_reach_the_catalogue(run):
    # Outside a checkout pytest collects the folder's own tests: say how to run the catalogue.
    run.pytester.makepyfile(test_plain="def test_plain():\n    pass\n")
    result = run(f"--engine={TINY}:TinyEngine")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(
        [f"conformance: --engine was given but no spec*conformance run --engine={TINY}:TinyEngine*"]
    )
    # Not in every other pytest session of the environment, where the plugin is loaded too.
    assert "no spec was collected" not in run().stdout.str()


# -- python -m conformance ---------------------------------------------------------------------
def test_run_collects_the_installed_catalogue_from_any_folder(tmp_path):
    ran = subprocess.run(
        [sys.executable, "-m", "conformance", "run", "--engine=reference", "-p", "no:randomly"]
        + ["-p", "no:cacheprovider", "-k", "square_grad or relu_chain", "-v"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,  # a folder without tests or configuration
    )
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert "test_autograd_basics.py::test_square_grad[reference-cpu] PASSED" in ran.stdout
    assert "test_autograd_basics.py::test_relu_chain[reference-cpu] PASSED" in ran.stdout
    assert " 2 passed" in ran.stdout


def test_list(capsys):
    assert cli.main(["list"]) == 0
    out = capsys.readouterr().out.splitlines()
    count, word = out[-1].split()[:2]  # "111 specs", maybe followed by counts per chapter
    assert word.startswith("specs") and int(count) == len(catalogue.collect())
    assert any(line.startswith("autograd.square_grad ") for line in out)


def test_list_json(capsys):
    assert cli.main(["list", "--json"]) == 0
    specs = json.loads(capsys.readouterr().out)
    square = next(s for s in specs if s["id"] == "autograd.square_grad")
    assert set(square) >= {"id", "behaviour", "sources", "about", "requires", "basic", "note"}
    assert (square["about"], square["requires"]) == ("autograd.backward", [])
    assert all(set(source) == {"document", "section"} for source in square["sources"])


def test_capabilities_by_module_entry():
    ran = subprocess.run(
        [sys.executable, "-m", "conformance", "capabilities"],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    names = [line.split()[0] for line in ran.stdout.splitlines()]
    assert names == list(CAPABILITIES)


def test_unknown_command_is_an_error(capsys):
    with pytest.raises(SystemExit) as exit:
        cli.main(["nonsense"])
    assert exit.value.code == 2
    assert "invalid choice: 'nonsense'" in capsys.readouterr().err


# -- the generated pages -----------------------------------------------------------------------
def stale_pages(folder: Path) -> list[str]:
    """The generated pages in ``folder`` that differ from what ``docs`` would write now."""
    return [
        name
        for name, render in cli.DOCS.items()
        if not (folder / name).is_file() or (folder / name).read_text(encoding="utf-8") != render()
    ]


def test_committed_pages_are_up_to_date():
    assert stale_pages(REPO / "docs") == [], "run: python -m conformance docs --dir docs"


def test_a_stale_page_is_found_and_docs_regenerates_it(tmp_path, capsys):
    # (without the report schema, which the test session would take for a report to check)
    shutil.copytree(
        REPO / "docs", tmp_path, dirs_exist_ok=True, ignore=shutil.ignore_patterns("*.json")
    )
    contract = tmp_path / "contract.md"
    contract.write_text(contract.read_text().replace("`optim.adam`", "`optim.adamw`"))
    assert stale_pages(tmp_path) == ["contract.md"]
    assert cli.main(["docs", "--dir", str(tmp_path)]) == 0
    assert f"wrote {contract}" in capsys.readouterr().out
    assert stale_pages(tmp_path) == []


def test_docs_writes_only_into_the_folder_it_is_given(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as exit:
        cli.main(["docs"])  # no folder: nothing written into the current one
    assert exit.value.code == 2 and "--dir" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []
    assert cli.main(["docs", "--dir", "out"]) == 0
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == sorted(cli.DOCS)


def test_docs_never_overwrites_a_page_it_did_not_generate(tmp_path, capsys):
    own = tmp_path / "catalogue.md"
    own.write_text("# Our engine's catalogue of kernels\n", encoding="utf-8")
    assert cli.main(["docs", "--dir", str(tmp_path)]) == 2
    assert "not overwriting" in capsys.readouterr().err
    assert own.read_text(encoding="utf-8") == "# Our engine's catalogue of kernels\n"
    assert not (tmp_path / "contract.md").exists()  # checked before anything is written
    # the pages it generated, it rewrites
    own.unlink()
    assert cli.main(["docs", "--dir", str(tmp_path)]) == 0
    assert cli.main(["docs", "--dir", str(tmp_path)]) == 0
    assert all(cli.GENERATED_MARK in (tmp_path / name).read_text() for name in cli.DOCS)


def test_contract_page_documents_every_capability_and_method():
    from conformance.engine import contract_methods

    page = cli.DOCS["contract.md"]()
    assert all(f"### `{name}`" in page for name in CAPABILITIES)
    assert all(f"`Engine.{name}(" in page for _, name, _ in contract_methods())


def test_sources_lists_the_bibliography_by_title(capsys):
    from conformance.specs.sources import BIBLIOGRAPHY

    assert cli.main(["sources"]) == 0
    out = capsys.readouterr().out
    cited = {src.document for s in catalogue.collect() for src in s.sources}
    for document in cited & set(BIBLIOGRAPHY):
        assert f"{document.title}\n  file: {document.id}\n" in out, document
