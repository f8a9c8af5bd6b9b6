#!/usr/bin/env bash
# Propagation, two benches, each against the method's own loop from the same starting point
# in the same run.
#
# Without --tree (the gates bench): 12 ticket worktrees of a small generated tree whose
# epic.lintFix and epic.test each take about 1 s, after the epic moved on. `git epic
# propagate` (default -j: the number of cores) against the method's sequential loop
# (for wt in ...; do git -C $wt rebase ...; lint; test; done). Goal: at least 1.7x on 2 cores.
#
# With --tree small|2k|20k (the rebase bench): N ticket worktrees (default 48) of that tree,
# each one commit ahead, after the epic moved on by one commit; no lint, no test. `git epic
# propagate --no-lint --no-test` against the plain loop `for wt in ...; do git -C $wt rebase
# -q epic/bench; done`. small is 100 generated files; 2k and 20k are real source trees (the
# crate sources in cargo's registry, see make_real_project in common.sh). Each of RUNS rounds
# (default 3) resets every branch, times the loop, resets again, times propagate; the figures
# printed are each round's and the medians. Goal: at least 1.8x on 2 cores.
#
#   bash benches/propagate.sh                       # the gates bench
#   bash benches/propagate.sh --tree 2k [--worktrees 48] [--runs 3]
#   GIT_EPIC_BIN_DIR=/some/dir bash benches/propagate.sh --tree 2k
#       # times the git-epic in /some/dir (for example one built from an older commit)
#       # instead of building this checkout's (common.sh)
set -euo pipefail
TREE="" N=48 RUNS=3
while [ $# -gt 0 ]; do
  case "$1" in
    --tree) TREE=$2; shift 2 ;;
    --worktrees) N=$2; shift 2 ;;
    --runs) RUNS=$2; shift 2 ;;
    *) echo "unknown option $1 (--tree small|2k|20k, --worktrees N, --runs N)" >&2; exit 2 ;;
  esac
done
source "$(dirname "$0")/common.sh"
echo "binary: $(command -v git-epic)"
ms() { echo $(( ($(date +%s%N) - $1) / 1000000 )); }
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}'; }

repo="$work/repo"
if [ -z "$TREE" ]; then
  N=12
  make_project "$repo" 10 10
else
  make_tree "$repo" "$TREE" make_project "$repo" 10 10
  check_space "$repo" "$N"
fi
cd "$repo"
echo "lint.log" > .gitignore
git add . && git commit -qm "ignore the lint log"
git epic init bench >/dev/null 2>&1
ids=()
for i in $(seq -w 1 "$N"); do
  ids+=("$i")
  git epic ticket add "t$i" </dev/null >/dev/null
  git worktree add -q "worktrees/feat-t$i" -b "feat/t$i" epic/bench
  echo "work $i" > "worktrees/feat-t$i/t$i.txt"
  git -C "worktrees/feat-t$i" add . && git -C "worktrees/feat-t$i" commit -qm "t$i"
done
git worktree add -q --detach "$work/epic-wt" epic/bench
echo moved > "$work/epic-wt/moved.txt"
git -C "$work/epic-wt" add . && git -C "$work/epic-wt" commit -qm "epic moves"
git -C "$work/epic-wt" push -q . HEAD:epic/bench

declare -A before
for i in "${ids[@]}"; do before[$i]=$(git rev-parse "feat/t$i"); done
reset_all() {
  for i in "${ids[@]}"; do git -C "worktrees/feat-t$i" reset -q --hard "${before[$i]}"; done
}
on_epic() {
  git epic propagate -q --no-lint --no-test --json | python3 -c 'import json,sys; print(sum(1 for t in json.load(sys.stdin)["tickets"] if t["rebase"] == "up_to_date"))'
}

if [ -z "$TREE" ]; then
  LINT="sleep 1; echo ok >> lint.log"
  TEST="sleep 1"
  git config epic.lintFix "$LINT"
  git config epic.test "$TEST"
  reset_all
  t0=$(date +%s%N)
  for i in "${ids[@]}"; do
    wt="worktrees/feat-t$i"
    git -C "$wt" rebase -q epic/bench
    (cd "$wt" && sh -c "$LINT")
    (cd "$wt" && sh -c "$TEST")
  done
  loop=$(ms "$t0")
  reset_all
  t0=$(date +%s%N)
  git epic propagate -q >/dev/null
  ours=$(ms "$t0")
  rebased=$(on_epic)
  ratio=$(python3 -c "print(round($loop / $ours, 2))")
  echo "cores: $(nproc)"
  echo "the method's loop: ${loop} ms"
  echo "git epic propagate: ${ours} ms ($rebased/$N worktrees on the new epic)"
  echo "ratio: ${ratio}x faster (goal >= 1.7)"
  [ "$rebased" = "$N" ] || { echo "FAIL: not every worktree was rebased"; exit 1; }
  python3 -c "import sys; sys.exit(0 if $loop >= 1.7 * $ours else 1)" || { echo "FAIL: under 1.7x"; exit 1; }
  exit 0
fi

loops=() ourss=()
for run in $(seq 1 "$RUNS"); do
  reset_all
  t0=$(date +%s%N)
  for i in "${ids[@]}"; do git -C "worktrees/feat-t$i" rebase -q epic/bench; done
  loops+=("$(ms "$t0")")
  reset_all
  t0=$(date +%s%N)
  git epic propagate -q --no-lint --no-test >/dev/null
  ourss+=("$(ms "$t0")")
  echo "round $run: loop ${loops[-1]} ms, git epic propagate ${ourss[-1]} ms"
done
rebased=$(on_epic)
loop=$(median "${loops[@]}") ours=$(median "${ourss[@]}")
ratio=$(python3 -c "print(round($loop / $ours, 2))")
echo "cores: $(nproc); tree: $TREE ($(git ls-files | wc -l) files); $N worktrees; no lint, no test"
echo "the plain rebase loop: ${loop} ms median (${loops[*]})"
echo "git epic propagate: ${ours} ms median (${ourss[*]}; $rebased/$N worktrees on the new epic)"
echo "ratio: ${ratio}x faster (goal >= 1.8)"
[ "$rebased" = "$N" ] || { echo "FAIL: not every worktree was rebased"; exit 1; }
python3 -c "import sys; sys.exit(0 if $loop >= 1.8 * $ours else 1)" || { echo "FAIL: under 1.8x"; exit 1; }
