//! What happened at each step of propagating one worktree. Serialised in snake_case: the
//! `--json` values of docs/propagate.md.

use serde::Serialize;

/// Enums whose JSON value and text are one word each.
macro_rules! words {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident => $word:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name {
            $($(#[$vdoc])* $variant),+
        }

        impl $name {
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $word),+
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.pad(self.as_str())
            }
        }
    };
}

words!(
    /// The rebase onto the epic.
    Rebase {
        UpToDate => "up_to_date",
        Rebased => "rebased",
        Conflict => "conflict",
        /// Not reached (a dirty worktree, a held ticket...).
        Skipped => "skipped",
        Error => "error",
    }
);

words!(
    /// `epic.lintFix` after the rebase.
    Lint {
        /// It changed files, committed as `epic: lint-fix after propagate`.
        Committed => "committed",
        Clean => "clean",
        Failed => "failed",
        /// Not reached.
        Skipped => "skipped",
        /// No `epic.lintFix`, or `--no-lint`.
        None => "none",
    }
);

words!(
    /// `epic.test` after the lint-fix.
    Test {
        Passed => "passed",
        Failed => "failed",
        /// Not reached.
        Skipped => "skipped",
        /// No `epic.test`, or `--no-test`.
        None => "none",
    }
);

words!(
    /// How the worktree ended.
    Propagated {
        Ok => "ok",
        Conflict => "conflict",
        /// The lint-fix or the test failed.
        Red => "red",
        /// Propagated, but the `--autostash` stash could not be put back (it is kept).
        StashKept => "stash_kept",
        Skipped => "skipped",
        Error => "error",
    }
);
