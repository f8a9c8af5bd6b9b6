//! Do two path globs have a file in common? Used by `plan` to flag same-wave tickets whose
//! `scope` globs overlap (a likely merge conflict).
//!
//! The answer is exact for the glob language of ticket files (globset with
//! `literal_separator`): both globs are walked together as a product automaton, one path
//! character at a time, and they overlap when both can reach their end on the same path.

use std::collections::HashSet;

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Lit(char),
    /// `?`: one character, not `/`.
    One,
    /// `[...]`: one character of the ranges (or not of them), never `/`.
    Class {
        ranges: Vec<(char, char)>,
        negated: bool,
    },
    /// `*`: any run without `/`.
    Star,
    /// `**`: any run, `/` included.
    Any,
    /// `**/`: zero or more whole directories.
    AnyDirs,
}

/// Expand `{a,b}` alternatives (nested too) into plain globs.
fn expand(glob: &str) -> Vec<String> {
    let chars: Vec<char> = glob.chars().collect();
    let mut depth = 0;
    let mut open = None;
    let mut i = 0;
    while i < chars.len() {
        match chars[i] {
            '\\' => i += 1,
            '{' => {
                if depth == 0 {
                    open = Some(i);
                }
                depth += 1;
            }
            '}' if depth > 0 => {
                depth -= 1;
                if depth == 0 {
                    let start = open.expect("opened");
                    let prefix: String = chars[..start].iter().collect();
                    let suffix: String = chars[i + 1..].iter().collect();
                    let mut alts = Vec::new();
                    let (mut d, mut cur) = (0, String::new());
                    let mut k = start + 1;
                    while k < i {
                        let c = chars[k];
                        match c {
                            '\\' if k + 1 < i => {
                                cur.push(c);
                                cur.push(chars[k + 1]);
                                k += 1;
                            }
                            '{' => {
                                d += 1;
                                cur.push(c);
                            }
                            '}' => {
                                d -= 1;
                                cur.push(c);
                            }
                            ',' if d == 0 => alts.push(std::mem::take(&mut cur)),
                            _ => cur.push(c),
                        }
                        k += 1;
                    }
                    alts.push(cur);
                    return alts
                        .iter()
                        .flat_map(|a| expand(&format!("{prefix}{a}{suffix}")))
                        .collect();
                }
            }
            _ => {}
        }
        i += 1;
    }
    vec![glob.to_owned()]
}

fn tokens(glob: &str) -> Vec<Tok> {
    let chars: Vec<char> = glob.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        match chars[i] {
            '\\' if i + 1 < chars.len() => {
                out.push(Tok::Lit(chars[i + 1]));
                i += 1;
            }
            '?' => out.push(Tok::One),
            '*' if chars.get(i + 1) == Some(&'*') => {
                let at_start = i == 0 || chars[i - 1] == '/';
                if at_start && chars.get(i + 2) == Some(&'/') {
                    out.push(Tok::AnyDirs);
                    i += 2;
                } else {
                    out.push(Tok::Any);
                    i += 1;
                }
            }
            '*' => out.push(Tok::Star),
            '[' => {
                let mut k = i + 1;
                let negated = matches!(chars.get(k), Some('!') | Some('^'));
                if negated {
                    k += 1;
                }
                let mut ranges = Vec::new();
                let mut first = true;
                while k < chars.len() && (chars[k] != ']' || first) {
                    let lo = chars[k];
                    if chars.get(k + 1) == Some(&'-') && chars.get(k + 2).is_some_and(|c| *c != ']')
                    {
                        ranges.push((lo, chars[k + 2]));
                        k += 3;
                    } else {
                        ranges.push((lo, lo));
                        k += 1;
                    }
                    first = false;
                }
                if k >= chars.len() {
                    // Unclosed: take `[` literally (validation refuses such globs anyway).
                    out.push(Tok::Lit('['));
                } else {
                    out.push(Tok::Class { ranges, negated });
                    i = k;
                }
            }
            c => out.push(Tok::Lit(c)),
        }
        i += 1;
    }
    out
}

