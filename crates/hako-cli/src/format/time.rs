//! Time parsing and printing the docker CLI's way: `--since 10m`, RFC 3339 stamps,
//! `RFC3339NanoFixed` output, Go durations.

use time::format_description::well_known::Rfc3339;
use time::{OffsetDateTime, PrimitiveDateTime, UtcOffset};

/// A `--since`/`--until` value we cannot read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("failed to parse value as time or duration: {0:?}")]
pub struct BadTime(pub String);

/// A Go duration ("1h30m", "1.5s", "300ms", "-2m") in seconds.
pub fn parse_go_duration(s: &str) -> Option<f64> {
    #[allow(clippy::cast_precision_loss)]
    hako_api_types::units::parse_go_duration(s).map(|ns| ns as f64 / 1e9)
}

/// `timetypes.GetTimestamp`: a duration means "that long before `now`"; a Unix timestamp
/// passes through; RFC 3339 (or date, or date and time without zone, read as UTC) becomes
/// `seconds.nanoseconds`.
pub fn get_timestamp(value: &str, now: OffsetDateTime) -> Result<String, BadTime> {
    let bad = || BadTime(value.to_owned());
    if value != "0"
        && let Some(d) = parse_go_duration(value)
    {
        let t = now.unix_timestamp_nanos() - (d * 1e9) as i128;
        return Ok((t.div_euclid(1_000_000_000)).to_string());
    }
    if let Some(t) = parse_time(value) {
        return Ok(format!("{}.{:09}", t.unix_timestamp(), t.nanosecond()));
    }
    if value.contains('-') {
        return Err(bad());
    }
    let (secs, frac) = value.split_once('.').unwrap_or((value, "0"));
    let digits = |p: &str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit());
    if digits(secs) && digits(frac) {
        return Ok(value.to_owned());
    }
    Err(bad())
}

fn parse_time(v: &str) -> Option<OffsetDateTime> {
    if let Ok(t) = OffsetDateTime::parse(v, &Rfc3339) {
        return Some(t);
    }
    let fmts: [&[time::format_description::BorrowedFormatItem<'_>]; 4] = [
        time::macros::format_description!(
            "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond]"
        ),
        time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]"),
        time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]"),
        time::macros::format_description!("[year]-[month]-[day]T[hour]"),
    ];
    for f in fmts {
        if let Ok(t) = PrimitiveDateTime::parse(v, f) {
            return Some(t.assume_utc());
        }
    }
    let date = time::macros::format_description!("[year]-[month]-[day]");
    time::Date::parse(v, date)
        .ok()
        .map(|d| d.midnight().assume_utc())
}

/// Go's `RFC3339NanoFixed` ("2006-01-02T15:04:05.000000000Z07:00") in UTC.
pub fn rfc3339_nano_fixed(unix_nanos: i128) -> String {
    let Ok(t) = OffsetDateTime::from_unix_timestamp_nanos(unix_nanos) else {
        return unix_nanos.to_string();
    };
    let t = t.to_offset(UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:09}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        t.nanosecond()
    )
}

/// Go's `time.Time.String()` for a Unix second, in UTC: "2024-01-02 03:04:05 +0000 UTC".
pub fn go_time_string(unix: i64) -> String {
    match OffsetDateTime::from_unix_timestamp(unix) {
        Ok(t) => format!(
            "{:04}-{:02}-{:02} {:02}:{:02}:{:02} +0000 UTC",
            t.year(),
            u8::from(t.month()),
            t.day(),
            t.hour(),
            t.minute(),
            t.second()
        ),
        Err(_) => unix.to_string(),
    }
}

/// Go's `time.ANSIC` ("Mon Jan _2 15:04:05 2006"), in UTC.
pub fn ansic(t: OffsetDateTime) -> String {
    let t = t.to_offset(UtcOffset::UTC);
    let wd = &format!("{:?}", t.weekday())[..3];
    let mon = &format!("{:?}", t.month())[..3];
    format!(
        "{wd} {mon} {:>2} {:02}:{:02}:{:02} {}",
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        t.year()
    )
}

/// Parses the daemon's RFC 3339 timestamps (`Created` of inspect).
pub fn parse_rfc3339(s: &str) -> Option<OffsetDateTime> {
    OffsetDateTime::parse(s, &Rfc3339).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_durations() {
        assert_eq!(parse_go_duration("10s"), Some(10.0));
        assert_eq!(parse_go_duration("1h30m"), Some(5400.0));
        assert_eq!(parse_go_duration("1.5m"), Some(90.0));
        assert_eq!(parse_go_duration("300ms"), Some(0.3));
        assert_eq!(parse_go_duration("-2m"), Some(-120.0));
        assert_eq!(parse_go_duration("10"), None);
        assert_eq!(parse_go_duration("10x"), None);
        assert_eq!(parse_go_duration(""), None);
    }

    #[test]
    fn timestamps() {
        let now = OffsetDateTime::from_unix_timestamp(1_700_000_000).unwrap();
        assert_eq!(get_timestamp("10m", now).unwrap(), "1699999400");
        assert_eq!(get_timestamp("1700000000", now).unwrap(), "1700000000");
        assert_eq!(get_timestamp("1700000000.5", now).unwrap(), "1700000000.5");
        assert_eq!(get_timestamp("0", now).unwrap(), "0");
        assert_eq!(
            get_timestamp("2023-11-14T22:13:20Z", now).unwrap(),
            "1700000000.000000000"
        );
        assert_eq!(
            get_timestamp("2023-11-14T22:13:20.25+00:00", now).unwrap(),
            "1700000000.250000000"
        );
        assert_eq!(
            get_timestamp("2023-11-14", now).unwrap(),
            "1699920000.000000000"
        );
        assert!(get_timestamp("2023-13-99", now).is_err());
        assert!(get_timestamp("yesterday", now).is_err());
    }

    #[test]
    fn printing() {
        assert_eq!(
            rfc3339_nano_fixed(1_700_000_000_123_000_000),
            "2023-11-14T22:13:20.123000000Z"
        );
        assert_eq!(
            go_time_string(1_700_000_000),
            "2023-11-14 22:13:20 +0000 UTC"
        );
        let t = OffsetDateTime::from_unix_timestamp(1_778_188_176).unwrap();
        assert_eq!(ansic(t), "Thu May  7 21:09:36 2026");
    }
}
