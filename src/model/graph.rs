//! The dependency graph of an epic's tickets: waves, cycles, topological order, critical path.

use std::collections::HashMap;

use serde::Serialize;

use crate::infra::error::{usage, Result};
use crate::model::ticket::Ticket;

/// A checked, acyclic graph. Index `i` everywhere is the ticket's position in `tickets`.
#[derive(Debug)]
pub struct Graph {
    pub tickets: Vec<Ticket>,
    index: HashMap<String, usize>,
    /// wave of each ticket: 0 without deps, else 1 + the largest wave of its deps.
    waves: Vec<usize>,
}

impl Graph {
    /// Build the graph; a cycle is a usage error naming its ids in order and the file.
    pub fn new(tickets: Vec<Ticket>) -> Result<Graph> {
        let index: HashMap<String, usize> = tickets
            .iter()
            .enumerate()
            .map(|(i, t)| (t.id.clone(), i))
            .collect();
        let deps: Vec<Vec<usize>> = tickets
            .iter()
            .map(|t| {
                t.deps
                    .iter()
                    .filter_map(|d| index.get(d).copied())
                    .collect()
            })
            .collect();
        if let Some(cycle) = find_cycle(&deps) {
            let first = &tickets[cycle[0]];
            let mut ids: Vec<&str> = cycle.iter().map(|&i| tickets[i].id.as_str()).collect();
            ids.push(&first.id);
            return Err(usage(format!(
                "{}: dependency cycle {}.",
                first.path.display(),
                ids.join(" -> ")
            )));
        }
        let mut waves = vec![usize::MAX; tickets.len()];
        for i in 0..tickets.len() {
            wave_of(i, &deps, &mut waves);
        }
        Ok(Graph {
            tickets,
            index,
            waves,
        })
    }

    pub fn len(&self) -> usize {
        self.tickets.len()
    }

    pub fn is_empty(&self) -> bool {
        self.tickets.is_empty()
    }

    pub fn get(&self, id: &str) -> Option<&Ticket> {
        self.index.get(id).map(|&i| &self.tickets[i])
    }

    pub fn wave(&self, id: &str) -> usize {
        self.waves[self.index[id]]
    }

    pub fn wave_count(&self) -> usize {
        self.waves.iter().max().map_or(0, |w| w + 1)
    }

    /// Tickets grouped by wave, each wave in id order.
    pub fn by_wave(&self) -> Vec<Vec<&Ticket>> {
        let mut out: Vec<Vec<&Ticket>> = vec![Vec::new(); self.wave_count()];
        for (i, t) in self.tickets.iter().enumerate() {
            out[self.waves[i]].push(t);
        }
        out
    }

    /// Tickets in an order where every ticket comes after its dependencies (by wave, then id).
    pub fn topo_order(&self) -> Vec<&Ticket> {
        self.by_wave().into_iter().flatten().collect()
    }

    /// Ids of the tickets that depend on `id` directly.
    pub fn dependents(&self, id: &str) -> Vec<&str> {
        self.tickets
            .iter()
            .filter(|t| t.deps.iter().any(|d| d == id))
            .map(|t| t.id.as_str())
            .collect()
    }

    /// For every ticket, the number of tickets on the longest chain starting at it and going
    /// through its dependents (itself included): the critical-path priority.
    pub fn chain_lengths(&self) -> HashMap<&str, usize> {
        let mut len: HashMap<&str, usize> = HashMap::new();
        for t in self.topo_order().into_iter().rev() {
            let below = self
                .dependents(&t.id)
                .iter()
                .map(|d| len[d])
                .max()
                .unwrap_or(0);
            len.insert(&t.id, below + 1);
        }
        len
    }

    /// The longest dependency chain, from a wave-0 ticket to its last dependent.
    pub fn critical_path(&self) -> Vec<&str> {
        let len = self.chain_lengths();
        // Longest chain first; ties go to the smallest id so the answer is stable.
        fn pick<'a>(ids: Vec<&'a str>, len: &HashMap<&str, usize>) -> Option<&'a str> {
            ids.into_iter().max_by(|a, b| {
                len[a]
                    .cmp(&len[b])
                    .then_with(|| crate::model::ticket::natural_cmp(b, a))
            })
        }
        let roots: Vec<&str> = self
            .tickets
            .iter()
            .filter(|t| t.deps.is_empty())
            .map(|t| t.id.as_str())
            .collect();
        let mut path = Vec::new();
        let mut cur = pick(roots, &len);
        while let Some(id) = cur {
            path.push(id);
            cur = pick(self.dependents(id), &len);
        }
        path
    }

    /// Every dependency edge as (dependency, dependent).
    pub fn edges(&self) -> Vec<(&str, &str)> {
        self.topo_order()
            .into_iter()
            .flat_map(|t| t.deps.iter().map(move |d| (d.as_str(), t.id.as_str())))
            .collect()
    }
}

fn wave_of(i: usize, deps: &[Vec<usize>], waves: &mut [usize]) -> usize {
    if waves[i] != usize::MAX {
        return waves[i];
    }
    let w = deps[i]
        .iter()
        .map(|&d| wave_of(d, deps, waves) + 1)
        .max()
        .unwrap_or(0);
    waves[i] = w;
    w
}

