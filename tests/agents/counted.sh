#!/bin/sh
# Stand-in agent that counts its starts: counted.sh <steps> <agent> [args...] (the prompt
# last). Each start appends "<ticket> <step>" to $FAKE_DIR/starts. The ticket's n-th start
# plays the n-th of the comma-separated <steps>: `fail` exits 1, `limit` prints Claude
# Code's usage-limit line with a reset $FAKE_RESET (default 1) seconds ahead and exits 1,
# `-` (or a start past the last step) runs <agent> with the other arguments.
set -e
steps=$1
shift
n=$(( $(grep -c "^$EPIC_TICKET " "$FAKE_DIR/starts" 2>/dev/null || true) + 1 ))
step=$(echo "$steps," | cut -d, -f"$n")
[ -z "$step" ] && step=-
echo "$EPIC_TICKET $step" >> "$FAKE_DIR/starts"
case "$step" in
  fail) echo "compile error, giving up"; exit 1 ;;
  limit) echo "Claude AI usage limit reached|$(( $(date +%s) + ${FAKE_RESET:-1} ))"; exit 1 ;;
esac
exec "$@"
