//! The city the server serves: its road network prepared once for every travel mode (graphs,
//! snap indexes, contraction hierarchies, tile index), and the evaluation of a scenario on it.

use std::sync::{Arc, Mutex, OnceLock};
use std::time::Instant;

use rayon::prelude::*;

use crate::coverage::assess::{self, Assessment, Roads};
use crate::coverage::gaps::{self, Gap};
use crate::coverage::hierarchy::Hierarchy;
use crate::coverage::modes::ModeSet;
use crate::coverage::overlay::RoadPiece;
use crate::coverage::summary::{CityCoverage, CoverageSummary, NetworkSize};
use crate::coverage::traffic::{TimedCar, Traffic};
use crate::coverage::{closures, Engine, ModeNetwork};
use crate::live::moveup::{self, MoveUpOptions};
use crate::live::simulate::{self, DrillOptions, DrillRun, MoveUpPolicy};
use crate::live::Board;
use crate::network::province::ProvinceCity;
use crate::network::time_of_day::{SpeedTable, MINUTES_PER_DAY};
use crate::network::{ProfileGraph, ProfileSet, RoadNetwork, TravelMode};
use crate::scenario::Scenario;
use crate::stop::{Stop, Stopped};
use crate::tiles::{self, Coloring, RoadTiles};

/// The travel modes, in the order of [`City::modes`]: the car first, as coverage is measured
/// on it.
pub const MODES: [TravelMode; 3] = [TravelMode::Car, TravelMode::Ebike, TravelMode::Foot];

/// A road network prepared for serving.
pub struct City {
    /// A short name for the page title (the road file's stem).
    pub name: String,
    /// The roads.
    pub network: RoadNetwork,
    /// The travel profiles.
    pub profiles: ProfileSet,
    /// Every mode of [`MODES`] prepared: graphs, snap indexes and contraction hierarchies
    /// (every what-if without closures runs on PHAST, as units move but the roads do not).
    pub modes: ModeSet,
    /// The named streets, for search.
    pub streets: crate::network::streets::StreetIndex,
    /// The edges indexed for vector tiles.
    pub tiles: RoadTiles,
    /// What every assessment measures.
    pub options: assess::Options,
    /// Measured car speeds by time of day, when served with them.
    traffic: Option<Traffic>,
    /// The cities of a province served as one, by their edges (none for one city).
    cities: Vec<ProvinceCity>,
    /// The last graphs made without closed roads, with the closed edges they are for.
    last_detour: Mutex<Option<(Vec<bool>, Arc<Detour>)>>,
    /// What its answers depend on (see [`City::key`]).
    key: String,
}

impl City {
    /// Prepares `network` for every mode (the hierarchies in parallel; a few seconds on a city
    /// of 60k nodes). Every evaluation cuts the roads into pieces for the tiles.
    pub fn prepare(
        name: String,
        network: RoadNetwork,
        profiles: ProfileSet,
        options: assess::Options,
    ) -> City {
        let options = assess::Options {
            pieces: true,
            ..options
        };
        let modes = ModeSet::build(&network, &profiles, &MODES, &[]).with_hierarchies();
        let tiles = RoadTiles::prepare(&network);
        let streets = crate::network::streets::StreetIndex::build(&network);
        // The roads (by their size and length), the profiles and what is measured: two servers
        // agree on a revision only when all of it is the same.
        let length_m: f64 = network.edges.iter().map(|e| e.length_m).sum();
        let key = format!(
            "{name}|{} nodes|{} edges|{length_m:.3} m|{profiles:?}|{options:?}",
            network.nodes.len(),
            network.edges.len()
        );
        City {
            name,
            network,
            profiles,
            modes,
            streets,
            tiles,
            options,
            traffic: None,
            cities: Vec::new(),
            last_detour: Mutex::new(None),
            key,
        }
    }

    /// The same city with car speeds by time of day from `table` (read from `source`, a name
    /// and digest of the file: answers at a time depend on it): orders the car graph once for
    /// every period (0.7 s on Porto); [`City::evaluate_at`] then customises per period.
    pub fn with_traffic(mut self, table: SpeedTable, source: &str) -> City {
        self.key.push_str(&format!("|speeds {source}"));
        self.traffic = Some(Traffic::prepare(&self.network, self.modes.measure(), table));
        self
    }

