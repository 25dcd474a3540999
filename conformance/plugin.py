"""The pytest plugin: ``--engine``, ``--device``, the ``engine`` fixture, reports and baselines.

Registered through the ``pytest11`` entry point. Hooks stay thin; the logic lives in
``discovery``, ``targets``, ``baseline``, ``report`` and ``repro``.
"""

from __future__ import annotations

import dataclasses
import inspect
import os
import warnings
from pathlib import Path
from typing import Any

import pytest

from conformance import (
    baseline,
    charging,
    discovery,
    engine_errors,
    isolation,
    options,
    property_failures,
    repro,
    spec_clock,
)
from conformance import report as report_module
from conformance.capabilities import CAPABILITIES
from conformance.running import SpecFailure, running_spec
from conformance.spec import SpecInfo, info_of
from conformance.targets import BasicSpecs, Target

ENGINE = "--engine"
DEVICE = "--device"
# Each of the suite's options that engine test suites commonly define themselves (--device
# above all) has a namespaced name, always registered, and the short name above as an alias
# registered only where no conftest or other plugin of the session owns it (see options.py).
SPEC_TIMEOUT = "--spec-timeout"
REPORT = "--conformance-report"
BASELINE = "--baseline"
WRITE_BASELINE = "--write-baseline"
ISOLATE = "--isolate"
PROBE = "--probe-undeclared"
DEFAULT_ENGINE = "reference"

RESULT = "conformance"
run_key = pytest.StashKey["Run"]()


class Run:
    """What the plugin knows about one pytest session."""

    def __init__(self, config: pytest.Config):
        requested = config.getoption(options.dest(ENGINE))
        self.explicit = requested is not None
        self.option = DEFAULT_ENGINE if requested is None else requested
        self.names = discovery.split(self.option)
        devices = [
            discovery.check_device(d.strip())
            for d in config.getoption(options.dest(DEVICE)).split(",")
        ]
        self.devices = list(dict.fromkeys(devices))  # --device=cpu,cpu: each spec once per device
        self._engines: dict | None = None
        self._targets: list[Target] | None = None
        self._problem = ""
        if self.explicit:
            self.load()  # a wrong --engine is a usage error now, not after collection
        baseline_path = config.getoption(options.dest(BASELINE))
        self.baseline = baseline.read(baseline_path) if baseline_path else []
        self.basics = BasicSpecs()
        self.probe = bool(config.getoption(PROBE))
        self.specs: dict[str, object] = {}  # spec id -> node id of its first item
        self.infos: dict[str, SpecInfo] = {}  # spec id -> metadata, of the collected specs
        self.catalogue = ""  # digest of the collected specs' metadata (see report.catalogue_digest)
        self.results: list[report_module.Result] = []
        self.stray: list[str] = []  # baseline lines naming no collected spec
        self.write_errors: list[str] = []  # outputs that could not be written at the end
        # node id -> its record as of setup and whether it is basic, until its call is reported
        self.started: dict[str, tuple[dict, bool]] = {}

    def load(self) -> dict:
        """The engines, imported on first need: with ``--engine`` at configuration, else when
        the first spec is collected, so that a session without specs imports no engine."""
        if self._engines is None:
            try:
                self._engines = discovery.load_engines(self.names)
            except discovery.EngineError as error:
                if self.explicit:
                    raise
                # The plugin is loaded into every pytest session of the environment: a session
                # that collects no spec must not fail because the default engine cannot load.
                self._engines, self._problem = {}, f"the default engine cannot be used: {error}"
        return self._engines

    @property
    def problem(self) -> str:
        """Why the default engine cannot load; reported when a spec needs it."""
        self.load()
        return self._problem

    @property
    def engines(self) -> list:
        return list(self.load().values())

    @property
    def targets(self) -> list[Target]:
        if self._targets is None:
            self._targets = [Target(e, device) for e in self.engines for device in self.devices]
        return self._targets

    @property
    def options(self) -> dict[str, str]:
        """Engine name -> the name it was asked for by, for reproductions."""
        return {engine.name: name for name, engine in self.load().items()}

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        """Record a spec's outcome; also runs on the pytest-xdist controller."""
        found: Any = dict(report.user_properties).get(RESULT)
        if found is None:
            return
        if report.when == "setup" and report.passed:
            # What a crash handler needs when the worker dies during the call
            self.started[report.nodeid] = (found, bool(dict(report.user_properties).get(BASIC)))
        if report.when == "call" or report.failed or report.skipped:
            self.started.pop(report.nodeid, None)
            self.results.append(report_module.Result(**found))

    @pytest.hookimpl(optionalhook=True)
    def pytest_testnodedown(self, node, error) -> None:
        """pytest-xdist controller: the catalogue digest from a worker, which collected."""
        digest = getattr(node, "workeroutput", {}).get(CATALOGUE)
        if digest:
            self.catalogue = digest
        self.stray = getattr(node, "workeroutput", {}).get(STRAY, self.stray)


