#!/usr/bin/env bash
# What it measures: how soon agents start when a wave's worktrees are made. `git epic wave
# start -j 20` of 20 tickets whose stand-in agent only notes the time it starts, against the
# method's way (`git worktree add worktrees/<id> -b <branch> epic/bench` in a loop, each
# agent started in the background as soon as its worktree is there), in the same run on the
# same repository: time from the command's start to the first agent's start and to the last
# one's, and the whole command. Goal: git-epic's last agent starts at least 2x sooner than
# the loop's (ratio of the times to the last start), and its first agent starts before its
# last worktree is made (the time to its first start is under its time to its last); the
# script exits 1 under either.
#
# The repository (--tree): `small` is 300 generated files; `2k` (the default) and `20k` are
# real source trees (the crate sources in cargo's registry, common.sh make_real_project).
# Each round works in a fresh copy of the repository; rounds alternate which side goes
# first; the best round of each side counts (the machine's
# other load weighs on both alike), and every round is printed.
#
#   bash benches/wave-start.sh [--tree small|2k|20k] [--rounds N]   # N defaults to 3
set -euo pipefail
TREE=2k ROUNDS=3 N=20
while [ $# -gt 0 ]; do
  case "$1" in
    --tree) TREE=$2; shift 2 ;;
    --rounds) ROUNDS=$2; shift 2 ;;
    *) echo "usage: $0 [--tree small|2k|20k] [--rounds N]" >&2; exit 2 ;;
  esac
done
source "$(dirname "$0")/common.sh"

repo="$work/repo"
make_tree "$repo" "$TREE" make_project "$repo" 20 15
check_space "$repo" $(( 2 * N * ROUNDS ))
cd "$repo"
files=$(git ls-files | wc -l)
git epic init bench >/dev/null 2>&1
git config epic.stagger 0
git config epic.maxAttempts 1
git config epic.sandbox off   # the stand-in agent writes its time outside its worktree
cat > "$work/agent.sh" <<SH
#!/bin/sh
# The stand-in agent: notes when it started (its worktree is ready then), nothing more.
echo "\$(date +%s%N)" >> "$work/starts"
SH
chmod +x "$work/agent.sh"
git config epic.agent "$work/agent.sh"
for i in $(seq -w 1 "$N"); do git epic ticket add "t$i" </dev/null >/dev/null; done

# Prints "first_ms last_ms" of the starts noted since $1 (ns).
starts() {
  python3 - "$1" "$work/starts" <<'PY'
import sys
t0 = int(sys.argv[1]); xs = sorted(int(l) for l in open(sys.argv[2]) if l.strip())
print("%d %d %d" % ((xs[0] - t0) // 1000000, (xs[-1] - t0) // 1000000, len(xs)))
PY
}

ours_best="" loop_best=""
for r in $(seq 1 "$ROUNDS"); do
  # Each round in a copy of the repository as it was before any worktree was made.
  cp -a "$repo" "$work/round$r" && cd "$work/round$r" && sync
  for who in $( [ $((r % 2)) = 1 ] && echo "ours loop" || echo "loop ours"); do
    rm -f "$work/starts"
    t0=$(date +%s%N)
    if [ "$who" = ours ]; then
      git epic wave start -j "$N" >/dev/null 2>&1 || true
    else
      for i in $(seq -w 1 "$N"); do
        wt="worktrees/loop-t$i"
        git worktree add -q "$wt" -b "loop/t$i" epic/bench
        (cd "$wt" && "$work/agent.sh") &
      done
      wait
    fi
    t1=$(date +%s%N)
    read -r first last count <<<"$(starts "$t0")"
    [ "$count" = "$N" ] || { echo "FAIL: $who started $count agents, not $N"; exit 1; }
    total=$(( (t1 - t0) / 1000000 ))
    echo "round $r, $who: first agent at ${first} ms, last at ${last} ms, all done at ${total} ms"
    best="${who}_best"
    if [ -z "${!best}" ] || [ "$last" -lt "$(cut -d' ' -f2 <<<"${!best}")" ]; then
      printf -v "$best" '%s' "$first $last $total"
    fi
  done
done

read -r of ol ot <<<"$ours_best"
read -r lf ll lt <<<"$loop_best"
ratio=$(python3 -c "print(f'{$ll / $ol:.2f}')")
echo "tree: $TREE, $files tracked files, $N tickets; $(nproc) cores; load average: $(cut -d' ' -f1-3 /proc/loadavg); file system: $(stat -f -c %T "$work")"
echo "best of $ROUNDS, git epic wave start -j $N: first agent ${of} ms, last ${ol} ms, done ${ot} ms"
echo "best of $ROUNDS, git worktree add loop: first agent ${lf} ms, last ${ll} ms, done ${lt} ms"
echo "ratio (loop's last start / ours): ${ratio}x (goal >= 2); ours first start before its last: $([ "$of" -lt "$ol" ] && echo yes || echo no)"
python3 -c "import sys; sys.exit(0 if $ll >= 2 * $ol and $of < $ol else 1)" || { echo "FAIL: goal not met"; exit 1; }
