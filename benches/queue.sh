#!/usr/bin/env bash
# The merge queue against its bound: 12 done tickets, a merged-result test of 2 s,
# epic.gateJobs 4. Tested one after the other that is 24 s; the bound with 4 side by side
# is 12 x 2 / 4 = 6 s. Goals: all green within 1.3x of the bound; with one red ticket in
# the middle (the 6th: its merged result fails), within 1.6x, the other 11 landed.
#
#   bash benches/queue.sh          # builds the release binary first; about 40 s
source "$(dirname "$0")/common.sh"

make_repo() { # $1: directory, $2: the test command
  git init -q "$1"
  cd "$1"
  echo "bench" > README.md
  git add . && git commit -qm "start"
  git epic init queue >/dev/null 2>&1
  git config epic.agent "$AGENTS/commit.sh"
  git config epic.stagger 0
  git config epic.gateJobs 4
  for i in $(seq -w 1 12); do git epic ticket add "T$i" </dev/null >/dev/null; done
  git epic wave start 0 -j 12 -q >/dev/null 2>&1
  git config epic.test "$2"
}

run() { # $1: directory, $2: the test command, $3: tickets that must land; prints seconds
  local t0 t1 merged
  make_repo "$1" "$2"
  t0=$(date +%s%N)
  git epic merge --wave 0 -q >/dev/null 2>&1 || true
  t1=$(date +%s%N)
  merged=$(git epic status --json |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["totals"]["states"].get("merged", 0))')
  [ "$merged" = "$3" ] || { echo "FAIL: $merged of 12 merged in $1, expected $3" >&2; exit 1; }
  # The epic is green: the test passes on what landed.
  git worktree add -q --detach "$1.check" epic/queue
  (cd "$1.check" && sh -c "$2") || { echo "FAIL: the epic is red in $1" >&2; exit 1; }
  python3 -c "print(f'{($t1 - $t0) / 1e9:.2f}')"
}

bound=6
green=$(run "$work/green" "sleep 2" 12)
red=$(run "$work/red" "sleep 2; ! test -f T06.txt" 11)
echo "12 tickets, 2 s merged-result test, epic.gateJobs 4, on $(nproc) cores; bound ${bound} s"
echo "all green:         ${green} s = $(python3 -c "print(f'{$green / $bound:.2f}')")x the bound (goal <= 1.3)"
echo "one red (6th):     ${red} s = $(python3 -c "print(f'{$red / $bound:.2f}')")x the bound (goal <= 1.6)"
python3 -c "import sys; sys.exit(0 if $green <= 1.3 * $bound and $red <= 1.6 * $bound else 1)" ||
  { echo "FAIL: over the goal"; exit 1; }
