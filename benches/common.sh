# Sourced by the benchmarks: build the release binary, put it first on PATH, and give git a
# throw-away HOME so the machine's own config plays no part. GIT_EPIC_BIN_DIR=<dir> takes the
# git-epic in that directory instead of building one (an older build, for figures before a
# change). Sets ROOT, AGENTS and work (a temp dir removed on exit, or kept and named on stderr
# with KEEP=1, to look into afterwards).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
if [ -n "${GIT_EPIC_BIN_DIR:-}" ]; then
  [ -x "$GIT_EPIC_BIN_DIR/git-epic" ] || { echo "no git-epic in $GIT_EPIC_BIN_DIR" >&2; exit 2; }
else
  (cd "$ROOT" && cargo build --release --locked -q)
fi
BIN_DIR=${GIT_EPIC_BIN_DIR:-$ROOT/target/release}
AGENTS="$ROOT/tests/agents"
# The sources of the crates cargo fetched to build git-epic: a real tree every such machine has
# offline (read before HOME is replaced below).
CARGO_SRC="${CARGO_HOME:-$HOME/.cargo}/registry/src"
work=$(mktemp -d)
if [ -n "${KEEP:-}" ]; then
  trap 'echo "kept: $work" >&2' EXIT
else
  trap 'rm -rf "$work"' EXIT
fi
export HOME="$work/home" GIT_CONFIG_NOSYSTEM=1 PATH="$BIN_DIR:$PATH" NO_COLOR=1
mkdir -p "$HOME"
git config --global user.name bench
git config --global user.email bench@example.com
git config --global init.defaultBranch main

# A repository at $1 with $2 directories of $3 files each, committed.
make_project() {
  git init -q "$1"
  local d f
  for d in $(seq 1 "$2"); do
    mkdir -p "$1/src/m$d"
    for f in $(seq 1 "$3"); do echo "module $d file $f" > "$1/src/m$d/f$f.txt"; done
  done
  git -C "$1" add . && git -C "$1" commit -qm "a project of $(( $2 * $3 )) files"
}

# A repository at $1 built from a real source tree: the crates in cargo's registry
# ($CARGO_SRC/*/<crate>), sorted by name (one copy of each name), copied whole into
# vendor/<crate>/ until at least $2 files are in, then committed. Where the registry holds fewer
# files than asked, it goes round again under vendor-2/, vendor-3/... (the same files once more:
# real sizes and paths for checkout and stat, though git stores each blob once). Nested
# .gitignore files of the crates are honoured, as in a real repository. Prints the count.
make_real_project() {
  local dest=$1 want=$2 n=0 round=1 crates=() c f first="" last="" prefix
  mapfile -t crates < <(find "$CARGO_SRC"/*/ -mindepth 1 -maxdepth 1 -type d -printf '%f\t%p\n' |
    LC_ALL=C sort -t$'\t' -u -k1,1 | cut -f2)
  [ "${#crates[@]}" -gt 0 ] || { echo "no crate sources under $CARGO_SRC" >&2; return 1; }
  git init -q "$dest"
  while [ "$n" -lt "$want" ]; do
    prefix=vendor; [ "$round" -gt 1 ] && prefix="vendor-$round"
    mkdir -p "$dest/$prefix"
    for c in "${crates[@]}"; do
      [ "$n" -ge "$want" ] && break
      f=$(find "$c" -type f | wc -l)
      cp -r "$c" "$dest/$prefix/"
      n=$((n + f)); [ -z "$first" ] && first=$(basename "$c"); last="$prefix/$(basename "$c")"
    done
    round=$((round + 1))
  done
  git -C "$dest" add -A && git -C "$dest" commit -qm "crate sources: $first .. $last"
  echo "real tree: $(git -C "$dest" ls-files | wc -l) tracked files ($first .. $last," \
    "$(( round - 1 )) round(s) of ${#crates[@]} crates), $(du -sm --exclude=.git "$dest" | cut -f1) MB checkout" >&2
}

# The tree a bench runs on, from its --tree option: small (the bench's own generated tree,
# made by the function named in $3 with the arguments after it), 2k or 20k (make_real_project).
make_tree() {
  local dest=$1 tree=$2; shift 2
  case "$tree" in
    small) "$@" ;;
    2k) make_real_project "$dest" 2000 ;;
    20k) make_real_project "$dest" 20000 ;;
    *) echo "unknown --tree $tree (small, 2k or 20k)" >&2; exit 2 ;;
  esac
}

# Free space check before making $2 worktrees of the repository at $1: exits 2 when they would
# not fit in the file system of $work (with 1 GB to spare for the rest of the machine).
check_space() {
  local mb need free
  mb=$(du -sm --exclude=.git "$1" | cut -f1)
  need=$(( mb * $2 + 1024 ))
  free=$(df -Pm "$work" | awk 'NR == 2 {print $4}')
  [ "$need" -le "$free" ] ||
    { echo "$2 worktrees of ${mb} MB need about ${need} MB; ${free} MB free under $work" >&2; exit 2; }
}
