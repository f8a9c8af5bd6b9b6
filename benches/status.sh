#!/usr/bin/env bash
# What it measures: `git epic status --json` against the method's own shell loop, timed in
# the same run on the same throw-away repository: p50 and p99 of each, cold and warm, the
# ratio loop/ours of the p50s, and the peak memory (max RSS) of `git epic status --json`.
# Goals (the script exits 1 under them, or when the two disagree): on the small tree 5x, at
# 2,000 files 10x, at 20,000 files 5x, cold and warm; at 20,000 files under 100 MB.
#
# The repository (--tree): `small` is 300 generated files in 20 directories; `2k` and `20k`
# are real source trees (the crate sources in cargo's registry, common.sh make_real_project).
# An epic of 50 tickets in 5 waves, and the 50 ticket worktrees made as the method makes
# them (`git worktree add worktrees/feat-<id> -b feat/<id>-x epic/bench`): half with 1-3
# commits, some with a modified tracked file, some with an untracked file, some with a staged
# one; the epic branch is one commit ahead of them all, so every `behind` is 1.
#
# The method's loop: `git worktree list --porcelain`, then for each ticket worktree
# `git -C <wt> status --porcelain` and `git -C <wt> rev-list --left-right --count
# epic/bench...HEAD`, as a bash script (so both sides pay for starting their process).
#
# Cold: each side's call comes right after every worktree's index was put back as the
# commands that made the worktrees left it (saved then with its mtime, `cp -p`): files written
# in the second the index was, which git and gix must read to tell clean ("racy git"), and
# which `git status` rewrites the index to settle. With --drop-caches (root only) the page
# cache is dropped before each cold call as well (the whole machine's: use with care).
# Warm: after 2 warm-ups each, the two sides in turn, RUNS times each.
#
# git-epic's status keeps a watcher process over the worktrees (epic.watch, on by default;
# docs/status.md) and reads again only the worktrees with file-system events since it last
# read them, whose index, HEAD and settings are as then. Both rows above run with it, as a
# user's calls do. A third row, "unwatched", is the cold call with epic.watch=false: every
# worktree read (the first call after a boot, or where there are no inotify watches); it is
# printed against the loop's cold figure, with no goal. The watcher's own memory is printed
# beside status's.
#
#   bash benches/status.sh [--tree small|2k|20k] [--runs N] [--cold N] [--drop-caches]
#   (RUNS defaults to 20, cold runs to 5; a bare number is RUNS, as before)
#
# common.sh runs `cargo build --release --locked`, puts target/release first on PATH, and
# gives git a private HOME (user.name/email, init.defaultBranch=main, GIT_CONFIG_NOSYSTEM=1).
set -euo pipefail
TREE=small RUNS=20 COLD=5 DROP=""
while [ $# -gt 0 ]; do
  case "$1" in
    --tree) TREE=$2; shift 2 ;;
    --runs) RUNS=$2; shift 2 ;;
    --cold) COLD=$2; shift 2 ;;
    --drop-caches) DROP=1; shift ;;
    [0-9]*) RUNS=$1; shift ;;
    *) echo "usage: $0 [--tree small|2k|20k] [--runs N] [--cold N] [--drop-caches]" >&2; exit 2 ;;
  esac
done
source "$(dirname "$0")/common.sh"

# --- The repository ------------------------------------------------------------------------
repo="$work/repo"
make_tree "$repo" "$TREE" make_project "$repo" 20 15
check_space "$repo" 50
cd "$repo"
git epic init bench >/dev/null 2>&1
files=$(git ls-files | wc -l)
# A tracked file the "modified" worktrees change (the small tree's own choice, as before).
edit=src/m2/f1.txt
[ -f "$edit" ] || edit=$(git ls-files | sed -n '10p')

