//! Writes a scenario as GeoJSON that the scenario reader reads back.

use serde_json::{json, Value};

use super::{AreaKind, Scenario, Site, UnitKind};

/// The scenario as a GeoJSON FeatureCollection (units and posts first, then checkpoints, key
/// sites, incidents, candidates, patrol lines, closures and areas).
///
/// ```
/// use patrolmap_core::scenario::{read_geojson_str, write::to_geojson};
/// let s = read_geojson_str(r#"{"type":"FeatureCollection","features":[{"type":"Feature",
///   "properties":{"kind":"post","class":"kiosk","turnout_s":30},"geometry":{"type":"Point","coordinates":[1,2]}}]}"#).unwrap();
/// let back = read_geojson_str(&to_geojson(&s).to_string()).unwrap();
/// assert_eq!(back.units, s.units);
/// ```
pub fn to_geojson(scenario: &Scenario) -> Value {
    let point = |p: [f64; 2], props: Value| json!({"type": "Feature", "properties": props, "geometry": {"type": "Point", "coordinates": p}});
    let mut features = Vec::new();
    for u in &scenario.units {
        let mut props = json!({
            "kind": if u.kind == UnitKind::Post { "post" } else { "unit" },
            "id": u.id, "mode": u.mode.as_str(), "turnout_s": u.turnout_s,
        });
        if let Some(n) = &u.name {
            props["name"] = json!(n);
        }
        if let Some(c) = &u.class {
            props["class"] = json!(c);
        }
        duty_props(&u.duty, &mut props);
        features.push(point(u.position, props));
    }
    let site = |kind: &str, s: &Site| {
        let mut props = json!({"kind": kind, "id": s.id, "weight": s.weight, "dwell_s": s.dwell_s});
        if let Some(n) = &s.name {
            props["name"] = json!(n);
        }
        schedule_props(&s.schedule, &mut props);
        if let Some(t) = s.time_s {
            props["time"] = json!(t);
        }
        point(s.position, props)
    };
    features.extend(scenario.checkpoints.iter().map(|s| site("checkpoint", s)));
    features.extend(scenario.key_sites.iter().map(|s| site("key_site", s)));
    features.extend(scenario.incidents.iter().map(|s| site("incident", s)));
    features.extend(scenario.candidates.iter().map(|s| site("candidate", s)));
    for l in &scenario.patrol_lines {
        let mut props = json!({"kind": "patrol_line", "id": l.id, "name": l.name});
        schedule_props(&l.schedule, &mut props);
        features.push(json!({"type": "Feature", "properties": props,
            "geometry": {"type": "LineString", "coordinates": l.line}}));
    }
    for c in &scenario.closures {
        let geometry = if c.polygon {
            json!({"type": "Polygon", "coordinates": [c.ring]})
        } else {
            json!({"type": "LineString", "coordinates": c.ring})
        };
        features.push(json!({"type": "Feature", "properties": {"kind": "closure", "id": c.id}, "geometry": geometry}));
    }
    for a in &scenario.areas {
        let kind = match a.kind {
            AreaKind::Event => "event_area",
            AreaKind::NoGo => "no_go",
        };
        let mut props = json!({"kind": kind, "id": a.id});
        if let Some(n) = &a.name {
            props["name"] = json!(n);
        }
        if let Some((start, end)) = &a.window {
            props["start"] = json!(start);
            props["end"] = json!(end);
        }
        if let Some(standard) = &a.standard {
            props["standard"] = json!(standard);
        }
        features.push(json!({"type": "Feature", "properties": props, "geometry": {"type": "Polygon", "coordinates": [a.ring]}}));
    }
    json!({"type": "FeatureCollection", "features": features})
}

/// `HH:MM` (with seconds when it has them) of seconds after midnight.
fn clock(s: f64) -> String {
    let s = s.round() as u64 % 86_400;
    if s % 60 == 0 {
        format!("{:02}:{:02}", s / 3600, s / 60 % 60)
    } else {
        format!("{:02}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
    }
}

fn span(w: &super::schedule::ClockWindow) -> String {
    format!("{}-{}", clock(w.start_s), clock(w.end_s))
}

/// A line's or checkpoint's `every`, `passes` and `windows`, as the reader reads them.
fn schedule_props(s: &super::schedule::Schedule, props: &mut serde_json::Value) {
    if let Some(every) = s.every_s {
        props["every"] = json!(format!("{every}s"));
    }
    if let Some(passes) = s.passes {
        props["passes"] = json!(passes);
    }
    if !s.windows.is_empty() {
        props["windows"] = json!(s.windows.iter().map(span).collect::<Vec<_>>());
    }
}

/// A unit's `shift` and `break`, as the reader reads them.
fn duty_props(d: &super::schedule::Duty, props: &mut serde_json::Value) {
    if let Some(w) = &d.shift {
        props["shift"] = json!(span(w));
    }
    if !d.breaks.is_empty() {
        let breaks: Vec<String> = d
            .breaks
            .iter()
            .map(|b| {
                if b.earliest_s == b.latest_s {
                    span(&super::schedule::ClockWindow {
                        start_s: b.earliest_s,
                        end_s: b.earliest_s + b.length_s,
                    })
                } else {
                    format!(
                        "{}s in {}",
                        b.length_s,
                        span(&super::schedule::ClockWindow {
                            start_s: b.earliest_s,
                            end_s: b.latest_s + b.length_s,
                        })
                    )
                }
            })
            .collect();
        props["break"] = json!(breaks);
    }
}