    /// The same city as a province of `cities` (from [`crate::network::province::join`]):
    /// every summary then says each city's tiers too.
    pub fn with_cities(mut self, cities: Vec<ProvinceCity>) -> City {
        let names: Vec<&str> = cities.iter().map(|c| c.name.as_str()).collect();
        self.key.push_str(&format!("|cities {}", names.join(",")));
        self.cities = cities;
        self
    }

    /// The speeds by time of day it is served with, if any.
    pub fn traffic(&self) -> Option<&Traffic> {
        self.traffic.as_ref()
    }

    /// What the city's answers depend on (the server names revisions by it): its roads,
    /// profiles and options.
    pub fn key(&self) -> &str {
        &self.key
    }

    /// Assesses `scenario` at free-flow speeds: see [`City::evaluate_at`].
    pub fn evaluate(&self, scenario: Scenario) -> Evaluation {
        self.evaluate_at(scenario, None)
    }

    /// Assesses `scenario` with the car speeds of `at_minute` of the day (free flow when
    /// `None`, or when the city has no speeds by time of day): on the prepared hierarchies
    /// (the car's customised for that period) when it closes no road, else on graphs rebuilt
    /// without the closed edges (with Dijkstra, which needs no preparation).
    pub fn evaluate_at(&self, scenario: Scenario, at_minute: Option<u16>) -> Evaluation {
        let start = Instant::now();
        let mut evaluation = self.unassessed(scenario, at_minute, true);
        let mut assessment = assess::assess(
            self.roads(&evaluation, &self.mode_networks(&evaluation)),
            &evaluation.scenario,
            &self.options,
        );
        let mut pieces = std::mem::take(&mut assessment.pieces);
        evaluation.piece_start = tiles::group_pieces(&mut pieces, self.network.edges.len());
        evaluation.pieces = pieces;
        evaluation.assessment = Some(assessment);
        evaluation.compute_s = start.elapsed().as_secs_f64();
        evaluation
    }

    /// `scenario` on the roads of `at_minute`, not yet assessed; `keep` keeps the period's
    /// customised hierarchy for the next evaluations (not the day chart's every hour).
    fn unassessed(&self, scenario: Scenario, at_minute: Option<u16>, keep: bool) -> Evaluation {
        let closed = closures::closed_edges(&self.network, &scenario.closures);
        let closed_count = closed.iter().filter(|&&c| c).count();
        let detour = (closed_count > 0).then(|| self.detour(&closed));
        let at = match (&self.traffic, at_minute) {
            (Some(traffic), Some(minute)) => Some(match &detour {
                Some(d) => AtTime::Detour(traffic.timed(&self.network, d.measure(), minute)),
                None => {
                    let car = traffic.get(&self.network, self.modes.measure(), minute, keep);
                    let mut hierarchies = self.modes.hierarchies.clone();
                    hierarchies[0] = car.hierarchy.clone();
                    AtTime::Open { car, hierarchies }
                }
            }),
            _ => None,
        };
        Evaluation {
            scenario,
            // Said only when measured at it (a city without speeds measures free flow).
            at_minute: at.as_ref().and(at_minute.map(|m| m % MINUTES_PER_DAY)),
            at,
            assessment: None,
            pieces: Vec::new(),
            piece_start: Vec::new(),
            closed: if closed_count > 0 { closed } else { Vec::new() },
            closed_count,
            detour,
            compute_s: 0.0,
            areas: OnceLock::new(),
            gaps: OnceLock::new(),
        }
    }