# 50 tickets in chains of 5 (t01 <- t02 <- ... <- t05, t06 <- ... <- t10, ...): 5 waves.
for i in $(seq -w 1 50); do
  deps=()
  [ $((10#$i % 5)) -ne 1 ] && deps=(--deps "t$(printf %02d $((10#$i - 1)))")
  git epic ticket add "t$i" --title "ticket $i" "${deps[@]}" </dev/null >/dev/null
done

t0=$(date +%s%N)
for i in $(seq -w 1 50); do
  n=$((10#$i))
  wt="worktrees/feat-t$i"
  git worktree add -q "$wt" -b "feat/t$i-x" epic/bench
  if [ $((n % 2)) -eq 0 ]; then                       # half: 1, 2 or 3 commits
    mkdir -p "$wt/bench-work"
    for c in $(seq 1 $(( (n / 2) % 3 + 1 ))); do
      echo "work $i.$c" > "$wt/bench-work/new$i-$c.txt"
      git -C "$wt" add . && git -C "$wt" commit -qm "t$i: commit $c"
    done
  fi
  [ $((n % 5)) -eq 0 ] && echo dirty >> "$wt/$edit"                  # modified, tracked
  [ $((n % 7)) -eq 0 ] && echo new > "$wt/untracked.txt"             # untracked
  if [ $((n % 11)) -eq 0 ]; then                                      # staged only
    echo staged > "$wt/staged.txt" && git -C "$wt" add staged.txt
  fi
done
made_ms=$(( ($(date +%s%N) - t0) / 1000000 ))

# The epic moves on by one commit (made in a throw-away worktree, removed again).
git worktree add -q --detach "$work/epic-wt" epic/bench
echo moved > "$work/epic-wt/moved.txt"
git -C "$work/epic-wt" add . && git -C "$work/epic-wt" commit -qm "epic moves"
git branch -f epic/bench "$(git -C "$work/epic-wt" rev-parse HEAD)"
git worktree remove "$work/epic-wt"

# Every worktree's index as the commands that made it left it, mtime and all.
mkdir -p "$work/indexes"
for d in .git/worktrees/feat-t*; do cp -p "$d/index" "$work/indexes/$(basename "$d")"; done
cat > "$work/cold.sh" <<EOF
# Put the indexes back as they were made (and drop the page cache when asked).
for f in "$work"/indexes/*; do cp -p "\$f" "$repo/.git/worktrees/\$(basename "\$f")/index"; done
if [ -n "$DROP" ]; then sync; echo 3 > /proc/sys/vm/drop_caches; fi
EOF

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

# --- Correctness, cold and warm: per ticket, the same dirty/ahead/behind both ways ----------
compare() { # $1: status --json output, $2: the loop's output
  python3 - "$1" "$2" <<'EOF'
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
print(f"  status --json: {len(tickets)} tickets in waves {waves}, totals.dirty={report['totals']['dirty']}, "
      f"problems={report['problems']}; tickets dirty ahead behind: status --json {sums(ours)}, "
      f"the method's loop {sums(theirs)}")
bad = sorted(k for k in set(ours) | set(theirs) if ours.get(k) != theirs.get(k))
for k in bad:
    print(f"  {k}: status --json {ours.get(k)}, the method's loop {theirs.get(k)}")
ok = (len(tickets) == 50 and not bad and len(waves) > 1
      and report["totals"]["dirty"] == sums(ours)[1])
sys.exit(0 if ok else 1)
EOF
}
echo "correctness, cold:"
bash "$work/cold.sh"; git epic status --json > "$work/ours.json"
bash "$work/cold.sh"; bash "$baseline" > "$work/baseline.out"
compare "$work/ours.json" "$work/baseline.out" || { echo "FAIL: status --json and the method's loop disagree"; exit 1; }
echo "correctness, warm:"
git epic status --json > "$work/ours.json"; bash "$baseline" > "$work/baseline.out"
compare "$work/ours.json" "$work/baseline.out" || { echo "FAIL: status --json and the method's loop disagree"; exit 1; }

# --- Timing ----------------------------------------------------------------------------------
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
python3 - "$RUNS" "$COLD" "$work" "$baseline" > "$work/times" <<'EOF'
import subprocess, sys, time
runs, cold, work, baseline = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]
import os
ours, loop = ["git", "epic", "status", "--json"], ["bash", baseline]
unwatched_env = dict(os.environ, GIT_CONFIG_COUNT="1", GIT_CONFIG_KEY_0="epic.watch",
                     GIT_CONFIG_VALUE_0="false")
def timed(cmd, env=None):
    t = time.perf_counter()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, check=True, env=env)
    return (time.perf_counter() - t) * 1000
def pct(xs, p):  # nearest rank
    xs = sorted(xs)
    return xs[max(0, -(-len(xs) * p // 100) - 1)]
times = {("ours", "cold"): [], ("loop", "cold"): [], ("ours", "warm"): [], ("loop", "warm"): [],
         ("ours", "unwatched"): []}
for i in range(cold):  # in turn, which goes first alternating
    sides = [("ours", ours, None), ("loop", loop, None), ("ours-unwatched", ours, unwatched_env)]
    for who, cmd, env in (sides if i % 2 == 0 else sides[::-1]):
        subprocess.run(["bash", f"{work}/cold.sh"], check=True)
        key = ("ours", "unwatched") if who == "ours-unwatched" else (who, "cold")
        times[key].append(timed(cmd, env))
for cmd in (ours, loop, ours, loop):
    timed(cmd)
for i in range(runs):
    times[("ours", "warm")].append(timed(ours))
    times[("loop", "warm")].append(timed(loop))
for (who, kind), xs in times.items():
    print(who, kind, "%.1f %.1f" % (pct(xs, 50), pct(xs, 99)))
EOF
rss_cold=$(bash "$work/cold.sh"; /usr/bin/time -f %M git epic status --json 2>&1 >/dev/null | tail -1)
rss_warm=$(/usr/bin/time -f %M git epic status --json 2>&1 >/dev/null | tail -1)

get() { awk -v w="$1" -v k="$2" -v c="$3" '$1 == w && $2 == k {print $c}' "$work/times"; }
case "$TREE" in small) goal=5 ;; 2k) goal=10 ;; 20k) goal=5 ;; esac
echo "tree: $TREE, $files tracked files, 50 worktrees (made in ${made_ms} ms by the loop above);" \
  "$(nproc) cores; load average before: $load_before, after: $(cut -d' ' -f1-3 /proc/loadavg)"
fail=""
for kind in cold warm; do
  n=$RUNS; [ "$kind" = cold ] && n=$COLD
  op50=$(get ours "$kind" 3); op99=$(get ours "$kind" 4)
  lp50=$(get loop "$kind" 3); lp99=$(get loop "$kind" 4)
  ratio=$(python3 -c "print(f'{$lp50 / $op50:.1f}')")
  echo "$kind ($n runs each$([ "$kind" = cold ] && [ -n "$DROP" ] && echo ", page cache dropped")):" \
    "git epic status --json p50 ${op50} ms p99 ${op99} ms; the method's loop p50 ${lp50} ms p99 ${lp99} ms;" \
    "ratio (p50s) ${ratio}x (goal >= $goal)"
  python3 -c "import sys; sys.exit(0 if $lp50 >= $goal * $op50 else 1)" || fail="$fail $kind-under-${goal}x"
done
up50=$(get ours unwatched 3); up99=$(get ours unwatched 4); lp50=$(get loop cold 3)
echo "unwatched, cold ($COLD runs, epic.watch=false: every worktree read): git epic status --json" \
  "p50 ${up50} ms p99 ${up99} ms; against the loop's cold p50 $(python3 -c "print(f'{$lp50 / $up50:.1f}')")x (no goal)"
watcher=$(pgrep -f -- "__watch --socket .* --common-dir $repo/.git" | head -1 || true)
watcher_mb=$([ -n "$watcher" ] && awk '/^VmRSS/ {print int($2 / 1024)}' "/proc/$watcher/status" || echo "no watcher")
echo "peak memory of git epic status --json (max RSS): cold $((rss_cold / 1024)) MB, warm $((rss_warm / 1024)) MB" \
  "$([ "$TREE" = 20k ] && echo "(goal < 100 MB)"); the watcher process: ${watcher_mb} MB resident," \
  "$(awk '{print $1}' <(cat /proc/sys/fs/inotify/max_user_watches)) inotify watches allowed to this user"
if [ "$TREE" = 20k ] && [ "$rss_cold" -ge 102400 ]; then fail="$fail memory"; fi
[ -z "$fail" ] || { echo "FAIL:$fail"; exit 1; }
