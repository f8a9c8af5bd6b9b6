#!/bin/sh
# Stand-in agent for `git epic split`: writes tickets into .epic-split/. Told nothing, it
# writes a plan with a dependency cycle; told of the cycle, a plan whose wave-0 scopes
# overlap; told of the overlap, a good plan. Each prompt is kept in $FAKE_DIR/split-prompt.<n>
# and its argv (NUL-separated) in split-argv.<n>. It ends with Claude Code's stream-json init
# and result lines (session `split-session`, tokens, cost), so that linked as `claude` it is
# read, and resumed, like Claude Code.
set -e
for last in "$@"; do :; done
prompt=$last
[ -n "$prompt" ] || prompt=$(cat)
n=$(ls "$FAKE_DIR" 2>/dev/null | grep -c '^split-prompt\.' || true)
printf '%s' "$prompt" > "$FAKE_DIR/split-prompt.$n"
for a in "$@"; do printf '%s\0' "$a"; done > "$FAKE_DIR/split-argv.$n"
mkdir -p .epic-split
ticket() { # id title deps scope
  printf '+++\ntitle = "%s"\ndeps = [%s]\nscope = [%s]\n+++\n## Goal\n%s\n' "$2" "$3" "$4" "$2" > ".epic-split/$1.md"
}
case "$prompt" in
*"dependency cycle"*)
  ticket port "Create the port" "" '"src/port/**"'
  ticket use "Use the port" '"port"' '"src/app/**"'
  ticket docs "Document the port" "" '"docs/**", "src/port/README.md"'
  ;;
*"scopes overlap"*)
  ticket docs "Document the port" '"port"' '"docs/**", "src/port/README.md"'
  ;;
*)
  ticket port "Create the port" '"use"' '"src/port/**"'
  ticket use "Use the port" '"port"' '"src/app/**"'
  ticket docs "Document the port" "" '"docs/**"'
  ;;
esac
echo '{"type":"system","subtype":"init","session_id":"split-session","model":"claude-opus-5-5","claude_code_version":"2.1.332"}'
echo '{"type":"result","subtype":"success","is_error":false,"num_turns":1,"result":"wrote the tickets","session_id":"split-session","total_cost_usd":0.01,"usage":{"input_tokens":100,"output_tokens":20,"cache_read_input_tokens":0,"cache_creation_input_tokens":0}}'
