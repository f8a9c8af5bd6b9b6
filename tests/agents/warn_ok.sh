#!/bin/sh
# Fake agent: prints the warnings real CLIs print near a limit, then does its work.
set -e
echo "Approaching usage limit · resets at 3pm"
echo "You've used 90% of your session limit · resets 2:32pm (UTC)"
echo "$EPIC_TICKET" > "$EPIC_TICKET.txt"
git add "$EPIC_TICKET.txt"
git commit -q -m "$EPIC_TICKET: the work"
echo "Approaching rate limits"
