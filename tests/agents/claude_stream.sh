#!/bin/sh
# Stand-in for Claude Code with --output-format stream-json (linked as `claude`, so that
# git-epic reads its stream): commits $EPIC_TICKET.txt, then prints a fixed session: its init
# line, text and a tool call, the tool's result, a second tool call, and the result line
# with tokens and cost.
set -e
echo "$EPIC_TICKET" > "$EPIC_TICKET.txt"
git add "$EPIC_TICKET.txt"
git commit -q -m "$EPIC_TICKET: written by claude"
cat <<JSON
{"type":"system","subtype":"init","session_id":"session-$EPIC_TICKET","model":"claude-opus-5-5","claude_code_version":"2.1.332"}
{"type":"assistant","message":{"content":[{"type":"text","text":"I will write $EPIC_TICKET.txt.\nThen commit it."},{"type":"tool_use","id":"t1","name":"Write","input":{"file_path":"$EPIC_TICKET.txt","content":"$EPIC_TICKET"}}]},"session_id":"session-$EPIC_TICKET"}
{"type":"user","message":{"role":"user","content":[{"tool_use_id":"t1","type":"tool_result","content":"File created successfully at: $EPIC_TICKET.txt"}]},"session_id":"session-$EPIC_TICKET"}
{"type":"assistant","message":{"content":[{"type":"tool_use","id":"t2","name":"Bash","input":{"command":"git add $EPIC_TICKET.txt && git commit -m '$EPIC_TICKET: written by claude'","description":"commit"}}]},"session_id":"session-$EPIC_TICKET"}
{"type":"user","message":{"role":"user","content":[{"tool_use_id":"t2","type":"tool_result","content":"[feat/$EPIC_TICKET 1234abc] $EPIC_TICKET: written by claude\n 1 file changed, 1 insertion(+)"}]},"session_id":"session-$EPIC_TICKET"}
{"type":"assistant","message":{"content":[{"type":"text","text":"Done: $EPIC_TICKET.txt is committed."}]},"session_id":"session-$EPIC_TICKET"}
{"type":"result","subtype":"success","is_error":false,"num_turns":3,"result":"Done: $EPIC_TICKET.txt is committed.","session_id":"session-$EPIC_TICKET","total_cost_usd":0.0213,"usage":{"input_tokens":1200,"output_tokens":250,"cache_read_input_tokens":3000,"cache_creation_input_tokens":400}}
JSON