/// The members of one cycle in dependency order (a depends on b depends on ...), if any.
fn find_cycle(deps: &[Vec<usize>]) -> Option<Vec<usize>> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        New,
        OnStack,
        Done,
    }
    let mut mark = vec![Mark::New; deps.len()];
    for start in 0..deps.len() {
        if mark[start] != Mark::New {
            continue;
        }
        // Iterative DFS; `stack` holds (node, next dep to visit) and is the current path.
        let mut stack = vec![(start, 0usize)];
        mark[start] = Mark::OnStack;
        while let Some(&mut (node, ref mut next)) = stack.last_mut() {
            if let Some(&d) = deps[node].get(*next) {
                *next += 1;
                match mark[d] {
                    Mark::New => {
                        mark[d] = Mark::OnStack;
                        stack.push((d, 0));
                    }
                    Mark::OnStack => {
                        let from = stack.iter().position(|&(n, _)| n == d).expect("on stack");
                        return Some(stack[from..].iter().map(|&(n, _)| n).collect());
                    }
                    Mark::Done => {}
                }
            } else {
                mark[node] = Mark::Done;
                stack.pop();
            }
        }
    }
    None
}

/// The JSON shape of `git epic graph --format json`.
#[derive(Serialize)]
pub struct GraphJson<'a> {
    pub nodes: Vec<NodeJson<'a>>,
    pub edges: Vec<EdgeJson<'a>>,
    pub waves: Vec<Vec<&'a str>>,
}

#[derive(Serialize)]
pub struct NodeJson<'a> {
    pub id: &'a str,
    pub title: &'a str,
    pub wave: usize,
    pub deps: &'a [String],
}

#[derive(Serialize)]
pub struct EdgeJson<'a> {
    pub from: &'a str,
    pub to: &'a str,
}

impl Graph {
    pub fn to_json(&self) -> GraphJson<'_> {
        GraphJson {
            nodes: self
                .topo_order()
                .into_iter()
                .map(|t| NodeJson {
                    id: &t.id,
                    title: &t.title,
                    wave: self.wave(&t.id),
                    deps: &t.deps,
                })
                .collect(),
            edges: self
                .edges()
                .into_iter()
                .map(|(from, to)| EdgeJson { from, to })
                .collect(),
            waves: self
                .by_wave()
                .into_iter()
                .map(|w| w.into_iter().map(|t| t.id.as_str()).collect())
                .collect(),
        }
    }

    /// Mermaid flowchart: one `subgraph` per wave, one `A --> C` edge per dependency.
    pub fn to_mermaid(&self) -> String {
        let mut out = String::from("flowchart LR\n");
        for (w, tickets) in self.by_wave().into_iter().enumerate() {
            out.push_str(&format!("    subgraph wave{w}[\"Wave {w}\"]\n"));
            for t in tickets {
                out.push_str(&format!(
                    "        {}[\"{}: {}\"]\n",
                    mermaid_id(&t.id),
                    t.id,
                    escape_label(&t.title)
                ));
            }
            out.push_str("    end\n");
        }
        for (from, to) in self.edges() {
            out.push_str(&format!(
                "    {} --> {}\n",
                mermaid_id(from),
                mermaid_id(to)
            ));
        }
        out
    }

    /// Graphviz DOT: one cluster per wave.
    pub fn to_dot(&self) -> String {
        let mut out = String::from("digraph epic {\n    rankdir=LR;\n    node [shape=box];\n");
        for (w, tickets) in self.by_wave().into_iter().enumerate() {
            out.push_str(&format!(
                "    subgraph cluster_wave{w} {{\n        label=\"Wave {w}\";\n"
            ));
            for t in tickets {
                out.push_str(&format!(
                    "        \"{}\" [label=\"{}: {}\"];\n",
                    t.id,
                    t.id,
                    escape_label(&t.title)
                ));
            }
            out.push_str("    }\n");
        }
        for (from, to) in self.edges() {
            out.push_str(&format!("    \"{from}\" -> \"{to}\";\n"));
        }
        out.push_str("}\n");
        out
    }
}

/// Mermaid node ids cannot contain `.` or `-` everywhere; ticket ids only hold [A-Za-z0-9._-].
fn mermaid_id(id: &str) -> String {
    format!("t_{}", id.replace('.', "_2E").replace('-', "_2D"))
}

fn escape_label(s: &str) -> String {
    s.replace('\\', "\\\\").replace('"', "'")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn t(id: &str, deps: &[&str]) -> Ticket {
        Ticket {
            id: id.into(),
            title: id.into(),
            deps: deps.iter().map(|s| s.to_string()).collect(),
            scope: vec![],
            forbid: vec![],
            agent: None,
            body: String::new(),
            path: PathBuf::from(format!("tasks/{id}.md")),
        }
    }

    #[test]
    fn waves_follow_the_method() {
        let g = Graph::new(vec![
            t("A", &[]),
            t("B", &[]),
            t("C", &[]),
            t("D", &["A", "B"]),
            t("E", &["C"]),
            t("F", &["D", "E"]),
        ])
        .unwrap();
        assert_eq!(g.wave("A"), 0);
        assert_eq!(g.wave("D"), 1);
        assert_eq!(g.wave("F"), 2);
        assert_eq!(g.critical_path(), ["A", "D", "F"]);
        assert!(g.to_mermaid().contains("t_A --> t_D"));
    }

    #[test]
    fn wave_is_the_longest_dependency_chain() {
        let g = Graph::new(vec![t("a", &[]), t("b", &["a"]), t("c", &["a", "b"])]).unwrap();
        assert_eq!(g.wave("c"), 2);
        assert_eq!(g.critical_path(), ["a", "b", "c"]);
    }

    #[test]
    fn cycle_is_reported_in_order() {
        let e = Graph::new(vec![
            t("x", &[]),
            t("a", &["b"]),
            t("b", &["c"]),
            t("c", &["a"]),
        ])
        .unwrap_err()
        .to_string();
        assert_eq!(e, "tasks/a.md: dependency cycle a -> b -> c -> a.");
    }
}