    /// Each tier's share of the road at every hour of the day for `scenario` (the day chart),
    /// at each hour's car speeds: one customisation and one assessment per period of the
    /// speed table the hours fall in (in parallel). Without speeds by time of day every hour
    /// is free flow. Polls `stop` before each period.
    pub fn day_chart(&self, scenario: &Scenario, stop: &Stop) -> Result<DayChart, Stopped> {
        let options = assess::Options {
            pieces: false,
            gaps: false,
            ..self.options.clone()
        };
        let hours: Vec<u16> = (0..24).map(|h| h * 60).collect();
        let period = |minute: u16| {
            self.traffic
                .as_ref()
                .map(|t| t.table().period_start(minute))
        };
        // Each period once (its first hour stands for it), the periods in parallel.
        let mut periods: Vec<(Option<u16>, u16)> = Vec::new();
        for &minute in &hours {
            if !periods.iter().any(|&(p, _)| p == period(minute)) {
                periods.push((period(minute), minute));
            }
        }
        stop.stage("periods", periods.len() as u64);
        let tiers: Vec<Vec<f64>> = periods
            .par_iter()
            .map(|&(_, minute)| {
                stop.check()?;
                let evaluation = self.unassessed(scenario.clone(), Some(minute), false);
                let modes = self.mode_networks(&evaluation);
                let a = assess::assess(self.roads(&evaluation, &modes), scenario, &options);
                stop.advance(1);
                Ok(a.tiers.iter().map(|t| a.share(t.covered_m)).collect())
            })
            .collect::<Result<_, Stopped>>()?;
        let shares = hours
            .iter()
            .map(|&minute| {
                let p = period(minute);
                let i = periods
                    .iter()
                    .position(|&(q, _)| q == p)
                    .expect("every period");
                HourShares {
                    time: format_minute(minute),
                    period_start: p.map(format_minute),
                    tier_shares: tiers[i].clone(),
                }
            })
            .collect();
        Ok(DayChart {
            standard: self.options.standard.to_string(),
            tiers: self.options.standard.tiers.clone(),
            hours: shares,
        })
    }

    /// A move-up for the live `board`: at most `options.max_moves` moves of its available units
    /// to `targets` (the posts and the units' planned places when empty) that restore the
    /// standard best, on `plan`'s roads (its closures), each with its travel time; and the
    /// coverage before and after them, measured exactly (the moved units standing at their
    /// targets with their turnout).
    pub fn move_up(
        &self,
        plan: &Evaluation,
        board: &Board,
        targets: &[MoveTarget],
        options: &MoveUpOptions,
        now_s: f64,
    ) -> MoveUpReport {
        let targets = if targets.is_empty() {
            MoveTarget::of_plan(&plan.scenario)
        } else {
            targets.to_vec()
        };
        let modes = self.mode_networks(plan);
        let points: Vec<[f64; 2]> = targets.iter().map(|t| t.position).collect();
        let moves = moveup::propose(
            &self.network,
            &modes,
            &plan.scenario,
            board,
            &self.options.standard,
            &points,
            options,
            now_s,
        );
        let now = board.deployment(&plan.scenario, now_s);
        let mut after = now.clone();
        let proposed: Vec<ProposedMove> = moves
            .iter()
            .map(|m| {
                let live = &board.units()[m.unit];
                let unit = &plan.scenario.units[live.unit];
                let target = &targets[m.target];
                let to = modes[0]
                    .index
                    .snap(target.position, options.max_snap_m)
                    .map_or(target.position, |s| s.position);
                if let Some(u) = after.units.iter_mut().find(|u| u.id == live.id) {
                    u.position = to;
                    u.turnout_s = unit.turnout_s;
                }
                ProposedMove {
                    unit: live.id.clone(),
                    name: unit.name.clone(),
                    mode: unit.mode.as_str(),
                    from: live
                        .fix
                        .as_ref()
                        .map_or(unit.position, |f| f.on_road.position),
                    to,
                    target: target.id.clone(),
                    target_name: target.name.clone(),
                    travel_s: m.travel_s,
                    gain_m: m.gain_m.clone(),
                }
            })
            .collect();
        let measure = |scenario: Scenario| {
            let e = self.evaluate_at(scenario, plan.at_minute);
            let a = e.assessment();
            let shares: Vec<f64> = a.tiers.iter().map(|t| a.share(t.covered_m)).collect();
            let sites: Vec<usize> = (0..a.tiers.len())
                .map(|k| {
                    a.points
                        .iter()
                        .filter(|p| p.kind == "checkpoint")
                        .filter(|p| p.tiers_met.as_ref().is_some_and(|m| m[k]))
                        .count()
                })
                .collect();
            (shares, sites)
        };
        let (tier_shares_before, checkpoints_met_before) = measure(now);
        let (tier_shares_after, checkpoints_met_after) = if proposed.is_empty() {
            (tier_shares_before.clone(), checkpoints_met_before.clone())
        } else {
            measure(after)
        };
        MoveUpReport {
            standard: self.options.standard.to_string(),
            targets: targets.len(),
            moves: proposed,
            tier_shares_before,
            tier_shares_after,
            checkpoints_met_before,
            checkpoints_met_after,
        }
    }