CATALOGUE = "conformance_catalogue"  # key in a pytest-xdist worker's workeroutput
BASIC = "conformance_basic"  # user property: the spec is a basic one
STRAY = "conformance_stray"  # key in a pytest-xdist worker's workeroutput


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("conformance", "autograd conformance")
    group.addoption(
        options.LONG[ENGINE],
        dest=options.dest(ENGINE),
        metavar="ENGINES",
        default=None,  # None: not given, the default engine; see Run
        help="engines to test, comma-separated: a registered name (reference, torch, or an "
        "installed 'conformance.engines' entry point) or 'package.module:factory'. "
        f"Default: {DEFAULT_ENGINE}.",
    )
    group.addoption(
        options.LONG[DEVICE],
        dest=options.dest(DEVICE),
        metavar="DEVICES",
        default="cpu",
        help="devices to run every spec on, comma-separated (cpu, cuda, cuda:N, mps). A device an "
        "engine lacks makes its specs skip with the reason. Default: cpu.",
    )
    group.addoption(
        SPEC_TIMEOUT,
        type=float,
        default=60.0,
        help="seconds a spec may run before it fails as hung (via pytest-timeout; its own "
        "--timeout or timeout ini setting overrides this; 0 disables). Default: 60.",
    )
    group.addoption(
        REPORT,
        metavar="PATH",
        help="write per-spec outcomes and per-capability verdicts as JSON to PATH.",
    )
    group.addoption(
        options.LONG[BASELINE],
        dest=options.dest(BASELINE),
        metavar="PATH",
        help="file of specs the engine is known to fail, one a line: 'spec.id', "
        "'spec.id[case]', 'spec.id@engine-device' or 'spec.id[case]@engine-device'; "
        "they run as strict xfails and stale entries are reported.",
    )
    group.addoption(
        options.LONG[ISOLATE],
        dest=options.dest(ISOLATE),
        action="store_true",
        help="run specs in worker processes (pytest-xdist), so that an engine that crashes the "
        "interpreter fails the running spec instead of ending the run. Uses -n if given, else 1 "
        "worker; crashed workers are replaced. Add --timeout-method=thread to also fail hangs "
        "that signals cannot interrupt.",
    )
    group.addoption(
        PROBE,
        action="store_true",
        help="also run the specs of capabilities the engine does not declare, to show where it "
        "would pass, deviates or lacks a method. They never fail the run: a probed spec that "
        "fails is reported as XFAIL ('not claimed: deviates' or 'not claimed: absent', its "
        "message kept for -rx and the JSON report, claimed=false), one that passes as PASSED. "
        "An xfail rather than a skip, because the spec did run and did not hold.",
    )
    group.addoption(
        WRITE_BASELINE,
        metavar="PATH",
        help="write this run's failing specs to PATH in baseline format, one line per "
        "parametrized case where a spec has cases.",
    )


@pytest.hookimpl(wrapper=True)
def pytest_load_initial_conftests(early_config: pytest.Config, parser: pytest.Parser):
    # After the project's initial conftests and every plugin have added their options: the
    # short names that none of them took (see conformance.options).
    result = yield
    options.add_short_names(early_config, parser)
    return result


