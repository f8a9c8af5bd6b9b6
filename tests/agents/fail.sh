#!/bin/sh
# Fake agent: always fails.
echo "something broke in $EPIC_TICKET"
exit 3
