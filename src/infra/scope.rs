//! Do two path globs have a file in common? Used by `plan` to flag same-wave tickets whose
//! `scope` globs overlap (a likely merge conflict).
//!
//! Exact for the glob language ticket files are checked against (globset with
//! `literal_separator`): braces are expanded up front, each alternative becomes a list of
//! one-character predicates and loops, and both lists are walked together as a product
//! automaton. They overlap when both can reach their end on the same path.

use std::collections::VecDeque;

/// Beyond this many brace alternatives per glob we stop and answer "overlap": a warning
/// too many is cheaper than a blow-up on a pathological `{a,b}{c,d}...`.
const MAX_EXPANSIONS: usize = 256;

/// A set of characters: those inside `ranges`, or with `negated` those outside.
#[derive(Debug, Clone, PartialEq)]
struct Pred {
    ranges: Vec<(char, char)>,
    negated: bool,
}

impl Pred {
    fn new(ranges: &[(char, char)], negated: bool) -> Pred {
        let ranges = ranges.to_vec();
        Pred { ranges, negated }
    }
    fn lit(c: char) -> Pred {
        Pred::new(&[(c, c)], false)
    }
    fn any() -> Pred {
        Pred::new(&[], true)
    }
    fn not_slash() -> Pred {
        Pred::new(&[('/', '/')], true)
    }
    fn contains(&self, c: char) -> bool {
        self.ranges.iter().any(|&(lo, hi)| lo <= c && c <= hi) != self.negated
    }
}

/// A character in both sets, if any. The smallest common character `m` is always a
/// range edge (`lo` of a range, or `hi + 1`), 0, or U+E000 (just past the surrogates):
/// whichever set rules out `m - 1` has a range boundary there. So trying those candidates
/// is exact; a few readable characters go first so witnesses look like paths.
fn pick(p: &Pred, q: &Pred) -> Option<char> {
    let edges = p
        .ranges
        .iter()
        .chain(&q.ranges)
        .flat_map(|&(lo, hi)| [lo as u32, hi as u32 + 1]);
    "ax0_"
        .chars()
        .map(u32::from)
        .chain([0, 0xE000])
        .chain(edges)
        .filter_map(char::from_u32)
        .find(|&c| p.contains(c) && q.contains(c))
}

#[derive(Debug, Clone)]
enum Tok {
    /// Exactly one character of the set (a literal, `?` or a class).
    One(Pred),
    /// Zero or more characters of the set: `*` (no `/`) or a recursive `**` (anything).
    Loop(Pred),
    /// Consumes nothing but may jump over the next `n` tokens: it sits before a `**/`, which
    /// can match zero directories only as a whole (once `**` ate something, `/` is owed).
    Skip(usize),
}

/// Index just past the `]` closing the class opened at `open`, read as globset does: a `]`
/// right after `[`, `[!` or `[^` is a member and `\` is not special inside. `None` when
/// unclosed, or for POSIX `[:name:]` classes, which we do not model (caller says overlap).
fn class_end(s: &[char], open: usize) -> Option<usize> {
    let mut k = open + 1;
    if matches!(s.get(k), Some('!' | '^')) {
        k += 1;
    }
    let first = k;
    loop {
        match s.get(k)? {
            ']' if k > first => return Some(k + 1),
            '[' if s.get(k + 1) == Some(&':') => return None,
            _ => k += 1,
        }
    }
}

/// The set of a class body (between the brackets), following globset's range rules:
/// a leading or trailing `-` is literal, and `a-c-e` extends the last range to `a-e`.
/// A class never matches `/` under `literal_separator`.
fn class(body: &[char]) -> Option<Pred> {
    let (negated, body) = match body.first() {
        Some('!' | '^') => (true, &body[1..]),
        _ => (false, body),
    };
    let mut ranges: Vec<(char, char)> = Vec::new();
    let mut in_range = false;
    for (idx, &c) in body.iter().enumerate() {
        if c == '-' && idx > 0 && !in_range {
            in_range = true;
        } else if in_range {
            let r = ranges.last_mut()?;
            r.1 = c;
            if r.1 < r.0 {
                return None; // globset: invalid range
            }
            in_range = false;
        } else {
            ranges.push((c, c));
        }
    }
    if in_range {
        ranges.push(('-', '-'));
    }
    if negated {
        ranges.push(('/', '/'));
    } else {
        // Cut `/` out of the ranges ('.' and '0' are its neighbours).
        ranges = ranges
            .into_iter()
            .flat_map(|(lo, hi)| [(lo, hi.min('.')), (lo.max('0'), hi)])
            .filter(|&(lo, hi)| lo <= hi)
            .collect();
    }
    Some(Pred { ranges, negated })
}

