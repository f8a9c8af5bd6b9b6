#!/bin/sh
# Fake agent: works on stdout, gives its reason for failing on stderr, exits 1.
echo "looking at $EPIC_TICKET"
sleep 0.3
echo "error: I could not figure out how to do migr" >&2
sleep 0.3
echo "giving up"
exit 1
