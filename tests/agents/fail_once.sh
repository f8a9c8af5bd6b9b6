#!/bin/sh
# Fake agent: the first run fails; the next one sleeps $FAKE_SLEEP seconds and commits.
set -e
marker="$FAKE_DIR/failed.$EPIC_TICKET"
if [ ! -e "$marker" ]; then
  touch "$marker"
  echo "compile error, giving up"
  exit 1
fi
[ -n "$FAKE_SLEEP" ] && sleep "$FAKE_SLEEP"
echo "$EPIC_TICKET" > "$EPIC_TICKET.txt"
git add "$EPIC_TICKET.txt"
git commit -q -m "$EPIC_TICKET: second try"
