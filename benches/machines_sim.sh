#!/usr/bin/env bash
# A model of the protocol at scale (issue 25): M machines (default 50), each a clone of one
# bare remote, play the claims and landings of T no-op tickets (default 100) with plain git,
# at once: each machine, in an order of its own, claims the next ticket nobody claimed, then
# lands it (a commit on the epic branch, pushed with a lease; refused, it fetches and tries
# again). Two protocols, in the same run:
#   hot ref  (git-epic before issue 25): a claim is a commit on the one shared notes ref,
#            pushed with a lease on the value fetched; refused, fetch and try again.
#   per-ref  (now): a claim creates the ticket's own ref (lease: must not exist), in one
#            atomic push with the machine's own notes ref, which no other machine writes;
#            refused only when another machine claimed that ticket. Refused pushes wait
#            with exponential backoff and jitter, as git-epic does.
#   hand-over (now, without a merged-result test): claims as per-ref; a machine whose
#            ticket is done does not land it but hands it over (one push of its own ref;
#            here a ref per done ticket), and the one machine that took the landing lease
#            (a ref created with a lease: must not exist) lands every ticket handed over
#            since its last look in one push of the epic, looking every 200 ms.
# Prints per protocol: wall time, pushes per ticket (claims, landings), pushes refused per
# ticket, and the time to claim (mean and 95th percentile, from the first fetch to the
# accepted push). The agents do nothing: this measures the coordination alone.
#
#   bash benches/machines_sim.sh            # 50 machines, 100 tickets
#   bash benches/machines_sim.sh 10 40
set -euo pipefail
M=${1:-50}
T=${2:-100}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export HOME="$work/home" GIT_CONFIG_NOSYSTEM=1
mkdir -p "$HOME"
git config --global user.name sim
git config --global user.email sim@example.com
git config --global init.defaultBranch main

now() { date +%s%N; }

# Sleep before try $1 (1, 2, ...): 20 ms doubling to 2 s, drawn between half and 1.5x.
backoff() {
  local base=$((20 << ($1 < 7 ? $1 : 7)))
  [ "$base" -le 2000 ] || base=2000
  local ms=$((base / 2 + RANDOM % (base + 1)))
  sleep "$(printf '0.%03d' "$ms")" 2>/dev/null || sleep 1
}

land() { # $1: log; a commit on the epic, pushed with a lease, until accepted
  local tries=0 tip c
  while :; do
    git fetch -q origin "+refs/heads/epic:refs/sim/epic"
    tip=$(git rev-parse refs/sim/epic)
    c=$(git commit-tree "$EMPTY" -p "$tip" -m "land by $(basename "$PWD")")
    if git push -q origin --force-with-lease="refs/heads/epic:$tip" "$c:refs/heads/epic" 2>/dev/null; then
      echo "push land" >>"$1"
      return
    fi
    echo "refused land" >>"$1"
    tries=$((tries + 1))
    [ "$PROTO" = hot ] && sleep "0.0$((RANDOM % 3 + 1))" || backoff "$tries"
  done
}

claim_hot() { # $1: order file, $2: log, $3: machine; claims on the shared notes ref; 1 when none left
  local tip t tree c t0
  t0=$(now)
  while :; do
    git fetch -q origin "+refs/notes/epic:refs/sim/notes"
    tip=$(git rev-parse refs/sim/notes)
    t=$(grep -vxF -f <(git ls-tree --name-only "$tip") "$1" | head -1 || true)
    [ -n "$t" ] || return 1
    tree=$( (git ls-tree "$tip"; printf '100644 blob %s\t%s\n' "$BLOB" "$t") | git mktree)
    c=$(git commit-tree "$tree" -p "$tip" -m "claim $t by $3")
    if git push -q origin --force-with-lease="refs/notes/epic:$tip" "$c:refs/notes/epic" 2>/dev/null; then
      echo "push claim $(( ($(now) - t0) / 1000000 ))" >>"$2"
      return 0
    fi
    echo "refused claim" >>"$2"
    sleep "0.0$((RANDOM % 3 + 1))"
  done
}

claim_per_ref() { # $1: order file, $2: log, $3: machine; 1 when none left
  local t c mine t0 tries=0 last
  t0=$(now)
  while :; do
    git fetch -q --prune origin "+refs/epic/sim/claims/*:refs/sim/claims/*"
    t=$(grep -vxF -f <(git for-each-ref --format='%(refname:lstrip=3)' refs/sim/claims/) "$1" | head -1 || true)
    [ -n "$t" ] || return 1
    c=$(git commit-tree "$EMPTY" -m "claim $t by $3")
    last=$(git rev-parse -q --verify refs/sim/mine || echo "")
    mine=$(git commit-tree "$EMPTY" ${last:+-p "$last"} -m "notes of $3: $t")
    if git push -q --atomic origin \
      --force-with-lease="refs/epic/sim/claims/$t:" "$c:refs/epic/sim/claims/$t" \
      --force-with-lease="refs/epic/sim/machines/$3:$last" "$mine:refs/epic/sim/machines/$3" 2>/dev/null; then
      git update-ref refs/sim/mine "$mine"
      echo "$t" >>"${2%/*}/claimed.${2##*/log.}"
      echo "push claim $(( ($(now) - t0) / 1000000 ))" >>"$2"
      return 0
    fi
    echo "refused claim" >>"$2"
    tries=$((tries + 1))
    backoff "$tries"
  done
}