    /// A drill of `plan`'s units on its open roads (its closures left out): seeded calls at
    /// its incident sites, each sent the standard's full force by travel time, measured
    /// against the standard (see [`crate::live::simulate`]), once per move-up policy in
    /// `policies` (the same calls and times on scene for each, side by side; empty: the
    /// options' own). The options' patrols drive their routes (timed on the car roads with
    /// the plan's checkpoint stops) round and round. Polls `stop` before each search and each
    /// policy.
    pub fn drill(
        &self,
        plan: &Scenario,
        options: &DrillOptions,
        policies: &[MoveUpPolicy],
        stop: &Stop,
    ) -> Result<DrillRun, Stopped> {
        let own = [options.move_up];
        let policies = if policies.is_empty() {
            &own[..]
        } else {
            policies
        };
        let moves = policies.iter().find(|p| **p != MoveUpPolicy::None);
        let options = DrillOptions {
            move_up: moves.copied().unwrap_or(MoveUpPolicy::None),
            ..options.clone()
        };
        let patrols = self.patrol_timelines(plan, &options.patrols);
        self.with_roads(plan, |modes| {
            let (mut drill, mut run) = simulate::plan_drill(
                &self.network,
                modes,
                plan,
                &self.options.standard,
                &options,
                &patrols,
                self.options.max_snap_m,
                stop,
            )?;
            stop.stage("simulation", policies.len() as u64);
            for &policy in policies {
                stop.check()?;
                drill.move_up.policy = policy;
                run.reports
                    .push(simulate::run(&drill, &self.options.standard));
                stop.advance(1);
            }
            Ok(run)
        })
    }

    /// Each patrol route of `routes` in time on the car roads, stopping at `plan`'s checkpoints
    /// on it as a planned route does (routes of no road left out).
    fn patrol_timelines(
        &self,
        plan: &Scenario,
        routes: &[(
            crate::patrol::plan::PatrolUnit,
            Vec<crate::patrol::paths::Step>,
        )],
    ) -> Vec<simulate::DrillPatrol> {
        use crate::patrol::timeline::{home_of, Timeline};
        let Some((first, _)) = routes.first() else {
            return Vec::new();
        };
        let (network, graph) = (&self.network, &self.modes.graphs[0]);
        let requirements = crate::patrol::requirements::Requirements::gather(
            network,
            graph,
            &self.modes.indexes[0],
            plan,
            &crate::patrol::matching::MatchOptions::default(),
            self.options.max_snap_m,
        );
        let steps = routes.iter().map(|(_, s)| s.clone()).collect();
        let timed =
            crate::patrol::edit::edited_plan(network, graph, &requirements, first.depot, steps);
        timed
            .routes
            .iter()
            .filter_map(|route| {
                let unit = &routes[route.unit].0;
                let home = home_of(network, graph, unit.depot)?;
                Some(simulate::DrillPatrol {
                    unit: unit.id.clone(),
                    timeline: Timeline::of_route(route, graph, home),
                })
            })
            .collect()
    }

    /// Runs `f` on every mode's graph and snap index, car first, with `scenario`'s closures
    /// left out (the prepared ones when it closes nothing): where posts stand and reach (by
    /// car), and where the scenario's units already reach (each by its own mode).
    pub fn with_roads<T>(
        &self,
        scenario: &Scenario,
        f: impl FnOnce(&[crate::coverage::ModeNetwork]) -> T,
    ) -> T {
        let closed = closures::closed_edges(&self.network, &scenario.closures);
        if closed.contains(&true) {
            let detour = self.detour(&closed);
            f(&detour.networks())
        } else {
            f(&self.modes.networks())
        }
    }

