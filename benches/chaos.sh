#!/usr/bin/env bash
# Chaos: N trials (default 100) of a flow-mode run of 8 tickets in 3 waves (-j 3, a gate
# that takes 0.2 s, lint-fix), each killed with SIGKILL 3 times at random moments (git-epic
# alone, or its whole process group with the git commands it runs), then resumed to the
# end. After every trial: every ticket merged exactly once, every agent run once and
# concluded, the tickets' work in the epic, notes readable, no rebase/merge/stash left, no
# process left. The same harness as tests/cli/chaos.rs, which CI runs with 2 trials.
#
#   bash benches/chaos.sh [N]      # about 4 s a trial on 2 cores
#   GIT_EPIC_CHAOS_SEED=<seed> bash benches/chaos.sh 1   # replay a failed trial's kills
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-100}
out=$(mktemp)
trap 'rm -f "$out"' EXIT
status=0
GIT_EPIC_CHAOS_TRIALS=$n cargo test --release --locked -q --test cli chaos -- --nocapture \
  >"$out" 2>&1 || status=$?
grep -E '^trial .* failed' "$out" | cut -c1-1500 || true
grep -E '^chaos: ' "$out" || { cat "$out"; exit 1; }
exit $status
