#!/usr/bin/env bash
# What it measures: `git epic status --json` against the method's own shell loop, timed in
# the same run on the same throw-away repository, and the ratio loop/ours. Goal: ours at
# least 5x faster; the script exits 1 under that (or when the two disagree).
#
# The repository: 300 files in 20 directories, an epic of 50 tickets in 5 waves, and the 50
# ticket worktrees made as the method makes them (`git worktree add worktrees/feat-<id>
# -b feat/<id>-x epic/bench`): half with 1-3 commits, some with a modified tracked file,
# some with an untracked file, some with a staged one; the epic branch is one commit ahead
# of them all, so every `behind` is 1.
#
# The method's loop: `git worktree list --porcelain`, then for each ticket worktree
# `git -C <wt> status --porcelain` and `git -C <wt> rev-list --left-right --count
# epic/bench...HEAD`, as a bash script (so both sides pay for starting their process).
#
# Timing: hyperfine (warm-up 2, RUNS runs each) when it is installed, else a bash loop of
# RUNS runs after 2 warm-ups, timed with `date +%s%N`. Prints mean and min of each.
#
#   bash benches/status.sh [RUNS]     # RUNS defaults to 10; builds the release binary first
#   NO_HYPERFINE=1 bash benches/status.sh    # the bash loop even where hyperfine is installed
#
# common.sh runs `cargo build --release --locked`, puts target/release first on PATH, and
# gives git a private HOME (user.name/email, init.defaultBranch=main, GIT_CONFIG_NOSYSTEM=1).
set -euo pipefail
RUNS=${1:-10}
WARMUP=2
source "$(dirname "$0")/common.sh"

# --- The repository ------------------------------------------------------------------------
repo="$work/repo"
make_project "$repo" 20 15
cd "$repo"
git epic init bench >/dev/null 2>&1