    /// The graphs without the `closed` edges: the last ones made when the same roads are
    /// closed (a planner drags units around a closure), else made anew.
    fn detour(&self, closed: &[bool]) -> Arc<Detour> {
        let mut last = self.last_detour.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((edges, detour)) = last.as_ref() {
            if edges == closed {
                return detour.clone();
            }
        }
        let detour = Arc::new(ModeSet::build(
            &self.network,
            &self.profiles,
            &MODES,
            closed,
        ));
        *last = Some((closed.to_vec(), detour.clone()));
        detour
    }

    /// The budgets the map colours by, ascending, without repeats.
    pub fn budgets(&self) -> Vec<f64> {
        self.options.piece_budgets()
    }

    /// The graphs and snap indexes `evaluation` runs on (the car's timed at its time of day;
    /// its snap index is the same, as the roads are).
    pub fn mode_networks<'a>(&'a self, evaluation: &'a Evaluation) -> Vec<ModeNetwork<'a>> {
        let mut networks = match &evaluation.detour {
            Some(d) => d.networks(),
            None => self.open_roads(),
        };
        if let Some(car) = evaluation.timed_car() {
            networks[0].graph = car;
        }
        networks
    }

    /// The graphs and snap indexes of the roads as they are (no closure).
    pub fn open_roads(&self) -> Vec<ModeNetwork<'_>> {
        self.modes.networks()
    }

    /// The roads and engine of `evaluation`.
    pub fn roads<'a>(
        &'a self,
        evaluation: &'a Evaluation,
        modes: &'a [ModeNetwork<'a>],
    ) -> Roads<'a> {
        Roads {
            network: &self.network,
            modes,
            engine: self.engine(evaluation),
        }
    }

    /// How `evaluation`'s searches run: PHAST on the prepared hierarchies (the car's
    /// customised for its time of day), or Dijkstra on the graphs made without its closed
    /// roads.
    fn engine<'a>(&'a self, evaluation: &'a Evaluation) -> Engine<'a> {
        match (&evaluation.detour, &evaluation.at) {
            (Some(_), _) => Engine::Dijkstra,
            (None, Some(AtTime::Open { hierarchies, .. })) => Engine::Phast(hierarchies),
            _ => self.modes.engine(),
        }
    }

    /// The coverage summary of `evaluation`, revision `rev`: the map's stats panel.
    pub fn summary(&self, rev: u64, evaluation: &Evaluation) -> CoverageSummary {
        let assessment = evaluation.assessment();
        let mut summary = CoverageSummary::of(
            rev,
            assessment,
            &evaluation.scenario,
            &self.options,
            NetworkSize::of(&self.network, self.measure(evaluation), assessment.total_m),
            evaluation.closed_count,
            self.engine(evaluation).name(),
            evaluation.compute_s,
        );
        summary.at = evaluation.at_minute.map(format_minute);
        let modes = self.mode_networks(evaluation);
        summary.cities = CityCoverage::of_cities(
            self.roads(evaluation, &modes),
            &self.options.standard,
            &assessment.tiers,
            &self.cities,
        );
        summary
    }

    /// The `limit` largest gaps of every tier of `evaluation` (or only of `only_tier`) as
    /// GeoJSON ([`gaps::gaps_geojson`]).
    pub fn gaps_geojson(
        &self,
        evaluation: &Evaluation,
        limit: usize,
        only_tier: Option<usize>,
    ) -> serde_json::Value {
        gaps::gaps_geojson(
            &self.network,
            &self.options.standard,
            evaluation.gaps(self),
            limit,
            only_tier,
        )
    }

    /// What the city is served with.
    pub fn info(&self) -> CityInfo {
        CityInfo {
            name: self.name.clone(),
            bbox: self.network.bbox(),
            budgets_s: self.budgets(),
            standard: self.options.standard.to_string(),
            tiers: self.options.standard.tiers.clone(),
            modes: MODES.iter().map(|m| m.as_str()).collect(),
            nodes: self.network.nodes.len(),
            edges: self.network.edges.len(),
            cities: self
                .cities
                .iter()
                .map(|c| ServedCity {
                    name: c.name.clone(),
                    bbox: c.bbox,
                    edges: c.edges.len(),
                })
                .collect(),
            speeds: self.traffic.as_ref().map(|t| SpeedsInfo {
                rows: t.table().row_count(),
                edges_named: t.edges_named(),
                period_starts: t
                    .table()
                    .period_starts()
                    .iter()
                    .map(|&m| format_minute(m))
                    .collect(),
            }),
            attribution: "© OpenStreetMap contributors (ODbL)",
        }
    }

    /// The warnings for a file's points on these roads (far, swapped, in a Chinese map's
    /// offset): see [`crate::scenario::position_warnings`].
    pub fn position_warnings(&self, scenario: &Scenario) -> Vec<crate::scenario::ImportWarning> {
        crate::scenario::position_warnings(scenario, |p| {
            self.modes
                .nearest_road(p, crate::scenario::SEARCH_M)
                .map(|s| s.dist_m)
        })
    }

    /// The road of any mode nearest `point` within `max_m` (the foot graph holds the most
    /// roads; the car graph the rest of what is drivable).
    pub fn road_at(&self, point: [f64; 2], max_m: f64) -> Option<RoadFeature> {
        let snapped = self.modes.nearest_road(point, max_m)?;
        let e = snapped.edge as usize;
        let edge = &self.network.edges[e];
        let line = self.network.geometry(e);
        Some(RoadFeature {
            kind: "Feature",
            properties: RoadFeatureProperties {
                edge: e,
                name: self.network.name(e).map(str::to_string),
                class: self.network.class_name(edge.class).to_string(),
                length_m: edge.length_m,
                middle: crate::network::geodesy::point_along(line, 0.5),
                dist_m: snapped.dist_m,
            },
            geometry: LineStringGeometry {
                kind: "LineString",
                coordinates: line.to_vec(),
            },
        })
    }

    /// The car graph `evaluation` is measured on (without its closed roads, timed at its
    /// time of day).
    fn measure<'a>(&'a self, evaluation: &'a Evaluation) -> &'a ProfileGraph {
        match (evaluation.timed_car(), &evaluation.detour) {
            (Some(car), _) => car,
            (None, Some(d)) => d.measure(),
            (None, None) => self.modes.measure(),
        }
    }

    /// The road tile `id` coloured by `evaluation`.
    pub fn road_tile(&self, evaluation: &Evaluation, id: tiles::TileId) -> Vec<u8> {
        let coloring = Coloring {
            measure: self.measure(evaluation),
            pieces: &evaluation.pieces,
            piece_start: &evaluation.piece_start,
            closed: &evaluation.closed,
            budget_count: self.budgets().len(),
        };
        self.tiles.tile(&self.network, &coloring, id)
    }

    /// The tier areas of `evaluation`: the roads reached within each budget buffered by
    /// [`AREA_OPTIONS`], simplified for drawing (a cell's detail) and indexed for tiles; made
    /// on first call (0.7 s on Porto with 200 units), then kept with the revision.
    pub fn tier_areas<'e>(&self, evaluation: &'e Evaluation) -> &'e tiles::areas::AreaTiles {
        evaluation.areas.get_or_init(|| {
            use crate::coverage::polygons;
            let traced = polygons::tier_polygons(
                &self.network,
                &evaluation.pieces,
                self.budgets().len(),
                AREA_OPTIONS,
            );
            tiles::areas::AreaTiles::new(polygons::simplified(&traced, AREA_OPTIONS.cell_m))
        })
    }

    /// The tier area tile `id` of `evaluation` (see [`City::tier_areas`]).
    pub fn area_tile(&self, evaluation: &Evaluation, id: tiles::TileId) -> Vec<u8> {
        self.tier_areas(evaluation).tile(id)
    }
}

