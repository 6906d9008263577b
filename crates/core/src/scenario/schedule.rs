//! When patrol work must be done over a shift: how often a line or checkpoint is patrolled
//! (`every`, `passes`), in which hours (`windows`, local clock times, possibly crossing
//! midnight), and when each unit is on duty and takes its breaks. [`slots`] turns a schedule
//! into the passes a shift must hold: this is the definition the shift planner and its
//! independent check both work to. Pure: text in, numbers out.
//!
//! Times inside a shift are seconds from the shift's start; clock times are seconds after
//! local midnight.

/// Seconds in a day.
pub const DAY_S: f64 = 86_400.0;

/// A span of the day by the clock: `start_s` to `end_s` after midnight, crossing midnight
/// when `end_s <= start_s` (`20:00-02:00`).
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize)]
pub struct ClockWindow {
    /// Start, seconds after midnight.
    pub start_s: f64,
    /// End, seconds after midnight.
    pub end_s: f64,
}

/// How often, and when, a patrol line or checkpoint must be patrolled.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize)]
pub struct Schedule {
    /// At least one pass in every period this long from the shift's (or window's) start.
    pub every_s: Option<f64>,
    /// This many passes, spread evenly over the shift's open hours.
    pub passes: Option<u32>,
    /// Only within these hours (none: any time of the shift).
    pub windows: Vec<ClockWindow>,
}

impl Schedule {
    /// Whether it asks for no more than one pass, at any time of the shift (what a plan
    /// without a timetable makes).
    pub fn is_once(&self) -> bool {
        self.every_s.is_none() && self.passes.is_none() && self.windows.is_empty()
    }
}

/// A break a unit takes at its post.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize)]
pub struct Break {
    /// Earliest start, seconds after midnight.
    pub earliest_s: f64,
    /// Latest start, seconds after midnight (equal to the earliest for a fixed break).
    pub latest_s: f64,
    /// Its length, in seconds.
    pub length_s: f64,
}

/// When a unit is on duty.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize)]
pub struct Duty {
    /// Its own shift by the clock (none: the plan's shift).
    pub shift: Option<ClockWindow>,
    /// Its breaks.
    pub breaks: Vec<Break>,
}

/// A time a pass must fall in, in seconds from the shift's start: the pass (driving the
/// whole line, or the checkpoint's stay) starts at or after `start_s` and is over by `end_s`.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct Slot {
    /// Earliest start, seconds into the shift.
    pub start_s: f64,
    /// Latest end, seconds into the shift.
    pub end_s: f64,
}

/// A duration: `2h`, `90m`, `90min`, `30s`, `1h30m`, `2小时`, `30分钟` or plain seconds.
///
/// ```
/// use patrolmap_core::scenario::schedule::duration_s;
/// assert_eq!(duration_s("2h"), Ok(7200.0));
/// assert_eq!(duration_s("1h30m"), Ok(5400.0));
/// assert_eq!(duration_s("15分钟"), Ok(900.0));
/// assert_eq!(duration_s("600"), Ok(600.0));
/// assert!(duration_s("soon").is_err());
/// ```
pub fn duration_s(text: &str) -> Result<f64, String> {
    let bad =
        || format!("expected a duration like 8h, 90m, 30s or a number of seconds, got {text:?}");
    let t = text.trim();
    if let Ok(v) = t.parse::<f64>() {
        return (v.is_finite() && v > 0.0).then_some(v).ok_or_else(bad);
    }
    let mut total = 0.0;
    let mut rest = t;
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .ok_or_else(bad)?;
        let number: f64 = rest[..digits].parse().map_err(|_| bad())?;
        rest = rest[digits..].trim_start();
        let unit_end = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let scale = match rest[..unit_end].trim() {
            "h" | "hr" | "hrs" | "hour" | "hours" | "小时" | "时" => 3600.0,
            "m" | "min" | "mins" | "minute" | "minutes" | "分钟" | "分" => 60.0,
            "s" | "sec" | "secs" | "second" | "seconds" | "秒" => 1.0,
            _ => return Err(bad()),
        };
        total += number * scale;
        rest = &rest[unit_end..];
    }
    (total.is_finite() && total > 0.0)
        .then_some(total)
        .ok_or_else(bad)
}

