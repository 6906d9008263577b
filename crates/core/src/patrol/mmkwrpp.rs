//! The min-max K-vehicles windy rural postman problem (MM-kWRPP) of Benavent, Corberán, Plana
//! and Sanchis (Networks 54, 2009) in its published text format, answered by the same core as
//! the city plans ([`super::minmax`]): K vehicles leave vertex 1 and come back; each required
//! edge is traversed by some vehicle, in either direction at that direction's cost; the
//! longest route is minimised. Pure: text in, routes out.

use super::minmax::{self, Instance, Options, Solution, Task, Way};
use crate::stop::Stop;

/// One edge of the file: its ends (numbered from 1, as the file does) and its cost each way.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct WindyEdge {
    /// One end.
    pub u: u32,
    /// The other end.
    pub v: u32,
    /// Cost from u to v.
    pub cost_uv: f64,
    /// Cost from v to u.
    pub cost_vu: f64,
}

/// An MM-kWRPP instance as the file gives it.
#[derive(Clone, Debug, PartialEq)]
pub struct Problem {
    /// Its name (`NOMBRE`).
    pub name: String,
    /// How many vertices (numbered 1..=vertices; vertex 1 is the depot).
    pub vertices: u32,
    /// The edges that must be traversed.
    pub required: Vec<WindyEdge>,
    /// The others, free to use.
    pub optional: Vec<WindyEdge>,
}

/// What is wrong with a file.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum ParseError {
    /// A header line is missing or not a number.
    #[error("line {line}: {what}")]
    Line {
        /// Line number, from 1.
        line: usize,
        /// What was expected.
        what: String,
    },
    /// The counts of the header and the lists disagree.
    #[error("the header announces {announced} {list} edges, the list has {found}")]
    Count {
        /// Which list.
        list: &'static str,
        /// As the header says.
        announced: usize,
        /// As listed.
        found: usize,
    },
    /// No route can traverse a required edge and come back.
    #[error("required edge ({u}, {v}) cannot be reached from vertex 1 and left back to it")]
    Unreachable {
        /// One end.
        u: u32,
        /// The other.
        v: u32,
    },
}

/// Reads an instance.
///
/// ```
/// use patrolmap_core::patrol::mmkwrpp::parse;
/// let text = " NOMBRE : tiny\n VERTICES : 2\n ARISTAS_REQ : 1\n ARISTAS_NOREQ : 0\n LISTA_ARISTAS_REQ :\n (  1,  2)   coste    4     5\n LISTA_ARISTAS_NOREQ :\n";
/// let p = parse(text).unwrap();
/// assert_eq!((p.vertices, p.required[0].cost_vu), (2, 5.0));
/// ```
pub fn parse(text: &str) -> Result<Problem, ParseError> {
    let mut name = String::new();
    let (mut vertices, mut n_req, mut n_opt) = (None, None, None);
    let mut required = Vec::new();
    let mut optional = Vec::new();
    let mut list: Option<bool> = None; // Some(true): required edges follow.
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim();
        let bad = |what: &str| ParseError::Line {
            line: i + 1,
            what: what.to_string(),
        };
        if line.is_empty() {
            continue;
        }
        if line.starts_with('(') {
            let Some(is_required) = list else {
                return Err(bad("an edge before LISTA_ARISTAS_REQ"));
            };
            let cleaned: String = line
                .chars()
                .map(|c| {
                    if c == '(' || c == ')' || c == ',' {
                        ' '
                    } else {
                        c
                    }
                })
                .collect();
            let numbers: Vec<f64> = cleaned
                .split_whitespace()
                .filter(|w| !w.eq_ignore_ascii_case("coste"))
                .map(|w| w.parse::<f64>())
                .collect::<Result<_, _>>()
                .map_err(|_| bad("an edge is `(u, v) coste c_uv c_vu`"))?;
            let [u, v, cost_uv, cost_vu] = numbers[..] else {
                return Err(bad("an edge is `(u, v) coste c_uv c_vu`"));
            };
            let n = vertices.unwrap_or(0) as f64;
            if u < 1.0 || v < 1.0 || u > n || v > n || u.fract() != 0.0 || v.fract() != 0.0 {
                return Err(bad(&format!("vertex beyond 1..={n}")));
            }
            if !(cost_uv >= 0.0 && cost_vu >= 0.0) {
                return Err(bad("a negative cost"));
            }
            let edge = WindyEdge {
                u: u as u32,
                v: v as u32,
                cost_uv,
                cost_vu,
            };
            if is_required {
                required.push(edge);
            } else {
                optional.push(edge);
            }
            continue;
        }
        let (key, value) = line.split_once(':').unwrap_or((line, ""));
        let (key, value) = (key.trim().to_ascii_uppercase(), value.trim());
        let count = || {
            value
                .parse::<usize>()
                .map_err(|_| bad(&format!("{key} is not a number")))
        };
        match key.as_str() {
            "NOMBRE" => name = value.to_string(),
            "VERTICES" => vertices = Some(count()? as u32),
            "ARISTAS_REQ" => n_req = Some(count()?),
            "ARISTAS_NOREQ" => n_opt = Some(count()?),
            "LISTA_ARISTAS_REQ" => list = Some(true),
            "LISTA_ARISTAS_NOREQ" => list = Some(false),
            _ => {}
        }
    }
    let Some(vertices) = vertices else {
        return Err(ParseError::Line {
            line: 1,
            what: "no VERTICES line".into(),
        });
    };
    for (list, announced, found) in [
        ("required", n_req, required.len()),
        ("non-required", n_opt, optional.len()),
    ] {
        if let Some(announced) = announced.filter(|&a| a != found) {
            return Err(ParseError::Count {
                list,
                announced,
                found,
            });
        }
    }
    Ok(Problem {
        name,
        vertices,
        required,
        optional,
    })
}