/// How the map's tier areas are traced: roads buffered by 40 m on a 20 m grid.
pub const AREA_OPTIONS: crate::coverage::polygons::PolygonOptions =
    crate::coverage::polygons::PolygonOptions {
        buffer_m: 40.0,
        cell_m: 20.0,
    };

/// What a city is served with: the body of `/api/info`.
#[derive(Clone, Debug, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct CityInfo {
    /// Its short name.
    pub name: String,
    /// Its bounds, `[west, south, east, north]` (none for a city without roads).
    pub bbox: Option<[f64; 4]>,
    /// The budgets the map colours by, in seconds, ascending.
    pub budgets_s: Vec<f64>,
    /// The response standard, as written (`60:1,180:2,300:3`).
    pub standard: String,
    /// Its tiers.
    pub tiers: Vec<crate::coverage::Tier>,
    /// The travel modes, coverage's first.
    pub modes: Vec<&'static str>,
    /// Road nodes.
    pub nodes: usize,
    /// Road edges.
    pub edges: usize,
    /// The cities of a province served as one (`serve --roads` with several files), each
    /// with its bounds; empty for one city.
    pub cities: Vec<ServedCity>,
    /// The car speeds by time of day it is served with (`serve --speeds`), if any.
    pub speeds: Option<SpeedsInfo>,
    /// Whose the map data is.
    pub attribution: &'static str,
}

