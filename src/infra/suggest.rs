//! "Did you mean" for a mistyped name: ticket ids, epics, agent profiles, config keys and
//! values. Pure.

/// The known name closest to `name`, when one is close enough to be a typo of it (at most
/// a third of its letters wrong, case aside).
pub fn closest<'a, S: AsRef<str>>(name: &str, known: &'a [S]) -> Option<&'a str> {
    let name = name.to_lowercase();
    known
        .iter()
        .map(AsRef::as_ref)
        .filter(|k| !k.is_empty())
        .map(|k| (edits(&name, &k.to_lowercase()), k))
        .filter(|(d, k)| *d <= (k.chars().count() / 3).max(1))
        .min_by_key(|(d, _)| *d)
        .map(|(_, k)| k)
}

/// ` Did you mean `x`?` when a known name is close to `name`, else nothing: the end of an
/// error's sentence.
pub fn did_you_mean<S: AsRef<str>>(name: &str, known: &[S]) -> String {
    closest(name, known)
        .map(|k| format!(" Did you mean `{k}`?"))
        .unwrap_or_default()
}

/// Edits between `a` and `b`: letters inserted, removed, changed, or two neighbours swapped
/// (the commonest typo, `tset` for `test`, is one edit).
fn edits(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    // d[i][j]: edits between a[..i] and b[..j].
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    d[0] = (0..=b.len()).collect();
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let change = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (d[i - 1][j] + 1)
                .min(d[i][j - 1] + 1)
                .min(d[i - 1][j - 1] + change);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(d[i - 2][j - 2] + 1);
            }
            d[i][j] = best;
        }
    }
    d[a.len()][b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn close_names_are_suggested_and_far_ones_are_not() {
        let known = ["claude", "codex", "default"];
        assert_eq!(closest("clade", &known), Some("claude"));
        assert_eq!(closest("Claude", &known), Some("claude"));
        assert_eq!(closest("defualt", &known), Some("default"));
        assert_eq!(closest("zzz", &known), None);
        assert_eq!(closest("dbb", &["db", "ui"]), Some("db"));
        assert_eq!(
            did_you_mean("tset", &["test", "setup"]),
            " Did you mean `test`?"
        );
        assert_eq!(did_you_mean("x", &["test"]), "");
    }
}
