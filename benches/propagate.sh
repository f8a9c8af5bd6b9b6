#!/usr/bin/env bash
# Propagation: 12 ticket worktrees whose epic.lintFix and epic.test each take about 1 s,
# after the epic moved on. `git epic propagate` (default -j: the number of cores) against the
# method's sequential loop (for wt in ...; do git -C $wt rebase ...; lint; test; done), both
# from the same starting point in the same run. Goal: at least 1.7x faster on 2 cores.
#
#   bash benches/propagate.sh          # builds the release binary first
source "$(dirname "$0")/common.sh"
LINT="sleep 1; echo ok >> lint.log"
TEST="sleep 1"

repo="$work/repo"
make_project "$repo" 10 10
cd "$repo"
echo "lint.log" > .gitignore
git add . && git commit -qm "ignore the lint log"
git epic init bench >/dev/null 2>&1
for i in $(seq -w 1 12); do
  git epic ticket add "t$i" </dev/null >/dev/null
  git worktree add -q "worktrees/feat-t$i" -b "feat/t$i" epic/bench
  echo "work $i" > "worktrees/feat-t$i/t$i.txt"
  git -C "worktrees/feat-t$i" add . && git -C "worktrees/feat-t$i" commit -qm "t$i"
done
git worktree add -q --detach "$work/epic-wt" epic/bench
echo moved > "$work/epic-wt/moved.txt"
git -C "$work/epic-wt" add . && git -C "$work/epic-wt" commit -qm "epic moves"
git -C "$work/epic-wt" push -q . HEAD:epic/bench
git config epic.lintFix "$LINT"
git config epic.test "$TEST"

declare -A before
for i in $(seq -w 1 12); do before[$i]=$(git rev-parse "feat/t$i"); done
reset_all() {
  for i in $(seq -w 1 12); do git -C "worktrees/feat-t$i" reset -q --hard "${before[$i]}"; done
}

reset_all
t0=$(date +%s%N)
for i in $(seq -w 1 12); do
  wt="worktrees/feat-t$i"
  git -C "$wt" rebase -q epic/bench
  (cd "$wt" && sh -c "$LINT")
  (cd "$wt" && sh -c "$TEST")
done
t1=$(date +%s%N)
loop=$(( (t1 - t0) / 1000000 ))

reset_all
t0=$(date +%s%N)
git epic propagate -q >/dev/null
t1=$(date +%s%N)
ours=$(( (t1 - t0) / 1000000 ))
rebased=$(git epic propagate -q --no-lint --no-test --json | python3 -c 'import json,sys; print(sum(1 for t in json.load(sys.stdin)["tickets"] if t["rebase"] == "up_to_date"))')

ratio=$(python3 -c "print(round($loop / $ours, 2))")
echo "cores: $(nproc)"
echo "the method's loop: ${loop} ms"
echo "git epic propagate: ${ours} ms ($rebased/12 worktrees on the new epic)"
echo "ratio: ${ratio}x faster (goal >= 1.7)"
[ "$rebased" = 12 ] || { echo "FAIL: not every worktree was rebased"; exit 1; }
python3 -c "import sys; sys.exit(0 if $loop >= 1.7 * $ours else 1)" || { echo "FAIL: under 1.7x"; exit 1; }
