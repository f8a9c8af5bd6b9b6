# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_git_epic_global_optspecs
    string join \n epic= q/quiet color= h/help V/version
end

function __fish_git_epic_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_git_epic_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_git_epic_using_subcommand
    set -l cmd (__fish_git_epic_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c git-epic -n "__fish_git_epic_needs_command" -l epic -d 'The epic to act on (default: git config epic.current)' -r
complete -c git-epic -n "__fish_git_epic_needs_command" -l color -d 'When to use colours (NO_COLOR is honoured)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c git-epic -n "__fish_git_epic_needs_command" -s q -l quiet -d 'Print only errors and results'
complete -c git-epic -n "__fish_git_epic_needs_command" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c git-epic -n "__fish_git_epic_needs_command" -s V -l version -d 'Print version'
complete -c git-epic -n "__fish_git_epic_needs_command" -f -a "init" -d 'Create an epic branch and its config, and make it the current epic'
complete -c git-epic -n "__fish_git_epic_needs_command" -f -a "ticket" -d 'Add or list tickets'
complete -c git-epic -n "__fish_git_epic_needs_command" -f -a "import" -d 'Write ticket files from the method\'s tasks.md, or from GitHub or GitLab issues'
complete -c git-epic -n "__fish_git_epic_needs_command" -f -a "split" -d 'An agent splits a spec into small tickets with dependencies and scopes; git-epic checks them and sends what it found back to the agent'
complete -c git-epic -n "__fish_git_epic_needs_command" -f -a "graph" -d 'Show the dependency graph, grouped by wave'
complete -c git-epic -n "__fish_git_epic_needs_command" -f -a "plan" -d 'Show the waves, the critical path and the likely conflicts of a wave'
complete -c git-epic -n "__fish_git_epic_needs_command" -f -a "status" -d 'Show one row per ticket and the epic\'s totals'
complete -c git-epic -n "__fish_git_epic_needs_command" -f -a "wave" -d 'Start waves of tickets: a worktree, a branch and an agent for each ready ticket'
complete -c git-epic -n "__fish_git_epic_needs_command" -f -a "run" -d 'Run the agent of the named tickets (ready ones only)'
complete -c git-epic -n "__fish_git_epic_needs_command" -f -a "logs" -d 'Show a ticket\'s agent log'
complete -c git-epic -n "__fish_git_epic_needs_command" -f -a "merge" -d 'Merge done tickets into the epic branch, behind the scope and test gates'
complete -c git-epic -n "__fish_git_epic_needs_command" -f -a "context" -d 'Write CONTEXT.md (folders, patterns, files not to touch, naming) and commit it on the epic: every ticket\'s prompt carries it'
complete -c git-epic -n "__fish_git_epic_needs_command" -f -a "sync" -d 'Fetch the epic\'s shared state from epic.remote, merge it, and push this machine\'s'
complete -c git-epic -n "__fish_git_epic_needs_command" -f -a "join" -d 'Adopt an epic published on a remote by another machine'
complete -c git-epic -n "__fish_git_epic_needs_command" -f -a "review" -d 'Review done tickets: what each changed, its gates, fix rounds and log; approve, or send back with requested changes'
complete -c git-epic -n "__fish_git_epic_needs_command" -f -a "cleanup" -d 'Remove the worktrees (and with --branches the branches) of merged tickets'
complete -c git-epic -n "__fish_git_epic_needs_command" -f -a "finish" -d 'Merge the epic into its base branch'
complete -c git-epic -n "__fish_git_epic_needs_command" -f -a "report" -d 'The method\'s success metrics: wall time against sequential, conflicts, rate limits, retries, rejected merges, per wave'
complete -c git-epic -n "__fish_git_epic_needs_command" -f -a "propagate" -d 'Rebase every open ticket worktree onto the epic, then lint-fix and test it, in parallel'
complete -c git-epic -n "__fish_git_epic_needs_command" -f -a "pr" -d 'Push ticket branches and open pull requests against the epic branch (gh or glab)'
complete -c git-epic -n "__fish_git_epic_needs_command" -f -a "doctor" -d 'Check git, the agents, gh, tmux, the epic\'s config and stale worktrees'
complete -c git-epic -n "__fish_git_epic_needs_command" -f -a "monitor" -d 'A tmux session with one pane per running ticket\'s log and one with status --watch'
complete -c git-epic -n "__fish_git_epic_needs_command" -f -a "dashboard" -d 'The full-screen live view over the epic, with the tech lead\'s actions on keys'
complete -c git-epic -n "__fish_git_epic_needs_command" -f -a "wait" -d 'Block until a ticket needs you, the agents are done, or named tickets end'
complete -c git-epic -n "__fish_git_epic_needs_command" -f -a "agent" -d 'Agent profiles: presets for claude, codex, aider, gemini'
complete -c git-epic -n "__fish_git_epic_needs_command" -f -a "demo" -d 'Run the whole flow on a throw-away repository with a simulated agent, in seconds'
complete -c git-epic -n "__fish_git_epic_needs_command" -f -a "completions" -d 'Print a shell completion script (bash, zsh, fish, powershell, elvish)'
complete -c git-epic -n "__fish_git_epic_needs_command" -f -a "install-man" -d 'Install the man pages next to the binary, so `git help epic` opens git-epic(1)'
complete -c git-epic -n "__fish_git_epic_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c git-epic -n "__fish_git_epic_using_subcommand init" -l base -d 'What the epic starts from and what `finish` merges into (default: the current branch)' -r
complete -c git-epic -n "__fish_git_epic_using_subcommand init" -l tasks-dir -d 'Where ticket files go, relative to the repository (default: tasks)' -r
complete -c git-epic -n "__fish_git_epic_using_subcommand init" -l worktrees-dir -d 'Where ticket worktrees go, relative to the repository (default: worktrees)' -r
complete -c git-epic -n "__fish_git_epic_using_subcommand init" -l epic -d 'The epic to act on (default: git config epic.current)' -r
complete -c git-epic -n "__fish_git_epic_using_subcommand init" -l color -d 'When to use colours (NO_COLOR is honoured)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c git-epic -n "__fish_git_epic_using_subcommand init" -s q -l quiet -d 'Print only errors and results'
complete -c git-epic -n "__fish_git_epic_using_subcommand init" -s h -l help -d 'Print help'
complete -c git-epic -n "__fish_git_epic_using_subcommand init" -s V -l version -d 'Print version'
complete -c git-epic -n "__fish_git_epic_using_subcommand ticket; and not __fish_seen_subcommand_from add list help" -l epic -d 'The epic to act on (default: git config epic.current)' -r
complete -c git-epic -n "__fish_git_epic_using_subcommand ticket; and not __fish_seen_subcommand_from add list help" -l color -d 'When to use colours (NO_COLOR is honoured)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c git-epic -n "__fish_git_epic_using_subcommand ticket; and not __fish_seen_subcommand_from add list help" -s q -l quiet -d 'Print only errors and results'
complete -c git-epic -n "__fish_git_epic_using_subcommand ticket; and not __fish_seen_subcommand_from add list help" -s h -l help -d 'Print help'
complete -c git-epic -n "__fish_git_epic_using_subcommand ticket; and not __fish_seen_subcommand_from add list help" -s V -l version -d 'Print version'
complete -c git-epic -n "__fish_git_epic_using_subcommand ticket; and not __fish_seen_subcommand_from add list help" -f -a "add" -d 'Write a ticket file (body from stdin when piped, else a template)'
complete -c git-epic -n "__fish_git_epic_using_subcommand ticket; and not __fish_seen_subcommand_from add list help" -f -a "list" -d 'List the tickets with their wave and dependencies'
complete -c git-epic -n "__fish_git_epic_using_subcommand ticket; and not __fish_seen_subcommand_from add list help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c git-epic -n "__fish_git_epic_using_subcommand ticket; and __fish_seen_subcommand_from add" -l title -d 'A one-line title (default: the body\'s first heading)' -r
complete -c git-epic -n "__fish_git_epic_using_subcommand ticket; and __fish_seen_subcommand_from add" -l deps -d 'Ids of tickets this one depends on, comma separated' -r
complete -c git-epic -n "__fish_git_epic_using_subcommand ticket; and __fish_seen_subcommand_from add" -l scope -d 'A glob of files the ticket may change (repeatable)' -r
complete -c git-epic -n "__fish_git_epic_using_subcommand ticket; and __fish_seen_subcommand_from add" -l forbid -d 'A glob of files the ticket must not change (repeatable)' -r
complete -c git-epic -n "__fish_git_epic_using_subcommand ticket; and __fish_seen_subcommand_from add" -l agent -d 'An agent profile name (git config epicAgent.<profile>.command)' -r
complete -c git-epic -n "__fish_git_epic_using_subcommand ticket; and __fish_seen_subcommand_from add" -l epic -d 'The epic to act on (default: git config epic.current)' -r
complete -c git-epic -n "__fish_git_epic_using_subcommand ticket; and __fish_seen_subcommand_from add" -l color -d 'When to use colours (NO_COLOR is honoured)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c git-epic -n "__fish_git_epic_using_subcommand ticket; and __fish_seen_subcommand_from add" -s q -l quiet -d 'Print only errors and results'
complete -c git-epic -n "__fish_git_epic_using_subcommand ticket; and __fish_seen_subcommand_from add" -s h -l help -d 'Print help'
complete -c git-epic -n "__fish_git_epic_using_subcommand ticket; and __fish_seen_subcommand_from add" -s V -l version -d 'Print version'
complete -c git-epic -n "__fish_git_epic_using_subcommand ticket; and __fish_seen_subcommand_from list" -l format -d '`table`, or `tasks-md`: the method\'s tasks.md, which `git epic import` reads back' -r -f -a "table\t''
tasks-md\t''"
complete -c git-epic -n "__fish_git_epic_using_subcommand ticket; and __fish_seen_subcommand_from list" -l epic -d 'The epic to act on (default: git config epic.current)' -r
complete -c git-epic -n "__fish_git_epic_using_subcommand ticket; and __fish_seen_subcommand_from list" -l color -d 'When to use colours (NO_COLOR is honoured)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c git-epic -n "__fish_git_epic_using_subcommand ticket; and __fish_seen_subcommand_from list" -l json -d 'Print JSON'
complete -c git-epic -n "__fish_git_epic_using_subcommand ticket; and __fish_seen_subcommand_from list" -s q -l quiet -d 'Print only errors and results'
complete -c git-epic -n "__fish_git_epic_using_subcommand ticket; and __fish_seen_subcommand_from list" -s h -l help -d 'Print help'
complete -c git-epic -n "__fish_git_epic_using_subcommand ticket; and __fish_seen_subcommand_from list" -s V -l version -d 'Print version'
complete -c git-epic -n "__fish_git_epic_using_subcommand ticket; and __fish_seen_subcommand_from help" -f -a "add" -d 'Write a ticket file (body from stdin when piped, else a template)'
complete -c git-epic -n "__fish_git_epic_using_subcommand ticket; and __fish_seen_subcommand_from help" -f -a "list" -d 'List the tickets with their wave and dependencies'
complete -c git-epic -n "__fish_git_epic_using_subcommand ticket; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c git-epic -n "__fish_git_epic_using_subcommand import" -l label -d 'Only the issues with this label (github, gitlab)' -r
complete -c git-epic -n "__fish_git_epic_using_subcommand import" -l milestone -d 'Only the issues of this milestone (github, gitlab)' -r
complete -c git-epic -n "__fish_git_epic_using_subcommand import" -l issue -d 'Only this issue (github, gitlab; repeatable)' -r
complete -c git-epic -n "__fish_git_epic_using_subcommand import" -l epic -d 'The epic to act on (default: git config epic.current)' -r
complete -c git-epic -n "__fish_git_epic_using_subcommand import" -l color -d 'When to use colours (NO_COLOR is honoured)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c git-epic -n "__fish_git_epic_using_subcommand import" -l dry-run -d 'Show the tickets and the graph without writing anything'
complete -c git-epic -n "__fish_git_epic_using_subcommand import" -l ours -d 'For tickets changed both here and at the source: keep the file as it is here'
complete -c git-epic -n "__fish_git_epic_using_subcommand import" -l theirs -d 'For tickets changed both here and at the source: take the source\'s version'
complete -c git-epic -n "__fish_git_epic_using_subcommand import" -l json -d 'Print JSON'
complete -c git-epic -n "__fish_git_epic_using_subcommand import" -s q -l quiet -d 'Print only errors and results'
complete -c git-epic -n "__fish_git_epic_using_subcommand import" -s h -l help -d 'Print help'
complete -c git-epic -n "__fish_git_epic_using_subcommand import" -s V -l version -d 'Print version'
complete -c git-epic -n "__fish_git_epic_using_subcommand split" -l agent -d 'The agent profile that splits it (default: epic.agent)' -r
complete -c git-epic -n "__fish_git_epic_using_subcommand split" -l epic -d 'The epic to act on (default: git config epic.current)' -r
complete -c git-epic -n "__fish_git_epic_using_subcommand split" -l color -d 'When to use colours (NO_COLOR is honoured)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c git-epic -n "__fish_git_epic_using_subcommand split" -l dry-run -d 'Print the tickets and the plan without writing them'
complete -c git-epic -n "__fish_git_epic_using_subcommand split" -l json -d 'Print JSON'
complete -c git-epic -n "__fish_git_epic_using_subcommand split" -s q -l quiet -d 'Print only errors and results'
complete -c git-epic -n "__fish_git_epic_using_subcommand split" -s h -l help -d 'Print help'
complete -c git-epic -n "__fish_git_epic_using_subcommand split" -s V -l version -d 'Print version'
complete -c git-epic -n "__fish_git_epic_using_subcommand graph" -l format -d 'Output format' -r -f -a "text\t''
mermaid\t''
dot\t''
json\t''"
complete -c git-epic -n "__fish_git_epic_using_subcommand graph" -l epic -d 'The epic to act on (default: git config epic.current)' -r
complete -c git-epic -n "__fish_git_epic_using_subcommand graph" -l color -d 'When to use colours (NO_COLOR is honoured)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c git-epic -n "__fish_git_epic_using_subcommand graph" -s q -l quiet -d 'Print only errors and results'
complete -c git-epic -n "__fish_git_epic_using_subcommand graph" -s h -l help -d 'Print help'
complete -c git-epic -n "__fish_git_epic_using_subcommand graph" -s V -l version -d 'Print version'
complete -c git-epic -n "__fish_git_epic_using_subcommand plan" -l epic -d 'The epic to act on (default: git config epic.current)' -r
complete -c git-epic -n "__fish_git_epic_using_subcommand plan" -l color -d 'When to use colours (NO_COLOR is honoured)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c git-epic -n "__fish_git_epic_using_subcommand plan" -l json -d 'Print JSON'
complete -c git-epic -n "__fish_git_epic_using_subcommand plan" -s q -l quiet -d 'Print only errors and results'
complete -c git-epic -n "__fish_git_epic_using_subcommand plan" -s h -l help -d 'Print help'
complete -c git-epic -n "__fish_git_epic_using_subcommand plan" -s V -l version -d 'Print version'
complete -c git-epic -n "__fish_git_epic_using_subcommand status" -l epic -d 'The epic to act on (default: git config epic.current)' -r
complete -c git-epic -n "__fish_git_epic_using_subcommand status" -l color -d 'When to use colours (NO_COLOR is honoured)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c git-epic -n "__fish_git_epic_using_subcommand status" -l json -d 'Print JSON (fields: docs/status.md)'
complete -c git-epic -n "__fish_git_epic_using_subcommand status" -l watch -d 'Redraw every 2 seconds until interrupted'
complete -c git-epic -n "__fish_git_epic_using_subcommand status" -s q -l quiet -d 'Print only errors and results'
complete -c git-epic -n "__fish_git_epic_using_subcommand status" -s h -l help -d 'Print help'
complete -c git-epic -n "__fish_git_epic_using_subcommand status" -s V -l version -d 'Print version'
complete -c git-epic -n "__fish_git_epic_using_subcommand wave; and not __fish_seen_subcommand_from start help" -l epic -d 'The epic to act on (default: git config epic.current)' -r
complete -c git-epic -n "__fish_git_epic_using_subcommand wave; and not __fish_seen_subcommand_from start help" -l color -d 'When to use colours (NO_COLOR is honoured)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c git-epic -n "__fish_git_epic_using_subcommand wave; and not __fish_seen_subcommand_from start help" -s q -l quiet -d 'Print only errors and results'
complete -c git-epic -n "__fish_git_epic_using_subcommand wave; and not __fish_seen_subcommand_from start help" -s h -l help -d 'Print help'
complete -c git-epic -n "__fish_git_epic_using_subcommand wave; and not __fish_seen_subcommand_from start help" -s V -l version -d 'Print version'
complete -c git-epic -n "__fish_git_epic_using_subcommand wave; and not __fish_seen_subcommand_from start help" -f -a "start" -d 'Start the ready tickets of a wave: worktree, branch, agent'
complete -c git-epic -n "__fish_git_epic_using_subcommand wave; and not __fish_seen_subcommand_from start help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c git-epic -n "__fish_git_epic_using_subcommand wave; and __fish_seen_subcommand_from start" -s j -l jobs -d 'Agents running at once (default: git config epic.maxParallel, 4)' -r
complete -c git-epic -n "__fish_git_epic_using_subcommand wave; and __fish_seen_subcommand_from start" -l epic -d 'The epic to act on (default: git config epic.current)' -r
complete -c git-epic -n "__fish_git_epic_using_subcommand wave; and __fish_seen_subcommand_from start" -l color -d 'When to use colours (NO_COLOR is honoured)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c git-epic -n "__fish_git_epic_using_subcommand wave; and __fish_seen_subcommand_from start" -l next -d 'The lowest wave with a ticket ready to start (the default)'
complete -c git-epic -n "__fish_git_epic_using_subcommand wave; and __fish_seen_subcommand_from start" -l all -d 'Every ready ticket, whatever its wave'
complete -c git-epic -n "__fish_git_epic_using_subcommand wave; and __fish_seen_subcommand_from start" -l auto-merge -d 'With --all: merge each done ticket (through the gates) and start what it unblocks, with no barrier between waves'
complete -c git-epic -n "__fish_git_epic_using_subcommand wave; and __fish_seen_subcommand_from start" -l dry-run -d 'Print what would run, with the exact argv, and change nothing'
complete -c git-epic -n "__fish_git_epic_using_subcommand wave; and __fish_seen_subcommand_from start" -l json -d 'Print the outcome as JSON (done, failed, interrupted, skipped, held_back)'
complete -c git-epic -n "__fish_git_epic_using_subcommand wave; and __fish_seen_subcommand_from start" -s q -l quiet -d 'Print only errors and results'
complete -c git-epic -n "__fish_git_epic_using_subcommand wave; and __fish_seen_subcommand_from start" -s h -l help -d 'Print help'
complete -c git-epic -n "__fish_git_epic_using_subcommand wave; and __fish_seen_subcommand_from start" -s V -l version -d 'Print version'
complete -c git-epic -n "__fish_git_epic_using_subcommand wave; and __fish_seen_subcommand_from help" -f -a "start" -d 'Start the ready tickets of a wave: worktree, branch, agent'
complete -c git-epic -n "__fish_git_epic_using_subcommand wave; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c git-epic -n "__fish_git_epic_using_subcommand run" -s j -l jobs -d 'Agents running at once (default: git config epic.maxParallel, 4)' -r
complete -c git-epic -n "__fish_git_epic_using_subcommand run" -l epic -d 'The epic to act on (default: git config epic.current)' -r
complete -c git-epic -n "__fish_git_epic_using_subcommand run" -l color -d 'When to use colours (NO_COLOR is honoured)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c git-epic -n "__fish_git_epic_using_subcommand run" -l dry-run -d 'Print what would run, with the exact argv, and change nothing'
complete -c git-epic -n "__fish_git_epic_using_subcommand run" -l json -d 'Print the outcome as JSON (done, failed, interrupted, skipped, held_back)'
complete -c git-epic -n "__fish_git_epic_using_subcommand run" -s q -l quiet -d 'Print only errors and results'
complete -c git-epic -n "__fish_git_epic_using_subcommand run" -s h -l help -d 'Print help'
complete -c git-epic -n "__fish_git_epic_using_subcommand run" -s V -l version -d 'Print version'
complete -c git-epic -n "__fish_git_epic_using_subcommand logs" -s n -l lines -d 'Only the last N lines' -r
complete -c git-epic -n "__fish_git_epic_using_subcommand logs" -l epic -d 'The epic to act on (default: git config epic.current)' -r
complete -c git-epic -n "__fish_git_epic_using_subcommand logs" -l color -d 'When to use colours (NO_COLOR is honoured)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c git-epic -n "__fish_git_epic_using_subcommand logs" -s f -l follow -d 'Keep printing what the agent writes, until its run ends (done, failed, ...) or Ctrl-C'
complete -c git-epic -n "__fish_git_epic_using_subcommand logs" -l path -d 'Print the log file\'s path and nothing else'
complete -c git-epic -n "__fish_git_epic_using_subcommand logs" -l raw -d 'The agent\'s output as it came: its JSON lines, not their text and tool calls'
complete -c git-epic -n "__fish_git_epic_using_subcommand logs" -s q -l quiet -d 'Print only errors and results'
complete -c git-epic -n "__fish_git_epic_using_subcommand logs" -s h -l help -d 'Print help'
complete -c git-epic -n "__fish_git_epic_using_subcommand logs" -s V -l version -d 'Print version'
complete -c git-epic -n "__fish_git_epic_using_subcommand merge" -l wave -d 'Every done ticket of wave N' -r
complete -c git-epic -n "__fish_git_epic_using_subcommand merge" -l epic -d 'The epic to act on (default: git config epic.current)' -r
complete -c git-epic -n "__fish_git_epic_using_subcommand merge" -l color -d 'When to use colours (NO_COLOR is honoured)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c git-epic -n "__fish_git_epic_using_subcommand merge" -l no-test -d 'Skip the test (epic.test on the merged result; on the branch with epic.queue=false)'
complete -c git-epic -n "__fish_git_epic_using_subcommand merge" -l no-scope-check -d 'Skip the scope gate (changed files inside `scope`, none in `forbid`)'
complete -c git-epic -n "__fish_git_epic_using_subcommand merge" -l cleanup -d 'Remove the worktree of each merged ticket'
complete -c git-epic -n "__fish_git_epic_using_subcommand merge" -l json -d 'Print JSON: one entry per ticket (id, result, commit, gate, reason, files)'
complete -c git-epic -n "__fish_git_epic_using_subcommand merge" -s q -l quiet -d 'Print only errors and results'
complete -c git-epic -n "__fish_git_epic_using_subcommand merge" -s h -l help -d 'Print help'
complete -c git-epic -n "__fish_git_epic_using_subcommand merge" -s V -l version -d 'Print version'
complete -c git-epic -n "__fish_git_epic_using_subcommand context" -l agent -d 'The agent profile that writes it (default: epic.agent)' -r
complete -c git-epic -n "__fish_git_epic_using_subcommand context" -l epic -d 'The epic to act on (default: git config epic.current)' -r
complete -c git-epic -n "__fish_git_epic_using_subcommand context" -l color -d 'When to use colours (NO_COLOR is honoured)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c git-epic -n "__fish_git_epic_using_subcommand context" -l no-agent -d 'Write it without an agent: the tree\'s folders and each ticket\'s scope and forbid'
complete -c git-epic -n "__fish_git_epic_using_subcommand context" -s q -l quiet -d 'Print only errors and results'
complete -c git-epic -n "__fish_git_epic_using_subcommand context" -s h -l help -d 'Print help'
complete -c git-epic -n "__fish_git_epic_using_subcommand context" -s V -l version -d 'Print version'
complete -c git-epic -n "__fish_git_epic_using_subcommand sync" -l epic -d 'The epic to act on (default: git config epic.current)' -r
complete -c git-epic -n "__fish_git_epic_using_subcommand sync" -l color -d 'When to use colours (NO_COLOR is honoured)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c git-epic -n "__fish_git_epic_using_subcommand sync" -l json -d 'Print JSON: what came in and what went out'
complete -c git-epic -n "__fish_git_epic_using_subcommand sync" -s q -l quiet -d 'Print only errors and results'
complete -c git-epic -n "__fish_git_epic_using_subcommand sync" -s h -l help -d 'Print help'
complete -c git-epic -n "__fish_git_epic_using_subcommand sync" -s V -l version -d 'Print version'
complete -c git-epic -n "__fish_git_epic_using_subcommand join" -l remote -d 'The remote it is published on (default: git config epic.remote, else origin)' -r
complete -c git-epic -n "__fish_git_epic_using_subcommand join" -l epic -d 'The epic to act on (default: git config epic.current)' -r
complete -c git-epic -n "__fish_git_epic_using_subcommand join" -l color -d 'When to use colours (NO_COLOR is honoured)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c git-epic -n "__fish_git_epic_using_subcommand join" -s q -l quiet -d 'Print only errors and results'
complete -c git-epic -n "__fish_git_epic_using_subcommand join" -s h -l help -d 'Print help'
complete -c git-epic -n "__fish_git_epic_using_subcommand join" -s V -l version -d 'Print version'
complete -c git-epic -n "__fish_git_epic_using_subcommand review" -l wave -d 'Every ticket of wave N, with the failures they share grouped once' -r
complete -c git-epic -n "__fish_git_epic_using_subcommand review" -s m -l message -d 'The requested changes' -r
complete -c git-epic -n "__fish_git_epic_using_subcommand review" -s F -l file -d 'The requested changes, from a file (- for standard input)' -r -F
complete -c git-epic -n "__fish_git_epic_using_subcommand review" -l epic -d 'The epic to act on (default: git config epic.current)' -r
complete -c git-epic -n "__fish_git_epic_using_subcommand review" -l color -d 'When to use colours (NO_COLOR is honoured)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c git-epic -n "__fish_git_epic_using_subcommand review" -s p -l patch -d 'Show the diff too (through git\'s pager)'
complete -c git-epic -n "__fish_git_epic_using_subcommand review" -l approve -d 'Approve the ticket as its branch is now (with epic.requireReview, only approved tickets land)'
complete -c git-epic -n "__fish_git_epic_using_subcommand review" -l request-changes -d 'Send the ticket back to its agent with the text of -m or -F, verbatim'
complete -c git-epic -n "__fish_git_epic_using_subcommand review" -l json -d 'Print JSON: the tickets and the failures they share'
complete -c git-epic -n "__fish_git_epic_using_subcommand review" -s q -l quiet -d 'Print only errors and results'
complete -c git-epic -n "__fish_git_epic_using_subcommand review" -s h -l help -d 'Print help'
complete -c git-epic -n "__fish_git_epic_using_subcommand review" -s V -l version -d 'Print version'
complete -c git-epic -n "__fish_git_epic_using_subcommand cleanup" -l epic -d 'The epic to act on (default: git config epic.current)' -r
complete -c git-epic -n "__fish_git_epic_using_subcommand cleanup" -l color -d 'When to use colours (NO_COLOR is honoured)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c git-epic -n "__fish_git_epic_using_subcommand cleanup" -l branches -d 'Delete the branches of merged tickets too (only when the epic has all their commits)'
complete -c git-epic -n "__fish_git_epic_using_subcommand cleanup" -l json -d 'Print JSON: one entry per merged ticket touched (id, worktree_removed, branch_deleted, refused)'
complete -c git-epic -n "__fish_git_epic_using_subcommand cleanup" -s q -l quiet -d 'Print only errors and results'
complete -c git-epic -n "__fish_git_epic_using_subcommand cleanup" -s h -l help -d 'Print help'
complete -c git-epic -n "__fish_git_epic_using_subcommand cleanup" -s V -l version -d 'Print version'
complete -c git-epic -n "__fish_git_epic_using_subcommand finish" -l into -d 'The branch to merge the epic into (default: git config epic.<name>.base)' -r
complete -c git-epic -n "__fish_git_epic_using_subcommand finish" -l epic -d 'The epic to act on (default: git config epic.current)' -r
complete -c git-epic -n "__fish_git_epic_using_subcommand finish" -l color -d 'When to use colours (NO_COLOR is honoured)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c git-epic -n "__fish_git_epic_using_subcommand finish" -l force -d 'Finish even though some tickets are not merged'
complete -c git-epic -n "__fish_git_epic_using_subcommand finish" -l json -d 'Print JSON (result: merged, already_in or conflict; into; commit; files)'
complete -c git-epic -n "__fish_git_epic_using_subcommand finish" -s q -l quiet -d 'Print only errors and results'
complete -c git-epic -n "__fish_git_epic_using_subcommand finish" -s h -l help -d 'Print help'
complete -c git-epic -n "__fish_git_epic_using_subcommand finish" -s V -l version -d 'Print version'
complete -c git-epic -n "__fish_git_epic_using_subcommand report" -l epic -d 'The epic to act on (default: git config epic.current)' -r
complete -c git-epic -n "__fish_git_epic_using_subcommand report" -l color -d 'When to use colours (NO_COLOR is honoured)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c git-epic -n "__fish_git_epic_using_subcommand report" -l json -d 'Print JSON'
complete -c git-epic -n "__fish_git_epic_using_subcommand report" -s q -l quiet -d 'Print only errors and results'
complete -c git-epic -n "__fish_git_epic_using_subcommand report" -s h -l help -d 'Print help'
complete -c git-epic -n "__fish_git_epic_using_subcommand report" -s V -l version -d 'Print version'
complete -c git-epic -n "__fish_git_epic_using_subcommand propagate" -s j -l jobs -d 'Worktrees handled at once (default: the number of cores)' -r
complete -c git-epic -n "__fish_git_epic_using_subcommand propagate" -l epic -d 'The epic to act on (default: git config epic.current)' -r
complete -c git-epic -n "__fish_git_epic_using_subcommand propagate" -l color -d 'When to use colours (NO_COLOR is honoured)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c git-epic -n "__fish_git_epic_using_subcommand propagate" -l no-lint -d 'Do not run epic.lintFix'
complete -c git-epic -n "__fish_git_epic_using_subcommand propagate" -l no-test -d 'Do not run epic.test'
complete -c git-epic -n "__fish_git_epic_using_subcommand propagate" -l autostash -d 'Stash uncommitted changes and restore them after, instead of skipping dirty worktrees'
complete -c git-epic -n "__fish_git_epic_using_subcommand propagate" -l json -d 'Print JSON (fields: docs/propagate.md)'
complete -c git-epic -n "__fish_git_epic_using_subcommand propagate" -s q -l quiet -d 'Print only errors and results'
complete -c git-epic -n "__fish_git_epic_using_subcommand propagate" -s h -l help -d 'Print help'
complete -c git-epic -n "__fish_git_epic_using_subcommand propagate" -s V -l version -d 'Print version'
complete -c git-epic -n "__fish_git_epic_using_subcommand pr" -l epic -d 'The epic to act on (default: git config epic.current)' -r
complete -c git-epic -n "__fish_git_epic_using_subcommand pr" -l color -d 'When to use colours (NO_COLOR is honoured)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c git-epic -n "__fish_git_epic_using_subcommand pr" -l draft -d 'Open them as drafts'
complete -c git-epic -n "__fish_git_epic_using_subcommand pr" -l json -d 'Print JSON'
complete -c git-epic -n "__fish_git_epic_using_subcommand pr" -s q -l quiet -d 'Print only errors and results'
complete -c git-epic -n "__fish_git_epic_using_subcommand pr" -s h -l help -d 'Print help'
complete -c git-epic -n "__fish_git_epic_using_subcommand pr" -s V -l version -d 'Print version'
complete -c git-epic -n "__fish_git_epic_using_subcommand doctor" -l epic -d 'The epic to act on (default: git config epic.current)' -r
complete -c git-epic -n "__fish_git_epic_using_subcommand doctor" -l color -d 'When to use colours (NO_COLOR is honoured)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c git-epic -n "__fish_git_epic_using_subcommand doctor" -l json -d 'Print JSON'
complete -c git-epic -n "__fish_git_epic_using_subcommand doctor" -s q -l quiet -d 'Print only errors and results'
complete -c git-epic -n "__fish_git_epic_using_subcommand doctor" -s h -l help -d 'Print help'
complete -c git-epic -n "__fish_git_epic_using_subcommand doctor" -s V -l version -d 'Print version'
complete -c git-epic -n "__fish_git_epic_using_subcommand monitor" -l epic -d 'The epic to act on (default: git config epic.current)' -r
complete -c git-epic -n "__fish_git_epic_using_subcommand monitor" -l color -d 'When to use colours (NO_COLOR is honoured)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c git-epic -n "__fish_git_epic_using_subcommand monitor" -l detach -d 'Make the session but do not attach to it'
complete -c git-epic -n "__fish_git_epic_using_subcommand monitor" -s q -l quiet -d 'Print only errors and results'
complete -c git-epic -n "__fish_git_epic_using_subcommand monitor" -s h -l help -d 'Print help'
complete -c git-epic -n "__fish_git_epic_using_subcommand monitor" -s V -l version -d 'Print version'
complete -c git-epic -n "__fish_git_epic_using_subcommand dashboard" -l every -d 'Seconds between two looks at the epic' -r
complete -c git-epic -n "__fish_git_epic_using_subcommand dashboard" -l sync -d 'With epic.remote set: run `git epic sync` beside it every this many seconds (0: never)' -r
complete -c git-epic -n "__fish_git_epic_using_subcommand dashboard" -l size -d 'The frame\'s size with --print' -r
complete -c git-epic -n "__fish_git_epic_using_subcommand dashboard" -l epic -d 'The epic to act on (default: git config epic.current)' -r
complete -c git-epic -n "__fish_git_epic_using_subcommand dashboard" -l color -d 'When to use colours (NO_COLOR is honoured)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c git-epic -n "__fish_git_epic_using_subcommand dashboard" -l print -d 'Draw one frame as text on stdout and exit (no terminal needed)'
complete -c git-epic -n "__fish_git_epic_using_subcommand dashboard" -s q -l quiet -d 'Print only errors and results'
complete -c git-epic -n "__fish_git_epic_using_subcommand dashboard" -s h -l help -d 'Print help'
complete -c git-epic -n "__fish_git_epic_using_subcommand dashboard" -s V -l version -d 'Print version'
complete -c git-epic -n "__fish_git_epic_using_subcommand wait" -l for -d 'What to wait for: `needs-you` (a ticket waits on a human), `done` (no agent runs or waits to run any more), or ticket ids (the ticket\'s run ends or it needs you); default: needs-you and done' -r
complete -c git-epic -n "__fish_git_epic_using_subcommand wait" -l timeout -d 'Give up after this long (90s, 30m, 2h): exit 1' -r
complete -c git-epic -n "__fish_git_epic_using_subcommand wait" -l epic -d 'The epic to act on (default: git config epic.current)' -r
complete -c git-epic -n "__fish_git_epic_using_subcommand wait" -l color -d 'When to use colours (NO_COLOR is honoured)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c git-epic -n "__fish_git_epic_using_subcommand wait" -l json -d 'Print the event as JSON (fields: docs/notify.md)'
complete -c git-epic -n "__fish_git_epic_using_subcommand wait" -s q -l quiet -d 'Print only errors and results'
complete -c git-epic -n "__fish_git_epic_using_subcommand wait" -s h -l help -d 'Print help'
complete -c git-epic -n "__fish_git_epic_using_subcommand wait" -s V -l version -d 'Print version'
complete -c git-epic -n "__fish_git_epic_using_subcommand agent; and not __fish_seen_subcommand_from add list reset help" -l epic -d 'The epic to act on (default: git config epic.current)' -r
complete -c git-epic -n "__fish_git_epic_using_subcommand agent; and not __fish_seen_subcommand_from add list reset help" -l color -d 'When to use colours (NO_COLOR is honoured)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c git-epic -n "__fish_git_epic_using_subcommand agent; and not __fish_seen_subcommand_from add list reset help" -s q -l quiet -d 'Print only errors and results'
complete -c git-epic -n "__fish_git_epic_using_subcommand agent; and not __fish_seen_subcommand_from add list reset help" -s h -l help -d 'Print help'
complete -c git-epic -n "__fish_git_epic_using_subcommand agent; and not __fish_seen_subcommand_from add list reset help" -s V -l version -d 'Print version'
complete -c git-epic -n "__fish_git_epic_using_subcommand agent; and not __fish_seen_subcommand_from add list reset help" -f -a "add" -d 'Configure an agent profile from a preset (claude, codex, aider, gemini) or a command'
complete -c git-epic -n "__fish_git_epic_using_subcommand agent; and not __fish_seen_subcommand_from add list reset help" -f -a "list" -d 'List the configured agent profiles and the presets'
complete -c git-epic -n "__fish_git_epic_using_subcommand agent; and not __fish_seen_subcommand_from add list reset help" -f -a "reset" -d 'Lift a profile\'s rate-limit cooldown: its waiting tickets start at once'
complete -c git-epic -n "__fish_git_epic_using_subcommand agent; and not __fish_seen_subcommand_from add list reset help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c git-epic -n "__fish_git_epic_using_subcommand agent; and __fish_seen_subcommand_from add" -l name -d 'The profile name (default: the preset\'s name)' -r
complete -c git-epic -n "__fish_git_epic_using_subcommand agent; and __fish_seen_subcommand_from add" -l command -d 'The agent command of a profile of your own (its program and arguments; the prompt is added as its last argument)' -r
complete -c git-epic -n "__fish_git_epic_using_subcommand agent; and __fish_seen_subcommand_from add" -l epic -d 'The epic to act on (default: git config epic.current)' -r
complete -c git-epic -n "__fish_git_epic_using_subcommand agent; and __fish_seen_subcommand_from add" -l color -d 'When to use colours (NO_COLOR is honoured)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c git-epic -n "__fish_git_epic_using_subcommand agent; and __fish_seen_subcommand_from add" -l global -d 'Write to your global git config instead of this repository\'s'
complete -c git-epic -n "__fish_git_epic_using_subcommand agent; and __fish_seen_subcommand_from add" -s q -l quiet -d 'Print only errors and results'
complete -c git-epic -n "__fish_git_epic_using_subcommand agent; and __fish_seen_subcommand_from add" -s h -l help -d 'Print help'
complete -c git-epic -n "__fish_git_epic_using_subcommand agent; and __fish_seen_subcommand_from add" -s V -l version -d 'Print version'
complete -c git-epic -n "__fish_git_epic_using_subcommand agent; and __fish_seen_subcommand_from list" -l epic -d 'The epic to act on (default: git config epic.current)' -r
complete -c git-epic -n "__fish_git_epic_using_subcommand agent; and __fish_seen_subcommand_from list" -l color -d 'When to use colours (NO_COLOR is honoured)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c git-epic -n "__fish_git_epic_using_subcommand agent; and __fish_seen_subcommand_from list" -l json -d 'Print JSON'
complete -c git-epic -n "__fish_git_epic_using_subcommand agent; and __fish_seen_subcommand_from list" -s q -l quiet -d 'Print only errors and results'
complete -c git-epic -n "__fish_git_epic_using_subcommand agent; and __fish_seen_subcommand_from list" -s h -l help -d 'Print help'
complete -c git-epic -n "__fish_git_epic_using_subcommand agent; and __fish_seen_subcommand_from list" -s V -l version -d 'Print version'
complete -c git-epic -n "__fish_git_epic_using_subcommand agent; and __fish_seen_subcommand_from reset" -l epic -d 'The epic to act on (default: git config epic.current)' -r
complete -c git-epic -n "__fish_git_epic_using_subcommand agent; and __fish_seen_subcommand_from reset" -l color -d 'When to use colours (NO_COLOR is honoured)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c git-epic -n "__fish_git_epic_using_subcommand agent; and __fish_seen_subcommand_from reset" -l json -d 'Print JSON'
complete -c git-epic -n "__fish_git_epic_using_subcommand agent; and __fish_seen_subcommand_from reset" -s q -l quiet -d 'Print only errors and results'
complete -c git-epic -n "__fish_git_epic_using_subcommand agent; and __fish_seen_subcommand_from reset" -s h -l help -d 'Print help'
complete -c git-epic -n "__fish_git_epic_using_subcommand agent; and __fish_seen_subcommand_from reset" -s V -l version -d 'Print version'
complete -c git-epic -n "__fish_git_epic_using_subcommand agent; and __fish_seen_subcommand_from help" -f -a "add" -d 'Configure an agent profile from a preset (claude, codex, aider, gemini) or a command'
complete -c git-epic -n "__fish_git_epic_using_subcommand agent; and __fish_seen_subcommand_from help" -f -a "list" -d 'List the configured agent profiles and the presets'
complete -c git-epic -n "__fish_git_epic_using_subcommand agent; and __fish_seen_subcommand_from help" -f -a "reset" -d 'Lift a profile\'s rate-limit cooldown: its waiting tickets start at once'
complete -c git-epic -n "__fish_git_epic_using_subcommand agent; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c git-epic -n "__fish_git_epic_using_subcommand demo" -l epic -d 'The epic to act on (default: git config epic.current)' -r
complete -c git-epic -n "__fish_git_epic_using_subcommand demo" -l color -d 'When to use colours (NO_COLOR is honoured)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c git-epic -n "__fish_git_epic_using_subcommand demo" -l keep -d 'Keep the demo repository and print where it is'
complete -c git-epic -n "__fish_git_epic_using_subcommand demo" -s q -l quiet -d 'Print only errors and results'
complete -c git-epic -n "__fish_git_epic_using_subcommand demo" -s h -l help -d 'Print help'
complete -c git-epic -n "__fish_git_epic_using_subcommand demo" -s V -l version -d 'Print version'
complete -c git-epic -n "__fish_git_epic_using_subcommand completions" -l epic -d 'The epic to act on (default: git config epic.current)' -r
complete -c git-epic -n "__fish_git_epic_using_subcommand completions" -l color -d 'When to use colours (NO_COLOR is honoured)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c git-epic -n "__fish_git_epic_using_subcommand completions" -s q -l quiet -d 'Print only errors and results'
complete -c git-epic -n "__fish_git_epic_using_subcommand completions" -s h -l help -d 'Print help'
complete -c git-epic -n "__fish_git_epic_using_subcommand completions" -s V -l version -d 'Print version'
complete -c git-epic -n "__fish_git_epic_using_subcommand install-man" -l prefix -d 'Install into PREFIX/share/man/man1 (default: the directory above the one holding this git-epic binary, e.g. ~/.cargo, where man finds pages of programs on PATH)' -r -F
complete -c git-epic -n "__fish_git_epic_using_subcommand install-man" -l epic -d 'The epic to act on (default: git config epic.current)' -r
complete -c git-epic -n "__fish_git_epic_using_subcommand install-man" -l color -d 'When to use colours (NO_COLOR is honoured)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c git-epic -n "__fish_git_epic_using_subcommand install-man" -s q -l quiet -d 'Print only errors and results'
complete -c git-epic -n "__fish_git_epic_using_subcommand install-man" -s h -l help -d 'Print help'
complete -c git-epic -n "__fish_git_epic_using_subcommand install-man" -s V -l version -d 'Print version'
complete -c git-epic -n "__fish_git_epic_using_subcommand help; and not __fish_seen_subcommand_from init ticket import split graph plan status wave run logs merge context sync join review cleanup finish report propagate pr doctor monitor dashboard wait agent demo completions install-man help" -f -a "init" -d 'Create an epic branch and its config, and make it the current epic'
complete -c git-epic -n "__fish_git_epic_using_subcommand help; and not __fish_seen_subcommand_from init ticket import split graph plan status wave run logs merge context sync join review cleanup finish report propagate pr doctor monitor dashboard wait agent demo completions install-man help" -f -a "ticket" -d 'Add or list tickets'
complete -c git-epic -n "__fish_git_epic_using_subcommand help; and not __fish_seen_subcommand_from init ticket import split graph plan status wave run logs merge context sync join review cleanup finish report propagate pr doctor monitor dashboard wait agent demo completions install-man help" -f -a "import" -d 'Write ticket files from the method\'s tasks.md, or from GitHub or GitLab issues'
complete -c git-epic -n "__fish_git_epic_using_subcommand help; and not __fish_seen_subcommand_from init ticket import split graph plan status wave run logs merge context sync join review cleanup finish report propagate pr doctor monitor dashboard wait agent demo completions install-man help" -f -a "split" -d 'An agent splits a spec into small tickets with dependencies and scopes; git-epic checks them and sends what it found back to the agent'
complete -c git-epic -n "__fish_git_epic_using_subcommand help; and not __fish_seen_subcommand_from init ticket import split graph plan status wave run logs merge context sync join review cleanup finish report propagate pr doctor monitor dashboard wait agent demo completions install-man help" -f -a "graph" -d 'Show the dependency graph, grouped by wave'
complete -c git-epic -n "__fish_git_epic_using_subcommand help; and not __fish_seen_subcommand_from init ticket import split graph plan status wave run logs merge context sync join review cleanup finish report propagate pr doctor monitor dashboard wait agent demo completions install-man help" -f -a "plan" -d 'Show the waves, the critical path and the likely conflicts of a wave'
complete -c git-epic -n "__fish_git_epic_using_subcommand help; and not __fish_seen_subcommand_from init ticket import split graph plan status wave run logs merge context sync join review cleanup finish report propagate pr doctor monitor dashboard wait agent demo completions install-man help" -f -a "status" -d 'Show one row per ticket and the epic\'s totals'
complete -c git-epic -n "__fish_git_epic_using_subcommand help; and not __fish_seen_subcommand_from init ticket import split graph plan status wave run logs merge context sync join review cleanup finish report propagate pr doctor monitor dashboard wait agent demo completions install-man help" -f -a "wave" -d 'Start waves of tickets: a worktree, a branch and an agent for each ready ticket'
complete -c git-epic -n "__fish_git_epic_using_subcommand help; and not __fish_seen_subcommand_from init ticket import split graph plan status wave run logs merge context sync join review cleanup finish report propagate pr doctor monitor dashboard wait agent demo completions install-man help" -f -a "run" -d 'Run the agent of the named tickets (ready ones only)'
complete -c git-epic -n "__fish_git_epic_using_subcommand help; and not __fish_seen_subcommand_from init ticket import split graph plan status wave run logs merge context sync join review cleanup finish report propagate pr doctor monitor dashboard wait agent demo completions install-man help" -f -a "logs" -d 'Show a ticket\'s agent log'
complete -c git-epic -n "__fish_git_epic_using_subcommand help; and not __fish_seen_subcommand_from init ticket import split graph plan status wave run logs merge context sync join review cleanup finish report propagate pr doctor monitor dashboard wait agent demo completions install-man help" -f -a "merge" -d 'Merge done tickets into the epic branch, behind the scope and test gates'
complete -c git-epic -n "__fish_git_epic_using_subcommand help; and not __fish_seen_subcommand_from init ticket import split graph plan status wave run logs merge context sync join review cleanup finish report propagate pr doctor monitor dashboard wait agent demo completions install-man help" -f -a "context" -d 'Write CONTEXT.md (folders, patterns, files not to touch, naming) and commit it on the epic: every ticket\'s prompt carries it'
complete -c git-epic -n "__fish_git_epic_using_subcommand help; and not __fish_seen_subcommand_from init ticket import split graph plan status wave run logs merge context sync join review cleanup finish report propagate pr doctor monitor dashboard wait agent demo completions install-man help" -f -a "sync" -d 'Fetch the epic\'s shared state from epic.remote, merge it, and push this machine\'s'
complete -c git-epic -n "__fish_git_epic_using_subcommand help; and not __fish_seen_subcommand_from init ticket import split graph plan status wave run logs merge context sync join review cleanup finish report propagate pr doctor monitor dashboard wait agent demo completions install-man help" -f -a "join" -d 'Adopt an epic published on a remote by another machine'
complete -c git-epic -n "__fish_git_epic_using_subcommand help; and not __fish_seen_subcommand_from init ticket import split graph plan status wave run logs merge context sync join review cleanup finish report propagate pr doctor monitor dashboard wait agent demo completions install-man help" -f -a "review" -d 'Review done tickets: what each changed, its gates, fix rounds and log; approve, or send back with requested changes'
complete -c git-epic -n "__fish_git_epic_using_subcommand help; and not __fish_seen_subcommand_from init ticket import split graph plan status wave run logs merge context sync join review cleanup finish report propagate pr doctor monitor dashboard wait agent demo completions install-man help" -f -a "cleanup" -d 'Remove the worktrees (and with --branches the branches) of merged tickets'
complete -c git-epic -n "__fish_git_epic_using_subcommand help; and not __fish_seen_subcommand_from init ticket import split graph plan status wave run logs merge context sync join review cleanup finish report propagate pr doctor monitor dashboard wait agent demo completions install-man help" -f -a "finish" -d 'Merge the epic into its base branch'
complete -c git-epic -n "__fish_git_epic_using_subcommand help; and not __fish_seen_subcommand_from init ticket import split graph plan status wave run logs merge context sync join review cleanup finish report propagate pr doctor monitor dashboard wait agent demo completions install-man help" -f -a "report" -d 'The method\'s success metrics: wall time against sequential, conflicts, rate limits, retries, rejected merges, per wave'
complete -c git-epic -n "__fish_git_epic_using_subcommand help; and not __fish_seen_subcommand_from init ticket import split graph plan status wave run logs merge context sync join review cleanup finish report propagate pr doctor monitor dashboard wait agent demo completions install-man help" -f -a "propagate" -d 'Rebase every open ticket worktree onto the epic, then lint-fix and test it, in parallel'
complete -c git-epic -n "__fish_git_epic_using_subcommand help; and not __fish_seen_subcommand_from init ticket import split graph plan status wave run logs merge context sync join review cleanup finish report propagate pr doctor monitor dashboard wait agent demo completions install-man help" -f -a "pr" -d 'Push ticket branches and open pull requests against the epic branch (gh or glab)'
complete -c git-epic -n "__fish_git_epic_using_subcommand help; and not __fish_seen_subcommand_from init ticket import split graph plan status wave run logs merge context sync join review cleanup finish report propagate pr doctor monitor dashboard wait agent demo completions install-man help" -f -a "doctor" -d 'Check git, the agents, gh, tmux, the epic\'s config and stale worktrees'
complete -c git-epic -n "__fish_git_epic_using_subcommand help; and not __fish_seen_subcommand_from init ticket import split graph plan status wave run logs merge context sync join review cleanup finish report propagate pr doctor monitor dashboard wait agent demo completions install-man help" -f -a "monitor" -d 'A tmux session with one pane per running ticket\'s log and one with status --watch'
complete -c git-epic -n "__fish_git_epic_using_subcommand help; and not __fish_seen_subcommand_from init ticket import split graph plan status wave run logs merge context sync join review cleanup finish report propagate pr doctor monitor dashboard wait agent demo completions install-man help" -f -a "dashboard" -d 'The full-screen live view over the epic, with the tech lead\'s actions on keys'
complete -c git-epic -n "__fish_git_epic_using_subcommand help; and not __fish_seen_subcommand_from init ticket import split graph plan status wave run logs merge context sync join review cleanup finish report propagate pr doctor monitor dashboard wait agent demo completions install-man help" -f -a "wait" -d 'Block until a ticket needs you, the agents are done, or named tickets end'
complete -c git-epic -n "__fish_git_epic_using_subcommand help; and not __fish_seen_subcommand_from init ticket import split graph plan status wave run logs merge context sync join review cleanup finish report propagate pr doctor monitor dashboard wait agent demo completions install-man help" -f -a "agent" -d 'Agent profiles: presets for claude, codex, aider, gemini'
complete -c git-epic -n "__fish_git_epic_using_subcommand help; and not __fish_seen_subcommand_from init ticket import split graph plan status wave run logs merge context sync join review cleanup finish report propagate pr doctor monitor dashboard wait agent demo completions install-man help" -f -a "demo" -d 'Run the whole flow on a throw-away repository with a simulated agent, in seconds'
complete -c git-epic -n "__fish_git_epic_using_subcommand help; and not __fish_seen_subcommand_from init ticket import split graph plan status wave run logs merge context sync join review cleanup finish report propagate pr doctor monitor dashboard wait agent demo completions install-man help" -f -a "completions" -d 'Print a shell completion script (bash, zsh, fish, powershell, elvish)'
complete -c git-epic -n "__fish_git_epic_using_subcommand help; and not __fish_seen_subcommand_from init ticket import split graph plan status wave run logs merge context sync join review cleanup finish report propagate pr doctor monitor dashboard wait agent demo completions install-man help" -f -a "install-man" -d 'Install the man pages next to the binary, so `git help epic` opens git-epic(1)'
complete -c git-epic -n "__fish_git_epic_using_subcommand help; and not __fish_seen_subcommand_from init ticket import split graph plan status wave run logs merge context sync join review cleanup finish report propagate pr doctor monitor dashboard wait agent demo completions install-man help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c git-epic -n "__fish_git_epic_using_subcommand help; and __fish_seen_subcommand_from ticket" -f -a "add" -d 'Write a ticket file (body from stdin when piped, else a template)'
complete -c git-epic -n "__fish_git_epic_using_subcommand help; and __fish_seen_subcommand_from ticket" -f -a "list" -d 'List the tickets with their wave and dependencies'
complete -c git-epic -n "__fish_git_epic_using_subcommand help; and __fish_seen_subcommand_from wave" -f -a "start" -d 'Start the ready tickets of a wave: worktree, branch, agent'
complete -c git-epic -n "__fish_git_epic_using_subcommand help; and __fish_seen_subcommand_from agent" -f -a "add" -d 'Configure an agent profile from a preset (claude, codex, aider, gemini) or a command'
complete -c git-epic -n "__fish_git_epic_using_subcommand help; and __fish_seen_subcommand_from agent" -f -a "list" -d 'List the configured agent profiles and the presets'
complete -c git-epic -n "__fish_git_epic_using_subcommand help; and __fish_seen_subcommand_from agent" -f -a "reset" -d 'Lift a profile\'s rate-limit cooldown: its waiting tickets start at once'
