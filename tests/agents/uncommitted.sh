#!/bin/sh
# Fake agent: changes a tracked file and adds a new one, commits nothing, exits 0.
echo "changed by $EPIC_TICKET" >> README.md
echo new > "new-$EPIC_TICKET.txt"
echo "left it uncommitted"
