#!/usr/bin/env bash
# asv runs for the Makefile's bench targets (docs/asv.md). Offline: every
# run uses the existing .venv (asv.conf.json: environment_type "existing"); the benchmarked commit's
# code is imported from its own tree, never from the venv's editable install: that tree goes first on
# sys.path through ASV_PYTHONPATH (asv drops PYTHONPATH), and FCNN_BENCH_SRC makes the benchmarks check it.
# The benchmarks themselves are always this tree's benchmarks/ (asv's model: today's suite, old code).
#
#   scripts/asv_bench.sh head              benchmark the working tree, saved as HEAD's commit
#   scripts/asv_bench.sh history N [REF]   the last N first-parent commits of REF (default main)
#   scripts/asv_bench.sh check BASE [F]    HEAD vs BASE, exit 1 if a time_* benchmark is > F (1.5) slower
#   scripts/asv_bench.sh ci                CI: asv check + one quick run of the 'small' shapes, no results
#   scripts/asv_bench.sh html              asv publish, then point the page at vendor/asv-html/ (no network)
#
# Environment: PYTHON (default .venv/bin/python), BENCH (asv -b regex), BENCH_ARGS (extra asv run
# arguments, e.g. --quick), BENCH_REUSE=1 (check: compare saved results, run nothing), ASV_CONFIG (html:
# another asv config, e.g. the browser test's).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
PYTHON=${PYTHON:-$ROOT/.venv/bin/python}
BENCH=${BENCH:-}
read -r -a EXTRA <<<"${BENCH_ARGS:-}"

asv() { "$PYTHON" -m asv "$@"; }

die() { echo "asv_bench: $*" >&2; exit 2; }

ensure_machine() {
  # asv keys results by machine (~/.asv-machine.json); record this one with detected values once.
  [[ -f $HOME/.asv-machine.json ]] || asv machine --yes >/dev/null
}

bench_filter() { [[ -n $BENCH ]] && printf '%s\n' --bench "$BENCH" || true; }

# run_tree TREE HASH: benchmark the code in TREE, save the results under HASH. Exit status as asv run's
# (0 ok, 2 = results saved but some benchmark failed).
run_tree() {
  local tree=$1 hash=$2 found
  found=$(cd /tmp && PYTHONPATH="$tree" "$PYTHON" -c 'import suite, sys; print(suite.__file__)' 2>/dev/null || echo "none")
  echo "== asv: commit ${hash:0:12}, code from $tree (suite imported from: $found)"
  mapfile -t filter < <(bench_filter)
  ASV_PYTHONPATH="$tree" FCNN_BENCH_SRC="$tree" \
    asv run --python=same --set-commit-hash "$hash" --show-stderr "${filter[@]}" "${EXTRA[@]}"
}

# run_commit HASH: check HASH out into a temporary worktree, benchmark it there, remove the worktree.
run_commit() {
  local hash=$1 tmp status=0
  tmp=$(mktemp -d "${TMPDIR:-/tmp}/asv-commit-XXXXXX")
  git worktree add --quiet --detach "$tmp/src" "$hash"
  run_tree "$tmp/src" "$hash" || status=$?
  git worktree remove --force "$tmp/src" && rmdir "$tmp"
  return "$status"
}

cleanup_worktrees() { git worktree prune; }

cmd_head() {
  ensure_machine
  local hash status=0
  hash=$(git rev-parse HEAD)
  git diff --quiet HEAD -- suite benchmarks || echo "asv_bench: note: uncommitted changes are benchmarked as ${hash:0:12}" >&2
  run_tree "$ROOT" "$hash" || status=$?
  echo "asv_bench: results saved under .asv/results/ for ${hash:0:12} (asv status $status)"
  return "$status"
}

cmd_history() {
  local n=${1:-20} ref=${2:-main} hash done=0 failed=() status
  [[ $n =~ ^[1-9][0-9]*$ ]] || die "N must be a positive integer, got '$n'"
  git rev-parse --verify --quiet "$ref^{commit}" >/dev/null || die "no such branch or commit: '$ref'"
  ensure_machine
  trap cleanup_worktrees EXIT
  for hash in $(git rev-list --first-parent -n "$n" "$ref"); do
    status=0
    run_commit "$hash" || status=$?
    # 2: results saved, some benchmark failed in that commit (a history is allowed to have those).
    if [[ $status -eq 0 || $status -eq 2 ]]; then done=$((done + 1)); else failed+=("${hash:0:12}"); fi
  done
  echo "asv_bench: history of $ref: results saved for $done commit(s)${failed:+; asv failed for ${failed[*]}}"
  [[ ${#failed[@]} -eq 0 ]]
}

cmd_check() {
  local base=${1:?usage: check BASE [FACTOR]} factor=${2:-1.5} base_hash head_hash
  base_hash=$(git rev-parse --verify --quiet "$base^{commit}") || die "BASE: no such commit: '$base'"
  head_hash=$(git rev-parse HEAD)
  [[ $base_hash != "$head_hash" ]] || die "BASE ($base) is HEAD itself; name an older commit, e.g. BASE=main~1"
  if [[ ${BENCH_REUSE:-0} != 1 ]]; then
    ensure_machine
    trap cleanup_worktrees EXIT
    run_commit "$base_hash" || [[ $? -eq 2 ]]
    cmd_head || [[ $? -eq 2 ]]
  fi
  "$PYTHON" scripts/asv_gate.py --base "$base_hash" --head "$head_hash" --factor "$factor" ${BENCH:+--bench "$BENCH"}
}

cmd_ci() {
  # Proves the suite imports and runs; timings decide nothing. --python=same saves no results.
  local tree=$ROOT
  ASV_PYTHONPATH="$tree" FCNN_BENCH_SRC="$tree" asv check --python=same
  ASV_PYTHONPATH="$tree" FCNN_BENCH_SRC="$tree" \
    asv run --python=same --quick --dry-run --show-stderr --bench "${BENCH:-small}" "${EXTRA[@]}"
}

cmd_html() {
  # asv 0.6's page loads its scripts from CDNs; the vendored npm copies make it work offline.
  local conf=${ASV_CONFIG:-$ROOT/asv.conf.json}
  asv publish --config "$conf" || die "asv publish failed (no results yet? run make bench or make bench-history first)"
  "$PYTHON" scripts/asv_offline_html.py --config "$conf"
}

case "${1:-}" in
  head) cmd_head ;;
  history) shift; cmd_history "$@" ;;
  check) shift; cmd_check "$@" ;;
  ci) ensure_machine; cmd_ci ;;
  html) cmd_html ;;
  *) die "usage: $0 head | history N [REF] | check BASE [FACTOR] | ci | html" ;;
esac
