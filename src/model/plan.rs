//! `git epic plan`: waves, critical path, and same-wave tickets whose scopes overlap.
//!
//! Two tickets may touch the same file when some path matches a `scope` glob of each: that
//! is decided exactly for the glob language (see [`crate::infra::scope`]), not guessed from
//! prefixes. A ticket without `scope` may change anything, so it is listed as unscoped
//! rather than paired with everything.

use serde::Serialize;

use crate::infra::scope;
use crate::model::graph::Graph;

#[derive(Debug, Serialize)]
pub struct Plan<'g> {
    pub waves: Vec<Vec<&'g str>>,
    pub critical_path: Vec<&'g str>,
    pub overlaps: Vec<Overlap<'g>>,
    /// Tickets that share a wave with others and declare no scope.
    pub unscoped: Vec<&'g str>,
}

#[derive(Debug, Serialize)]
pub struct Overlap<'g> {
    pub wave: usize,
    pub a: &'g str,
    pub b: &'g str,
    /// Pairs of (glob of a, glob of b) that some path matches.
    pub globs: Vec<(&'g str, &'g str)>,
}

pub fn plan(graph: &Graph) -> Plan<'_> {
    let by_wave = graph.by_wave();
    let mut overlaps = Vec::new();
    let mut unscoped = Vec::new();
    for (w, tickets) in by_wave.iter().enumerate() {
        for (i, a) in tickets.iter().enumerate() {
            if a.scope.is_empty() && tickets.len() > 1 {
                unscoped.push(a.id.as_str());
            }
            for b in &tickets[i + 1..] {
                let globs = scope::overlapping_pairs(&a.scope, &b.scope);
                if !globs.is_empty() {
                    overlaps.push(Overlap {
                        wave: w,
                        a: &a.id,
                        b: &b.id,
                        globs,
                    });
                }
            }
        }
    }
    Plan {
        waves: by_wave
            .iter()
            .map(|w| w.iter().map(|t| t.id.as_str()).collect())
            .collect(),
        critical_path: graph.critical_path(),
        overlaps,
        unscoped,
    }
}
