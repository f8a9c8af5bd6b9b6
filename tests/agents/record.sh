#!/bin/sh
# Fake agent: records its argv (NUL-separated), stdin and environment in $FAKE_DIR, then
# commits so the ticket is done.
set -e
for a in "$@"; do printf '%s\0' "$a"; done > "$FAKE_DIR/argv.$EPIC_TICKET"
cat > "$FAKE_DIR/stdin.$EPIC_TICKET"
printf 'EPIC_NAME=%s\nEPIC_TICKET=%s\nEPIC_BASE=%s\nPWD=%s\n' "$EPIC_NAME" "$EPIC_TICKET" "$EPIC_BASE" "$(pwd -P)" > "$FAKE_DIR/env.$EPIC_TICKET"
echo "$EPIC_TICKET" > "$EPIC_TICKET.txt"
git add "$EPIC_TICKET.txt"
git commit -q -m "$EPIC_TICKET: recorded"