@pytest.hookimpl(wrapper=True)
def pytest_cmdline_main(config: pytest.Config):
    # Before pytest-xdist reads its options: --isolate means "distribute, at least 1 worker".
    # Not on the workers themselves: each would start workers of its own, without end.
    if config.getoption(options.dest(ISOLATE), False) and not hasattr(config, "workerinput"):
        if not config.pluginmanager.hasplugin("xdist"):
            raise pytest.UsageError(
                f"{options.name(config, ISOLATE)} needs pytest-xdist: pip install pytest-xdist"
            )
        if not config.option.numprocesses:
            config.option.numprocesses = 1
        if config.option.maxworkerrestart is None:
            config.option.maxworkerrestart = 10**6  # every crashing spec gets a fresh worker
    return (yield)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "basic: a basic spec that other specs rely on")
    for name, description in CAPABILITIES.items():
        config.addinivalue_line("markers", f"{name}: specs requiring {description}")
    try:
        config.stash[run_key] = Run(config)
    except (discovery.EngineError, baseline.BaselineError) as error:
        raise pytest.UsageError(str(error)) from None
    for option in (REPORT, WRITE_BASELINE):  # fail now, not after a long run
        path = config.getoption(option)
        problem = path and unwritable(path)
        if problem:
            raise pytest.UsageError(f"{option}={path}: {problem}")
    config.pluginmanager.register(config.stash[run_key], "conformance-run")
    if config.pluginmanager.hasplugin("xdist"):  # a crashed worker's spec still counts, by name
        run = config.stash[run_key]
        isolation.seed_worker(config, run.basics)
        timeout = config.getoption("timeout", None) or config.getoption(SPEC_TIMEOUT)
        handler = isolation.CrashHandler(run.started.get, RESULT, float(timeout))
        config.pluginmanager.register(handler, "conformance-isolation")


def unwritable(path: str) -> str:
    """Why a file cannot be written at ``path`` ("" when it can, as far as can be told)."""
    file = Path(path)
    folder = file.resolve().parent
    if file.is_dir():
        return "is a folder; give the path of a file"
    if not folder.is_dir():
        return f"the folder {str(folder)!r} does not exist"
    if not os.access(folder, os.W_OK) or (file.exists() and not os.access(file, os.W_OK)):
        return "cannot be written (permission denied)"
    return ""


def pytest_report_header(config: pytest.Config) -> list[str]:
    """With ``--engine``, the engines in pytest's header; without it, the same lines follow the
    collection, and only if specs were collected (see pytest_report_collectionfinish)."""
    run = config.stash[run_key]
    return header(run, config) if run.explicit else []


def pytest_report_collectionfinish(config: pytest.Config) -> list[str]:
    run = config.stash[run_key]
    return header(run, config) if run.specs and not run.explicit else []


def header(run: Run, config: pytest.Config) -> list[str]:
    if run.problem:
        return [f"conformance: {run.problem}"]
    lines = options.taken_lines(config)
    lines.append(f"conformance: devices {sorted({t.device for t in run.targets})}")
    for engine in run.engines:
        lines.append(
            f"engine {engine.name} {engine.version}: devices {list(engine.devices)}, "
            f"{len(engine.capabilities)}/{len(CAPABILITIES)} capabilities"
        )
        if config.get_verbosity() > 0:
            lines.append(f"  capabilities: {', '.join(sorted(engine.capabilities))}")
    return lines


@pytest.hookimpl(tryfirst=True)
def pytest_pycollect_makeitem(collector: pytest.Collector, name: str, obj) -> None:
    info = info_of(obj)
    if info is None:
        return
    problems = info.problems()
    if problems:
        raise collector.CollectError(f"malformed spec metadata on {name}: " + "; ".join(problems))
    if "engine" not in inspect.signature(obj).parameters:
        raise collector.CollectError(
            f"spec {info.id} ({name}) must take the 'engine' argument: specs run once per engine "
            "and device"
        )
    run = collector.config.stash[run_key]
    if run.problem:
        engine_option = options.name(collector.config, ENGINE)
        raise collector.CollectError(f"{run.problem}; name an engine with {engine_option}=NAME")
    first = run.specs.setdefault(info.id, f"{collector.nodeid}::{name}")
    if first != f"{collector.nodeid}::{name}":
        raise collector.CollectError(f"spec id {info.id!r} of {name} is already used by {first}")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "engine" in metafunc.fixturenames and info_of(metafunc.function) is not None:
        targets = metafunc.config.stash[run_key].targets
        metafunc.parametrize("engine", targets, ids=[t.id for t in targets], indirect=True)


def pytest_itemcollected(item: pytest.Item) -> None:
    info = info_of(getattr(item, "obj", None))
    if info is None:
        return
    for capability in sorted(info.capabilities):
        item.add_marker(getattr(pytest.mark, capability))
    if info.basic:
        item.add_marker(pytest.mark.basic)
        item.config.stash[run_key].basics.add(info, item.obj)  # type: ignore[attr-defined]
    item.extra_keyword_matches.add(info.id)
    item.config.stash[run_key].infos.setdefault(info.id, info)


