//! A province of copies of the demo city (issue 20 item 2's small version; the 14-city one is
//! `cargo bench --bench province`): the cities laid out apart, each with its own roads, and
//! joined only by the generated motorways; coverage over it by PHAST equals Dijkstra's.

use patrolmap::coverage::assess::{self, Roads};
use patrolmap::coverage::modes::ModeSet;
use patrolmap::coverage::{self, Engine};
use patrolmap::network::geodesy::haversine_m;
use patrolmap::network::province::{compose, Layout};
use patrolmap::network::{self, NoProgress, Profile, ProfileGraph, ProfileSet, TravelMode};
use patrolmap::scenario::generate::random_scenario;

fn demo_city() -> network::RoadNetwork {
    network::load(
        concat!(env!("CARGO_MANIFEST_DIR"), "/data/campo-grande.osm.pbf").as_ref(),
        &NoProgress,
    )
    .unwrap()
}

#[test]
fn a_province_of_copies_keeps_each_city_and_joins_them_only_by_motorways() {
    let city = demo_city();
    let layout = Layout {
        columns: 2,
        ..Layout::default()
    };
    let p = compose(&[("cg", &city); 4], &layout);
    let net = &p.network;
    // Two rows of two: four borders, two motorways each.
    assert_eq!(p.motorways.len(), 8);
    assert_eq!(net.edges.len(), 4 * city.edges.len() + 8);
    for (i, c) in p.cities.iter().enumerate() {
        assert_eq!(c.edges.len(), city.edges.len(), "{}", c.name);
        // Each copy keeps its roads: lengths within 1 % (moved from 20° S to 27° N), names,
        // classes and way ids as they were.
        let length: f64 = c.edges.clone().map(|e| net.edges[e].length_m).sum();
        assert!(
            (length / city.length_m() - 1.0).abs() < 0.01,
            "{}: {length}",
            c.name
        );
        for (e, f) in (0..city.edges.len())
            .step_by(997)
            .map(|e| (e, c.edges.start + e))
        {
            assert_eq!(net.name(f), city.name(e));
            assert_eq!(
                net.class_name(net.edges[f].class),
                city.class_name(city.edges[e].class)
            );
            assert_eq!(net.edges[f].osm_way_id, city.edges[e].osm_way_id);
        }
        for other in &p.cities[i + 1..] {
            let [a, b] = [c.bbox, other.bbox];
            assert!(
                a[2] < b[0] || b[2] < a[0] || a[3] < b[1] || b[3] < a[1],
                "{} overlaps {}",
                c.name,
                other.name
            );
        }
    }
    // The open country between neighbours is the layout's gap.
    let [a, b] = [p.cities[0].bbox, p.cities[1].bbox];
    let gap = haversine_m([a[2], a[1]], [b[0], a[1]]);
    assert!((gap - layout.gap_m).abs() < 100.0, "{gap}");
    for e in p.motorways.clone() {
        assert_eq!(net.class_name(net.edges[e].class), "motorway");
        assert!(net.name(e).unwrap().starts_with("省际高速"));
    }

    // From a unit in one city the car reaches every other city, and none without the motorways.
    let profile = Profile::default_for(TravelMode::Car);
    let car = ProfileGraph::build(net, &profile);
    let mut closed = vec![false; net.edges.len()];
    for e in p.motorways.clone() {
        closed[e] = true;
    }
    let apart = ProfileGraph::build_without(net, &profile, &closed);
    let inside = |bbox: [f64; 4], v: usize| {
        let q = net.nodes[v];
        q[0] >= bbox[0] && q[0] <= bbox[2] && q[1] >= bbox[1] && q[1] <= bbox[3]
    };
    let home = |x: [f64; 2]| {
        let within = |b: [f64; 4]| x[0] >= b[0] && x[0] <= b[2] && x[1] >= b[1] && x[1] <= b[3];
        p.cities.iter().position(|c| within(c.bbox)).unwrap()
    };
    let scenario = random_scenario(net, &car, 40, 0, 11);
    let set = ModeSet::from_graphs(net, &[TravelMode::Car], vec![car.clone()]);
    let (placed, _) = coverage::place_units(&scenario.units, &set.networks(), 100.0);
    assert_eq!(placed.len(), 40);
    let reached = |graph: &ProfileGraph, unit: usize| {
        let labels =
            coverage::search(net, &[graph], &placed[unit..unit + 1], 1, f64::INFINITY).remove(0);
        p.cities
            .iter()
            .map(|c| {
                (0..net.nodes.len()).any(|v| inside(c.bbox, v) && labels.time_s[v].is_finite())
            })
            .collect::<Vec<bool>>()
    };
    // A unit on the largest component of its city (most units are).
    let unit = (0..placed.len())
        .find(|&u| reached(&car, u).iter().all(|&r| r))
        .expect("some unit reaches every city");
    let own = home(scenario.units[unit].position);
    let alone: Vec<bool> = (0..4).map(|c| c == own).collect();
    assert_eq!(reached(&apart, unit), alone);

    // Coverage over the province: PHAST on the prepared hierarchies is Dijkstra's.
    let all =
        ModeSet::build(net, &ProfileSet::default(), &[TravelMode::Car], &[]).with_hierarchies();
    let options = assess::Options::default();
    let run = |engine| {
        let modes = all.networks();
        assess::assess(
            Roads {
                network: net,
                modes: &modes,
                engine,
            },
            &scenario,
            &options,
        )
    };
    let (d, h) = (run(Engine::Dijkstra), run(all.engine()));
    for (a, b) in d.tiers.iter().zip(&h.tiers) {
        assert!(
            (a.covered_m - b.covered_m).abs() < 1e-6,
            "{} vs {}",
            a.covered_m,
            b.covered_m
        );
        assert!(a.covered_m > 0.0);
    }
}

