#!/bin/sh
# Fake agent for snapshots: says what it does, writes "<ticket>" to <ticket>.txt and commits
# it, the same bytes on every run.
set -e
echo "working on $EPIC_TICKET"
echo "$EPIC_TICKET" > "$EPIC_TICKET.txt"
git add "$EPIC_TICKET.txt"
git commit -q -m "$EPIC_TICKET: the work"
echo "committed $EPIC_TICKET"
