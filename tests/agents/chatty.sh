#!/bin/sh
# Fake agent: slow but never silent for long (a line every 0.2 s for $FAKE_SLEEP seconds),
# then commits its work.
set -e
end=$(( $(date +%s) + ${FAKE_SLEEP:-2} ))
while [ "$(date +%s)" -le "$end" ]; do echo "still working on $EPIC_TICKET"; sleep 0.2; done
echo "$EPIC_TICKET" > "$EPIC_TICKET.txt"
git add "$EPIC_TICKET.txt"
git commit -q -m "$EPIC_TICKET: the work"