/// The set of characters a token may consume at one step.
#[derive(Clone)]
enum CharSet<'a> {
    Just(char),
    NotSlash,
    All,
    In(&'a [(char, char)]),
    NotIn(&'a [(char, char)]),
}

impl CharSet<'_> {
    fn has(&self, c: char) -> bool {
        let within = |r: &[(char, char)]| r.iter().any(|(lo, hi)| *lo <= c && c <= *hi);
        match self {
            CharSet::Just(x) => *x == c,
            CharSet::NotSlash => c != '/',
            CharSet::All => true,
            CharSet::In(r) => c != '/' && within(r),
            CharSet::NotIn(r) => c != '/' && !within(r),
        }
    }

    /// Whether some single character is in both sets.
    fn meets(&self, other: &CharSet<'_>) -> bool {
        use CharSet::*;
        match (self, other) {
            (Just(c), o) | (o, Just(c)) => o.has(*c),
            (In(r), o) | (o, In(r)) => r.iter().any(|(lo, hi)| {
                // A range meets the other set if one of its characters does; ranges of
                // path names are small, and a huge one certainly meets anything but `/`.
                (*lo..=*hi).take(4096).any(|c| o.has(c)) || (*hi as u32 - *lo as u32) > 4096
            }),
            // Only the finite exclusions above could make these empty; there are letters to spare.
            _ => true,
        }
    }
}

/// What can happen at a position of a token list: the character set of a consuming step and
/// whether that step stays on the token (a loop) or moves on.
fn step(toks: &[Tok], i: usize) -> Option<(CharSet<'_>, bool)> {
    Some(match toks.get(i)? {
        Tok::Lit(c) => (CharSet::Just(*c), false),
        Tok::One => (CharSet::NotSlash, false),
        Tok::Class {
            ranges,
            negated: false,
        } => (CharSet::In(ranges), false),
        Tok::Class {
            ranges,
            negated: true,
        } => (CharSet::NotIn(ranges), false),
        Tok::Star => (CharSet::NotSlash, true),
        Tok::Any => (CharSet::All, true),
        // `**/` consumes whole directories: any run ending with `/`, modelled as a loop on
        // anything that must end on a `/` step (see `moves`).
        Tok::AnyDirs => (CharSet::All, true),
    })
}

/// Positions reachable from `i` without consuming: past stars and optional `**/`.
fn closure(toks: &[Tok], i: usize, out: &mut Vec<usize>) {
    out.push(i);
    if matches!(toks.get(i), Some(Tok::Star | Tok::Any | Tok::AnyDirs)) {
        closure(toks, i + 1, out);
    }
}

/// Whether some path matches both globs.
pub fn globs_overlap(a: &str, b: &str) -> bool {
    expand(a)
        .iter()
        .any(|x| expand(b).iter().any(|y| overlap(&tokens(x), &tokens(y))))
}

fn overlap(a: &[Tok], b: &[Tok]) -> bool {
    // A state is (position in a, in a `**/` run of a that still owes a `/`, same for b).
    type St = (usize, bool, usize, bool);
    let mut seen: HashSet<St> = HashSet::new();
    let mut todo: Vec<St> = vec![(0, false, 0, false)];
    while let Some((i, oa, j, ob)) = todo.pop() {
        if !seen.insert((i, oa, j, ob)) {
            continue;
        }
        let (mut ca, mut cb) = (Vec::new(), Vec::new());
        if oa {
            ca.push(i)
        } else {
            closure(a, i, &mut ca)
        }
        if ob {
            cb.push(j)
        } else {
            closure(b, j, &mut cb)
        }
        if !oa && !ob && ca.contains(&a.len()) && cb.contains(&b.len()) {
            return true;
        }
        for &x in &ca {
            let Some((sa, loop_a)) = step(a, x) else {
                continue;
            };
            for &y in &cb {
                let Some((sb, loop_b)) = step(b, y) else {
                    continue;
                };
                if !sa.meets(&sb) {
                    continue;
                }
                // Inside a `**/` run, a `/` step may close the run (move on) or keep going.
                let moves =
                    |toks: &[Tok], p: usize, looping: bool, owed: bool| -> Vec<(usize, bool)> {
                        if matches!(toks.get(p), Some(Tok::AnyDirs)) {
                            vec![(p, true), (p + 1, false)]
                        } else if looping {
                            vec![(p, owed)]
                        } else {
                            vec![(p + 1, false)]
                        }
                    };
                let slash_possible = sa.has('/') && sb.has('/');
                for (ni, noa) in moves(a, x, loop_a, oa) {
                    for (nj, nob) in moves(b, y, loop_b, ob) {
                        // Closing a `**/` run needs this step to be a `/` on both sides.
                        let closes_a = matches!(a.get(x), Some(Tok::AnyDirs)) && ni == x + 1;
                        let closes_b = matches!(b.get(y), Some(Tok::AnyDirs)) && nj == y + 1;
                        if (closes_a || closes_b) && !slash_possible {
                            continue;
                        }
                        if (closes_a && !sb.has('/')) || (closes_b && !sa.has('/')) {
                            continue;
                        }
                        todo.push((ni, noa, nj, nob));
                    }
                }
            }
        }
    }
    false
}