/// A clock time `HH:MM` (or `HH:MM:SS`, `24:00` for midnight at the end) as seconds after
/// midnight.
///
/// ```
/// use patrolmap_core::scenario::schedule::clock_s;
/// assert_eq!(clock_s("07:30"), Ok(27_000.0));
/// assert!(clock_s("25:00").is_err());
/// ```
pub fn clock_s(text: &str) -> Result<f64, String> {
    let bad = || format!("expected a clock time like 07:30, got {text:?}");
    let parts: Vec<&str> = text.trim().split([':', '：']).collect();
    if !(2..=3).contains(&parts.len()) {
        return Err(bad());
    }
    let field = |s: &str| s.trim().parse::<u32>().map_err(|_| bad());
    let (h, m) = (field(parts[0])?, field(parts[1])?);
    let s = parts.get(2).map(|s| field(s)).transpose()?.unwrap_or(0);
    if h > 24 || m > 59 || s > 59 || (h == 24 && (m > 0 || s > 0)) {
        return Err(bad());
    }
    Ok(f64::from(h * 3600 + m * 60 + s))
}

/// A span of the day, `07:00-08:00` (or with `~`, `–`, `至`), crossing midnight when the end
/// is not after the start.
///
/// ```
/// use patrolmap_core::scenario::schedule::clock_window;
/// let w = clock_window("20:00-02:00").unwrap();
/// assert_eq!((w.start_s, w.end_s), (72_000.0, 7_200.0));
/// ```
pub fn clock_window(text: &str) -> Result<ClockWindow, String> {
    let (a, b) = text
        .split_once(['-', '~', '–', '至'])
        .ok_or_else(|| format!("expected hours like 07:00-08:00, got {text:?}"))?;
    Ok(ClockWindow {
        start_s: clock_s(a)?,
        end_s: clock_s(b)?,
    })
}

/// Several spans, separated by `,`, `;` or `，`: `07:00-08:00, 16:30-17:30`.
pub fn clock_windows(text: &str) -> Result<Vec<ClockWindow>, String> {
    text.split([',', ';', '，', '；'])
        .filter(|p| !p.trim().is_empty())
        .map(clock_window)
        .collect()
}

/// A break: fixed hours `12:00-12:30`, or a length within hours `30m in 11:00-14:00` (also
/// `30m@11:00-14:00`, `30分钟 于 11:00-14:00`).
///
/// ```
/// use patrolmap_core::scenario::schedule::parse_break;
/// let fixed = parse_break("12:00-12:30").unwrap();
/// assert_eq!((fixed.earliest_s, fixed.latest_s, fixed.length_s), (43_200.0, 43_200.0, 1_800.0));
/// let flexible = parse_break("30m in 11:00-14:00").unwrap();
/// assert_eq!((flexible.earliest_s, flexible.latest_s), (39_600.0, 48_600.0));
/// assert!(parse_break("3h in 11:00-12:00").is_err());
/// ```
pub fn parse_break(text: &str) -> Result<Break, String> {
    let split = [" in ", "@", " 于 ", "于"]
        .iter()
        .find_map(|sep| text.split_once(sep));
    match split {
        None => {
            let w = clock_window(text)?;
            Ok(Break {
                earliest_s: w.start_s,
                latest_s: w.start_s,
                length_s: window_length_s(w),
            })
        }
        Some((length, hours)) => {
            let length_s = duration_s(length)?;
            let w = clock_window(hours)?;
            if length_s > window_length_s(w) {
                return Err(format!(
                    "the break {text:?} is longer than the hours it must fit in"
                ));
            }
            Ok(Break {
                earliest_s: w.start_s,
                latest_s: (w.start_s + window_length_s(w) - length_s) % DAY_S,
                length_s,
            })
        }
    }
}

