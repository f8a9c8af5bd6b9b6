#!/bin/sh
# Fake agent: ticket A is not logged in (Claude Code's words, after half a second, so that
# the others have started); any other ticket fails an ordinary way after a second (so it
# would be retried).
if [ "$EPIC_TICKET" = "A" ]; then
  sleep 0.5
  echo "Not logged in · Please run /login"
  exit 1
fi
sleep 1
echo "something went wrong"
exit 1
