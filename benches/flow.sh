#!/usr/bin/env bash
# Flow mode against its lower bound and against wave-by-wave barriers, on a skewed DAG of
# 20 tickets whose fake agent sleeps a known 3 s (then commits), with -j 4.
#
#   chain L0 -> L1 -> ... -> L7 (8 waves deep), and 12 fillers: waves 0, 1 and 2 each get
#   4 of them besides the chain ticket (5 wide, so a barrier costs two rounds there).
#
# Lower bound: max(critical path, total work / 4) = max(8 x 3 s, 60 s / 4) = 24 s.
# Goals: flow within 1.05x of it, and at least 25% shorter than the barrier run
# (`wave start N` then `merge --wave N`, wave after wave).
#
#   bash benches/flow.sh          # builds the release binary first; about 70 s
source "$(dirname "$0")/common.sh"
AGENT="$AGENTS/commit.sh"
SLEEP=3
export FAKE_SLEEP=$SLEEP

make_repo() { # $1: directory
  git init -q "$1"
  cd "$1"
  echo "bench" > README.md
  git add . && git commit -qm "start"
  git epic init flow >/dev/null 2>&1
  git config epic.agent "$AGENT"
  git config epic.stagger 0
  git epic ticket add L0 </dev/null >/dev/null
  for i in 1 2 3 4 5 6 7; do git epic ticket add "L$i" --deps "L$((i - 1))" </dev/null >/dev/null; done
  for f in 0 1 2 3; do git epic ticket add "F0$f" </dev/null >/dev/null; done
  for f in 0 1 2 3; do git epic ticket add "F1$f" --deps "F0$f" </dev/null >/dev/null; done
  for f in 0 1 2 3; do git epic ticket add "F2$f" --deps "F1$f" </dev/null >/dev/null; done
}

ms() { echo $(( ($2 - $1) / 1000000 )); }

make_repo "$work/flow"
t0=$(date +%s%N)
git epic wave start --all --auto-merge -j 4 -q >/dev/null 2>&1
t1=$(date +%s%N)
flow=$(ms "$t0" "$t1")
merged=$(git epic status --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["totals"]["states"]["merged"])')

make_repo "$work/waves"
t0=$(date +%s%N)
for w in 0 1 2 3 4 5 6 7; do
  git epic wave start "$w" -j 4 -q >/dev/null 2>&1
  git epic merge --wave "$w" -q >/dev/null 2>&1
done
t1=$(date +%s%N)
waves=$(ms "$t0" "$t1")
merged_w=$(git epic status --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["totals"]["states"]["merged"])')

bound=$(( 8 * SLEEP * 1000 ))
python3 - "$flow" "$waves" "$bound" "$merged" "$merged_w" <<'PY'
import sys
flow, waves, bound, merged, merged_w = map(int, sys.argv[1:])
print(f"flow (--all --auto-merge): {flow / 1000:.2f} s, {merged}/20 merged")
print(f"lower bound max(critical path, work / 4): {bound / 1000:.2f} s -> {flow / bound:.3f}x (goal <= 1.05)")
print(f"wave by wave with barriers: {waves / 1000:.2f} s, {merged_w}/20 merged -> flow is {100 * (1 - flow / waves):.1f}% shorter (goal >= 25%)")
ok = merged == 20 and merged_w == 20 and flow <= 1.05 * bound and flow <= 0.75 * waves
sys.exit(0 if ok else 1)
PY