/// Reads a glob the way globset's parser does, but yields every brace alternative as its
/// own token list. `None` wherever globset would reject the glob.
struct Parser<'s> {
    s: &'s [char],
    k: usize,
}

impl Parser<'_> {
    /// A sequence up to the end or, inside braces (`depth > 0`), up to its `,` or `}`.
    fn seq(&mut self, depth: usize) -> Option<Vec<Vec<Tok>>> {
        let start = self.k;
        let mut alts = vec![Vec::new()];
        while let Some(&c) = self.s.get(self.k) {
            let prev = self.k.checked_sub(1).map(|p| self.s[p]);
            self.k += 1;
            let toks = match c {
                ',' | '}' if depth > 0 => {
                    self.k -= 1;
                    break;
                }
                '}' => return None, // globset: unopened alternation
                '{' => {
                    let group = self.group(depth)?;
                    alts = alts
                        .iter()
                        .flat_map(|a| group.iter().map(move |g| [a.as_slice(), g].concat()))
                        .collect();
                    if alts.len() > MAX_EXPANSIONS {
                        return None;
                    }
                    continue;
                }
                '\\' => {
                    let escaped = *self.s.get(self.k)?; // globset: dangling escape
                    self.k += 1;
                    vec![Tok::One(Pred::lit(escaped))]
                }
                '?' => vec![Tok::One(Pred::not_slash())],
                '[' => {
                    let end = class_end(self.s, self.k - 1)?;
                    let pred = class(&self.s[self.k..end - 1])?;
                    self.k = end;
                    vec![Tok::One(pred)]
                }
                '*' if self.s.get(self.k) == Some(&'*') => {
                    self.k += 1;
                    self.double_star(prev, self.k - 2 == start, depth)
                }
                '*' => vec![Tok::Loop(Pred::not_slash())],
                c => vec![Tok::One(Pred::lit(c))],
            };
            for a in &mut alts {
                a.extend(toks.iter().cloned());
            }
        }
        Some(alts)
    }

    /// The alternatives of a `{...}` whose `{` was just read.
    fn group(&mut self, depth: usize) -> Option<Vec<Vec<Tok>>> {
        let mut group = Vec::new();
        loop {
            let branch = self.seq(depth + 1)?;
            // globset drops empty alternatives (`{a,}` is `a`) unless all are empty.
            if branch.iter().any(|t| !t.is_empty()) {
                group.extend(branch);
            }
            self.k += 1;
            match self.s.get(self.k - 1) {
                Some(',') => {}
                Some('}') => break,
                _ => return None, // unclosed
            }
        }
        if group.is_empty() {
            group.push(Vec::new());
        }
        Some(group)
    }

    /// A `**` (just read): recursive only as a whole path component, judged on the raw
    /// neighbouring characters as globset does, so `{a/,b}**` stays two plain stars.
    fn double_star(&mut self, prev: Option<char>, at_start: bool, depth: usize) -> Vec<Tok> {
        let next = self.s.get(self.k).copied();
        let recursive = match next {
            None | Some('/') => at_start || prev == Some('/'),
            Some(',' | '}') => !at_start && prev == Some('/') && depth > 0,
            _ => false,
        };
        if !recursive {
            return vec![Tok::Loop(Pred::not_slash())];
        }
        if next == Some('/') {
            self.k += 1;
            vec![
                Tok::Skip(2),
                Tok::Loop(Pred::any()),
                Tok::One(Pred::lit('/')),
            ]
        } else {
            vec![Tok::Loop(Pred::any())]
        }
    }
}

/// Every brace alternative of a glob as tokens; `None` if we cannot read it.
fn compile(glob: &str) -> Option<Vec<Vec<Tok>>> {
    let s: Vec<char> = glob.chars().collect();
    // globset special-cases a glob of only `**` components (`**/`, `**/**`) as "anything".
    let body = s.strip_suffix(&['/']).unwrap_or(&s);
    if !body.is_empty() && body.split(|&c| c == '/').all(|seg| seg == ['*', '*']) {
        return Some(vec![vec![Tok::Loop(Pred::any())]]);
    }
    Parser { s: &s, k: 0 }.seq(0)
}

