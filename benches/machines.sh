#!/usr/bin/env bash
# One epic, many machines: 24 independent tickets whose agent works 2 s each, `-j 2` per
# machine, every ticket merged (`wave start --all --auto-merge`). One clone alone against
# three clones of the same bare remote started at once, in the same go. The bound for one
# is 24 x 2 / 2 = 24 s, for three 8 s. Goal: three finish at least 2.5x faster than one,
# every ticket run once and landed once. No clone sets epic.hostName: all three share one
# host name, as clones on a laptop or CI runners do.
#
#   bash benches/machines.sh       # builds the release binary first; about 60 s
source "$(dirname "$0")/common.sh"

setup() { # $1: a directory for the remote and the clones; prints nothing
  local base=$1
  mkdir -p "$base"
  git init -q --bare "$base/remote.git"
  git init -q "$base/m1"
  (
    cd "$base/m1"
    echo "bench" > README.md
    git add . && git commit -qm "start"
    git remote add origin "$base/remote.git"
    git push -q origin main
    git config epic.remote origin
    git epic init many >/dev/null 2>&1
    for i in $(seq -w 1 24); do git epic ticket add "T$i" </dev/null >/dev/null; done
    git epic sync >/dev/null
  )
}

join() { # $1: base, $2: machine name
  git clone -q "$1/remote.git" "$1/$2"
  # No epic.hostName: the clones share this machine's host name, and each is told apart by
  # the machine id it makes when it joins.
  (cd "$1/$2" && git epic join many >/dev/null)
}

configure() { # $1: a clone
  git -C "$1" config epic.agent "$AGENTS/commit.sh"
  git -C "$1" config epic.stagger 0
}

check() { # $1: base, $2: the clones; every ticket ran once and landed once
  local base=$1 runs landed
  shift 2
  runs=$(cat "$base"/m*/.git/epic/many/logs/T*.log | grep -c "^=== git-epic many: ticket T.. attempt")
  landed=$(git -C "$base/remote.git" log --first-parent --format=%s epic/many | grep -c "^epic(many): merge T")
  [ "$runs" = 24 ] || { echo "FAIL: $runs runs in $base, expected 24" >&2; exit 1; }
  [ "$landed" = 24 ] || { echo "FAIL: $landed landed in $base, expected 24" >&2; exit 1; }
  local m
  for m in $(git -C "$base/remote.git" rev-list --first-parent --merges epic/many); do
    git -C "$base/remote.git" merge-base --is-ancestor "$m^2^" "$m^1" ||
      { echo "FAIL: the landing $m in $base brought more than its ticket's commit" >&2; exit 1; }
  done
}

elapsed() { python3 -c "print(f'{($2 - $1) / 1e9:.2f}')"; }

# One machine.
setup "$work/one"
configure "$work/one/m1"
t0=$(date +%s%N)
(cd "$work/one/m1" && FAKE_SLEEP=2 git epic wave start --all --auto-merge -j 2 -q >/dev/null 2>&1)
t1=$(date +%s%N)
check "$work/one" 1
one=$(elapsed "$t0" "$t1")

# Three machines at once.
setup "$work/three"
join "$work/three" m2
join "$work/three" m3
for m in m1 m2 m3; do configure "$work/three/$m"; done
t0=$(date +%s%N)
pids=()
for m in m1 m2 m3; do
  (cd "$work/three/$m" && FAKE_SLEEP=2 git epic wave start --all --auto-merge -j 2 -q \
    >"$work/three/$m.out" 2>&1) &
  pids+=($!)
done
for p in "${pids[@]}"; do wait "$p" || true; done
t1=$(date +%s%N)
check "$work/three" 3
three=$(elapsed "$t0" "$t1")
per=$(for m in m1 m2 m3; do
  n=$(ls "$work/three/$m/.git/epic/many/logs/" 2>/dev/null | grep -c '^T.*\.log$' || true)
  printf '%s ran %s, ' "$m" "$n"
done)

echo "24 tickets of 2 s, -j 2 per machine, on $(nproc) cores"
echo "one machine:    ${one} s (bound 24 s)"
echo "three machines: ${three} s (bound 8 s; ${per%, })"
echo "speed-up:       $(python3 -c "print(f'{$one / $three:.2f}')")x (goal >= 2.5)"
python3 -c "import sys; sys.exit(0 if $one / $three >= 2.5 else 1)" ||
  { echo "FAIL: under the goal"; exit 1; }