/// A solved instance: each vehicle's vertices in order, in the file's numbering.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Answer {
    /// The longest route's cost.
    pub longest: f64,
    /// All routes' costs.
    pub total: f64,
    /// Each used vehicle's vertices, from 1 back to 1 (vehicles with nothing to do left out).
    pub routes: Vec<Vec<u32>>,
    /// Each route's cost, by the file's directional costs.
    pub costs: Vec<f64>,
    /// Vehicles with nothing to do.
    pub idle: usize,
}

/// Least costs between all vertices (Floyd–Warshall: the instances have tens of vertices)
/// and the next vertex on each least path.
struct Paths {
    n: usize,
    cost: Vec<f64>,
    next: Vec<u32>,
}

impl Paths {
    fn new(problem: &Problem) -> Paths {
        let n = problem.vertices as usize;
        let mut cost = vec![f64::INFINITY; n * n];
        let mut next = vec![u32::MAX; n * n];
        for a in 0..n {
            cost[a * n + a] = 0.0;
            next[a * n + a] = a as u32;
        }
        for e in problem.required.iter().chain(&problem.optional) {
            let (u, v) = (e.u as usize - 1, e.v as usize - 1);
            for (a, b, c) in [(u, v, e.cost_uv), (v, u, e.cost_vu)] {
                if c < cost[a * n + b] {
                    cost[a * n + b] = c;
                    next[a * n + b] = b as u32;
                }
            }
        }
        for m in 0..n {
            for a in 0..n {
                let am = cost[a * n + m];
                if am == f64::INFINITY {
                    continue;
                }
                for b in 0..n {
                    let via = am + cost[m * n + b];
                    if via < cost[a * n + b] {
                        cost[a * n + b] = via;
                        next[a * n + b] = next[a * n + m];
                    }
                }
            }
        }
        Paths { n, cost, next }
    }

    /// The vertices after `a` on the least path to `b` (b included; nothing when a = b).
    fn walk(&self, a: u32, b: u32, out: &mut Vec<u32>) {
        let mut at = a;
        while at != b {
            at = self.next[at as usize * self.n + b as usize];
            out.push(at);
        }
    }
}

/// Solves `problem` for `units` vehicles: the best plan found with `options`, or by the time
/// `stop` says.
///
/// ```
/// use patrolmap_core::patrol::minmax::Options;
/// use patrolmap_core::patrol::mmkwrpp::{parse, solve};
/// use patrolmap_core::stop::Stop;
/// // A triangle 1-2-3; edge (2, 3) required, cheap from 2 to 3.
/// let text = " VERTICES : 3\n LISTA_ARISTAS_REQ :\n (2, 3) coste 1 9\n LISTA_ARISTAS_NOREQ :\n (1, 2) coste 2 2\n (1, 3) coste 2 2\n";
/// let answer = solve(&parse(text).unwrap(), 1, &Options::for_tasks(1), &Stop::never()).unwrap();
/// assert_eq!(answer.routes, vec![vec![1, 2, 3, 1]]);
/// assert_eq!(answer.longest, 5.0);
/// ```
pub fn solve(
    problem: &Problem,
    units: usize,
    options: &Options,
    stop: &Stop,
) -> Result<Answer, ParseError> {
    let paths = Paths::new(problem);
    let n = paths.n;
    for e in &problem.required {
        let (u, v) = (e.u as usize - 1, e.v as usize - 1);
        let reach = |a: usize, b: usize| paths.cost[a * n + b] < f64::INFINITY;
        let one = reach(0, u) && reach(v, 0);
        let other = reach(0, v) && reach(u, 0);
        if !one && !other {
            return Err(ParseError::Unreachable { u: e.u, v: e.v });
        }
    }
    let tasks: Vec<Task> = problem
        .required
        .iter()
        .map(|e| {
            let (u, v) = (e.u - 1, e.v - 1);
            Task::either(
                Way {
                    from: u,
                    to: v,
                    cost: e.cost_uv,
                },
                Way {
                    from: v,
                    to: u,
                    cost: e.cost_vu,
                },
            )
        })
        .collect();
    let instance = Instance::new(n, paths.cost.clone(), tasks, vec![0; units.max(1)])
        .expect("the matrix is vertices × vertices");
    let solution: Solution = minmax::solve(&instance, options, stop);
    let mut routes = Vec::new();
    let mut costs = Vec::new();
    for (route, &cost) in solution.routes.iter().zip(&solution.costs) {
        if route.is_empty() {
            continue;
        }
        let mut vertices = vec![0u32];
        for &(t, w) in route {
            let way = instance.tasks()[t as usize].ways()[w as usize];
            paths.walk(
                *vertices.last().expect("starts at the depot"),
                way.from,
                &mut vertices,
            );
            vertices.push(way.to);
        }
        paths.walk(*vertices.last().expect("not empty"), 0, &mut vertices);
        routes.push(vertices.into_iter().map(|v| v + 1).collect());
        costs.push(cost);
    }
    Ok(Answer {
        longest: solution.longest,
        total: solution.total,
        idle: solution.routes.len() - routes.len(),
        routes,
        costs,
    })
}