def own_timeout_configured(config: pytest.Config) -> bool:
    """Whether pytest-timeout's own setting is given (``--timeout``, even 0, or the ini value),
    which then applies instead of ``--spec-timeout``."""
    if not config.pluginmanager.hasplugin("timeout"):
        return False
    return config.getoption("timeout") is not None or bool(config.getini("timeout"))


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    run = config.stash[run_key]
    if not run.specs and not run.baseline:
        return  # no spec collected: leave the session's items as they are
    timeout = config.getoption(SPEC_TIMEOUT)
    use_timeout = timeout > 0 and not own_timeout_configured(config)
    matched = set()
    for item in items:
        info = info_of(getattr(item, "obj", None))
        if info is None or not hasattr(item, "callspec"):
            continue
        target, case = item.callspec.params["engine"].id, case_of(item)
        for entry in run.baseline:
            if entry.matches(info.id, case, target):
                matched.add(entry)
                item.add_marker(pytest.mark.xfail(strict=True, reason=f"in baseline: {entry}"))
        if use_timeout and item.get_closest_marker("timeout") is None:
            item.add_marker(pytest.mark.timeout(timeout))
    run.stray = [f"line {e.line}: {e}" for e in run.baseline if e.spec not in run.specs]
    for entry in run.baseline:
        if entry not in matched:
            warnings.warn(
                pytest.PytestWarning(
                    f"baseline line {entry.line}: {entry} matches no collected spec; remove it"
                ),
                stacklevel=1,
            )
    # Basic specs first, so a broken foundation is the first thing a reader sees.
    items.sort(key=lambda item: not item.get_closest_marker("basic"))


@pytest.fixture
def engine(request: pytest.FixtureRequest):
    """The engine under test on one device, set up for the requesting spec."""
    info = info_of(request.function)
    if info is None:
        pytest.fail(
            f"{request.function.__name__} uses the engine fixture without @spec metadata; "
            "decorate it with conformance.spec",
            pytrace=False,
        )
    target: Target = request.param
    reason = target.skip_reason(info)
    if reason and request.config.stash[run_key].probe and target.available:
        # Probed: runs although not declared, when the capability it is about is the only one
        # missing. One that also needs an undeclared prerequisite would only show that missing
        # prerequisite again (a scalar-only engine on every array spec), and slowly.
        undeclared = target.undeclared(info)
        if undeclared == {info.subject}:
            reason = None
        else:
            others = ", ".join(sorted(undeclared - {info.subject}))
            reason += f"; not probed: it also needs undeclared {others}"
    if reason:
        pytest.skip(reason)
    instance = target.instance()
    with running_spec(info, instance), spec_clock.timed(spec_timeout(request.node)):
        with instance.spec_scope():
            yield instance


def spec_timeout(item) -> float | None:
    """The timeout pytest-timeout applies to ``item`` (its marker, else its own setting), for
    the clock that property specs check between examples; None without one."""
    marker = item.get_closest_marker("timeout")
    if marker is not None:
        value = marker.args[0] if marker.args else marker.kwargs.get("timeout")
    elif own_timeout_configured(item.config):
        value = item.config.getoption("timeout") or item.config.getini("timeout")
    else:
        value = None
    try:
        return float(value) if value else None
    except (TypeError, ValueError):
        return None


def claimed(info: SpecInfo, target: Target) -> bool:
    """Whether the engine declares every capability the spec needs."""
    return not target.undeclared(info)


def case_of(item: Any) -> str:
    """The parametrized case of a spec item: the ids of its parameters other than the engine,
    joined by "-" as pytest joins them ("" when the spec has no parameters of its own).

    Read from the item's CallSpec: its per-parametrization id list (``_idlist``, one entry per
    parametrize call, the target's among them) without the target's entry; where that list is
    not available, ``callspec.id`` with the target's id taken out at its place. Never from the
    node id.
    """
    callspec = item.callspec
    target = callspec.params["engine"].id
    ids = list(getattr(callspec, "_idlist", None) or ())
    if target in ids:
        ids.remove(target)
        return "-".join(ids)
    parts = callspec.id.split("-")
    width = target.count("-") + 1
    for start in range(len(parts) - width + 1):
        if "-".join(parts[start : start + width]) == target:
            return "-".join(parts[:start] + parts[start + width :])
    return callspec.id