hand_over() { # $1: log, $2: ticket; the note that says it is done, pushed
  git push -q origin "$START:refs/epic/sim/done/$2"
  echo "push land" >>"$1"
}

lander() { # $1: log; lands what was handed over, one push per look, until all T landed
  local landed="$work/landed.$PROTO" tip c new n
  : >"$landed"
  while [ "$(wc -l <"$landed")" -lt "$T" ]; do
    git fetch -q --prune origin "+refs/epic/sim/done/*:refs/sim/done/*" "+refs/heads/epic:refs/sim/epic"
    new=$(git for-each-ref --format='%(refname:lstrip=3)' refs/sim/done/ | grep -vxF -f "$landed" || true)
    if [ -z "$new" ]; then
      sleep 0.2
      continue
    fi
    tip=$(git rev-parse refs/sim/epic)
    c=$tip
    for n in $new; do c=$(git commit-tree "$EMPTY" -p "$c" -m "land $n"); done
    if git push -q origin --force-with-lease="refs/heads/epic:$tip" "$c:refs/heads/epic" 2>/dev/null; then
      echo "push land" >>"$1"
      echo "$new" >>"$landed"
    else
      echo "refused land" >>"$1"
    fi
  done
}

machine() { # $1: clone, $2: index
  cd "$1"
  local order="$work/order.$PROTO.$2" log="$work/log.$PROTO.$2"
  seq -f 'T%03g' 1 "$T" | shuf --random-source=<(yes "$2") >"$order"
  : >"$log"
  local lands=""
  if [ "$PROTO" = hand-over ]; then
    # The landing lease: one machine takes it, for the whole run.
    if git push -q origin --force-with-lease="refs/epic/sim/lander:" "$START:refs/epic/sim/lander" 2>/dev/null; then
      echo "push land" >>"$log"
      (lander "$log") &
      lands=$!
    else
      echo "refused land" >>"$log"
    fi
  fi
  while :; do
    if [ "$PROTO" = hot ]; then claim_hot "$order" "$log" "m$2" || break
    else claim_per_ref "$order" "$log" "m$2" || break; fi
    if [ "$PROTO" = hand-over ]; then hand_over "$log" "$(tail -1 "$work/claimed.$PROTO.$2")"
    else land "$log"; fi
  done
  [ -z "$lands" ] || wait "$lands"
}

play() { # $1: protocol
  PROTO=$1
  local base="$work/$1"
  git init -q --bare "$base/remote.git"
  git init -q "$base/seed"
  git -C "$base/seed" commit -q --allow-empty -m start
  EMPTY=$(git -C "$base/seed" hash-object -t tree -w /dev/null)
  START=$(git -C "$base/seed" rev-parse HEAD)
  BLOB=$(echo claimed | git -C "$base/seed" hash-object -w --stdin)
  git -C "$base/seed" push -q "$base/remote.git" HEAD:refs/heads/epic
  if [ "$1" = hot ]; then
    local n
    n=$(git -C "$base/seed" commit-tree "$EMPTY" -m notes)
    git -C "$base/seed" push -q "$base/remote.git" "$n:refs/notes/epic"
  fi
  for i in $(seq 1 "$M"); do
    git clone -q "$base/remote.git" "$base/m$i" 2>/dev/null
    git -C "$base/seed" cat-file blob "$BLOB" >/dev/null
    git -C "$base/m$i" hash-object -t tree -w /dev/null >/dev/null
    echo claimed | git -C "$base/m$i" hash-object -w --stdin >/dev/null
  done
  export PROTO EMPTY BLOB START
  local t0 t1 pids=()
  t0=$(now)
  for i in $(seq 1 "$M"); do
    (machine "$base/m$i" "$i") &
    pids+=($!)
  done
  for p in "${pids[@]}"; do wait "$p"; done
  t1=$(now)
  local logs=("$work"/log."$1".*)
  local claims landings rclaims rlands
  claims=$(cat "${logs[@]}" | grep -c "^push claim" || true)
  landings=$(cat "${logs[@]}" | grep -c "^push land" || true)
  rclaims=$(cat "${logs[@]}" | grep -c "^refused claim" || true)
  rlands=$(cat "${logs[@]}" | grep -c "^refused land" || true)
  [ "$claims" = "$T" ] || { echo "FAIL: $claims claims of $T tickets ($1)" >&2; exit 1; }
  local landed
  landed=$(git -C "$base/remote.git" rev-list --count epic)
  [ "$landed" = $((T + 1)) ] || { echo "FAIL: $((landed - 1)) landings of $T ($1)" >&2; exit 1; }
  cat "${logs[@]}" | sed -n 's/^push claim //p' | sort -n | python3 -c "
import sys
v=[int(x) for x in sys.stdin]
p95=v[int(len(v)*0.95)-1]
T=$T
print(f'{\"$1\":<8} {($t1-$t0)/1e9:7.1f} s  {($claims+$rclaims)/T:6.2f} {($landings+$rlands)/T:8.2f}  {$rclaims/T:9.2f} {$rlands/T:9.2f}   {sum(v)/len(v)/1000:6.3f} s {p95/1000:6.3f} s')
"
}

echo "$M machines, $T no-op tickets, one bare remote, on $(nproc) cores"
echo "protocol    wall     pushes/ticket       refused/ticket      time to claim"
echo "                     claims landings   claims  landings      mean     p95"
play hot
play per-ref
play hand-over
