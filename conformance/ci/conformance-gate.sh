#!/usr/bin/env bash
# The conformance gate for any CI system: runs the installed suite against an engine's adapter
# with its baseline, writes the JSON report and the Markdown matrix, and exits with
#
#   0  pass            every claimed spec passed or is listed in the baseline
#   1  regression      a claimed spec failed (or was blocked) that the baseline does not list,
#                      or, with --previous, a spec that passed there is now a known failure
#   2  usage error     bad arguments, the suite not installed, pytest's usage error (4),
#                      no spec collected (5), an interrupted run (2), an internal error (3),
#                      a report that is missing or not comparable with --previous
#   3  stale baseline  nothing regressed, but a baseline entry passes now (remove it)
#   4  nothing ran     no claimed spec ran: the adapter claims none, or every claimed spec
#                      skipped (a --device the runner lacks)
#
# Usage: conformance-gate.sh --engine=ENGINE [--baseline=FILE] [--report=PATH]
#                            [--previous=PATH] [--summary=PATH] [-- PYTEST-ARGS...]
#   ENGINE    a registered engine name or package.module:factory (as for pytest --engine)
#   FILE      the engine's known failures (pytest --baseline)
#   PATH      where the JSON report goes (default: conformance-report.json); the Markdown
#             matrix goes beside it (.md); --previous: an earlier report to compare with;
#             --summary: a file to append the matrix and the gate's verdict to (GitHub:
#             $GITHUB_STEP_SUMMARY)
# Needs: the suite installed (the `conformance` command) and the engine. `conformance ci-init`
# writes this script and a GitHub Actions workflow that runs it into a project.
set -u

engine="" baseline="" report="conformance-report.json" previous="" summary=""
usage() {
    sed -n '2,/^# Needs/p' "$0" | sed 's/^# \{0,1\}//' >&2
    echo "conformance-gate.sh: $1" >&2
    exit 2
}
while [ $# -gt 0 ]; do
    case "$1" in
        --engine=*) engine="${1#*=}" ;;
        --baseline=*) baseline="${1#*=}" ;;
        --report=*) report="${1#*=}" ;;
        --previous=*) previous="${1#*=}" ;;
        --summary=*) summary="${1#*=}" ;;
        --) shift; break ;;
        *) usage "unknown argument '$1'" ;;
    esac
    shift
done
[ -n "$engine" ] || usage "--engine=ENGINE is required"
command -v conformance >/dev/null || usage "the 'conformance' command is not installed"
if [ -n "$baseline" ] && [ -d "$baseline" ]; then usage "'$baseline' is a folder; --baseline expects a file"; fi
if [ -n "$baseline" ] && [ ! -f "$baseline" ]; then usage "no baseline file '$baseline'"; fi

rm -f "$report"
conformance run --engine="$engine" ${baseline:+"--baseline=$baseline"} \
    --conformance-report="$report" -p no:randomly "$@"
status=$?
if [ ! -f "$report" ]; then
    echo "conformance-gate.sh: pytest exited with $status and wrote no report" >&2
    exit 2
fi
conformance matrix "$report" --markdown "${report%.json}.md" || exit 2
if [ -n "$summary" ]; then cat "${report%.json}.md" >>"$summary"; fi
verdict=$(conformance gate "$report" --pytest-status="$status" ${previous:+"--previous=$previous"})
gate=$?
echo "$verdict"
if [ -n "$summary" ]; then
    printf '\n**Conformance gate: exit %s**\n\n```\n%s\n```\n' "$gate" "$verdict" >>"$summary"
fi
exit "$gate"