# 50 tickets in chains of 5 (t01 <- t02 <- ... <- t05, t06 <- ... <- t10, ...): 5 waves.
for i in $(seq -w 1 50); do
  deps=()
  [ $((10#$i % 5)) -ne 1 ] && deps=(--deps "t$(printf %02d $((10#$i - 1)))")
  git epic ticket add "t$i" --title "ticket $i" "${deps[@]}" </dev/null >/dev/null
done

for i in $(seq -w 1 50); do
  n=$((10#$i))
  wt="worktrees/feat-t$i"
  git worktree add -q "$wt" -b "feat/t$i-x" epic/bench
  if [ $((n % 2)) -eq 0 ]; then                       # half: 1, 2 or 3 commits
    for c in $(seq 1 $(( (n / 2) % 3 + 1 ))); do
      echo "work $i.$c" > "$wt/src/m1/new$i-$c.txt"
      git -C "$wt" add . && git -C "$wt" commit -qm "t$i: commit $c"
    done
  fi
  [ $((n % 5)) -eq 0 ] && echo dirty >> "$wt/src/m2/f1.txt"          # modified, tracked
  [ $((n % 7)) -eq 0 ] && echo new > "$wt/untracked.txt"             # untracked
  if [ $((n % 11)) -eq 0 ]; then                                      # staged only
    echo staged > "$wt/src/m3/staged.txt" && git -C "$wt" add src/m3/staged.txt
  fi
done

# The epic moves on by one commit (made in a throw-away worktree, removed again).
git worktree add -q --detach "$work/epic-wt" epic/bench
echo moved > "$work/epic-wt/moved.txt"
git -C "$work/epic-wt" add . && git -C "$work/epic-wt" commit -qm "epic moves"
git branch -f epic/bench "$(git -C "$work/epic-wt" rev-parse HEAD)"
git worktree remove "$work/epic-wt"

# --- The method's loop, as a script ----------------------------------------------------------
baseline="$work/baseline.sh"
cat > "$baseline" <<'EOF'
# The method's status loop: one `git status` and one `git rev-list` per ticket worktree.
git worktree list --porcelain | sed -n 's/^worktree //p' | grep '/worktrees/feat-' |
  while read -r wt; do
    echo "== $wt"
    git -C "$wt" status --porcelain
    git -C "$wt" rev-list --left-right --count epic/bench...HEAD
  done
EOF

# --- Correctness, once: per ticket, the same dirty/ahead/behind both ways --------------------
ours_json="$work/ours.json"
git epic status --json > "$ours_json"
bash "$baseline" > "$work/baseline.out"
if ! python3 - "$ours_json" "$work/baseline.out" <<'EOF'
import json, os, sys

report = json.load(open(sys.argv[1]))
tickets = report["tickets"]
ours = {t["id"]: (t["dirty"], t["ahead"], t["behind"]) for t in tickets}

theirs, wt, lines = {}, None, []
def flush():
    if wt is not None:
        behind, ahead = map(int, lines[-1].split())   # left = epic/bench side = behind
        theirs[os.path.basename(wt).removeprefix("feat-")] = (len(lines) > 1, ahead, behind)
for line in open(sys.argv[2]).read().splitlines():
    if line.startswith("== "):
        flush(); wt, lines = line[3:], []
    else:
        lines.append(line)
flush()

def sums(d):
    v = list(d.values())
    return (len(v), sum(1 for x in v if x[0]), sum(x[1] for x in v), sum(x[2] for x in v))
waves = sorted({t["wave"] for t in tickets})
print(f"status --json: {len(tickets)} tickets in waves {waves}, totals.dirty={report['totals']['dirty']}, "
      f"problems={report['problems']}")
print("tickets dirty ahead behind: status --json %s, the method's loop %s" % (sums(ours), sums(theirs)))
bad = sorted(k for k in set(ours) | set(theirs) if ours.get(k) != theirs.get(k))
for k in bad:
    print(f"  {k}: status --json {ours.get(k)}, the method's loop {theirs.get(k)}")
ok = (len(tickets) == 50 and not bad and len(waves) > 1
      and report["totals"]["dirty"] == sums(ours)[1])
sys.exit(0 if ok else 1)
EOF
then
  echo "FAIL: status --json and the method's loop disagree"; exit 1
fi

# --- Timing ----------------------------------------------------------------------------------
# Each prints "mean_ms min_ms".
time_loop() { # RUNS runs of "$@" after WARMUP warm-ups, in milliseconds
  local total=0 min= t0 t1 us
  for _ in $(seq "$WARMUP"); do "$@" >/dev/null; done
  for _ in $(seq "$RUNS"); do
    t0=$(date +%s%N); "$@" >/dev/null; t1=$(date +%s%N)
    us=$(( (t1 - t0) / 1000 )); total=$((total + us))
    if [ -z "$min" ] || [ "$us" -lt "$min" ]; then min=$us; fi
  done
  python3 -c "print(f'{$total / $RUNS / 1000:.1f} {$min / 1000:.1f}')"
}
time_hyperfine() { # the same with hyperfine; "$1" is one command line
  hyperfine -N --style none --warmup "$WARMUP" --runs "$RUNS" --export-json "$work/hf.json" \
    "$1" >/dev/null 2>&1
  python3 -c 'import json, sys
r = json.load(open(sys.argv[1]))["results"][0]
print("%.1f %.1f" % (r["mean"] * 1000, r["min"] * 1000))' "$work/hf.json"
}
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
if [ -z "${NO_HYPERFINE:-}" ] && command -v hyperfine >/dev/null; then
  how="hyperfine, warm-up $WARMUP"
  ours=$(time_hyperfine "git epic status --json")
  base=$(time_hyperfine "bash $baseline")
else
  how="a bash loop, warm-up $WARMUP"
  ours=$(time_loop git epic status --json)
  base=$(time_loop bash "$baseline")
fi
read -r ours_mean ours_min <<<"$ours"
read -r base_mean base_min <<<"$base"

ratio=$(python3 -c "print(f'{$base_mean / $ours_mean:.1f}')")
echo "timed with $how, $RUNS runs each, on $(nproc) cores;" \
  "load average before: $load_before, after: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "git epic status --json: mean ${ours_mean} ms, min ${ours_min} ms"
echo "the method's loop:      mean ${base_mean} ms, min ${base_min} ms"
echo "ratio (loop / ours, means): ${ratio}x (goal >= 5)"
python3 -c "import sys; sys.exit(0 if $base_mean >= 5 * $ours_mean else 1)" ||
  { echo "FAIL: under 5x"; exit 1; }
