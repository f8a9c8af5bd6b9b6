#!/bin/sh
# Fake agent: the first run prints Claude Code's usage-limit line with a reset $FAKE_RESET (default two) seconds
# ahead and fails; the next run commits. State is kept in $FAKE_DIR.
set -e
marker="$FAKE_DIR/limited.$EPIC_TICKET"
if [ ! -e "$marker" ]; then
  touch "$marker"
  echo "Claude AI usage limit reached|$(( $(date +%s) + ${FAKE_RESET:-2} ))"
  exit 1
fi
echo "$EPIC_TICKET" > "$EPIC_TICKET.txt"
git add "$EPIC_TICKET.txt"
git commit -q -m "$EPIC_TICKET: after the limit"
