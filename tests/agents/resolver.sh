#!/bin/sh
# Stand-in agent for conflicts: writes "$EPIC_TICKET was here" to README.md (so two tickets
# conflict); asked to fix a conflict with the epic, merges the epic keeping both sides'
# lines. Each prompt is kept in $FAKE_DIR/prompt.<ticket>.<n> when FAKE_DIR is set.
set -e
for prompt; do :; done
if [ -n "$FAKE_DIR" ]; then
  n=$(ls "$FAKE_DIR" | grep -c "^prompt\.$EPIC_TICKET\." || true)
  printf '%s' "$prompt" > "$FAKE_DIR/prompt.$EPIC_TICKET.$((n + 1))"
fi
case "$prompt" in
  *"conflicts with the epic"*)
    git merge -q "$EPIC_BASE" >/dev/null 2>&1 || true
    grep -v -e '^<<<<<<<' -e '^=======' -e '^>>>>>>>' README.md > README.new
    mv README.new README.md
    git add README.md
    git commit -q --no-edit
    ;;
  *)
    echo "$EPIC_TICKET was here" > README.md
    git commit -qam "$EPIC_TICKET: readme"
    ;;
esac
