//! `patrolmap patrol solve --format mmkwrpp` on the public benchmark's instances
//! (`../shared/bench/mmkwrpp`): answers checked independently (every required edge traversed,
//! each route costed from the file's own edges), never below a lower bound, and close to the
//! reference answers of HGS-CARP on the small instances. (The whole table, with times, is
//! `cargo bench --bench mmkwrpp`.)

use std::path::PathBuf;

use patrolmap::patrol::mmkwrpp;

fn bench_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/bench")
}

/// The reference's longest route for an instance and K.
fn reference(name: &str, k: usize) -> f64 {
    let text = std::fs::read_to_string(bench_dir().join("mmkwrpp-reference.tsv")).unwrap();
    text.lines()
        .map(|l| l.split('\t').collect::<Vec<_>>())
        .find(|f| f[0] == name && f[1] == k.to_string())
        .map(|f| f[2].parse().unwrap())
        .unwrap_or_else(|| panic!("{name} K={k} in the reference"))
}

/// No route serving a required edge costs less than the cheapest round trip from vertex 1
/// through it (least paths by Bellman–Ford on the file's arcs, independent of the solver).
fn lower_bound(problem: &mmkwrpp::Problem) -> f64 {
    let n = problem.vertices as usize;
    let arcs: Vec<(usize, usize, f64)> = problem
        .required
        .iter()
        .chain(&problem.optional)
        .flat_map(|e| {
            let (u, v) = (e.u as usize - 1, e.v as usize - 1);
            [(u, v, e.cost_uv), (v, u, e.cost_vu)]
        })
        .collect();
    let from = |s: usize, reverse: bool| {
        let mut d = vec![f64::INFINITY; n];
        d[s] = 0.0;
        for _ in 0..n {
            for &(a, b, c) in &arcs {
                let (a, b) = if reverse { (b, a) } else { (a, b) };
                if d[a] + c < d[b] {
                    d[b] = d[a] + c;
                }
            }
        }
        d
    };
    let (out, back) = (from(0, false), from(0, true));
    problem
        .required
        .iter()
        .map(|e| {
            let (u, v) = (e.u as usize - 1, e.v as usize - 1);
            (out[u] + e.cost_uv + back[v]).min(out[v] + e.cost_vu + back[u])
        })
        .fold(0.0, f64::max)
}

#[test]
fn patrol_solve_answers_the_benchmark_instances_with_checked_routes() {
    let dir = crate::common::temp_dir("mmkwrpp-solve");
    for (name, k) in [
        ("P0115", 2),
        ("P1118", 3),
        ("P1215", 2),
        ("P10110", 4),
        ("P0415", 3),
    ] {
        let file = bench_dir().join("mmkwrpp").join(name);
        let out = dir.join(format!("{name}-{k}.json"));
        let status = std::process::Command::new(env!("CARGO_BIN_EXE_patrolmap"))
            .args(["patrol", "solve"])
            .arg(&file)
            .args([
                "--format",
                "mmkwrpp",
                "--units",
                &k.to_string(),
                "--iterations",
                "400",
            ])
            .arg("--json")
            .arg(&out)
            .stdout(std::process::Stdio::null())
            .status()
            .unwrap();
        assert!(status.success(), "{name}");
        let answer: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
        let routes: Vec<Vec<u32>> = serde_json::from_value(answer["routes"].clone()).unwrap();
        let problem = mmkwrpp::parse(&std::fs::read_to_string(&file).unwrap()).unwrap();
        let (costs, missed) = mmkwrpp::check(&problem, &routes).unwrap();
        assert!(missed.is_empty(), "{name}: {missed:?}");
        assert!(routes.len() <= k);
        let longest = costs.iter().copied().fold(0.0, f64::max);
        assert_eq!(longest, answer["longest"].as_f64().unwrap(), "{name}");
        assert!(
            longest >= lower_bound(&problem) - 1e-9,
            "{name}: below the bound"
        );
        let hgs = reference(name, k);
        assert!(
            longest <= hgs * 1.03,
            "{name} K={k}: {longest} against HGS-CARP's {hgs}"
        );
    }
}

#[test]
fn patrol_solve_names_the_line_of_a_broken_file() {
    let dir = crate::common::temp_dir("mmkwrpp-broken");
    let text = std::fs::read_to_string(bench_dir().join("mmkwrpp/P0115")).unwrap();
    let broken = dir.join("broken");
    std::fs::write(&broken, text.replacen("coste", "coste x", 1)).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_patrolmap"))
        .args(["patrol", "solve"])
        .arg(&broken)
        .args(["--units", "2"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("broken") && err.contains("line 7"), "{err}");
}
