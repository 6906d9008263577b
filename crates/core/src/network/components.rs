//! Connectivity of a profile graph: strongly connected components and islands.
//!
//! Real extracts are cut at their edges, so a few percent of nodes sit in small islands that
//! cannot reach, or be reached from, the main network; they are reported, not hidden.

use petgraph::algo::kosaraju_scc;
use petgraph::graph::DiGraph;

use super::ProfileGraph;

/// Strongly connected components of a [`ProfileGraph`], over the nodes that have arcs.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Connectivity {
    /// Nodes that touch a usable edge.
    pub nodes: usize,
    /// Number of strongly connected components.
    pub components: usize,
    /// Nodes in the largest component.
    pub largest_nodes: usize,
    /// Components other than the largest.
    pub islands: usize,
    /// Nodes outside the largest component.
    pub island_nodes: usize,
    /// Per network node: its component, numbered by decreasing size (0 = largest);
    /// `u32::MAX` for nodes with no arcs.
    #[serde(skip)]
    pub component_of: Vec<u32>,
}

impl Connectivity {
    /// Computes the strongly connected components (Kosaraju, via petgraph: its Tarjan recurses and overflows the stack on city graphs).
    pub fn of(graph: &ProfileGraph) -> Connectivity {
        let n = graph.node_count();
        let mut g: DiGraph<(), ()> = DiGraph::with_capacity(n, graph.arc_count());
        for _ in 0..n {
            g.add_node(());
        }
        for v in 0..n as u32 {
            for (w, _, _) in graph.forward.arcs(v) {
                g.add_edge(v.into(), w.into(), ());
            }
        }
        let mut sccs: Vec<Vec<u32>> = kosaraju_scc(&g)
            .into_iter()
            .map(|c| {
                c.into_iter()
                    .map(|ix| ix.index() as u32)
                    .collect::<Vec<_>>()
            })
            .filter(|c: &Vec<u32>| c.iter().any(|&v| graph.has_arcs(v)))
            .collect();
        sccs.sort_by_key(|c| (std::cmp::Reverse(c.len()), c.iter().min().copied()));
        let mut component_of = vec![u32::MAX; n];
        for (i, c) in sccs.iter().enumerate() {
            for &v in c {
                component_of[v as usize] = i as u32;
            }
        }
        let nodes: usize = sccs.iter().map(Vec::len).sum();
        let largest_nodes = sccs.first().map_or(0, Vec::len);
        Connectivity {
            nodes,
            components: sccs.len(),
            largest_nodes,
            islands: sccs.len().saturating_sub(1),
            island_nodes: nodes - largest_nodes,
            component_of,
        }
    }

    /// Share of nodes in the largest component, 0..1.
    pub fn largest_share(&self) -> f64 {
        if self.nodes == 0 {
            0.0
        } else {
            self.largest_nodes as f64 / self.nodes as f64
        }
    }

    /// Whether node `v` is in the largest component.
    pub fn in_largest(&self, v: u32) -> bool {
        self.component_of[v as usize] == 0
    }
}
