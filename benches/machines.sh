#!/usr/bin/env bash
# One epic, many machines: 60 independent tickets whose agent works 2 s each, `-j 1` per
# clone, every ticket merged (`wave start --all --auto-merge`), with N clones of one bare
# remote started at once, for each N given (default 1 3 5 10). No clone sets epic.hostName:
# they share this machine's host name, as clones on a laptop or CI runners do. For each N:
# the wall time, the speed-up over one clone (the baseline, in the same run), and the pushes
# per ticket (accepted, and refused by a lease), counted from GIT_EPIC_TRACE. Every run
# checks that each ticket ran once and landed once, and that no clone went local-only.
#
#   bash benches/machines.sh            # 1 3 5 10 clones; builds the release binary first
#   bash benches/machines.sh 3 10       # only those
#   TICKETS=24 SLEEP=1 bash benches/machines.sh 1 3
source "$(dirname "$0")/common.sh"

TICKETS=${TICKETS:-60}
SLEEP=${SLEEP:-2}
counts=("$@")
[ ${#counts[@]} -gt 0 ] || counts=(1 3 5 10)

setup() { # $1: a directory for the remote and the clones
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
    for i in $(seq -w 1 "$TICKETS"); do git epic ticket add "T$i" </dev/null >/dev/null; done
    git epic sync >/dev/null
  )
}

join() { # $1: base, $2: machine name
  git clone -q "$1/remote.git" "$1/$2"
  (cd "$1/$2" && git epic join many >/dev/null)
}

configure() { # $1: a clone
  git -C "$1" config epic.agent "$AGENTS/commit.sh"
  git -C "$1" config epic.stagger 0
}

check() { # $1: base; every ticket ran once and landed once, no clone went local-only
  local base=$1 runs landed
  runs=$(cat "$base"/m*/.git/epic/many/logs/T*.log | grep -c "^=== git-epic many: ticket T.* attempt")
  landed=$(git -C "$base/remote.git" log --first-parent --format=%s epic/many | grep -c "^epic(many): merge T")
  [ "$runs" = "$TICKETS" ] || { echo "FAIL: $runs runs in $base, expected $TICKETS" >&2; exit 1; }
  [ "$landed" = "$TICKETS" ] || { echo "FAIL: $landed landed in $base, expected $TICKETS" >&2; exit 1; }
  if grep -l "local-only" "$base"/m*.out >/dev/null 2>&1; then
    echo "FAIL: a clone went local-only in $base" >&2; exit 1
  fi
}

elapsed() { python3 -c "print(f'{($2 - $1) / 1e9:.2f}')"; }

echo "$TICKETS tickets of $SLEEP s, -j 1 per clone, on $(nproc) cores"
printf '%-7s %9s %9s %16s %15s %12s\n' clones wall speed-up "pushes/ticket" "refused/ticket" "claim (mean)"
one=""
for n in "${counts[@]}"; do
  base="$work/n$n"
  setup "$base"
  for i in $(seq 2 "$n"); do join "$base" "m$i"; done
  for i in $(seq 1 "$n"); do configure "$base/m$i"; done
  t0=$(date +%s%N)
  pids=()
  for i in $(seq 1 "$n"); do
    (cd "$base/m$i" && GIT_EPIC_TRACE=1 FAKE_SLEEP=$SLEEP git epic wave start --all --auto-merge -j 1 -q \
      >/dev/null 2>"$base/m$i.out") &
    pids+=($!)
  done
  for p in "${pids[@]}"; do wait "$p" || true; done
  t1=$(date +%s%N)
  check "$base"
  wall=$(elapsed "$t0" "$t1")
  [ -n "$one" ] || one=$wall
  accepted=$(cat "$base"/m*.out | grep -c "push accepted" || true)
  refused=$(cat "$base"/m*.out | grep -c "push refused" || true)
  claim=$(cat "$base"/m*.out | sed -n 's/.*claimed [0-9]* in \([0-9.]*\)s/\1/p' |
    python3 -c "import sys; v=[float(x) for x in sys.stdin]; print(f'{sum(v)/len(v):.3f} s' if v else '-')")
  printf '%-7s %8ss %8sx %16s %15s %12s\n' "$n" "$wall" \
    "$(python3 -c "print(f'{$one / $wall:.2f}')")" \
    "$(python3 -c "print(f'{($accepted + $refused) / $TICKETS:.2f}')")" \
    "$(python3 -c "print(f'{$refused / $TICKETS:.2f}')")" "$claim"
done
echo "(speed-up: against the first count given, in this run; pushes: every git push of every clone, refused ones included)"
