#!/bin/sh
# Fake agent: says which credentials it was given, then commits so the ticket is done.
set -e
for v in GH_TOKEN GITLAB_TOKEN SSH_AUTH_SOCK ANTHROPIC_API_KEY; do
  eval "val=\${$v-<unset>}"
  echo "$v=$val"
done
echo "$EPIC_TICKET $(date +%s%N)" >> "$EPIC_TICKET.txt"
git add "$EPIC_TICKET.txt"
git commit -q -m "$EPIC_TICKET: env"
