#!/bin/sh
# Fake agent: its runs, counted in $FAKE_DIR, go limit, limit, failure, limit, commit. The
# limit is Claude Code's line that names no reset time; the failure is no limit at all.
set -e
count="$FAKE_DIR/runs.$EPIC_TICKET"
n=$(( $(cat "$count" 2>/dev/null || echo 0) + 1 ))
echo "$n" > "$count"
case "$n" in
  1|2|4)
    echo "You've hit your session limit"
    exit 1
    ;;
  3)
    echo "Error: something broke"
    exit 1
    ;;
esac
echo "$EPIC_TICKET" > "$EPIC_TICKET.txt"
git add "$EPIC_TICKET.txt"
git commit -q -m "$EPIC_TICKET: after the limits"
