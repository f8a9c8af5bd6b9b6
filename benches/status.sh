#!/usr/bin/env bash
# `git epic status --json` on 50 tickets with 50 worktrees (300 files each, some dirty,
# half with commits, the epic one commit ahead) against the method's own loop in the same
# run: `git worktree list`, then per worktree `git status --porcelain` and
# `git rev-list --left-right --count`. Goal: at least 5x faster.
#
#   bash benches/status.sh [runs]     # builds the release binary first
RUNS=${1:-10}
source "$(dirname "$0")/common.sh"

repo="$work/repo"
make_project "$repo" 20 15
cd "$repo"
git epic init bench >/dev/null 2>&1
for i in $(seq -w 1 50); do
  deps=""
  [ $((10#$i % 5)) -ne 1 ] && deps="--deps t$(printf %02d $((10#$i - 1)))"
  git epic ticket add "t$i" --title "ticket $i" $deps </dev/null >/dev/null
done
for i in $(seq -w 1 50); do
  wt="worktrees/feat-t$i"
  git worktree add -q "$wt" -b "feat/t$i-x" epic/bench
  if [ $((10#$i % 2)) -eq 0 ]; then
    echo "work $i" > "$wt/src/m1/new$i.txt"
    git -C "$wt" add . && git -C "$wt" commit -qm "t$i"
  fi
  [ $((10#$i % 5)) -eq 0 ] && echo dirty >> "$wt/src/m2/f1.txt"
  [ $((10#$i % 7)) -eq 0 ] && echo new > "$wt/untracked.txt"
done
git worktree add -q --detach "$work/epic-wt" epic/bench
echo moved > "$work/epic-wt/moved.txt"
git -C "$work/epic-wt" add . && git -C "$work/epic-wt" commit -qm "epic moves"
git -C "$work/epic-wt" push -q . HEAD:epic/bench

baseline() {
  git worktree list --porcelain | sed -n 's/^worktree //p' | grep '/worktrees/feat-' | while read -r wt; do
    git -C "$wt" status --porcelain | wc -l
    git -C "$wt" rev-list --left-right --count epic/bench...HEAD
  done
}

# Both ways agree on what they see.
ours=$(git epic status --json | python3 -c '
import json, sys
s = json.load(sys.stdin)
t = s["tickets"]
print(len(t), sum(1 for x in t if x["dirty"]), sum(x["ahead"] for x in t), sum(x["behind"] for x in t))')
theirs=$(baseline | paste - - | awk '{n++; if ($1 > 0) d++; b += $2; a += $3} END {print n, d, a, b}')
echo "status --json: tickets dirty ahead behind = $ours; the method's loop: $theirs"
[ "$ours" = "$theirs" ] || { echo "FAIL: they disagree"; exit 1; }

time_it() { # mean and min milliseconds of $RUNS runs of "$@", after one warm-up
  "$@" >/dev/null
  local total=0 min=999999 t0 t1 ms
  for _ in $(seq "$RUNS"); do
    t0=$(date +%s%N); "$@" >/dev/null; t1=$(date +%s%N)
    ms=$(( (t1 - t0) / 1000000 )); total=$((total + ms)); [ $ms -lt $min ] && min=$ms
  done
  echo "$((total / RUNS)) $min"
}
read -r ours_mean ours_min < <(time_it git epic status --json)
read -r base_mean base_min < <(time_it baseline)
ratio=$(python3 -c "print(round($base_mean / max($ours_mean, 1), 1))")
echo "git epic status --json: mean ${ours_mean} ms, min ${ours_min} ms ($RUNS runs)"
echo "the method's loop:      mean ${base_mean} ms, min ${base_min} ms ($RUNS runs)"
echo "ratio: ${ratio}x faster (goal >= 5)"
python3 -c "import sys; sys.exit(0 if $base_mean >= 5 * $ours_mean else 1)" || { echo "FAIL: under 5x"; exit 1; }