/// A path matched by both token lists: breadth-first search over position pairs.
fn witness(a: &[Tok], b: &[Tok]) -> Option<String> {
    let w = b.len() + 1;
    // For each visited state, the state it was reached from and the character consumed.
    let mut from: Vec<Option<(usize, Option<char>)>> = vec![None; (a.len() + 1) * w];
    from[0] = Some((0, None));
    let mut queue = VecDeque::from([(0, 0)]);
    while let Some((i, j)) = queue.pop_front() {
        if (i, j) == (a.len(), b.len()) {
            let mut path = Vec::new();
            let mut at = i * w + j;
            while at != 0 {
                let (prev, c) = from[at].expect("visited");
                path.extend(c);
                at = prev;
            }
            return Some(path.into_iter().rev().collect());
        }
        let mut next = Vec::new();
        // Empty moves: a loop may match nothing; a skip may jump over its `**/`.
        for (toks, p, on_a) in [(a, i, true), (b, j, false)] {
            let jumps = match toks.get(p) {
                Some(Tok::Loop(_)) => vec![p + 1],
                Some(Tok::Skip(n)) => vec![p + 1, p + 1 + n],
                _ => continue,
            };
            next.extend(
                jumps
                    .into_iter()
                    .map(|q| (if on_a { (q, j) } else { (i, q) }, None)),
            );
        }
        // One character both sides accept; a loop consumes it and stays put.
        fn step(t: Option<&Tok>, p: usize) -> Option<(&Pred, usize)> {
            match t? {
                Tok::One(pred) => Some((pred, p + 1)),
                Tok::Loop(pred) => Some((pred, p)),
                Tok::Skip(_) => None,
            }
        }
        if let (Some((pa, ni)), Some((pb, nj))) = (step(a.get(i), i), step(b.get(j), j)) {
            if let Some(c) = pick(pa, pb) {
                next.push(((ni, nj), Some(c)));
            }
        }
        for ((ni, nj), c) in next {
            if from[ni * w + nj].is_none() {
                from[ni * w + nj] = Some((i * w + j, c));
                queue.push_back((ni, nj));
            }
        }
    }
    None
}

/// A path that matches both globs, e.g. to show in a warning. `None` when they are
/// disjoint, and also when either glob is malformed (see [`globs_overlap`]).
pub fn overlap_witness(a: &str, b: &str) -> Option<String> {
    let (a, b) = (compile(a)?, compile(b)?);
    a.iter().find_map(|x| b.iter().find_map(|y| witness(x, y)))
}

/// Whether some path matches both globs. Exact for the glob language (globset with
/// `literal_separator`), so `src/*.rs` and `src/main.rs` overlap, `src/*.rs` and
/// `tests/*.rs` do not, `a/**` and `**/b.txt` overlap. A glob we cannot read (malformed,
/// POSIX classes, too many braces) is assumed to overlap everything.
pub fn globs_overlap(a: &str, b: &str) -> bool {
    match (compile(a), compile(b)) {
        (Some(a), Some(b)) => a.iter().any(|x| b.iter().any(|y| witness(x, y).is_some())),
        _ => true,
    }
}

/// Every pair (glob of `a`, glob of `b`) that overlaps, in order.
pub fn overlapping_pairs<'a>(a: &'a [String], b: &'a [String]) -> Vec<(&'a str, &'a str)> {
    a.iter()
        .flat_map(|x| b.iter().map(move |y| (x.as_str(), y.as_str())))
        .filter(|(x, y)| globs_overlap(x, y))
        .collect()
}

