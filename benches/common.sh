# Sourced by the benchmarks: build the release binary, put it first on PATH, and give git a
# throw-away HOME so the machine's own config plays no part. Sets ROOT, AGENTS and work (a
# temp dir removed on exit, or kept and named on stderr with KEEP=1, to look into afterwards).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
(cd "$ROOT" && cargo build --release --locked -q)
AGENTS="$ROOT/tests/agents"
work=$(mktemp -d)
if [ -n "${KEEP:-}" ]; then
  trap 'echo "kept: $work" >&2' EXIT
else
  trap 'rm -rf "$work"' EXIT
fi
export HOME="$work/home" GIT_CONFIG_NOSYSTEM=1 PATH="$ROOT/target/release:$PATH" NO_COLOR=1
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