/// The cost of each route by the file's own edges (the least cost of an edge between two
/// consecutive vertices), and the required edges no route traverses: an independent check
/// of any answer, patrolmap's or another solver's.
pub fn check(problem: &Problem, routes: &[Vec<u32>]) -> Result<(Vec<f64>, Vec<WindyEdge>), String> {
    let mut arc = std::collections::HashMap::new();
    for e in problem.required.iter().chain(&problem.optional) {
        for (a, b, c) in [(e.u, e.v, e.cost_uv), (e.v, e.u, e.cost_vu)] {
            let slot = arc.entry((a, b)).or_insert(f64::INFINITY);
            *slot = f64::min(*slot, c);
        }
    }
    let mut travelled = std::collections::HashSet::new();
    let mut costs = Vec::new();
    for (r, route) in routes.iter().enumerate() {
        if route.first() != Some(&1) || route.last() != Some(&1) {
            return Err(format!(
                "route {} does not start and end at vertex 1",
                r + 1
            ));
        }
        let mut cost = 0.0;
        for w in route.windows(2) {
            let c = arc
                .get(&(w[0], w[1]))
                .ok_or_else(|| format!("route {}: no edge from {} to {}", r + 1, w[0], w[1]))?;
            cost += c;
            travelled.insert((w[0].min(w[1]), w[0].max(w[1])));
        }
        costs.push(cost);
    }
    let missed = problem
        .required
        .iter()
        .filter(|e| !travelled.contains(&(e.u.min(e.v), e.u.max(e.v))))
        .copied()
        .collect();
    Ok((costs, missed))
}

#[cfg(test)]
mod tests {
    use super::*;

    const P: &str = " NOMBRE :P011*
 COMENTARIO :
 VERTICES : 11
 ARISTAS_REQ :  7
 ARISTAS_NOREQ :  6
 LISTA_ARISTAS_REQ :
 (  1,  2)   coste    4     5
 (  3,  4)   coste    7    10
 (  3,  5)   coste    1     3
 (  5,  6)   coste    2     4
 (  7,  8)   coste   10     3
 (  9, 10)   coste    1     3
 ( 10, 11)   coste    7     6
 LISTA_ARISTAS_NOREQ :
 (  1, 10)   coste    9     6
 (  2,  3)   coste   12     8
 (  4,  5)   coste    1     1
 (  4,  8)   coste    1     6
 (  5, 11)   coste   17    19
 (  6,  7)   coste    9    14
";

    #[test]
    fn routes_traverse_every_required_edge_at_the_reported_cost() {
        let problem = parse(P).unwrap();
        assert_eq!((problem.required.len(), problem.optional.len()), (7, 6));
        for k in 1..=4 {
            let answer = solve(&problem, k, &Options::for_tasks(7), &Stop::never()).unwrap();
            let (costs, missed) = check(&problem, &answer.routes).unwrap();
            assert!(missed.is_empty(), "K = {k}: {missed:?}");
            assert_eq!(costs, answer.costs, "K = {k}");
            let longest = costs.iter().copied().fold(0.0, f64::max);
            assert_eq!(longest, answer.longest);
            assert_eq!(answer.routes.len() + answer.idle, k);
        }
    }

    #[test]
    fn bad_files_are_told_by_line() {
        let cut = P.replace("coste    1     3", "coste    1");
        assert!(
            matches!(parse(&cut), Err(ParseError::Line { line: 9, .. })),
            "{:?}",
            parse(&cut)
        );
        let beyond = P.replace("( 10, 11)", "( 10, 12)");
        assert!(matches!(
            parse(&beyond),
            Err(ParseError::Line { line: 13, .. })
        ));
        let short = P.replace("ARISTAS_REQ :  7", "ARISTAS_REQ :  8");
        assert!(matches!(
            parse(&short),
            Err(ParseError::Count {
                announced: 8,
                found: 7,
                ..
            })
        ));
        // Vertex 9's edges only lead away: (9, 10) cannot be served and left.
        let cut_off =
            " VERTICES : 3\n LISTA_ARISTAS_REQ :\n (2, 3) coste 1 1\n LISTA_ARISTAS_NOREQ :\n";
        let p = parse(cut_off).unwrap();
        assert_eq!(
            solve(&p, 1, &Options::for_tasks(1), &Stop::never()),
            Err(ParseError::Unreachable { u: 2, v: 3 })
        );
    }
}