/// Changed files outside `scope` (when it has globs) and changed files inside `forbid`.
pub fn scope_violations(
    scope: &[String],
    forbid: &[String],
    changed: &[String],
) -> (Vec<String>, Vec<String>) {
    let set = |globs: &[String]| {
        let mut b = globset::GlobSetBuilder::new();
        for g in globs {
            if let Ok(glob) = globset::GlobBuilder::new(g).literal_separator(true).build() {
                b.add(glob);
            }
        }
        b.build().unwrap_or_else(|_| globset::GlobSet::empty())
    };
    let (scope_set, forbid_set) = (set(scope), set(forbid));
    let outside = changed
        .iter()
        .filter(|f| !scope.is_empty() && !scope_set.is_match(std::path::Path::new(f)))
        .cloned()
        .collect();
    let forbidden = changed
        .iter()
        .filter(|f| forbid_set.is_match(std::path::Path::new(f)))
        .cloned()
        .collect();
    (outside, forbidden)
}

#[cfg(test)]
mod tests {
    use super::*;

    const OVERLAP: &[(&str, &str)] = &[
        ("core/**", "core/_ports_/siren.tier.ts"),
        ("src/*.rs", "src/main.rs"),
        ("src/*.rs", "src/**/mod.rs"), // src/mod.rs: `**/` matches zero directories
        ("a/**", "**/b.txt"),
        ("**", "anything/at/all"),
        ("**", "*"),
        ("{a,b}/x", "b/*"),
        ("src/{lib,cli/{a,b}}.rs", "src/cli/*.rs"),
        ("src/?.rs", "src/[a-c].rs"),
        ("src/[!a]x", "src/bx"),
        ("[!a]x", "[!b]x"),
        ("[a-c]*.ts", "[c-e]*.ts"),
        ("**/*.spec.ts", "core/_ports_/**/*.spec.ts"),
        ("*.md", "README.md"),
        ("a/*/c", "a/b/*"),
        ("x/**/y", "x/y"),
        ("x/**/y", "x/a/b/y"),
        ("**/x", "x"),
        ("a**b", "a*b"),
        ("docs/**", "docs/"),
        ("a\\*b", "a?b"),
        ("[]]x", "]*"),
        ("[a-]", "-"),
        ("a,b", "a?b"), // a comma outside braces is a plain character
    ];

    const DISJOINT: &[(&str, &str)] = &[
        ("core/_ports_/siren.tier.ts", "core/_ports_/**/*.spec.ts"),
        ("src/a/*.rs", "src/b/*.rs"),
        ("*.md", "docs/*.md"), // `*` does not cross `/`
        ("[a-c]*.ts", "d*.ts"),
        ("[!a]x", "ax"),
        ("src/*.rs", "tests/*.rs"),
        ("core/ports/**", "core/selectors/*.ts"),
        ("a/*/c", "a/c"),
        ("x/**/y", "x/y/z"),
        ("docs/**", "docs"), // globset: what is inside docs/, not docs itself
        ("*.ts", "*.rs"),
        ("a?b", "a/b"),
        ("a[/]b", "a*"),   // a class never matches `/`
        ("a[!x]b", "a/b"), // nor does a negated one
        ("a**b", "a/b"),   // `**` inside a component is just `*`
        ("{a,b}/x", "c/*"),
        ("a\\*b", "axb"),
        ("src/**/mod.rs", "src/lib.rs"),
    ];

    fn matcher(g: &str) -> globset::GlobMatcher {
        globset::GlobBuilder::new(g)
            .literal_separator(true)
            .build()
            .unwrap_or_else(|e| panic!("{g}: {e}"))
            .compile_matcher()
    }

    #[test]
    fn table() {
        for (a, b) in OVERLAP {
            assert!(globs_overlap(a, b), "{a} ~ {b}");
            assert!(globs_overlap(b, a), "{b} ~ {a}");
        }
        for (a, b) in DISJOINT {
            assert!(!globs_overlap(a, b), "{a} !~ {b}");
            assert!(!globs_overlap(b, a), "{b} !~ {a}");
        }
    }

    #[test]
    fn pairs_in_order() {
        let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        let (a, b) = (
            s(&["src/*.rs", "docs/**"]),
            s(&["tests/*.rs", "src/main.rs", "**/*.md"]),
        );
        assert_eq!(
            overlapping_pairs(&a, &b),
            [("src/*.rs", "src/main.rs"), ("docs/**", "**/*.md")]
        );
        assert!(overlapping_pairs(&a, &[]).is_empty());
    }

