#!/bin/sh
# Stand-in for `npm ci`: notes each run (and where) in $FAKE_DIR/setups, leaves an ignored
# file behind, and exits $FAKE_SETUP_EXIT (after $FAKE_SETUP_SLEEP seconds), or 4 in a
# directory whose path contains $FAKE_SETUP_FAIL_IN.
echo "$PWD" >> "$FAKE_DIR/setups"
echo "installing dependencies"
[ -n "$FAKE_SETUP_SLEEP" ] && sleep "$FAKE_SETUP_SLEEP"
case "$PWD" in
  *"${FAKE_SETUP_FAIL_IN:-//}"*) echo "error: no space left on device"; exit 4 ;;
esac
if [ -n "$FAKE_SETUP_EXIT" ] && [ "$FAKE_SETUP_EXIT" != 0 ]; then
  echo "error: the registry is unreachable"
  exit "$FAKE_SETUP_EXIT"
fi
echo yes > .setup-ran