/// A feature's schedule from its properties `every` (a duration, or seconds), `passes` (a
/// whole number from 1) and `windows` (text, or a list of texts); `Err((field, reason))`.
///
/// ```
/// use patrolmap_core::scenario::schedule::schedule_from;
/// let props = serde_json::json!({"every": "2h", "windows": ["07:00-08:00", "16:30-17:30"]});
/// let s = schedule_from(props.as_object().unwrap()).unwrap();
/// assert_eq!((s.every_s, s.windows.len()), (Some(7200.0), 2));
/// let bad = serde_json::json!({"passes": 0});
/// assert_eq!(schedule_from(bad.as_object().unwrap()).unwrap_err().0, "passes");
/// ```
pub fn schedule_from(
    props: &serde_json::Map<String, serde_json::Value>,
) -> Result<Schedule, (&'static str, String)> {
    use serde_json::Value;
    let every_s = match props.get("every") {
        None | Some(Value::Null) => None,
        Some(Value::Number(n)) => Some(n.as_f64().filter(|v| *v > 0.0).ok_or((
            "every",
            format!("every: expected a duration like 2h, got {n}"),
        ))?),
        Some(Value::String(t)) => {
            Some(duration_s(t).map_err(|e| ("every", format!("every: {e}")))?)
        }
        Some(other) => {
            return Err((
                "every",
                format!("every: expected a duration like 2h, got {other}"),
            ))
        }
    };
    let passes = match props.get("passes") {
        None | Some(Value::Null) => None,
        Some(v) => {
            let n = v
                .as_u64()
                .or_else(|| v.as_str().and_then(|t| t.trim().parse().ok()))
                .filter(|n| (1..=1000).contains(n))
                .ok_or((
                    "passes",
                    format!("passes: expected a whole number from 1 to 1000, got {v}"),
                ))?;
            Some(n as u32)
        }
    };
    let windows = match props.get("windows") {
        None | Some(Value::Null) => Vec::new(),
        Some(v) => texts(v)
            .ok_or_else(|| format!("windows: expected hours like \"07:00-08:00\", got {v}"))
            .and_then(|list| {
                list.iter()
                    .map(|t| clock_windows(t))
                    .collect::<Result<Vec<_>, _>>()
                    .map(|w| w.concat())
                    .map_err(|e| format!("windows: {e}"))
            })
            .map_err(|e| ("windows", e))?,
    };
    Ok(Schedule {
        every_s,
        passes,
        windows,
    })
}

/// A unit's duty from its properties `shift` (`08:00-16:00`) and `break` (text, or a list of
/// texts; see [`parse_break`]); `Err((field, reason))`.
///
/// ```
/// use patrolmap_core::scenario::schedule::duty_from;
/// let props = serde_json::json!({"shift": "08:00-16:00", "break": "30m in 11:30-13:30"});
/// let d = duty_from(props.as_object().unwrap()).unwrap();
/// assert_eq!(d.breaks[0].length_s, 1800.0);
/// let bad = serde_json::json!({"shift": "8-16"});
/// assert_eq!(duty_from(bad.as_object().unwrap()).unwrap_err().0, "shift");
/// ```
pub fn duty_from(
    props: &serde_json::Map<String, serde_json::Value>,
) -> Result<Duty, (&'static str, String)> {
    use serde_json::Value;
    let shift = match props.get("shift") {
        None | Some(Value::Null) => None,
        Some(Value::String(t)) => {
            Some(clock_window(t).map_err(|e| ("shift", format!("shift: {e}")))?)
        }
        Some(other) => {
            return Err((
                "shift",
                format!("shift: expected hours like \"08:00-16:00\", got {other}"),
            ))
        }
    };
    let breaks = match props.get("break") {
        None | Some(Value::Null) => Vec::new(),
        Some(v) => texts(v)
            .ok_or_else(|| {
                format!("break: expected \"12:00-12:30\" or \"30m in 11:00-14:00\", got {v}")
            })
            .and_then(|list| {
                list.iter()
                    .flat_map(|t| t.split([';', '；']))
                    .filter(|t| !t.trim().is_empty())
                    .map(parse_break)
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(|e| format!("break: {e}"))
            })
            .map_err(|e| ("break", e))?,
    };
    Ok(Duty { shift, breaks })
}

/// A text, or a list of texts.
fn texts(v: &serde_json::Value) -> Option<Vec<String>> {
    match v {
        serde_json::Value::String(t) => Some(vec![t.clone()]),
        serde_json::Value::Array(items) => items
            .iter()
            .map(|i| i.as_str().map(str::to_string))
            .collect(),
        _ => None,
    }
}

