#!/usr/bin/env bash
# Flow mode's merge gates side by side against one at a time, in the same run.
#
# 6 independent tickets whose fake agent sleeps 1 s (then commits), -j 6, and an epic.test
# that takes 2 s. All six are done at about the same time, so their merged-result tests
# queue up: one at a time (epic.gateJobs=1) takes about 1 + 6 x 2 = 13 s; with the default
# epic.gateJobs (2), each on top of the one before, 1 + 6 x 2 / 2 = 7 s.
# Goal: the default at least 1.5x faster than one at a time.
#
#   bash benches/gates.sh          # builds the release binary first; about 25 s on 2 cores
source "$(dirname "$0")/common.sh"
export FAKE_SLEEP=1

make_repo() { # $1: directory
  git init -q "$1"
  cd "$1"
  echo "bench" > README.md
  git add . && git commit -qm "start"
  git epic init gates >/dev/null 2>&1
  git config epic.agent "$AGENTS/commit.sh"
  git config epic.stagger 0
  git config epic.test "sleep 2"
  for i in 1 2 3 4 5 6; do git epic ticket add "T$i" </dev/null >/dev/null; done
}

run() { # $1: directory, then git config assignments; prints seconds
  local dir=$1 t0 t1 merged kv
  shift
  make_repo "$dir"
  for kv in "$@"; do git config "${kv%%=*}" "${kv#*=}"; done
  t0=$(date +%s%N)
  git epic wave start --all --auto-merge -j 6 -q >/dev/null 2>&1
  t1=$(date +%s%N)
  merged=$(git epic status --json |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["totals"]["states"]["merged"])')
  [ "$merged" = 6 ] || { echo "FAIL: $merged of 6 merged in $dir" >&2; exit 1; }
  python3 -c "print(f'{($t1 - $t0) / 1e9:.2f}')"
}

serial=$(run "$work/serial" epic.gateJobs=1)
side=$(run "$work/side")
echo "6 tickets, 1 s agents, 2 s epic.test, -j 6, on $(nproc) cores"
echo "gates one at a time: ${serial} s"
echo "gates side by side:  ${side} s"
ratio=$(python3 -c "print(f'{$serial / $side:.2f}')")
echo "ratio: ${ratio}x (goal >= 1.5)"
python3 -c "import sys; sys.exit(0 if $serial >= 1.5 * $side else 1)" ||
  { echo "FAIL: under 1.5x"; exit 1; }
