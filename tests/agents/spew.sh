#!/bin/sh
# Fake agent: writes $FAKE_BYTES bytes of output (default 1 GB), then commits.
set -e
yes "spew spew spew spew spew spew spew spew spew spew spew spew spew spew spew spew" | head -c "${FAKE_BYTES:-1000000000}"
echo
echo "$EPIC_TICKET" > "$EPIC_TICKET.txt"
git add "$EPIC_TICKET.txt"
git commit -q -m "$EPIC_TICKET: after the spew"
echo "spew done"