/// A city of a province served as one.
#[derive(Clone, Debug, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct ServedCity {
    /// Its name (its road file's).
    pub name: String,
    /// Its bounds, `[west, south, east, north]`.
    pub bbox: [f64; 4],
    /// Its road edges.
    pub edges: usize,
}

/// The speeds by time of day a city is served with.
#[derive(Clone, Debug, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct SpeedsInfo {
    /// Rows of the speed file.
    pub rows: usize,
    /// Road edges it gives a speed to.
    pub edges_named: usize,
    /// When some road's speed changes, `HH:MM`, ascending.
    pub period_starts: Vec<String>,
}

/// Each tier's share of the road by hour of the day: the body of `/api/coverage/day`.
#[derive(Clone, Debug, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct DayChart {
    /// The response standard, as written.
    pub standard: String,
    /// Its tiers, in the order of each hour's `tier_shares`.
    pub tiers: Vec<crate::coverage::Tier>,
    /// The 24 hours, from 00:00.
    pub hours: Vec<HourShares>,
}

/// One hour of a [`DayChart`].
#[derive(Clone, Debug, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct HourShares {
    /// The hour, `HH:MM`.
    pub time: String,
    /// The start of the speed file's period it falls in (none without speeds).
    pub period_start: Option<String>,
    /// Per tier, the share of road meeting it at that hour's speeds.
    pub tier_shares: Vec<f64>,
}

/// `minute` of the day as `HH:MM`.
///
/// ```
/// assert_eq!(patrolmap_core::city::format_minute(8 * 60 + 5), "08:05");
/// ```
pub fn format_minute(minute: u16) -> String {
    let minute = minute % MINUTES_PER_DAY;
    format!("{:02}:{:02}", minute / 60, minute % 60)
}

/// The road nearest a point, as a GeoJSON Feature: what a click closes or reopens.
#[derive(Clone, Debug, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct RoadFeature {
    /// `Feature`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// The road edge.
    pub properties: RoadFeatureProperties,
    /// Its line.
    pub geometry: LineStringGeometry,
}

/// The road edge of a [`RoadFeature`].
#[derive(Clone, Debug, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct RoadFeatureProperties {
    /// Its index.
    pub edge: usize,
    /// Its street name, when it has one.
    pub name: Option<String>,
    /// Its OSM class (`primary`, `residential`, …).
    pub class: String,
    /// Its length, in metres.
    pub length_m: f64,
    /// Its middle, `[lon, lat]`.
    pub middle: [f64; 2],
    /// How far the point is from it, in metres.
    pub dist_m: f64,
}

/// A GeoJSON LineString.
#[derive(Clone, Debug, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct LineStringGeometry {
    /// `LineString`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// Its positions, `[lon, lat]`.
    pub coordinates: Vec<[f64; 2]>,
}

/// Graphs rebuilt without closed roads (no hierarchies: their searches run Dijkstra).
type Detour = ModeSet;

/// An evaluation's car network at its time of day.
enum AtTime {
    /// On the prepared roads: the car's period customised, the other modes' hierarchies.
    Open {
        car: Arc<TimedCar>,
        hierarchies: Vec<Arc<Hierarchy>>,
    },
    /// Around closed roads (searched with Dijkstra): the car graph without them, timed.
    Detour(ProfileGraph),
}

