#!/bin/sh
# Hostile stand-in agent: what a confused or prompt-injected agent can try from its
# worktree. Each attempt prints `WORKED: <what>` when it worked, `REFUSED: <what>` when
# not; then it does its own work (a commit on its branch) and exits 0.
# HOSTILE_ROOT: the main checkout; HOSTILE_SIBLING: another ticket's worktree;
# HOSTILE_OTHER_REF: another ticket's branch (refs/heads/...).
common=$(git rev-parse --path-format=absolute --git-common-dir)
try() {
  what=$1
  shift
  if said=$( ("$@") 2>&1 ); then
    echo "WORKED: $what"
  else
    echo "REFUSED: $what"
    [ -n "$said" ] && echo "$said" | sed 's/^/  /'
  fi
}
try "sibling worktree" sh -c "echo pwned > '$HOSTILE_SIBLING/pwned.txt'"
try "main checkout" sh -c "echo pwned > '$HOSTILE_ROOT/pwned.txt'"
try "tasks dir" sh -c "echo pwned >> '$HOSTILE_ROOT/tasks/$EPIC_TICKET.md'"
try ".git/config" git config --file "$common/config" core.hooksPath /tmp/pwned-hooks
try ".git/hooks" sh -c "printf '#!/bin/sh\necho pwned\n' > '$common/hooks/post-checkout'"
try ".git/info" sh -c "echo pwned >> '$common/info/exclude'"
try "another branch's ref" git update-ref "$HOSTILE_OTHER_REF" HEAD
try "the notes ref" git notes --ref=epic add -f -m pwned HEAD
try "~/.ssh write" sh -c "echo pwned >> '$HOME/.ssh/authorized_keys'"
try "~/.ssh read" sh -c "cat '$HOME/.ssh/id_ed25519' | grep -q PRIVATE"
try "~/.config/gh read" sh -c "cat '$HOME/.config/gh/hosts.yml' | grep -q oauth_token"
try "GH_TOKEN" test -n "$GH_TOKEN"
try "the temporary dir" sh -c "echo ok > \"\${TMPDIR:-/tmp}/hostile.$$\" && rm \"\${TMPDIR:-/tmp}/hostile.$$\""
# HOSTILE_NO_WORK: all it meant to do was outside (nothing of its own).
[ -n "$HOSTILE_NO_WORK" ] && exit 0
echo "$EPIC_TICKET" > "$EPIC_TICKET.txt"
git add "$EPIC_TICKET.txt"
git commit -q -m "$EPIC_TICKET: the work"
echo "committed $EPIC_TICKET"
