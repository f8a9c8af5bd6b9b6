#!/usr/bin/env bash
# A worktree made ready to work in: a project whose ignored node_modules/ holds 30,000 small
# files (listed in .worktreeinclude). `git epic run` of one ticket, whose stand-in agent only
# looks (worktree add, carry, then the agent), against what a user does by hand: `git
# worktree add` then `cp -r node_modules`, both in the same run, on the same file system.
# Goal: git-epic at least as fast (ratio >= 1.0); it copies in parallel, and clones
# copy-on-write where the file system can (btrfs, XFS, APFS; the figure says which).
#
#   bash benches/worktree-ready.sh     # builds the release binary first
source "$(dirname "$0")/common.sh"
FILES=${FILES:-30000}

repo="$work/repo"
make_project "$repo" 10 10
cd "$repo"
printf 'node_modules/\n' > .gitignore
printf 'node_modules/\n' > .worktreeinclude
git add . && git commit -qm "ignore the dependencies, carry them into worktrees"
python3 - "$FILES" <<'PY'
import os, sys
n = int(sys.argv[1])
per = 30
for i in range(n):
    d = f"node_modules/pkg{i // per}/lib"
    if i % per == 0:
        os.makedirs(d, exist_ok=True)
    with open(f"{d}/f{i % per}.js", "w") as f:
        f.write(f"module.exports = {i};\n")
PY
cat > "$work/look.sh" <<'SH'
#!/bin/sh
# The stand-in agent: counts what it was given, and is done.
find node_modules -type f | wc -l > "$LOOK"
SH
chmod +x "$work/look.sh"
git epic init bench >/dev/null 2>&1
git config epic.agent "$work/look.sh"
git config epic.stagger 0
git config epic.autoCommit false
git epic ticket add t1 </dev/null >/dev/null
sync

# By hand: a worktree, then a copy of the dependencies.
t0=$(date +%s%N)
git worktree add -q "$work/by-hand" -b by-hand epic/bench
cp -r node_modules "$work/by-hand/"
t1=$(date +%s%N)
hand=$(( (t1 - t0) / 1000000 ))
copied=$(find "$work/by-hand/node_modules" -type f | wc -l)

# git-epic: the ticket's worktree made and carried into, then its agent run.
export LOOK="$work/seen"
t0=$(date +%s%N)
git epic run t1 >/dev/null 2>&1 || true
t1=$(date +%s%N)
ours=$(( (t1 - t0) / 1000000 ))
seen=$(cat "$LOOK")
carry=$(grep -o 'carried .* in [0-9.]*s' .git/epic/bench/logs/t1.log | head -1)

ratio=$(python3 -c "print(round($hand / $ours, 2))")
echo "cores: $(nproc); file system: $(stat -f -c %T "$work")"
echo "ignored dependency files: $FILES"
echo "git worktree add + cp -r: ${hand} ms ($copied files)"
echo "git epic run (worktree, carry, agent): ${ours} ms ($seen files seen by the agent)"
echo "  its log: $carry"
echo "ratio: ${ratio}x (goal >= 1.0)"
[ "$seen" = "$FILES" ] || { echo "FAIL: the agent saw $seen files"; exit 1; }
python3 -c "import sys; sys.exit(0 if $hand >= $ours else 1)" || { echo "FAIL: slower than by hand"; exit 1; }
