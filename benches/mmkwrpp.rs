//! The planner's core on the public MM-kWRPP benchmark (`../shared/bench/mmkwrpp`, Benavent
//! et al. 2009) against the reference answers of HGS-CARP measured on this machine
//! (`../shared/bench/mmkwrpp-reference.tsv`): every instance and K of the reference, solved as
//! the evaluation runs it (`patrolmap patrol solve FILE --format mmkwrpp --units K --json OUT`,
//! the release binary, wall time of the process) and checked independently
//! ([`mmkwrpp::check`]: every required edge traversed, each route costed from the file's
//! edges).
//!
//! `cargo bench --bench mmkwrpp` prints one row per instance and K, then the summary: mean and
//! worst gap of the longest route to the reference, and the time against the reference's.

use std::path::PathBuf;
use std::time::Instant;

use patrolmap::patrol::mmkwrpp;

fn main() {
    let shared = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/bench");
    let reference = std::fs::read_to_string(shared.join("mmkwrpp-reference.tsv"))
        .expect("../shared/bench/mmkwrpp-reference.tsv");
    let filter: Option<String> = std::env::args().skip(1).find(|a| !a.starts_with('-'));
    let bin = env!("CARGO_BIN_EXE_patrolmap");
    let out = std::env::temp_dir().join(format!("mmkwrpp-{}.json", std::process::id()));
    println!("| instance | K | patrolmap | s | HGS-CARP | s | gap | time / reference |");
    println!("|---|---|---|---|---|---|---|---|");
    let (mut gaps, mut ratios, mut worse, mut better) = (Vec::new(), Vec::new(), 0, 0);
    let (mut ours_s, mut theirs_s) = (0.0, 0.0);
    for row in reference.lines().skip(1) {
        let f: Vec<&str> = row.split('\t').collect();
        let (name, k, hgs, hgs_s) = (
            f[0],
            f[1].parse::<usize>().expect("K"),
            f[2].parse::<f64>().expect("longest"),
            f[3].parse::<f64>().expect("seconds"),
        );
        if filter.as_ref().is_some_and(|x| !name.contains(x.as_str())) {
            continue;
        }
        let file = shared.join("mmkwrpp").join(name);
        let started = Instant::now();
        let status = std::process::Command::new(bin)
            .args(["patrol", "solve"])
            .arg(&file)
            .args(["--format", "mmkwrpp", "--units", &k.to_string(), "--json"])
            .arg(&out)
            .stdout(std::process::Stdio::null())
            .status()
            .expect("run patrolmap");
        let wall_s = started.elapsed().as_secs_f64();
        assert!(status.success(), "{name} K={k}");
        let answer: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&out).expect("answer")).expect("json");
        let routes: Vec<Vec<u32>> =
            serde_json::from_value(answer["routes"].clone()).expect("routes");
        let problem = mmkwrpp::parse(&std::fs::read_to_string(&file).expect("instance"))
            .expect("instance parses");
        let (costs, missed) = mmkwrpp::check(&problem, &routes).expect("routes are walks");
        assert!(
            missed.is_empty(),
            "{name} K={k}: required edges missed: {missed:?}"
        );
        assert!(routes.len() <= k, "{name} K={k}: {} routes", routes.len());
        let longest = costs.iter().copied().fold(0.0, f64::max);
        assert_eq!(longest, answer["longest"].as_f64().unwrap(), "{name} K={k}");
        let gap = (longest - hgs) / hgs;
        gaps.push(gap);
        ratios.push(wall_s / hgs_s);
        ours_s += wall_s;
        theirs_s += hgs_s;
        if longest > hgs + 1e-9 {
            worse += 1;
        } else if longest < hgs - 1e-9 {
            better += 1;
        }
        println!(
            "| {name} | {k} | {longest} | {wall_s:.3} | {hgs} | {hgs_s:.2} | {:+.2}% | {:.3} |",
            100.0 * gap,
            wall_s / hgs_s
        );
    }
    let _ = std::fs::remove_file(&out);
    let n = gaps.len().max(1) as f64;
    ratios.sort_by(f64::total_cmp);
    println!(
        "\n{} runs: mean gap {:+.3}%, worst {:+.2}%; {} worse than the reference, {} better; \
         time {:.1} s against {:.1} s ({:.3}x); per run, time / reference: median {:.3}, worst {:.3}",
        gaps.len(),
        100.0 * gaps.iter().sum::<f64>() / n,
        100.0 * gaps.iter().copied().fold(f64::NEG_INFINITY, f64::max),
        worse,
        better,
        ours_s,
        theirs_s,
        ours_s / theirs_s.max(1e-9),
        ratios.get(ratios.len() / 2).copied().unwrap_or(0.0),
        ratios.last().copied().unwrap_or(0.0),
    );
}
