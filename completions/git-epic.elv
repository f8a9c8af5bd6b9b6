
use builtin;
use str;

set edit:completion:arg-completer[git-epic] = {|@words|
    fn spaces {|n|
        builtin:repeat $n ' ' | str:join ''
    }
    fn cand {|text desc|
        edit:complex-candidate $text &display=$text' '(spaces (- 14 (wcswidth $text)))$desc
    }
    var command = 'git-epic'
    for word $words[1..-1] {
        if (str:has-prefix $word '-') {
            break
        }
        set command = $command';'$word
    }
    var completions = [
        &'git-epic'= {
            cand --epic 'The epic to act on (default: git config epic.current)'
            cand --color 'When to use colours (NO_COLOR is honoured)'
            cand -q 'Print only errors and results'
            cand --quiet 'Print only errors and results'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
            cand init 'Create an epic branch and its config, and make it the current epic'
            cand ticket 'Add or list tickets'
            cand import 'Write ticket files from the method''s tasks.md, or from GitHub or GitLab issues'
            cand split 'An agent splits a spec into small tickets with dependencies and scopes; git-epic checks them and sends what it found back to the agent'
            cand graph 'Show the dependency graph, grouped by wave'
            cand plan 'Show the waves, the critical path and the likely conflicts of a wave'
            cand status 'Show one row per ticket and the epic''s totals'
            cand wave 'Start waves of tickets: a worktree, a branch and an agent for each ready ticket'
            cand run 'Run the agent of the named tickets (ready ones only)'
            cand logs 'Show a ticket''s agent log'
            cand merge 'Merge done tickets into the epic branch, behind the scope and test gates'
            cand context 'Write CONTEXT.md (folders, patterns, files not to touch, naming) and commit it on the epic: every ticket''s prompt carries it'
            cand sync 'Fetch the epic''s shared state from epic.remote, merge it, and push this machine''s'
            cand join 'Adopt an epic published on a remote by another machine'
            cand review 'Review done tickets: what each changed, its gates, fix rounds and log; approve, or send back with requested changes'
            cand cleanup 'Remove the worktrees (and with --branches the branches) of merged tickets'
            cand finish 'Merge the epic into its base branch'
            cand report 'The method''s success metrics: wall time against sequential, conflicts, rate limits, retries, rejected merges, per wave'
            cand propagate 'Rebase every open ticket worktree onto the epic, then lint-fix and test it, in parallel'
            cand pr 'Push ticket branches and open pull requests against the epic branch (gh or glab)'
            cand doctor 'Check git, the agents, gh, tmux, the epic''s config and stale worktrees'
            cand monitor 'A tmux session with one pane per running ticket''s log and one with status --watch'
            cand dashboard 'The full-screen live view over the epic, with the tech lead''s actions on keys'
            cand wait 'Block until a ticket needs you, the agents are done, or named tickets end'
            cand agent 'Agent profiles: presets for claude, codex, aider, gemini'
            cand demo 'Run the whole flow on a throw-away repository with a simulated agent, in seconds'
            cand completions 'Print a shell completion script (bash, zsh, fish, powershell, elvish)'
            cand install-man 'Install the man pages next to the binary, so `git help epic` opens git-epic(1)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'git-epic;init'= {
            cand --base 'What the epic starts from and what `finish` merges into (default: the current branch)'
            cand --tasks-dir 'Where ticket files go, relative to the repository (default: tasks)'
            cand --worktrees-dir 'Where ticket worktrees go, relative to the repository (default: worktrees)'
            cand --epic 'The epic to act on (default: git config epic.current)'
            cand --color 'When to use colours (NO_COLOR is honoured)'
            cand -q 'Print only errors and results'
            cand --quiet 'Print only errors and results'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'git-epic;ticket'= {
            cand --epic 'The epic to act on (default: git config epic.current)'
            cand --color 'When to use colours (NO_COLOR is honoured)'
            cand -q 'Print only errors and results'
            cand --quiet 'Print only errors and results'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
            cand add 'Write a ticket file (body from stdin when piped, else a template)'
            cand list 'List the tickets with their wave and dependencies'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'git-epic;ticket;add'= {
            cand --title 'A one-line title (default: the body''s first heading)'
            cand --deps 'Ids of tickets this one depends on, comma separated'
            cand --scope 'A glob of files the ticket may change (repeatable)'
            cand --forbid 'A glob of files the ticket must not change (repeatable)'
            cand --agent 'An agent profile name (git config epicAgent.<profile>.command)'
            cand --epic 'The epic to act on (default: git config epic.current)'
            cand --color 'When to use colours (NO_COLOR is honoured)'
            cand -q 'Print only errors and results'
            cand --quiet 'Print only errors and results'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'git-epic;ticket;list'= {
            cand --format '`table`, or `tasks-md`: the method''s tasks.md, which `git epic import` reads back'
            cand --epic 'The epic to act on (default: git config epic.current)'
            cand --color 'When to use colours (NO_COLOR is honoured)'
            cand --json 'Print JSON'
            cand -q 'Print only errors and results'
            cand --quiet 'Print only errors and results'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'git-epic;ticket;help'= {
            cand add 'Write a ticket file (body from stdin when piped, else a template)'
            cand list 'List the tickets with their wave and dependencies'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'git-epic;ticket;help;add'= {
        }
        &'git-epic;ticket;help;list'= {
        }
        &'git-epic;ticket;help;help'= {
        }
        &'git-epic;import'= {
            cand --label 'Only the issues with this label (github, gitlab)'
            cand --milestone 'Only the issues of this milestone (github, gitlab)'
            cand --issue 'Only this issue (github, gitlab; repeatable)'
            cand --epic 'The epic to act on (default: git config epic.current)'
            cand --color 'When to use colours (NO_COLOR is honoured)'
            cand --dry-run 'Show the tickets and the graph without writing anything'
            cand --ours 'For tickets changed both here and at the source: keep the file as it is here'
            cand --theirs 'For tickets changed both here and at the source: take the source''s version'
            cand --json 'Print JSON'
            cand -q 'Print only errors and results'
            cand --quiet 'Print only errors and results'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'git-epic;split'= {
            cand --agent 'The agent profile that splits it (default: epic.agent)'
            cand --epic 'The epic to act on (default: git config epic.current)'
            cand --color 'When to use colours (NO_COLOR is honoured)'
            cand --dry-run 'Print the tickets and the plan without writing them'
            cand --json 'Print JSON'
            cand -q 'Print only errors and results'
            cand --quiet 'Print only errors and results'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'git-epic;graph'= {
            cand --format 'Output format'
            cand --epic 'The epic to act on (default: git config epic.current)'
            cand --color 'When to use colours (NO_COLOR is honoured)'
            cand -q 'Print only errors and results'
            cand --quiet 'Print only errors and results'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'git-epic;plan'= {
            cand --epic 'The epic to act on (default: git config epic.current)'
            cand --color 'When to use colours (NO_COLOR is honoured)'
            cand --json 'Print JSON'
            cand -q 'Print only errors and results'
            cand --quiet 'Print only errors and results'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'git-epic;status'= {
            cand --epic 'The epic to act on (default: git config epic.current)'
            cand --color 'When to use colours (NO_COLOR is honoured)'
            cand --json 'Print JSON (fields: docs/status.md)'
            cand --watch 'Redraw every 2 seconds until interrupted'
            cand -q 'Print only errors and results'
            cand --quiet 'Print only errors and results'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'git-epic;wave'= {
            cand --epic 'The epic to act on (default: git config epic.current)'
            cand --color 'When to use colours (NO_COLOR is honoured)'
            cand -q 'Print only errors and results'
            cand --quiet 'Print only errors and results'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
            cand start 'Start the ready tickets of a wave: worktree, branch, agent'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'git-epic;wave;start'= {
            cand -j 'Agents running at once (default: git config epic.maxParallel, 4)'
            cand --jobs 'Agents running at once (default: git config epic.maxParallel, 4)'
            cand --epic 'The epic to act on (default: git config epic.current)'
            cand --color 'When to use colours (NO_COLOR is honoured)'
            cand --next 'The lowest wave with a ticket ready to start (the default)'
            cand --all 'Every ready ticket, whatever its wave'
            cand --auto-merge 'With --all: merge each done ticket (through the gates) and start what it unblocks, with no barrier between waves'
            cand --dry-run 'Print what would run, with the exact argv, and change nothing'
            cand --json 'Print the outcome as JSON (done, failed, interrupted, skipped, held_back)'
            cand -q 'Print only errors and results'
            cand --quiet 'Print only errors and results'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'git-epic;wave;help'= {
            cand start 'Start the ready tickets of a wave: worktree, branch, agent'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'git-epic;wave;help;start'= {
        }
        &'git-epic;wave;help;help'= {
        }
        &'git-epic;run'= {
            cand -j 'Agents running at once (default: git config epic.maxParallel, 4)'
            cand --jobs 'Agents running at once (default: git config epic.maxParallel, 4)'
            cand --epic 'The epic to act on (default: git config epic.current)'
            cand --color 'When to use colours (NO_COLOR is honoured)'
            cand --dry-run 'Print what would run, with the exact argv, and change nothing'
            cand --json 'Print the outcome as JSON (done, failed, interrupted, skipped, held_back)'
            cand -q 'Print only errors and results'
            cand --quiet 'Print only errors and results'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'git-epic;logs'= {
            cand -n 'Only the last N lines'
            cand --lines 'Only the last N lines'
            cand --epic 'The epic to act on (default: git config epic.current)'
            cand --color 'When to use colours (NO_COLOR is honoured)'
            cand -f 'Keep printing what the agent writes, until its run ends (done, failed, ...) or Ctrl-C'
            cand --follow 'Keep printing what the agent writes, until its run ends (done, failed, ...) or Ctrl-C'
            cand --path 'Print the log file''s path and nothing else'
            cand --raw 'The agent''s output as it came: its JSON lines, not their text and tool calls'
            cand -q 'Print only errors and results'
            cand --quiet 'Print only errors and results'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'git-epic;merge'= {
            cand --wave 'Every done ticket of wave N'
            cand --epic 'The epic to act on (default: git config epic.current)'
            cand --color 'When to use colours (NO_COLOR is honoured)'
            cand --no-test 'Skip the test (epic.test on the merged result; on the branch with epic.queue=false)'
            cand --no-scope-check 'Skip the scope gate (changed files inside `scope`, none in `forbid`)'
            cand --cleanup 'Remove the worktree of each merged ticket'
            cand --json 'Print JSON: one entry per ticket (id, result, commit, gate, reason, files)'
            cand -q 'Print only errors and results'
            cand --quiet 'Print only errors and results'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'git-epic;context'= {
            cand --agent 'The agent profile that writes it (default: epic.agent)'
            cand --epic 'The epic to act on (default: git config epic.current)'
            cand --color 'When to use colours (NO_COLOR is honoured)'
            cand --no-agent 'Write it without an agent: the tree''s folders and each ticket''s scope and forbid'
            cand -q 'Print only errors and results'
            cand --quiet 'Print only errors and results'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'git-epic;sync'= {
            cand --epic 'The epic to act on (default: git config epic.current)'
            cand --color 'When to use colours (NO_COLOR is honoured)'
            cand --json 'Print JSON: what came in and what went out'
            cand -q 'Print only errors and results'
            cand --quiet 'Print only errors and results'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'git-epic;join'= {
            cand --remote 'The remote it is published on (default: git config epic.remote, else origin)'
            cand --epic 'The epic to act on (default: git config epic.current)'
            cand --color 'When to use colours (NO_COLOR is honoured)'
            cand -q 'Print only errors and results'
            cand --quiet 'Print only errors and results'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'git-epic;review'= {
            cand --wave 'Every ticket of wave N, with the failures they share grouped once'
            cand -m 'The requested changes'
            cand --message 'The requested changes'
            cand -F 'The requested changes, from a file (- for standard input)'
            cand --file 'The requested changes, from a file (- for standard input)'
            cand --epic 'The epic to act on (default: git config epic.current)'
            cand --color 'When to use colours (NO_COLOR is honoured)'
            cand -p 'Show the diff too (through git''s pager)'
            cand --patch 'Show the diff too (through git''s pager)'
            cand --approve 'Approve the ticket as its branch is now (with epic.requireReview, only approved tickets land)'
            cand --request-changes 'Send the ticket back to its agent with the text of -m or -F, verbatim'
            cand --json 'Print JSON: the tickets and the failures they share'
            cand -q 'Print only errors and results'
            cand --quiet 'Print only errors and results'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'git-epic;cleanup'= {
            cand --epic 'The epic to act on (default: git config epic.current)'
            cand --color 'When to use colours (NO_COLOR is honoured)'
            cand --branches 'Delete the branches of merged tickets too (only when the epic has all their commits)'
            cand --json 'Print JSON: one entry per merged ticket touched (id, worktree_removed, branch_deleted, refused)'
            cand -q 'Print only errors and results'
            cand --quiet 'Print only errors and results'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'git-epic;finish'= {
            cand --into 'The branch to merge the epic into (default: git config epic.<name>.base)'
            cand --epic 'The epic to act on (default: git config epic.current)'
            cand --color 'When to use colours (NO_COLOR is honoured)'
            cand --force 'Finish even though some tickets are not merged'
            cand --json 'Print JSON (result: merged, already_in or conflict; into; commit; files)'
            cand -q 'Print only errors and results'
            cand --quiet 'Print only errors and results'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'git-epic;report'= {
            cand --epic 'The epic to act on (default: git config epic.current)'
            cand --color 'When to use colours (NO_COLOR is honoured)'
            cand --json 'Print JSON'
            cand -q 'Print only errors and results'
            cand --quiet 'Print only errors and results'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'git-epic;propagate'= {
            cand -j 'Worktrees handled at once (default: the number of cores)'
            cand --jobs 'Worktrees handled at once (default: the number of cores)'
            cand --epic 'The epic to act on (default: git config epic.current)'
            cand --color 'When to use colours (NO_COLOR is honoured)'
            cand --no-lint 'Do not run epic.lintFix'
            cand --no-test 'Do not run epic.test'
            cand --autostash 'Stash uncommitted changes and restore them after, instead of skipping dirty worktrees'
            cand --json 'Print JSON (fields: docs/propagate.md)'
            cand -q 'Print only errors and results'
            cand --quiet 'Print only errors and results'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'git-epic;pr'= {
            cand --epic 'The epic to act on (default: git config epic.current)'
            cand --color 'When to use colours (NO_COLOR is honoured)'
            cand --draft 'Open them as drafts'
            cand --json 'Print JSON'
            cand -q 'Print only errors and results'
            cand --quiet 'Print only errors and results'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'git-epic;doctor'= {
            cand --epic 'The epic to act on (default: git config epic.current)'
            cand --color 'When to use colours (NO_COLOR is honoured)'
            cand --json 'Print JSON'
            cand -q 'Print only errors and results'
            cand --quiet 'Print only errors and results'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'git-epic;monitor'= {
            cand --epic 'The epic to act on (default: git config epic.current)'
            cand --color 'When to use colours (NO_COLOR is honoured)'
            cand --detach 'Make the session but do not attach to it'
            cand -q 'Print only errors and results'
            cand --quiet 'Print only errors and results'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'git-epic;dashboard'= {
            cand --every 'Seconds between two looks at the epic'
            cand --sync 'With epic.remote set: run `git epic sync` beside it every this many seconds (0: never)'
            cand --size 'The frame''s size with --print'
            cand --epic 'The epic to act on (default: git config epic.current)'
            cand --color 'When to use colours (NO_COLOR is honoured)'
            cand --print 'Draw one frame as text on stdout and exit (no terminal needed)'
            cand -q 'Print only errors and results'
            cand --quiet 'Print only errors and results'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'git-epic;wait'= {
            cand --for 'What to wait for: `needs-you` (a ticket waits on a human), `done` (no agent runs or waits to run any more), or ticket ids (the ticket''s run ends or it needs you); default: needs-you and done'
            cand --timeout 'Give up after this long (90s, 30m, 2h): exit 1'
            cand --epic 'The epic to act on (default: git config epic.current)'
            cand --color 'When to use colours (NO_COLOR is honoured)'
            cand --json 'Print the event as JSON (fields: docs/notify.md)'
            cand -q 'Print only errors and results'
            cand --quiet 'Print only errors and results'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'git-epic;agent'= {
            cand --epic 'The epic to act on (default: git config epic.current)'
            cand --color 'When to use colours (NO_COLOR is honoured)'
            cand -q 'Print only errors and results'
            cand --quiet 'Print only errors and results'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
            cand add 'Configure an agent profile from a preset (claude, codex, aider, gemini) or a command'
            cand list 'List the configured agent profiles and the presets'
            cand reset 'Lift a profile''s rate-limit cooldown: its waiting tickets start at once'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'git-epic;agent;add'= {
            cand --name 'The profile name (default: the preset''s name)'
            cand --command 'The agent command of a profile of your own (its program and arguments; the prompt is added as its last argument)'
            cand --epic 'The epic to act on (default: git config epic.current)'
            cand --color 'When to use colours (NO_COLOR is honoured)'
            cand --global 'Write to your global git config instead of this repository''s'
            cand -q 'Print only errors and results'
            cand --quiet 'Print only errors and results'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'git-epic;agent;list'= {
            cand --epic 'The epic to act on (default: git config epic.current)'
            cand --color 'When to use colours (NO_COLOR is honoured)'
            cand --json 'Print JSON'
            cand -q 'Print only errors and results'
            cand --quiet 'Print only errors and results'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'git-epic;agent;reset'= {
            cand --epic 'The epic to act on (default: git config epic.current)'
            cand --color 'When to use colours (NO_COLOR is honoured)'
            cand --json 'Print JSON'
            cand -q 'Print only errors and results'
            cand --quiet 'Print only errors and results'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'git-epic;agent;help'= {
            cand add 'Configure an agent profile from a preset (claude, codex, aider, gemini) or a command'
            cand list 'List the configured agent profiles and the presets'
            cand reset 'Lift a profile''s rate-limit cooldown: its waiting tickets start at once'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'git-epic;agent;help;add'= {
        }
        &'git-epic;agent;help;list'= {
        }
        &'git-epic;agent;help;reset'= {
        }
        &'git-epic;agent;help;help'= {
        }
        &'git-epic;demo'= {
            cand --epic 'The epic to act on (default: git config epic.current)'
            cand --color 'When to use colours (NO_COLOR is honoured)'
            cand --keep 'Keep the demo repository and print where it is'
            cand -q 'Print only errors and results'
            cand --quiet 'Print only errors and results'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'git-epic;completions'= {
            cand --epic 'The epic to act on (default: git config epic.current)'
            cand --color 'When to use colours (NO_COLOR is honoured)'
            cand -q 'Print only errors and results'
            cand --quiet 'Print only errors and results'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'git-epic;install-man'= {
            cand --prefix 'Install into PREFIX/share/man/man1 (default: the directory above the one holding this git-epic binary, e.g. ~/.cargo, where man finds pages of programs on PATH)'
            cand --epic 'The epic to act on (default: git config epic.current)'
            cand --color 'When to use colours (NO_COLOR is honoured)'
            cand -q 'Print only errors and results'
            cand --quiet 'Print only errors and results'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'git-epic;help'= {
            cand init 'Create an epic branch and its config, and make it the current epic'
            cand ticket 'Add or list tickets'
            cand import 'Write ticket files from the method''s tasks.md, or from GitHub or GitLab issues'
            cand split 'An agent splits a spec into small tickets with dependencies and scopes; git-epic checks them and sends what it found back to the agent'
            cand graph 'Show the dependency graph, grouped by wave'
            cand plan 'Show the waves, the critical path and the likely conflicts of a wave'
            cand status 'Show one row per ticket and the epic''s totals'
            cand wave 'Start waves of tickets: a worktree, a branch and an agent for each ready ticket'
            cand run 'Run the agent of the named tickets (ready ones only)'
            cand logs 'Show a ticket''s agent log'
            cand merge 'Merge done tickets into the epic branch, behind the scope and test gates'
            cand context 'Write CONTEXT.md (folders, patterns, files not to touch, naming) and commit it on the epic: every ticket''s prompt carries it'
            cand sync 'Fetch the epic''s shared state from epic.remote, merge it, and push this machine''s'
            cand join 'Adopt an epic published on a remote by another machine'
            cand review 'Review done tickets: what each changed, its gates, fix rounds and log; approve, or send back with requested changes'
            cand cleanup 'Remove the worktrees (and with --branches the branches) of merged tickets'
            cand finish 'Merge the epic into its base branch'
            cand report 'The method''s success metrics: wall time against sequential, conflicts, rate limits, retries, rejected merges, per wave'
            cand propagate 'Rebase every open ticket worktree onto the epic, then lint-fix and test it, in parallel'
            cand pr 'Push ticket branches and open pull requests against the epic branch (gh or glab)'
            cand doctor 'Check git, the agents, gh, tmux, the epic''s config and stale worktrees'
            cand monitor 'A tmux session with one pane per running ticket''s log and one with status --watch'
            cand dashboard 'The full-screen live view over the epic, with the tech lead''s actions on keys'
            cand wait 'Block until a ticket needs you, the agents are done, or named tickets end'
            cand agent 'Agent profiles: presets for claude, codex, aider, gemini'
            cand demo 'Run the whole flow on a throw-away repository with a simulated agent, in seconds'
            cand completions 'Print a shell completion script (bash, zsh, fish, powershell, elvish)'
            cand install-man 'Install the man pages next to the binary, so `git help epic` opens git-epic(1)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'git-epic;help;init'= {
        }
        &'git-epic;help;ticket'= {
            cand add 'Write a ticket file (body from stdin when piped, else a template)'
            cand list 'List the tickets with their wave and dependencies'
        }
        &'git-epic;help;ticket;add'= {
        }
        &'git-epic;help;ticket;list'= {
        }
        &'git-epic;help;import'= {
        }
        &'git-epic;help;split'= {
        }
        &'git-epic;help;graph'= {
        }
        &'git-epic;help;plan'= {
        }
        &'git-epic;help;status'= {
        }
        &'git-epic;help;wave'= {
            cand start 'Start the ready tickets of a wave: worktree, branch, agent'
        }
        &'git-epic;help;wave;start'= {
        }
        &'git-epic;help;run'= {
        }
        &'git-epic;help;logs'= {
        }
        &'git-epic;help;merge'= {
        }
        &'git-epic;help;context'= {
        }
        &'git-epic;help;sync'= {
        }
        &'git-epic;help;join'= {
        }
        &'git-epic;help;review'= {
        }
        &'git-epic;help;cleanup'= {
        }
        &'git-epic;help;finish'= {
        }
        &'git-epic;help;report'= {
        }
        &'git-epic;help;propagate'= {
        }
        &'git-epic;help;pr'= {
        }
        &'git-epic;help;doctor'= {
        }
        &'git-epic;help;monitor'= {
        }
        &'git-epic;help;dashboard'= {
        }
        &'git-epic;help;wait'= {
        }
        &'git-epic;help;agent'= {
            cand add 'Configure an agent profile from a preset (claude, codex, aider, gemini) or a command'
            cand list 'List the configured agent profiles and the presets'
            cand reset 'Lift a profile''s rate-limit cooldown: its waiting tickets start at once'
        }
        &'git-epic;help;agent;add'= {
        }
        &'git-epic;help;agent;list'= {
        }
        &'git-epic;help;agent;reset'= {
        }
        &'git-epic;help;demo'= {
        }
        &'git-epic;help;completions'= {
        }
        &'git-epic;help;install-man'= {
        }
        &'git-epic;help;help'= {
        }
    ]
    $completions[$command]
}
