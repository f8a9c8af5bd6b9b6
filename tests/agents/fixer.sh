#!/bin/sh
# Stand-in agent for fix rounds: writes "broken" to $EPIC_TICKET.txt, or "fixed" when its
# prompt (the last argument) holds a fix request from git-epic. Each prompt is kept in
# $FAKE_DIR/prompt.<ticket>.<n> when FAKE_DIR is set.
set -e
for prompt; do :; done
if [ -n "$FAKE_DIR" ]; then
  n=$(ls "$FAKE_DIR" | grep -c "^prompt\.$EPIC_TICKET\." || true)
  printf '%s' "$prompt" > "$FAKE_DIR/prompt.$EPIC_TICKET.$((n + 1))"
fi
case "$prompt" in
  *"Fix requested by git-epic"*) echo fixed > "$EPIC_TICKET.txt" ;;
  *) echo "broken $(date +%s%N)" > "$EPIC_TICKET.txt" ;;
esac
git add "$EPIC_TICKET.txt"
git commit -q -m "$EPIC_TICKET: the work"
