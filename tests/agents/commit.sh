#!/bin/sh
# Fake agent: optionally sleeps $FAKE_SLEEP seconds, then writes a file and commits it.
# With $FAKE_DIR set it also tracks how many agents run at once (max in $FAKE_DIR/max).
set -e
if [ -n "$FAKE_DIR" ]; then
  touch "$FAKE_DIR/running.$EPIC_TICKET"
  n=$(ls "$FAKE_DIR" | grep -c '^running\.')
  echo "$n" >> "$FAKE_DIR/concurrency"
fi
echo "working on $EPIC_TICKET"
[ -n "$FAKE_STARTS" ] && echo "$EPIC_TICKET" >> "$FAKE_STARTS"
[ -n "$FAKE_SLEEP" ] && sleep "$FAKE_SLEEP"
echo "$EPIC_TICKET $(date +%s%N)" >> "$EPIC_TICKET.txt"
git add "$EPIC_TICKET.txt"
git commit -q -m "$EPIC_TICKET: the work"
[ -n "$FAKE_DIR" ] && rm -f "$FAKE_DIR/running.$EPIC_TICKET"
echo "committed $EPIC_TICKET"
