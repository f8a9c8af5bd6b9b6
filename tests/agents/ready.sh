#!/bin/sh
# Fake agent: records what its worktree holds besides tracked files (the carried .env and
# dependency, the nested submodule, what setup made), changes its copy of .env, then
# commits. With $FAKE_FAIL_ONCE set its first run fails.
set -e
{
  echo "env=$(cat .env 2>/dev/null || echo missing)"
  echo "dep=$(cat node_modules/dep/index.js 2>/dev/null || echo missing)"
  echo "lib=$(cat vendor/lib/s.txt 2>/dev/null || echo missing)"
  echo "nested=$(cat vendor/lib/nested/n.txt 2>/dev/null || echo missing)"
  echo "setup=$(cat .setup-ran 2>/dev/null || echo missing)"
  echo "config=$(cat config/app.json 2>/dev/null || echo missing)"
} >> "$FAKE_DIR/seen.$EPIC_TICKET"
echo "CHANGED_BY_AGENT=1" > .env
marker="$FAKE_DIR/failed.$EPIC_TICKET"
if [ -n "$FAKE_FAIL_ONCE" ] && [ ! -e "$marker" ]; then
  touch "$marker"
  echo "compile error, giving up"
  exit 1
fi
echo "$EPIC_TICKET" > "$EPIC_TICKET.txt"
git add "$EPIC_TICKET.txt"
git commit -q -m "$EPIC_TICKET: the work"