    #[test]
    fn witnesses_are_short_paths() {
        let w = |a, b| overlap_witness(a, b);
        assert_eq!(
            w("src/*.rs", "src/**/mod.rs").as_deref(),
            Some("src/mod.rs")
        );
        assert_eq!(w("core/**", "**/*.ts").as_deref(), Some("core/.ts"));
        assert_eq!(w("src/*.rs", "tests/*.rs"), None);
    }

    #[test]
    fn unreadable_globs_overlap_everything() {
        for bad in ["a/[b", "{a,b", "a}", "x\\", "[[:alpha:]]", "[z-a]"] {
            assert!(globs_overlap(bad, "zzz"), "{bad}");
            assert!(globs_overlap("zzz", bad), "{bad}");
        }
    }

    /// Both directions against globset: every witness matches both globs, and whenever a
    /// candidate path matches both, we say overlap.
    fn check(a: &str, b: &str, paths: &[String]) {
        let (ma, mb) = (matcher(a), matcher(b));
        match overlap_witness(a, b) {
            Some(w) => assert!(ma.is_match(&w) && mb.is_match(&w), "{a} ~ {b} via {w:?}"),
            None => {
                if let Some(p) = paths.iter().find(|p| ma.is_match(p) && mb.is_match(p)) {
                    panic!("{a} and {b} both match {p}");
                }
            }
        }
        assert_eq!(
            globs_overlap(a, b),
            overlap_witness(a, b).is_some(),
            "{a} / {b}"
        );
    }

    #[test]
    fn agrees_with_globset_on_table() {
        let paths: Vec<String> = "a b x a/b a/c a/b/c b/x a/x src/main.rs src/mod.rs \
            src/a/mod.rs src/a/b.rs tests/x.rs docs/a.md README.md core/_ports_/siren.tier.ts \
            core/_ports_/a.spec.ts core/_ports_/x/a.spec.ts x/y x/a/y x/y/z ax bx d.ts docs \
            docs/ axb a*b"
            .split_whitespace()
            .map(String::from)
            .collect();
        let globs: Vec<&str> = OVERLAP
            .iter()
            .chain(DISJOINT)
            .flat_map(|(a, b)| [*a, *b])
            .collect();
        for a in &globs {
            for b in &globs {
                check(a, b, &paths);
            }
        }
    }

    /// Random globs (braces, classes, escapes, `**` in and out of place) against every
    /// path of up to 6 characters over `a`, `b`, `/`; witnesses may use any character.
    #[test]
    fn agrees_with_globset_on_random_globs() {
        let mut paths = vec![String::new()];
        let mut layer = paths.clone();
        for _ in 0..6 {
            layer = layer
                .iter()
                .flat_map(|p| ["a", "b", "/"].map(|c| format!("{p}{c}")))
                .collect();
            paths.extend(layer.iter().cloned());
        }
        let parts: Vec<&str> = "a b / * ** ? [ab] [!a] [a-b] {a,b/} {*,b} {a{b,/},} \\* [/] \
            [!/] [a-] {**,a} {a/**,b} {**/a,b} /** **/ a/**/b {,} {} []a] [!]] \\/ , {a,**/}"
            .split_whitespace()
            .collect();
        let mut seed: u64 = 0x9e3779b97f4a7c15;
        let mut next = move |n: usize| {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (seed >> 33) as usize % n
        };
        let mut glob = || {
            (0..1 + next(6))
                .map(|_| parts[next(parts.len())])
                .collect::<String>()
        };
        for _ in 0..3000 {
            let (a, b) = (glob(), glob());
            check(&a, &b, &paths);
        }
    }

    #[test]
    fn scope_and_forbid() {
        let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        let changed = s(&["core/a.ts", "core/sub/b.ts", "ui/c.ts", "README.md"]);
        let (outside, forbidden) = scope_violations(&s(&["core/**"]), &s(&["ui/**"]), &changed);
        assert_eq!(outside, ["ui/c.ts", "README.md"]);
        assert_eq!(forbidden, ["ui/c.ts"]);
        let (outside, forbidden) = scope_violations(&[], &s(&["*.md"]), &changed);
        assert!(outside.is_empty());
        assert_eq!(forbidden, ["README.md"]);
        let (outside, _) = scope_violations(&s(&["core/*.ts"]), &[], &changed);
        assert_eq!(
            outside,
            ["core/sub/b.ts", "ui/c.ts", "README.md"],
            "* does not cross /"
        );
    }
}
