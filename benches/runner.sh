#!/usr/bin/env bash
# Runner overhead: 20 tickets whose fake agent sleeps 1 s and commits, `-j 4`, stagger 0,
# unconfined and in the sandbox (twice each, in turn; the sandbox's goal: within 3%).
# The ideal wall time is 20 / 4 x 1 s = 5 s; the goal is within 1.15x of it (5.75 s).
# Also reports the orchestrator's peak RSS while an agent writes 1 GB of output.
#
#   bash benches/runner.sh          # needs cargo; builds the release binary first
source "$(dirname "$0")/common.sh"

# One batch of 20 tickets in a fresh repository under `epic.sandbox=$1`: sets wall, done_count.
batch() {
  repo="$work/repo-$1-$2"
  make_project "$repo" 10 10
  cd "$repo"
  git epic init bench >/dev/null 2>&1
  for i in $(seq -w 1 20); do git epic ticket add "t$i" --title "ticket $i" </dev/null >/dev/null; done
  git config epic.agent "$AGENTS/commit.sh"
  git config epic.stagger 0
  git config epic.sandbox "$1"
  start=$(date +%s%N)
  FAKE_SLEEP=1 git epic wave start -j 4 -q 2>/dev/null | tail -1
  end=$(date +%s%N)
  wall=$(echo "scale=3; ($end - $start) / 1000000000" | bc)
  done_count=$(git epic status --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["totals"]["states"]["done"])')
}

# The sandbox's cost: unconfined and confined batches in turn, summed.
off_total=0
on_total=0
for round in 1 2; do
  batch off "$round"
  off_total=$(echo "$off_total + $wall" | bc)
  batch auto "$round"
  on_total=$(echo "$on_total + $wall" | bc)
done
sandbox_ratio=$(echo "scale=3; $on_total / $off_total" | bc)
echo "sandbox: 2 batches unconfined ${off_total}s, confined (epic.sandbox=auto: $(git epic doctor 2>/dev/null | grep -o 'Landlock ABI [0-9]*' | head -1 || echo none)) ${on_total}s, ratio ${sandbox_ratio}x (goal <= 1.03)"

ratio=$(echo "scale=3; $wall / 5" | bc)
echo "20 tickets x 1 s, -j 4: wall ${wall}s, ideal 5s, ratio ${ratio}x (goal <= 1.15), done: $done_count/20"

# 1 GB of agent output: the orchestrator's peak RSS.
git epic ticket add spew </dev/null >/dev/null
git config epic.agent "$AGENTS/spew.sh"
git-epic run spew -q >/dev/null 2>&1 &
pid=$!
peak=0
while kill -0 "$pid" 2>/dev/null; do
  kb=$(awk '/VmHWM/ {print $2}' "/proc/$pid/status" 2>/dev/null || echo 0)
  [ -n "$kb" ] && [ "$kb" -gt "$peak" ] && peak=$kb
  sleep 0.05
done
wait "$pid"
size=$(stat -c %s .git/epic/bench/logs/spew.log)
echo "1 GB spew: log ${size} bytes, orchestrator peak RSS ${peak} kB (goal < 51200 kB)"

[ "$done_count" = 20 ] || { echo "FAIL: not every ticket is done"; exit 1; }
[ "$(echo "$ratio <= 1.15" | bc)" = 1 ] || { echo "FAIL: over 1.15x the ideal"; exit 1; }
[ "$peak" -lt 51200 ] || { echo "FAIL: RSS over 50 MB"; exit 1; }
[ "$(echo "$sandbox_ratio <= 1.03" | bc)" = 1 ] || { echo "FAIL: the sandbox costs over 3%"; exit 1; }
