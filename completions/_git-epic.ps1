
using namespace System.Management.Automation
using namespace System.Management.Automation.Language

Register-ArgumentCompleter -Native -CommandName 'git-epic' -ScriptBlock {
    param($wordToComplete, $commandAst, $cursorPosition)

    $commandElements = $commandAst.CommandElements
    $command = @(
        'git-epic'
        for ($i = 1; $i -lt $commandElements.Count; $i++) {
            $element = $commandElements[$i]
            if ($element -isnot [StringConstantExpressionAst] -or
                $element.StringConstantType -ne [StringConstantType]::BareWord -or
                $element.Value.StartsWith('-') -or
                $element.Value -eq $wordToComplete) {
                break
        }
        $element.Value
    }) -join ';'

    $completions = @(switch ($command) {
        'git-epic' {
            [CompletionResult]::new('--epic', '--epic', [CompletionResultType]::ParameterName, 'The epic to act on (default: git config epic.current)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colours (NO_COLOR is honoured)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only errors and results')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only errors and results')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('init', 'init', [CompletionResultType]::ParameterValue, 'Create an epic branch and its config, and make it the current epic')
            [CompletionResult]::new('ticket', 'ticket', [CompletionResultType]::ParameterValue, 'Add or list tickets')
            [CompletionResult]::new('import', 'import', [CompletionResultType]::ParameterValue, 'Write ticket files from the method''s tasks.md, or from GitHub or GitLab issues')
            [CompletionResult]::new('split', 'split', [CompletionResultType]::ParameterValue, 'An agent splits a spec into small tickets with dependencies and scopes; git-epic checks them and sends what it found back to the agent')
            [CompletionResult]::new('graph', 'graph', [CompletionResultType]::ParameterValue, 'Show the dependency graph, grouped by wave')
            [CompletionResult]::new('plan', 'plan', [CompletionResultType]::ParameterValue, 'Show the waves, the critical path and the likely conflicts of a wave')
            [CompletionResult]::new('status', 'status', [CompletionResultType]::ParameterValue, 'Show one row per ticket and the epic''s totals')
            [CompletionResult]::new('wave', 'wave', [CompletionResultType]::ParameterValue, 'Start waves of tickets: a worktree, a branch and an agent for each ready ticket')
            [CompletionResult]::new('run', 'run', [CompletionResultType]::ParameterValue, 'Run the agent of the named tickets (ready ones only)')
            [CompletionResult]::new('logs', 'logs', [CompletionResultType]::ParameterValue, 'Show a ticket''s agent log')
            [CompletionResult]::new('merge', 'merge', [CompletionResultType]::ParameterValue, 'Merge done tickets into the epic branch, behind the scope and test gates')
            [CompletionResult]::new('context', 'context', [CompletionResultType]::ParameterValue, 'Write CONTEXT.md (folders, patterns, files not to touch, naming) and commit it on the epic: every ticket''s prompt carries it')
            [CompletionResult]::new('sync', 'sync', [CompletionResultType]::ParameterValue, 'Fetch the epic''s shared state from epic.remote, merge it, and push this machine''s')
            [CompletionResult]::new('join', 'join', [CompletionResultType]::ParameterValue, 'Adopt an epic published on a remote by another machine')
            [CompletionResult]::new('review', 'review', [CompletionResultType]::ParameterValue, 'Review done tickets: what each changed, its gates, fix rounds and log; approve, or send back with requested changes')
            [CompletionResult]::new('cleanup', 'cleanup', [CompletionResultType]::ParameterValue, 'Remove the worktrees (and with --branches the branches) of merged tickets')
            [CompletionResult]::new('finish', 'finish', [CompletionResultType]::ParameterValue, 'Merge the epic into its base branch')
            [CompletionResult]::new('report', 'report', [CompletionResultType]::ParameterValue, 'The method''s success metrics: wall time against sequential, conflicts, rate limits, retries, rejected merges, per wave')
            [CompletionResult]::new('propagate', 'propagate', [CompletionResultType]::ParameterValue, 'Rebase every open ticket worktree onto the epic, then lint-fix and test it, in parallel')
            [CompletionResult]::new('pr', 'pr', [CompletionResultType]::ParameterValue, 'Push ticket branches and open pull requests against the epic branch (gh or glab)')
            [CompletionResult]::new('doctor', 'doctor', [CompletionResultType]::ParameterValue, 'Check git, the agents, gh, tmux, the epic''s config and stale worktrees')
            [CompletionResult]::new('monitor', 'monitor', [CompletionResultType]::ParameterValue, 'A tmux session with one pane per running ticket''s log and one with status --watch')
            [CompletionResult]::new('dashboard', 'dashboard', [CompletionResultType]::ParameterValue, 'The full-screen live view over the epic, with the tech lead''s actions on keys')
            [CompletionResult]::new('wait', 'wait', [CompletionResultType]::ParameterValue, 'Block until a ticket needs you, the agents are done, or named tickets end')
            [CompletionResult]::new('agent', 'agent', [CompletionResultType]::ParameterValue, 'Agent profiles: presets for claude, codex, aider, gemini')
            [CompletionResult]::new('demo', 'demo', [CompletionResultType]::ParameterValue, 'Run the whole flow on a throw-away repository with a simulated agent, in seconds')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print a shell completion script (bash, zsh, fish, powershell, elvish)')
            [CompletionResult]::new('install-man', 'install-man', [CompletionResultType]::ParameterValue, 'Install the man pages next to the binary, so `git help epic` opens git-epic(1)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'git-epic;init' {
            [CompletionResult]::new('--base', '--base', [CompletionResultType]::ParameterName, 'What the epic starts from and what `finish` merges into (default: the current branch)')
            [CompletionResult]::new('--tasks-dir', '--tasks-dir', [CompletionResultType]::ParameterName, 'Where ticket files go, relative to the repository (default: tasks)')
            [CompletionResult]::new('--worktrees-dir', '--worktrees-dir', [CompletionResultType]::ParameterName, 'Where ticket worktrees go, relative to the repository (default: worktrees)')
            [CompletionResult]::new('--epic', '--epic', [CompletionResultType]::ParameterName, 'The epic to act on (default: git config epic.current)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colours (NO_COLOR is honoured)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only errors and results')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only errors and results')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'git-epic;ticket' {
            [CompletionResult]::new('--epic', '--epic', [CompletionResultType]::ParameterName, 'The epic to act on (default: git config epic.current)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colours (NO_COLOR is honoured)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only errors and results')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only errors and results')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('add', 'add', [CompletionResultType]::ParameterValue, 'Write a ticket file (body from stdin when piped, else a template)')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List the tickets with their wave and dependencies')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'git-epic;ticket;add' {
            [CompletionResult]::new('--title', '--title', [CompletionResultType]::ParameterName, 'A one-line title (default: the body''s first heading)')
            [CompletionResult]::new('--deps', '--deps', [CompletionResultType]::ParameterName, 'Ids of tickets this one depends on, comma separated')
            [CompletionResult]::new('--scope', '--scope', [CompletionResultType]::ParameterName, 'A glob of files the ticket may change (repeatable)')
            [CompletionResult]::new('--forbid', '--forbid', [CompletionResultType]::ParameterName, 'A glob of files the ticket must not change (repeatable)')
            [CompletionResult]::new('--agent', '--agent', [CompletionResultType]::ParameterName, 'An agent profile name (git config epicAgent.<profile>.command)')
            [CompletionResult]::new('--epic', '--epic', [CompletionResultType]::ParameterName, 'The epic to act on (default: git config epic.current)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colours (NO_COLOR is honoured)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only errors and results')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only errors and results')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'git-epic;ticket;list' {
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, '`table`, or `tasks-md`: the method''s tasks.md, which `git epic import` reads back')
            [CompletionResult]::new('--epic', '--epic', [CompletionResultType]::ParameterName, 'The epic to act on (default: git config epic.current)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colours (NO_COLOR is honoured)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only errors and results')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only errors and results')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'git-epic;ticket;help' {
            [CompletionResult]::new('add', 'add', [CompletionResultType]::ParameterValue, 'Write a ticket file (body from stdin when piped, else a template)')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List the tickets with their wave and dependencies')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'git-epic;ticket;help;add' {
            break
        }
        'git-epic;ticket;help;list' {
            break
        }
        'git-epic;ticket;help;help' {
            break
        }
        'git-epic;import' {
            [CompletionResult]::new('--label', '--label', [CompletionResultType]::ParameterName, 'Only the issues with this label (github, gitlab)')
            [CompletionResult]::new('--milestone', '--milestone', [CompletionResultType]::ParameterName, 'Only the issues of this milestone (github, gitlab)')
            [CompletionResult]::new('--issue', '--issue', [CompletionResultType]::ParameterName, 'Only this issue (github, gitlab; repeatable)')
            [CompletionResult]::new('--epic', '--epic', [CompletionResultType]::ParameterName, 'The epic to act on (default: git config epic.current)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colours (NO_COLOR is honoured)')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Show the tickets and the graph without writing anything')
            [CompletionResult]::new('--ours', '--ours', [CompletionResultType]::ParameterName, 'For tickets changed both here and at the source: keep the file as it is here')
            [CompletionResult]::new('--theirs', '--theirs', [CompletionResultType]::ParameterName, 'For tickets changed both here and at the source: take the source''s version')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only errors and results')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only errors and results')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'git-epic;split' {
            [CompletionResult]::new('--agent', '--agent', [CompletionResultType]::ParameterName, 'The agent profile that splits it (default: epic.agent)')
            [CompletionResult]::new('--epic', '--epic', [CompletionResultType]::ParameterName, 'The epic to act on (default: git config epic.current)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colours (NO_COLOR is honoured)')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Print the tickets and the plan without writing them')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only errors and results')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only errors and results')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'git-epic;graph' {
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--epic', '--epic', [CompletionResultType]::ParameterName, 'The epic to act on (default: git config epic.current)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colours (NO_COLOR is honoured)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only errors and results')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only errors and results')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'git-epic;plan' {
            [CompletionResult]::new('--epic', '--epic', [CompletionResultType]::ParameterName, 'The epic to act on (default: git config epic.current)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colours (NO_COLOR is honoured)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only errors and results')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only errors and results')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'git-epic;status' {
            [CompletionResult]::new('--epic', '--epic', [CompletionResultType]::ParameterName, 'The epic to act on (default: git config epic.current)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colours (NO_COLOR is honoured)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON (fields: docs/status.md)')
            [CompletionResult]::new('--watch', '--watch', [CompletionResultType]::ParameterName, 'Redraw every 2 seconds until interrupted')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only errors and results')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only errors and results')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'git-epic;wave' {
            [CompletionResult]::new('--epic', '--epic', [CompletionResultType]::ParameterName, 'The epic to act on (default: git config epic.current)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colours (NO_COLOR is honoured)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only errors and results')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only errors and results')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('start', 'start', [CompletionResultType]::ParameterValue, 'Start the ready tickets of a wave: worktree, branch, agent')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'git-epic;wave;start' {
            [CompletionResult]::new('-j', '-j', [CompletionResultType]::ParameterName, 'Agents running at once (default: git config epic.maxParallel, 4)')
            [CompletionResult]::new('--jobs', '--jobs', [CompletionResultType]::ParameterName, 'Agents running at once (default: git config epic.maxParallel, 4)')
            [CompletionResult]::new('--epic', '--epic', [CompletionResultType]::ParameterName, 'The epic to act on (default: git config epic.current)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colours (NO_COLOR is honoured)')
            [CompletionResult]::new('--next', '--next', [CompletionResultType]::ParameterName, 'The lowest wave with a ticket ready to start (the default)')
            [CompletionResult]::new('--all', '--all', [CompletionResultType]::ParameterName, 'Every ready ticket, whatever its wave')
            [CompletionResult]::new('--auto-merge', '--auto-merge', [CompletionResultType]::ParameterName, 'With --all: merge each done ticket (through the gates) and start what it unblocks, with no barrier between waves')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Print what would run, with the exact argv, and change nothing')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print the outcome as JSON (done, failed, interrupted, skipped, held_back)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only errors and results')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only errors and results')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'git-epic;wave;help' {
            [CompletionResult]::new('start', 'start', [CompletionResultType]::ParameterValue, 'Start the ready tickets of a wave: worktree, branch, agent')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'git-epic;wave;help;start' {
            break
        }
        'git-epic;wave;help;help' {
            break
        }
        'git-epic;run' {
            [CompletionResult]::new('-j', '-j', [CompletionResultType]::ParameterName, 'Agents running at once (default: git config epic.maxParallel, 4)')
            [CompletionResult]::new('--jobs', '--jobs', [CompletionResultType]::ParameterName, 'Agents running at once (default: git config epic.maxParallel, 4)')
            [CompletionResult]::new('--epic', '--epic', [CompletionResultType]::ParameterName, 'The epic to act on (default: git config epic.current)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colours (NO_COLOR is honoured)')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Print what would run, with the exact argv, and change nothing')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print the outcome as JSON (done, failed, interrupted, skipped, held_back)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only errors and results')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only errors and results')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'git-epic;logs' {
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'Only the last N lines')
            [CompletionResult]::new('--lines', '--lines', [CompletionResultType]::ParameterName, 'Only the last N lines')
            [CompletionResult]::new('--epic', '--epic', [CompletionResultType]::ParameterName, 'The epic to act on (default: git config epic.current)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colours (NO_COLOR is honoured)')
            [CompletionResult]::new('-f', '-f', [CompletionResultType]::ParameterName, 'Keep printing what the agent writes, until its run ends (done, failed, ...) or Ctrl-C')
            [CompletionResult]::new('--follow', '--follow', [CompletionResultType]::ParameterName, 'Keep printing what the agent writes, until its run ends (done, failed, ...) or Ctrl-C')
            [CompletionResult]::new('--path', '--path', [CompletionResultType]::ParameterName, 'Print the log file''s path and nothing else')
            [CompletionResult]::new('--raw', '--raw', [CompletionResultType]::ParameterName, 'The agent''s output as it came: its JSON lines, not their text and tool calls')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only errors and results')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only errors and results')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'git-epic;merge' {
            [CompletionResult]::new('--wave', '--wave', [CompletionResultType]::ParameterName, 'Every done ticket of wave N')
            [CompletionResult]::new('--epic', '--epic', [CompletionResultType]::ParameterName, 'The epic to act on (default: git config epic.current)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colours (NO_COLOR is honoured)')
            [CompletionResult]::new('--no-test', '--no-test', [CompletionResultType]::ParameterName, 'Skip the test (epic.test on the merged result; on the branch with epic.queue=false)')
            [CompletionResult]::new('--no-scope-check', '--no-scope-check', [CompletionResultType]::ParameterName, 'Skip the scope gate (changed files inside `scope`, none in `forbid`)')
            [CompletionResult]::new('--cleanup', '--cleanup', [CompletionResultType]::ParameterName, 'Remove the worktree of each merged ticket')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON: one entry per ticket (id, result, commit, gate, reason, files)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only errors and results')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only errors and results')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'git-epic;context' {
            [CompletionResult]::new('--agent', '--agent', [CompletionResultType]::ParameterName, 'The agent profile that writes it (default: epic.agent)')
            [CompletionResult]::new('--epic', '--epic', [CompletionResultType]::ParameterName, 'The epic to act on (default: git config epic.current)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colours (NO_COLOR is honoured)')
            [CompletionResult]::new('--no-agent', '--no-agent', [CompletionResultType]::ParameterName, 'Write it without an agent: the tree''s folders and each ticket''s scope and forbid')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only errors and results')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only errors and results')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'git-epic;sync' {
            [CompletionResult]::new('--epic', '--epic', [CompletionResultType]::ParameterName, 'The epic to act on (default: git config epic.current)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colours (NO_COLOR is honoured)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON: what came in and what went out')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only errors and results')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only errors and results')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'git-epic;join' {
            [CompletionResult]::new('--remote', '--remote', [CompletionResultType]::ParameterName, 'The remote it is published on (default: git config epic.remote, else origin)')
            [CompletionResult]::new('--epic', '--epic', [CompletionResultType]::ParameterName, 'The epic to act on (default: git config epic.current)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colours (NO_COLOR is honoured)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only errors and results')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only errors and results')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'git-epic;review' {
            [CompletionResult]::new('--wave', '--wave', [CompletionResultType]::ParameterName, 'Every ticket of wave N, with the failures they share grouped once')
            [CompletionResult]::new('-m', '-m', [CompletionResultType]::ParameterName, 'The requested changes')
            [CompletionResult]::new('--message', '--message', [CompletionResultType]::ParameterName, 'The requested changes')
            [CompletionResult]::new('-F', '-F ', [CompletionResultType]::ParameterName, 'The requested changes, from a file (- for standard input)')
            [CompletionResult]::new('--file', '--file', [CompletionResultType]::ParameterName, 'The requested changes, from a file (- for standard input)')
            [CompletionResult]::new('--epic', '--epic', [CompletionResultType]::ParameterName, 'The epic to act on (default: git config epic.current)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colours (NO_COLOR is honoured)')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Show the diff too (through git''s pager)')
            [CompletionResult]::new('--patch', '--patch', [CompletionResultType]::ParameterName, 'Show the diff too (through git''s pager)')
            [CompletionResult]::new('--approve', '--approve', [CompletionResultType]::ParameterName, 'Approve the ticket as its branch is now (with epic.requireReview, only approved tickets land)')
            [CompletionResult]::new('--request-changes', '--request-changes', [CompletionResultType]::ParameterName, 'Send the ticket back to its agent with the text of -m or -F, verbatim')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON: the tickets and the failures they share')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only errors and results')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only errors and results')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'git-epic;cleanup' {
            [CompletionResult]::new('--epic', '--epic', [CompletionResultType]::ParameterName, 'The epic to act on (default: git config epic.current)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colours (NO_COLOR is honoured)')
            [CompletionResult]::new('--branches', '--branches', [CompletionResultType]::ParameterName, 'Delete the branches of merged tickets too (only when the epic has all their commits)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON: one entry per merged ticket touched (id, worktree_removed, branch_deleted, refused)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only errors and results')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only errors and results')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'git-epic;finish' {
            [CompletionResult]::new('--into', '--into', [CompletionResultType]::ParameterName, 'The branch to merge the epic into (default: git config epic.<name>.base)')
            [CompletionResult]::new('--epic', '--epic', [CompletionResultType]::ParameterName, 'The epic to act on (default: git config epic.current)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colours (NO_COLOR is honoured)')
            [CompletionResult]::new('--force', '--force', [CompletionResultType]::ParameterName, 'Finish even though some tickets are not merged')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON (result: merged, already_in or conflict; into; commit; files)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only errors and results')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only errors and results')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'git-epic;report' {
            [CompletionResult]::new('--epic', '--epic', [CompletionResultType]::ParameterName, 'The epic to act on (default: git config epic.current)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colours (NO_COLOR is honoured)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only errors and results')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only errors and results')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'git-epic;propagate' {
            [CompletionResult]::new('-j', '-j', [CompletionResultType]::ParameterName, 'Worktrees handled at once (default: the number of cores)')
            [CompletionResult]::new('--jobs', '--jobs', [CompletionResultType]::ParameterName, 'Worktrees handled at once (default: the number of cores)')
            [CompletionResult]::new('--epic', '--epic', [CompletionResultType]::ParameterName, 'The epic to act on (default: git config epic.current)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colours (NO_COLOR is honoured)')
            [CompletionResult]::new('--no-lint', '--no-lint', [CompletionResultType]::ParameterName, 'Do not run epic.lintFix')
            [CompletionResult]::new('--no-test', '--no-test', [CompletionResultType]::ParameterName, 'Do not run epic.test')
            [CompletionResult]::new('--autostash', '--autostash', [CompletionResultType]::ParameterName, 'Stash uncommitted changes and restore them after, instead of skipping dirty worktrees')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON (fields: docs/propagate.md)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only errors and results')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only errors and results')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'git-epic;pr' {
            [CompletionResult]::new('--epic', '--epic', [CompletionResultType]::ParameterName, 'The epic to act on (default: git config epic.current)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colours (NO_COLOR is honoured)')
            [CompletionResult]::new('--draft', '--draft', [CompletionResultType]::ParameterName, 'Open them as drafts')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only errors and results')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only errors and results')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'git-epic;doctor' {
            [CompletionResult]::new('--epic', '--epic', [CompletionResultType]::ParameterName, 'The epic to act on (default: git config epic.current)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colours (NO_COLOR is honoured)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only errors and results')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only errors and results')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'git-epic;monitor' {
            [CompletionResult]::new('--epic', '--epic', [CompletionResultType]::ParameterName, 'The epic to act on (default: git config epic.current)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colours (NO_COLOR is honoured)')
            [CompletionResult]::new('--detach', '--detach', [CompletionResultType]::ParameterName, 'Make the session but do not attach to it')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only errors and results')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only errors and results')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'git-epic;dashboard' {
            [CompletionResult]::new('--every', '--every', [CompletionResultType]::ParameterName, 'Seconds between two looks at the epic')
            [CompletionResult]::new('--sync', '--sync', [CompletionResultType]::ParameterName, 'With epic.remote set: run `git epic sync` beside it every this many seconds (0: never)')
            [CompletionResult]::new('--size', '--size', [CompletionResultType]::ParameterName, 'The frame''s size with --print')
            [CompletionResult]::new('--epic', '--epic', [CompletionResultType]::ParameterName, 'The epic to act on (default: git config epic.current)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colours (NO_COLOR is honoured)')
            [CompletionResult]::new('--print', '--print', [CompletionResultType]::ParameterName, 'Draw one frame as text on stdout and exit (no terminal needed)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only errors and results')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only errors and results')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'git-epic;wait' {
            [CompletionResult]::new('--for', '--for', [CompletionResultType]::ParameterName, 'What to wait for: `needs-you` (a ticket waits on a human), `done` (no agent runs or waits to run any more), or ticket ids (the ticket''s run ends or it needs you); default: needs-you and done')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Give up after this long (90s, 30m, 2h): exit 1')
            [CompletionResult]::new('--epic', '--epic', [CompletionResultType]::ParameterName, 'The epic to act on (default: git config epic.current)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colours (NO_COLOR is honoured)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print the event as JSON (fields: docs/notify.md)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only errors and results')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only errors and results')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'git-epic;agent' {
            [CompletionResult]::new('--epic', '--epic', [CompletionResultType]::ParameterName, 'The epic to act on (default: git config epic.current)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colours (NO_COLOR is honoured)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only errors and results')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only errors and results')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('add', 'add', [CompletionResultType]::ParameterValue, 'Configure an agent profile from a preset (claude, codex, aider, gemini) or a command')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List the configured agent profiles and the presets')
            [CompletionResult]::new('reset', 'reset', [CompletionResultType]::ParameterValue, 'Lift a profile''s rate-limit cooldown: its waiting tickets start at once')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'git-epic;agent;add' {
            [CompletionResult]::new('--name', '--name', [CompletionResultType]::ParameterName, 'The profile name (default: the preset''s name)')
            [CompletionResult]::new('--command', '--command', [CompletionResultType]::ParameterName, 'The agent command of a profile of your own (its program and arguments; the prompt is added as its last argument)')
            [CompletionResult]::new('--epic', '--epic', [CompletionResultType]::ParameterName, 'The epic to act on (default: git config epic.current)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colours (NO_COLOR is honoured)')
            [CompletionResult]::new('--global', '--global', [CompletionResultType]::ParameterName, 'Write to your global git config instead of this repository''s')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only errors and results')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only errors and results')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'git-epic;agent;list' {
            [CompletionResult]::new('--epic', '--epic', [CompletionResultType]::ParameterName, 'The epic to act on (default: git config epic.current)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colours (NO_COLOR is honoured)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only errors and results')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only errors and results')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'git-epic;agent;reset' {
            [CompletionResult]::new('--epic', '--epic', [CompletionResultType]::ParameterName, 'The epic to act on (default: git config epic.current)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colours (NO_COLOR is honoured)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only errors and results')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only errors and results')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'git-epic;agent;help' {
            [CompletionResult]::new('add', 'add', [CompletionResultType]::ParameterValue, 'Configure an agent profile from a preset (claude, codex, aider, gemini) or a command')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List the configured agent profiles and the presets')
            [CompletionResult]::new('reset', 'reset', [CompletionResultType]::ParameterValue, 'Lift a profile''s rate-limit cooldown: its waiting tickets start at once')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'git-epic;agent;help;add' {
            break
        }
        'git-epic;agent;help;list' {
            break
        }
        'git-epic;agent;help;reset' {
            break
        }
        'git-epic;agent;help;help' {
            break
        }
        'git-epic;demo' {
            [CompletionResult]::new('--epic', '--epic', [CompletionResultType]::ParameterName, 'The epic to act on (default: git config epic.current)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colours (NO_COLOR is honoured)')
            [CompletionResult]::new('--keep', '--keep', [CompletionResultType]::ParameterName, 'Keep the demo repository and print where it is')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only errors and results')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only errors and results')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'git-epic;completions' {
            [CompletionResult]::new('--epic', '--epic', [CompletionResultType]::ParameterName, 'The epic to act on (default: git config epic.current)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colours (NO_COLOR is honoured)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only errors and results')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only errors and results')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'git-epic;install-man' {
            [CompletionResult]::new('--prefix', '--prefix', [CompletionResultType]::ParameterName, 'Install into PREFIX/share/man/man1 (default: the directory above the one holding this git-epic binary, e.g. ~/.cargo, where man finds pages of programs on PATH)')
            [CompletionResult]::new('--epic', '--epic', [CompletionResultType]::ParameterName, 'The epic to act on (default: git config epic.current)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colours (NO_COLOR is honoured)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only errors and results')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only errors and results')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'git-epic;help' {
            [CompletionResult]::new('init', 'init', [CompletionResultType]::ParameterValue, 'Create an epic branch and its config, and make it the current epic')
            [CompletionResult]::new('ticket', 'ticket', [CompletionResultType]::ParameterValue, 'Add or list tickets')
            [CompletionResult]::new('import', 'import', [CompletionResultType]::ParameterValue, 'Write ticket files from the method''s tasks.md, or from GitHub or GitLab issues')
            [CompletionResult]::new('split', 'split', [CompletionResultType]::ParameterValue, 'An agent splits a spec into small tickets with dependencies and scopes; git-epic checks them and sends what it found back to the agent')
            [CompletionResult]::new('graph', 'graph', [CompletionResultType]::ParameterValue, 'Show the dependency graph, grouped by wave')
            [CompletionResult]::new('plan', 'plan', [CompletionResultType]::ParameterValue, 'Show the waves, the critical path and the likely conflicts of a wave')
            [CompletionResult]::new('status', 'status', [CompletionResultType]::ParameterValue, 'Show one row per ticket and the epic''s totals')
            [CompletionResult]::new('wave', 'wave', [CompletionResultType]::ParameterValue, 'Start waves of tickets: a worktree, a branch and an agent for each ready ticket')
            [CompletionResult]::new('run', 'run', [CompletionResultType]::ParameterValue, 'Run the agent of the named tickets (ready ones only)')
            [CompletionResult]::new('logs', 'logs', [CompletionResultType]::ParameterValue, 'Show a ticket''s agent log')
            [CompletionResult]::new('merge', 'merge', [CompletionResultType]::ParameterValue, 'Merge done tickets into the epic branch, behind the scope and test gates')
            [CompletionResult]::new('context', 'context', [CompletionResultType]::ParameterValue, 'Write CONTEXT.md (folders, patterns, files not to touch, naming) and commit it on the epic: every ticket''s prompt carries it')
            [CompletionResult]::new('sync', 'sync', [CompletionResultType]::ParameterValue, 'Fetch the epic''s shared state from epic.remote, merge it, and push this machine''s')
            [CompletionResult]::new('join', 'join', [CompletionResultType]::ParameterValue, 'Adopt an epic published on a remote by another machine')
            [CompletionResult]::new('review', 'review', [CompletionResultType]::ParameterValue, 'Review done tickets: what each changed, its gates, fix rounds and log; approve, or send back with requested changes')
            [CompletionResult]::new('cleanup', 'cleanup', [CompletionResultType]::ParameterValue, 'Remove the worktrees (and with --branches the branches) of merged tickets')
            [CompletionResult]::new('finish', 'finish', [CompletionResultType]::ParameterValue, 'Merge the epic into its base branch')
            [CompletionResult]::new('report', 'report', [CompletionResultType]::ParameterValue, 'The method''s success metrics: wall time against sequential, conflicts, rate limits, retries, rejected merges, per wave')
            [CompletionResult]::new('propagate', 'propagate', [CompletionResultType]::ParameterValue, 'Rebase every open ticket worktree onto the epic, then lint-fix and test it, in parallel')
            [CompletionResult]::new('pr', 'pr', [CompletionResultType]::ParameterValue, 'Push ticket branches and open pull requests against the epic branch (gh or glab)')
            [CompletionResult]::new('doctor', 'doctor', [CompletionResultType]::ParameterValue, 'Check git, the agents, gh, tmux, the epic''s config and stale worktrees')
            [CompletionResult]::new('monitor', 'monitor', [CompletionResultType]::ParameterValue, 'A tmux session with one pane per running ticket''s log and one with status --watch')
            [CompletionResult]::new('dashboard', 'dashboard', [CompletionResultType]::ParameterValue, 'The full-screen live view over the epic, with the tech lead''s actions on keys')
            [CompletionResult]::new('wait', 'wait', [CompletionResultType]::ParameterValue, 'Block until a ticket needs you, the agents are done, or named tickets end')
            [CompletionResult]::new('agent', 'agent', [CompletionResultType]::ParameterValue, 'Agent profiles: presets for claude, codex, aider, gemini')
            [CompletionResult]::new('demo', 'demo', [CompletionResultType]::ParameterValue, 'Run the whole flow on a throw-away repository with a simulated agent, in seconds')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print a shell completion script (bash, zsh, fish, powershell, elvish)')
            [CompletionResult]::new('install-man', 'install-man', [CompletionResultType]::ParameterValue, 'Install the man pages next to the binary, so `git help epic` opens git-epic(1)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'git-epic;help;init' {
            break
        }
        'git-epic;help;ticket' {
            [CompletionResult]::new('add', 'add', [CompletionResultType]::ParameterValue, 'Write a ticket file (body from stdin when piped, else a template)')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List the tickets with their wave and dependencies')
            break
        }
        'git-epic;help;ticket;add' {
            break
        }
        'git-epic;help;ticket;list' {
            break
        }
        'git-epic;help;import' {
            break
        }
        'git-epic;help;split' {
            break
        }
        'git-epic;help;graph' {
            break
        }
        'git-epic;help;plan' {
            break
        }
        'git-epic;help;status' {
            break
        }
        'git-epic;help;wave' {
            [CompletionResult]::new('start', 'start', [CompletionResultType]::ParameterValue, 'Start the ready tickets of a wave: worktree, branch, agent')
            break
        }
        'git-epic;help;wave;start' {
            break
        }
        'git-epic;help;run' {
            break
        }
        'git-epic;help;logs' {
            break
        }
        'git-epic;help;merge' {
            break
        }
        'git-epic;help;context' {
            break
        }
        'git-epic;help;sync' {
            break
        }
        'git-epic;help;join' {
            break
        }
        'git-epic;help;review' {
            break
        }
        'git-epic;help;cleanup' {
            break
        }
        'git-epic;help;finish' {
            break
        }
        'git-epic;help;report' {
            break
        }
        'git-epic;help;propagate' {
            break
        }
        'git-epic;help;pr' {
            break
        }
        'git-epic;help;doctor' {
            break
        }
        'git-epic;help;monitor' {
            break
        }
        'git-epic;help;dashboard' {
            break
        }
        'git-epic;help;wait' {
            break
        }
        'git-epic;help;agent' {
            [CompletionResult]::new('add', 'add', [CompletionResultType]::ParameterValue, 'Configure an agent profile from a preset (claude, codex, aider, gemini) or a command')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List the configured agent profiles and the presets')
            [CompletionResult]::new('reset', 'reset', [CompletionResultType]::ParameterValue, 'Lift a profile''s rate-limit cooldown: its waiting tickets start at once')
            break
        }
        'git-epic;help;agent;add' {
            break
        }
        'git-epic;help;agent;list' {
            break
        }
        'git-epic;help;agent;reset' {
            break
        }
        'git-epic;help;demo' {
            break
        }
        'git-epic;help;completions' {
            break
        }
        'git-epic;help;install-man' {
            break
        }
        'git-epic;help;help' {
            break
        }
    })

    $completions.Where{ $_.CompletionText -like "$wordToComplete*" } |
        Sort-Object -Property ListItemText
}