/// How long a clock window lasts, in seconds (a whole day when it starts where it ends).
pub fn window_length_s(w: ClockWindow) -> f64 {
    let d = (w.end_s - w.start_s).rem_euclid(DAY_S);
    if d == 0.0 {
        DAY_S
    } else {
        d
    }
}

/// Seconds into a shift that starts at `shift_start_s` (clock) of the clock time `clock_s`,
/// the first such moment at or after the shift's start.
pub fn into_shift_s(shift_start_s: f64, clock_s: f64) -> f64 {
    (clock_s - shift_start_s).rem_euclid(DAY_S)
}

/// The parts of the shift (`0..shift_s`, starting at `shift_start_s` by the clock) that lie
/// in `windows`, in order, as [`Slot`]s; the whole shift when there are none.
pub fn open_hours(windows: &[ClockWindow], shift_start_s: f64, shift_s: f64) -> Vec<Slot> {
    if windows.is_empty() {
        return vec![Slot {
            start_s: 0.0,
            end_s: shift_s,
        }];
    }
    let mut out = Vec::new();
    for w in windows {
        let length = window_length_s(*w);
        // The window's occurrences that may overlap the shift: the one that started the day
        // before, and those after.
        let first = into_shift_s(shift_start_s, w.start_s);
        let mut start = first - DAY_S;
        while start < shift_s {
            let (a, b) = (start.max(0.0), (start + length).min(shift_s));
            if b > a {
                out.push(Slot {
                    start_s: a,
                    end_s: b,
                });
            }
            start += DAY_S;
        }
    }
    out.sort_by(|a, b| a.start_s.total_cmp(&b.start_s));
    // Overlapping windows open one span.
    let mut merged: Vec<Slot> = Vec::new();
    for s in out {
        match merged.last_mut() {
            Some(last) if s.start_s <= last.end_s => last.end_s = last.end_s.max(s.end_s),
            _ => merged.push(s),
        }
    }
    merged
}

/// The passes `schedule` asks of a shift of `shift_s` starting at `shift_start_s` by the
/// clock, each as the slot it must fall in:
/// - `every`: each open span cut into periods of that length from its start, one pass in each
///   (the last period may be shorter);
/// - `passes`: that many, the open spans shared out by their length and each cut evenly;
/// - neither: one pass in each open span (the whole shift when no windows).
///
/// ```
/// use patrolmap_core::scenario::schedule::{clock_windows, slots, Schedule};
/// let every_2h = Schedule { every_s: Some(7200.0), ..Schedule::default() };
/// assert_eq!(slots(&every_2h, 8.0 * 3600.0, 8.0 * 3600.0).len(), 4);
/// // A school gate, mornings and afternoons, in a day shift from 06:00 to 18:00.
/// let gate = Schedule { windows: clock_windows("07:00-08:00,16:30-17:30").unwrap(), ..Schedule::default() };
/// let s = slots(&gate, 6.0 * 3600.0, 12.0 * 3600.0);
/// assert_eq!((s[0].start_s, s[0].end_s), (3600.0, 7200.0));
/// assert_eq!(s[1].start_s, 10.5 * 3600.0);
/// ```
pub fn slots(schedule: &Schedule, shift_start_s: f64, shift_s: f64) -> Vec<Slot> {
    let open = open_hours(&schedule.windows, shift_start_s, shift_s);
    if let Some(every) = schedule.every_s.filter(|e| *e > 0.0) {
        let mut out = Vec::new();
        for span in &open {
            let mut a = span.start_s;
            while a < span.end_s - 1e-9 {
                out.push(Slot {
                    start_s: a,
                    end_s: (a + every).min(span.end_s),
                });
                a += every;
            }
        }
        return out;
    }
    let Some(passes) = schedule.passes.filter(|p| *p > 0) else {
        return open;
    };
    // Largest remainder: each span gets passes in proportion to its length.
    let total: f64 = open.iter().map(|s| s.end_s - s.start_s).sum();
    if total <= 0.0 {
        return Vec::new();
    }
    let shares: Vec<f64> = open
        .iter()
        .map(|s| f64::from(passes) * (s.end_s - s.start_s) / total)
        .collect();
    let mut counts: Vec<u32> = shares.iter().map(|s| s.floor() as u32).collect();
    let mut left = passes - counts.iter().sum::<u32>();
    let mut order: Vec<usize> = (0..open.len()).collect();
    order.sort_by(|&a, &b| {
        (shares[b] - shares[b].floor()).total_cmp(&(shares[a] - shares[a].floor()))
    });
    for &i in order.iter().cycle().take(open.len() * 2) {
        if left == 0 {
            break;
        }
        counts[i] += 1;
        left -= 1;
    }
    let mut out = Vec::new();
    for (span, &n) in open.iter().zip(&counts) {
        let part = (span.end_s - span.start_s) / f64::from(n.max(1));
        for j in 0..n {
            out.push(Slot {
                start_s: span.start_s + part * f64::from(j),
                end_s: span.start_s + part * f64::from(j + 1),
            });
        }
    }
    out
}

