#!/bin/sh
# Fake agent: starts a background child, records both pids in $FAKE_DIR, and hangs.
sleep 1000 &
echo "$$ $!" > "$FAKE_DIR/pids.$EPIC_TICKET"
echo "hanging"
wait
