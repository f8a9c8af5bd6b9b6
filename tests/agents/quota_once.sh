#!/bin/sh
# Fake agent worded like Gemini CLI: the first run fails with RESOURCE_EXHAUSTED (no reset
# time), the next one commits.
set -e
marker="$FAKE_DIR/quota.$EPIC_TICKET"
if [ ! -e "$marker" ]; then
  touch "$marker"
  echo "Error: [429] RESOURCE_EXHAUSTED: Quota exceeded for quota metric 'Requests'" | sed 's/\[429\] //'
  exit 1
fi
echo "$EPIC_TICKET" > "$EPIC_TICKET.txt"
git add "$EPIC_TICKET.txt"
git commit -q -m "$EPIC_TICKET: after the quota"