/// Every pair (glob of `a`, glob of `b`) that some path matches.
pub fn overlapping_pairs<'a>(a: &'a [String], b: &'a [String]) -> Vec<(&'a str, &'a str)> {
    let mut out = Vec::new();
    for x in a {
        for y in b {
            if globs_overlap(x, y) {
                out.push((x.as_str(), y.as_str()));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const OVERLAP: &[(&str, &str)] = &[
        ("core/**", "core/_ports_/siren.tier.ts"),
        ("src/*.rs", "src/main.rs"),
        ("src/*.rs", "src/**/mod.rs"),
        ("a/**", "**/b.txt"),
        ("**", "anything/at/all"),
        ("{a,b}/x", "b/*"),
        ("src/?.rs", "src/[a-c].rs"),
        ("src/[!a]x", "src/bx"),
        ("**/*.spec.ts", "core/_ports_/**/*.spec.ts"),
        ("*.md", "README.md"),
        ("a/*/c", "a/b/*"),
        ("x/**/y", "x/y"),
    ];

    const DISJOINT: &[(&str, &str)] = &[
        ("core/_ports_/siren.tier.ts", "core/_ports_/**/*.spec.ts"),
        ("src/a/*.rs", "src/b/*.rs"),
        ("*.md", "docs/*.md"),
        ("[a-c]*.ts", "d*.ts"),
        ("[!a]x", "ax"),
        ("src/*.rs", "tests/*.rs"),
        ("core/ports/**", "core/selectors/*.ts"),
        ("a/*/c", "a/c"),
        ("x/**/y", "x/y/z"),
        // globset: `docs/**` is what is inside docs/, not docs itself.
        ("docs/**", "docs"),
        ("*.ts", "*.rs"),
    ];

    #[test]
    fn overlapping_pairs_overlap() {
        for (a, b) in OVERLAP {
            assert!(globs_overlap(a, b), "{a} ~ {b}");
            assert!(globs_overlap(b, a), "{b} ~ {a}");
        }
    }

    #[test]
    fn disjoint_pairs_do_not() {
        for (a, b) in DISJOINT {
            assert!(!globs_overlap(a, b), "{a} !~ {b}");
            assert!(!globs_overlap(b, a), "{b} !~ {a}");
        }
    }

    /// Whenever globset finds a path matching both globs, they must overlap.
    #[test]
    fn agrees_with_globset_on_witnesses() {
        let paths = [
            "a",
            "b",
            "x",
            "a/b",
            "a/c",
            "a/b/c",
            "b/x",
            "a/x",
            "src/main.rs",
            "src/mod.rs",
            "src/a/mod.rs",
            "src/a/b.rs",
            "tests/x.rs",
            "docs/a.md",
            "README.md",
            "core/_ports_/siren.tier.ts",
            "core/_ports_/a.spec.ts",
            "core/_ports_/x/a.spec.ts",
            "x/y",
            "x/a/y",
            "x/y/z",
            "ax",
            "bx",
            "d.ts",
            "docs",
        ];
        let globs: Vec<&str> = OVERLAP
            .iter()
            .chain(DISJOINT)
            .flat_map(|(a, b)| [*a, *b])
            .collect();
        let m = |g: &str| {
            globset::GlobBuilder::new(g)
                .literal_separator(true)
                .build()
                .unwrap()
                .compile_matcher()
        };
        for a in &globs {
            for b in &globs {
                let (ma, mb) = (m(a), m(b));
                if let Some(p) = paths.iter().find(|p| ma.is_match(p) && mb.is_match(p)) {
                    assert!(globs_overlap(a, b), "{a} and {b} both match {p}");
                }
            }
        }
    }
}