/// A unit's time on duty within the plan's shift, in seconds from its start: its own shift
/// clipped to the plan's, or the whole plan's shift.
pub fn duty_span(duty: &Duty, shift_start_s: f64, shift_s: f64) -> Slot {
    match duty.shift {
        None => Slot {
            start_s: 0.0,
            end_s: shift_s,
        },
        Some(w) => {
            let a = into_shift_s(shift_start_s, w.start_s);
            // A unit whose shift began before the plan's is on duty from its start.
            let a = if a + window_length_s(w) > DAY_S {
                0.0
            } else {
                a
            };
            let b = into_shift_s(shift_start_s, w.end_s);
            let b = if b <= a { shift_s } else { b };
            Slot {
                start_s: a.min(shift_s),
                end_s: b.min(shift_s),
            }
        }
    }
}

/// A break within the shift: earliest and latest start in seconds from the shift's start.
pub fn break_in_shift(b: &Break, shift_start_s: f64) -> Slot {
    let a = into_shift_s(shift_start_s, b.earliest_s);
    Slot {
        start_s: a,
        end_s: a + (b.latest_s - b.earliest_s).rem_euclid(DAY_S),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_night_market_window_crossing_midnight_opens_one_span_in_a_night_shift() {
        let market = Schedule {
            windows: clock_windows("20:00-02:00").unwrap(),
            every_s: Some(3600.0),
            ..Schedule::default()
        };
        // Night shift 18:00 to 06:00.
        let s = slots(&market, 18.0 * 3600.0, 12.0 * 3600.0);
        assert_eq!(s.len(), 6);
        assert_eq!(s[0].start_s, 2.0 * 3600.0);
        assert_eq!(s[5].end_s, 8.0 * 3600.0);
    }

    #[test]
    fn passes_share_the_open_hours_by_length() {
        let s = Schedule {
            passes: Some(3),
            windows: clock_windows("08:00-10:00, 14:00-15:00").unwrap(),
            ..Schedule::default()
        };
        let got = slots(&s, 8.0 * 3600.0, 8.0 * 3600.0);
        assert_eq!(got.len(), 3);
        assert_eq!(got[1].end_s, 2.0 * 3600.0);
        assert_eq!(got[2].start_s, 6.0 * 3600.0);
    }

    #[test]
    fn an_every_longer_than_the_shift_is_one_pass() {
        let s = Schedule {
            every_s: Some(10.0 * 3600.0),
            ..Schedule::default()
        };
        assert_eq!(slots(&s, 0.0, 8.0 * 3600.0).len(), 1);
    }

    #[test]
    fn a_window_outside_the_shift_asks_nothing() {
        let s = Schedule {
            windows: clock_windows("20:00-21:00").unwrap(),
            ..Schedule::default()
        };
        assert!(slots(&s, 8.0 * 3600.0, 8.0 * 3600.0).is_empty());
    }

    #[test]
    fn a_unit_shift_is_clipped_to_the_plan() {
        let duty = Duty {
            shift: Some(clock_window("10:00-14:00").unwrap()),
            breaks: vec![],
        };
        let span = duty_span(&duty, 8.0 * 3600.0, 8.0 * 3600.0);
        assert_eq!((span.start_s, span.end_s), (7200.0, 6.0 * 3600.0));
        let late = Duty {
            shift: Some(clock_window("14:00-22:00").unwrap()),
            breaks: vec![],
        };
        assert_eq!(
            duty_span(&late, 8.0 * 3600.0, 8.0 * 3600.0).end_s,
            8.0 * 3600.0
        );
    }
}