blocked_key = pytest.StashKey[bool]()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_pyfunc_call(pyfuncitem: pytest.Function):
    """Before a spec runs: is a basic spec it relies on failing on this target? Checked in the
    call (not at setup) so that the setup report, which carries the spec's record to a
    pytest-xdist controller, is out before a basic spec that crashes the worker runs."""
    info = info_of(getattr(pyfuncitem, "obj", None))
    if info is not None and hasattr(pyfuncitem, "callspec"):
        target: Any = pyfuncitem.callspec.params["engine"]
        blocking = pyfuncitem.config.stash[run_key].basics.blocking(info, target)
        pyfuncitem.stash[blocked_key] = blocking is not None
        if blocking:
            return (yield from run_blocked(pyfuncitem, *blocking))
    return (yield)


def run_blocked(pyfuncitem: pytest.Function, reason: str, may_run: bool):
    """A spec whose basic spec fails: run anyway where that is safe, so that blocking hides no
    spec that passes; one that fails too (or may not run) is reported as blocked, at the spec's
    own location (as a skip mark is), not at this line."""
    if not may_run:
        raise pytest.skip.Exception(reason, _use_item_location=True)
    try:
        result = yield
    except (Exception, pytest.fail.Exception):
        raise pytest.skip.Exception(reason, _use_item_location=True) from None
    pyfuncitem.stash[blocked_key] = False
    return result


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    rep = yield
    info = info_of(getattr(item, "obj", None))
    if info is None or not hasattr(item, "callspec"):
        return rep
    run = item.config.stash[run_key]
    target = item.callspec.params["engine"]
    is_claimed = claimed(info, target)
    script = ""
    if rep.failed and call.when == "call":
        script = repro.reproduction_of(item, run.options[target.engine.name])
        if script:
            rep.sections.append(("reproduce", script))
    found = engine_error(item, call)
    verbose = item.config.get_verbosity() > 0
    message = failure_message(rep, call, info, target, found, verbose)
    outcome = report_module.outcome_of(rep, item.stash.get(blocked_key, False))
    if not is_claimed and outcome == "failed" and absent(item, call, found):
        outcome = "absent"
    if not is_claimed and rep.failed and call.when == "call":
        # --probe-undeclared: a probed spec never fails the run; its record keeps the outcome.
        rep.outcome = "skipped"
        rep.wasxfail = f"not claimed: {'deviates' if outcome == 'failed' else outcome}: " + (
            message.splitlines()[0] if message else ""
        )
    record = report_module.result_of(
        info,
        case=case_of(item),
        target=target.id,
        claimed=is_claimed,
        outcome=outcome,
        message=message,
        duration=rep.duration,
        reproduction=script,
        charged=charging.charged(found.member, info, found.refused)
        if found and not rep.passed
        else "",
    )
    # user_properties travel with the report to the pytest-xdist controller.
    rep.user_properties.append((RESULT, dataclasses.asdict(record)))
    if info.basic:
        rep.user_properties.append((BASIC, True))
    return rep


def engine_error(item: pytest.Item, call: pytest.CallInfo) -> engine_errors.EngineError | None:
    """The error the engine raised in the spec's body, if that is how it failed."""
    if call.when != "call" or call.excinfo is None:
        return None
    error = call.excinfo.value
    # pytest's own outcomes (skip, xfail, fail, a timeout) are BaseExceptions, not Exceptions;
    # several failures of a property spec are told one by one (conformance/property_failures).
    told_apart = (SpecFailure, *property_failures.GROUPS)
    if not isinstance(error, Exception) or isinstance(error, told_apart):
        return None
    function: Any = getattr(item, "obj", None)
    return engine_errors.examine(error, Path(inspect.getsourcefile(function) or item.path))


def absent(item: pytest.Item, call: pytest.CallInfo, found) -> bool:
    """Whether the spec failed for a method or member the adapter lacks: in the spec's body, or
    in the control step of an expected refusal (a SpecFailure that keeps its ``cause``)."""
    if found is not None:
        return bool(found.missing)
    cause = getattr(call.excinfo.value, "cause", None) if call.excinfo is not None else None
    if not isinstance(cause, Exception):
        return False
    function: Any = getattr(item, "obj", None)
    spec_file = Path(inspect.getsourcefile(function) or item.path)
    return bool(engine_errors.examine(cause, spec_file).missing)


