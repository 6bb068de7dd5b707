//! Docker's human-readable units (go-units `HumanDuration`, `HumanSizeWithPrecision`),
//! shared because the daemon writes `Status` text ("Up 5 seconds") and the CLI writes
//! the CREATED and SIZE columns, and both must read exactly like Docker's.

/// Go's `time.ParseDuration` ("1h30m", "1.5s", "300ms", "-2m", "0"), in nanoseconds:
/// the CLI's `--health-interval` and `--since 10m`, the daemon's `until` filters and the
/// image builder's `HEALTHCHECK --interval` all read durations this way. A bare number
/// other than `0` has no unit and is refused, as in Go.
pub fn parse_go_duration(s: &str) -> Option<i128> {
    let (neg, mut rest) = match s.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, s.strip_prefix('+').unwrap_or(s)),
    };
    if rest == "0" {
        return Some(0);
    }
    if rest.is_empty() {
        return None;
    }
    let mut total = 0f64;
    while !rest.is_empty() {
        let num_len = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        if num_len == 0 {
            return None;
        }
        let n: f64 = rest[..num_len].parse().ok()?;
        rest = &rest[num_len..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let scale = match &rest[..unit_len] {
            "ns" => 1.0,
            "us" | "µs" | "μs" => 1e3,
            "ms" => 1e6,
            "s" => 1e9,
            "m" => 60e9,
            "h" => 3600e9,
            _ => return None,
        };
        total += n * scale;
        rest = &rest[unit_len..];
    }
    // Go durations are whole nanoseconds.
    #[allow(clippy::cast_possible_truncation)]
    let ns = total.round() as i128;
    Some(if neg { -ns } else { ns })
}

/// go-units `HumanDuration`: "Less than a second", "1 second", "About a minute",
/// "3 hours", "2 weeks"... Negative durations count as zero.
pub fn human_duration(secs_f: f64) -> String {
    let seconds = secs_f.max(0.0) as i64;
    if seconds < 1 {
        return "Less than a second".into();
    }
    if seconds == 1 {
        return "1 second".into();
    }
    if seconds < 60 {
        return format!("{seconds} seconds");
    }
    let minutes = seconds / 60;
    if minutes == 1 {
        return "About a minute".into();
    }
    if minutes < 60 {
        return format!("{minutes} minutes");
    }
    let hours = (secs_f / 3600.0).round() as i64;
    if hours == 1 {
        return "About an hour".into();
    }
    if hours < 48 {
        return format!("{hours} hours");
    }
    if hours < 24 * 7 * 2 {
        return format!("{} days", hours / 24);
    }
    if hours < 24 * 30 * 2 {
        return format!("{} weeks", hours / 24 / 7);
    }
    if hours < 24 * 365 * 2 {
        return format!("{} months", hours / 24 / 30);
    }
    format!("{} years", (secs_f / 3600.0) as i64 / 24 / 365)
}

/// go-units `HumanSizeWithPrecision`: decimal units (kB = 1000 B), Go's `%.*g`.
/// `human_size(4261550.0, 3)` is "4.26MB".
pub fn human_size(size: f64, precision: usize) -> String {
    const UNITS: [&str; 9] = ["B", "kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB"];
    let mut s = size;
    let mut i = 0;
    while s >= 1000.0 && i < UNITS.len() - 1 {
        s /= 1000.0;
        i += 1;
    }
    format!("{}{}", go_fmt_g(s, precision), UNITS[i])
}

/// Go's `%.*g`: `prec` significant digits, trailing zeros removed, exponent form when the
/// exponent is < -4 or >= prec (Go writes at least two exponent digits: `1e+03`).
pub fn go_fmt_g(v: f64, prec: usize) -> String {
    let prec = prec.max(1);
    if v == 0.0 {
        return "0".into();
    }
    // Round to `prec` significant digits first: the exponent is the rounded value's.
    let e = format!("{:.*e}", prec - 1, v);
    let (mant, exp) = e.split_once('e').unwrap_or((&e, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    if exp < -4 || exp >= prec as i32 {
        let mant = trim_zeros(mant);
        let sign = if exp < 0 { '-' } else { '+' };
        return format!("{mant}e{sign}{:02}", exp.abs());
    }
    let decimals = (prec as i32 - 1 - exp).max(0) as usize;
    trim_zeros(&format!("{v:.decimals$}")).to_owned()
}

fn trim_zeros(s: &str) -> &str {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.')
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_durations() {
        assert_eq!(parse_go_duration("10s"), Some(10_000_000_000));
        assert_eq!(parse_go_duration("1h30m"), Some(5_400_000_000_000));
        assert_eq!(parse_go_duration("1.5m"), Some(90_000_000_000));
        assert_eq!(parse_go_duration("300ms"), Some(300_000_000));
        assert_eq!(parse_go_duration("-2m"), Some(-120_000_000_000));
        assert_eq!(parse_go_duration("0"), Some(0));
        for bad in ["10", "10x", "", "s", "-"] {
            assert_eq!(parse_go_duration(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn durations() {
        assert_eq!(human_duration(0.5), "Less than a second");
        assert_eq!(human_duration(-3.0), "Less than a second");
        assert_eq!(human_duration(1.0), "1 second");
        assert_eq!(human_duration(59.9), "59 seconds");
        assert_eq!(human_duration(60.0), "About a minute");
        assert_eq!(human_duration(119.0), "About a minute");
        assert_eq!(human_duration(120.0), "2 minutes");
        assert_eq!(human_duration(3599.0), "59 minutes");
        assert_eq!(human_duration(3600.0), "About an hour");
        assert_eq!(human_duration(5400.0), "2 hours");
        assert_eq!(human_duration(47.0 * 3600.0), "47 hours");
        assert_eq!(human_duration(48.0 * 3600.0), "2 days");
        assert_eq!(human_duration(14.0 * 86400.0), "2 weeks");
        assert_eq!(human_duration(60.0 * 86400.0), "2 months");
        assert_eq!(human_duration(800.0 * 86400.0), "2 years");
    }

    #[test]
    fn sizes() {
        assert_eq!(human_size(0.0, 3), "0B");
        assert_eq!(human_size(999.0, 3), "999B");
        assert_eq!(human_size(1000.0, 3), "1kB");
        assert_eq!(human_size(4261550.0, 3), "4.26MB");
        assert_eq!(human_size(12345.0, 3), "12.3kB");
        assert_eq!(human_size(1_500_000_000.0, 4), "1.5GB");
        assert_eq!(human_size(999_600.0, 3), "1e+03kB");
        assert_eq!(human_size(7_700_000.0, 3), "7.7MB");
    }

    #[test]
    fn fmt_g() {
        assert_eq!(go_fmt_g(0.0001, 3), "0.0001");
        assert_eq!(go_fmt_g(0.00001, 3), "1e-05");
        assert_eq!(go_fmt_g(123.456, 4), "123.5");
        assert_eq!(go_fmt_g(100.0, 3), "100");
    }
}
