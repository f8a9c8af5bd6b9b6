// Interim overlap check (one glob matching the other literally, or `**`); the exact product-automaton version replaces it.
pub fn globs_overlap(a: &str, b: &str) -> bool {
    let m = |g: &str, p: &str| {
        globset::GlobBuilder::new(g)
            .literal_separator(true)
            .build()
            .map(|g| g.compile_matcher().is_match(p))
            .unwrap_or(false)
    };
    a == b || m(a, b) || m(b, a) || a.contains("**") || b.contains("**")
}
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