/// The province measured region by region (each city and the motorways, on its roads and its
/// halo) is the province measured whole, with cities close enough (1.5 km apart) that units
/// reach across borders within 5 minutes; without the halo it is not.
#[test]
fn a_province_measured_by_region_is_the_province_measured_whole() {
    use patrolmap::coverage::regions;
    let city = demo_city();
    let layout = Layout {
        columns: 2,
        gap_m: 1_500.0,
        joins_per_border: 3,
        ..Layout::default()
    };
    let p = compose(&[("cg", &city); 4], &layout);
    let net = &p.network;
    let profiles = ProfileSet::default();
    let modes = [TravelMode::Car, TravelMode::Ebike, TravelMode::Foot];
    let whole = ModeSet::build(net, &profiles, &modes, &[]).with_hierarchies();
    let graph = &whole.graphs[0];
    let mut scenario = random_scenario(net, graph, 120, 0, 5);
    // Some e-bikes and foot patrols too, each searched on its own mode.
    for (i, u) in scenario.units.iter_mut().enumerate() {
        u.mode = modes[i % 3];
    }
    let options = assess::Options::default();
    let roads = Roads {
        network: net,
        modes: &whole.networks(),
        engine: whole.engine(),
    };
    let a = assess::assess(roads, &scenario, &options);
    let mut parts: Vec<(String, std::ops::Range<usize>)> = p
        .cities
        .iter()
        .map(|c| (c.name.clone(), c.edges.clone()))
        .collect();
    parts.push(("motorways".into(), p.motorways.clone()));
    let budget_s = 300.0;
    let by_region = regions::prepare(net, &whole, &profiles, &parts, budget_s);
    let (each, total) =
        regions::province_tiers(&by_region, &scenario, &a.placements, &options.standard);
    for (k, (t, whole)) in total.iter().zip(&a.tiers).enumerate() {
        assert!(
            (t - whole.covered_m).abs() < 1e-6 * whole.covered_m.max(1.0),
            "tier {k}: {t} vs {}",
            whole.covered_m
        );
    }
    let length: f64 = each.iter().map(|r| r.length_m).sum();
    assert!((length - a.total_m).abs() < 1e-6 * a.total_m);
    // Every city has a halo beyond its own roads (the motorways and the next city's edge).
    for r in &by_region[..4] {
        assert!(r.network.edges.len() > r.edges.len(), "{}", r.name);
    }
    // Without the halo, units across a border are missed: some tier comes out lower.
    let alone = regions::prepare(net, &whole, &profiles, &parts, 0.0);
    let (_, without) = regions::province_tiers(&alone, &scenario, &a.placements, &options.standard);
    assert!(
        without.iter().zip(&total).any(|(w, t)| w < &(t - 1.0)),
        "{without:?} vs {total:?}"
    );
}
