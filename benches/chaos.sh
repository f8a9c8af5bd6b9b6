#!/usr/bin/env bash
# Chaos: N trials (default 100) of a flow-mode run of 8 tickets in 3 waves (-j 3, a gate
# that takes 0.2 s, lint-fix), each killed with SIGKILL 3 times at random moments (git-epic
# alone, or its whole process group with the git commands it runs), then resumed to the
# end. After every trial: every ticket merged exactly once, every agent run once and
# concluded, the tickets' work in the epic, notes readable, no rebase/merge/stash left, no
# process left. The same harness as tests/cli/chaos.rs, which CI runs with 2 trials.
#
# With --machines N: N trials of three clones of one bare remote, on one host with no
# epic.hostName, running the epic at once; one of them killed at a random moment (claiming,
# running, in its gate, pushing a landing), then back or dead with its agents. After every
# trial: every ticket landed once, no agent run on two machines but one takeover of the
# dead one's ticket, no work lost, the remote and every clone agree (tests/cli/chaos_machines.rs,
# which CI runs once).
#
#   bash benches/chaos.sh [N]             # about 4 s a trial on 2 cores
#   bash benches/chaos.sh --machines N    # about 8 s a trial
#   GIT_EPIC_CHAOS_SEED=<seed> bash benches/chaos.sh 1   # replay a failed trial's kills
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${1:-}" = "--machines" ]; then
  export GIT_EPIC_CHAOS_MACHINES=${2:-40}
  filter=three_clones_on_one_host
else
  export GIT_EPIC_CHAOS_TRIALS=${1:-100}
  filter=kill_9_at_random_moments
fi
out=$(mktemp)
trap 'rm -f "$out"' EXIT
status=0
cargo test --release --locked -q --test cli "$filter" -- --nocapture >"$out" 2>&1 || status=$?
grep -E '^trial .* failed' "$out" | cut -c1-1500 || true
grep -E '^chaos' "$out" || { cat "$out"; exit 1; }
exit $status