/// A scenario assessed on the city, with what the map draws of it.
pub struct Evaluation {
    /// The scenario.
    pub scenario: Scenario,
    /// The minute of the day whose car speeds it was assessed at (none: free flow).
    pub at_minute: Option<u16>,
    at: Option<AtTime>,
    assessment: Option<Assessment>,
    /// Reached road pieces, grouped by edge.
    pub pieces: Vec<RoadPiece>,
    /// Start of each edge's pieces.
    pub piece_start: Vec<u32>,
    /// `closed[e]`, empty when nothing is closed.
    pub closed: Vec<bool>,
    /// How many edges are closed.
    pub closed_count: usize,
    detour: Option<Arc<Detour>>,
    /// How long the evaluation took, in seconds.
    pub compute_s: f64,
    /// Tier areas, made on first request ([`City::tier_areas`]).
    areas: OnceLock<crate::tiles::areas::AreaTiles>,
    /// The gaps of each tier, found on first request (a what-if does not wait for them).
    gaps: OnceLock<Vec<Vec<Gap>>>,
}

impl Evaluation {
    /// The car graph timed at its time of day, if it has one.
    fn timed_car(&self) -> Option<&ProfileGraph> {
        match self.at.as_ref()? {
            AtTime::Open { car, .. } => Some(&car.graph),
            AtTime::Detour(graph) => Some(graph),
        }
    }

    /// The gaps of every tier of the standard (found once, on first call).
    pub fn gaps(&self, city: &City) -> &[Vec<Gap>] {
        self.gaps.get_or_init(|| {
            let modes = city.mode_networks(self);
            assess::tier_gaps(
                city.roads(self, &modes),
                &self.scenario,
                &city.options,
                &self.assessment().tiers,
            )
        })
    }

    /// The assessment.
    pub fn assessment(&self) -> &Assessment {
        self.assessment
            .as_ref()
            .expect("an evaluation is assessed when made")
    }
}

/// A place a unit may be moved up to.
#[derive(Clone, Debug, PartialEq, serde::Deserialize, utoipa::ToSchema)]
pub struct MoveTarget {
    /// Where, `[lon, lat]`.
    pub position: [f64; 2],
    /// The post or planned unit it is, if one.
    #[serde(default)]
    pub id: Option<String>,
    /// Its name.
    #[serde(default)]
    pub name: Option<String>,
}

impl MoveTarget {
    /// The places the plan has for its posts and units: where units are moved up to when no
    /// other place is given.
    pub fn of_plan(plan: &Scenario) -> Vec<MoveTarget> {
        plan.units
            .iter()
            .map(|u| MoveTarget {
                position: u.position,
                id: Some(u.id.clone()),
                name: u.name.clone(),
            })
            .collect()
    }
}

/// A move-up proposal and its effect.
#[derive(Clone, Debug, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct MoveUpReport {
    /// The standard, e.g. `60:1,180:2,300:3`.
    pub standard: String,
    /// The places considered.
    pub targets: usize,
    /// The moves, best first (each chosen after the ones before it).
    pub moves: Vec<ProposedMove>,
    /// Each tier's share of the road with the units where they are now.
    pub tier_shares_before: Vec<f64>,
    /// The same with the moves made.
    pub tier_shares_after: Vec<f64>,
    /// Checkpoints meeting each tier now.
    pub checkpoints_met_before: Vec<usize>,
    /// The same with the moves made.
    pub checkpoints_met_after: Vec<usize>,
}

/// A unit to move, and where.
#[derive(Clone, Debug, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct ProposedMove {
    /// The unit's id.
    pub unit: String,
    /// Its name.
    pub name: Option<String>,
    /// Its mode.
    pub mode: &'static str,
    /// Where it is, `[lon, lat]`.
    pub from: [f64; 2],
    /// Where it goes (on the road), `[lon, lat]`.
    pub to: [f64; 2],
    /// The post or planned place it goes to, if one.
    pub target: Option<String>,
    /// Its name.
    pub target_name: Option<String>,
    /// The drive there, in seconds.
    pub travel_s: f64,
    /// Per tier: metres of road where the tier is met that the move adds (the node model
    /// the moves are chosen on; the shares before and after are exact).
    pub gain_m: Vec<f64>,
}