def failure_message(rep, call, info: SpecInfo, target: Target, found, verbose: bool) -> str:
    """The record's message. For an error the engine raised, also the report's text: the spec's
    header instead of the engine's traceback (which ``-v`` adds below it)."""
    if rep.passed:
        return ""
    if rep.skipped and isinstance(rep.longrepr, tuple):
        return rep.longrepr[2]
    error = call.excinfo.value if call.excinfo is not None else None
    spec_target = f"{target.engine.name} ({target.device})"
    if isinstance(error, SpecFailure):
        # with the minimal example hypothesis attached, for a property spec
        return property_failures.text(error, info.id, spec_target)
    if isinstance(error, (spec_clock.SpecTimedOut, *property_failures.GROUPS)):
        assert isinstance(error, BaseException)  # (for the type checker: GROUPS are types)
        if isinstance(error, spec_clock.SpecTimedOut):
            text = f"spec {info.id} failed on {spec_target}: {error}"
        else:
            text = property_failures.text(error, info.id, spec_target)
        rep.longrepr = (
            f"{text}\n\n{property_failures.tracebacks(error)}"
            if verbose
            else f"{text}\n  (the full traceback: run with -v)"
        )
        return text
    if found is None:
        return str(rep.longrepr)
    about = info.subject or ", ".join(sorted(info.capabilities))
    text = engine_errors.failure_text(
        info, f"{target.engine.name} ({target.device})", found, about, target.engine.capabilities
    )
    if verbose:
        rep.longrepr = f"{text}\n\n{rep.longrepr}"
    else:
        rep.longrepr = f"{text}\n  (the full traceback: run with -v)"
    return text


def pytest_terminal_summary(terminalreporter, config: pytest.Config) -> None:
    run = config.stash.get(run_key, None)
    if run is not None and run.explicit and not run.specs:
        # An engine was named but no spec collected: most likely pytest ran outside a checkout,
        # where its default is the current folder's own tests.
        given = options.name(config, ENGINE)
        terminalreporter.write_line(
            f"conformance: {given} was given but no spec was collected here; to run the "
            f"installed catalogue from any folder: conformance run {given}={run.option} "
            f"(or: pytest --pyargs conformance.specs {given}={run.option})",
            yellow=True,
        )
    if run is None:
        return
    if run.results:
        engines = {t.id: f"{t.engine.name} {t.engine.version}" for t in run.targets}
        terminalreporter.section("conformance verdict")
        declared = {t.id: frozenset(t.engine.capabilities) for t in run.targets}
        for line in report_module.lines(run.results, engines, declared):
            terminalreporter.write_line(line)
    for line in run.write_errors:  # after the results, which are never lost
        terminalreporter.write_line(f"ERROR: {line}", red=True, bold=True)


def pytest_sessionfinish(session: pytest.Session) -> None:
    config = session.config
    run = config.stash.get(run_key, None)
    if run is None:
        return
    if hasattr(config, "workerinput"):  # xdist workers leave the files to the controller
        digest = report_module.catalogue_digest(run.infos.values())
        config.workeroutput[CATALOGUE] = digest  # type: ignore[attr-defined]
        config.workeroutput[STRAY] = run.stray  # type: ignore[attr-defined]
        return
    # Checked before the run, a path can still fail now (a full disk, a folder removed): the
    # results are printed all the same, then one line per output lost, and the run exits with
    # a usage status rather than as if a spec had failed.
    if config.getoption(REPORT):
        try:
            report_module.write_json(config.getoption(REPORT), json_report(config, run))
        except OSError as error:
            run.write_errors.append(f"{REPORT}: cannot write {config.getoption(REPORT)!r}: {error}")
    if config.getoption(WRITE_BASELINE):
        failures = [(r.spec, r.case, r.target) for r in run.results if r.outcome == "failed"]
        try:
            baseline.write(config.getoption(WRITE_BASELINE), failures)
        except baseline.BaselineError as error:
            run.write_errors.append(f"{WRITE_BASELINE}: {error}")
    if run.write_errors:
        session.exitstatus = pytest.ExitCode.USAGE_ERROR


def json_report(config: pytest.Config, run: Run) -> dict:
    engines = [
        {
            "name": e.name,
            "version": e.version,
            "devices": list(e.devices),
            "capabilities": sorted(e.capabilities),
        }
        for e in run.engines
    ]
    targets = [{"id": t.id, "engine": t.engine.name, "device": t.device} for t in run.targets]
    catalogue = run.catalogue if run.catalogue and not run.infos else None
    return report_module.document(
        run.results,
        engines=engines,
        targets=targets,
        declared={t.id: frozenset(t.engine.capabilities) for t in run.targets},
        specs=run.infos.values(),
        catalogue=catalogue,
        options={
            "probe_undeclared": run.probe,
            "baseline": config.getoption(options.dest(BASELINE)),
            # baseline lines naming no collected spec: an error under the gate
            "baseline_unmatched": run.stray,
        },
    )
