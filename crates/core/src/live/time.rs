//! Times as a GPS gateway sends them: Unix seconds, or RFC 3339 (`2026-12-04T08:15:00+08:00`).

/// The Unix time of `text`: a number of seconds, or an RFC 3339 date and time with `Z` or an
/// offset (fractions of a second kept). `None` when it is neither.
///
/// ```
/// use patrolmap_core::live::time::unix_s;
/// assert_eq!(unix_s("1764806400"), Some(1764806400.0));
/// assert_eq!(unix_s("2025-12-04T00:00:00Z"), Some(1764806400.0));
/// assert_eq!(unix_s("2025-12-04T08:00:00.5+08:00"), Some(1764806400.5));
/// assert_eq!(unix_s("2025-12-04 08:00"), None);
/// ```
pub fn unix_s(text: &str) -> Option<f64> {
    let text = text.trim();
    if let Ok(s) = text.parse::<f64>() {
        return s.is_finite().then_some(s);
    }
    let b = text.as_bytes();
    if b.len() < 20 || !matches!(b[10], b'T' | b't' | b' ') {
        return None;
    }
    let num = |range: std::ops::Range<usize>| -> Option<i64> {
        let part = text.get(range)?;
        part.bytes()
            .all(|c| c.is_ascii_digit())
            .then(|| part.parse().ok())?
    };
    if b[4] != b'-' || b[7] != b'-' || b[13] != b':' || b[16] != b':' {
        return None;
    }
    let (year, month, day) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (hour, minute, second) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if !(1..=12).contains(&month)
        || day < 1
        || day > days_in_month(year, month)
        || hour > 23
        || minute > 59
        || second > 60
    {
        return None;
    }
    let mut rest = &text[19..];
    let mut fraction = 0.0;
    if let Some(digits) = rest.strip_prefix('.') {
        let n = digits.bytes().take_while(u8::is_ascii_digit).count();
        if n == 0 {
            return None;
        }
        fraction = format!("0.{}", &digits[..n]).parse().ok()?;
        rest = &digits[n..];
    }
    let offset_s = match rest {
        "Z" | "z" => 0,
        _ => {
            let sign = match rest.as_bytes().first()? {
                b'+' => 1,
                b'-' => -1,
                _ => return None,
            };
            let r = rest.as_bytes();
            if r.len() != 6 || r[3] != b':' {
                return None;
            }
            let (h, m): (i64, i64) = (rest[1..3].parse().ok()?, rest[4..6].parse().ok()?);
            if h > 23 || m > 59 {
                return None;
            }
            sign * (h * 3600 + m * 60)
        }
    };
    let days = days_from_civil(year, month, day);
    let s = days * 86_400 + hour * 3600 + minute * 60 + second - offset_s;
    Some(s as f64 + fraction)
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        4 | 6 | 9 | 11 => 30,
        2 if year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) => 29,
        2 => 28,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_agree_with_the_calendar() {
        assert_eq!(unix_s("1970-01-01T00:00:00Z"), Some(0.0));
        assert_eq!(unix_s("2000-03-01T00:00:00Z"), Some(951_868_800.0));
        assert_eq!(unix_s("2024-02-29T12:00:00-03:00"), Some(1_709_218_800.0));
        assert_eq!(unix_s("2023-02-29T12:00:00Z"), None);
        assert_eq!(unix_s("2024-13-01T00:00:00Z"), None);
        assert_eq!(unix_s("2024-01-01T00:00:00"), None);
        assert_eq!(unix_s("2024-01-01T00:00:00+8"), None);
        assert_eq!(unix_s("NaN"), None);
    }
}
