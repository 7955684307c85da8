//! Formatting for people: sizes in binary units, digests, dates in the viewer's zone, ages and
//! durations. Pure functions (the browser supplies the time-zone offset), so they are unit-tested.

/// Text shown wherever a value is missing or implausible: never "0 B" or 1970.
pub const UNKNOWN: &str = "unknown";

const MS_PER_MINUTE: i64 = 60_000;
const MS_PER_DAY: i64 = 86_400_000;

/// A size in binary units with one decimal (`356.6 MiB`); whole bytes below 1 KiB.
pub fn format_size(bytes: u64) -> String {
    const UNITS: [&str; 6] = ["KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
    if bytes < 1024 {
        return format!("{bytes} B");
    }
    // Integer tenths, rounded half up (no float formatting: it would cost bundle size). A value
    // that rounds to 1024.0 moves up a unit.
    let mut divisor: u128 = 1024;
    let mut unit = 0;
    loop {
        let tenths = (u128::from(bytes) * 10 + divisor / 2) / divisor;
        if tenths < 10_240 || unit + 1 == UNITS.len() {
            return format!("{}.{} {}", tenths / 10, tenths % 10, UNITS[unit]);
        }
        divisor *= 1024;
        unit += 1;
    }
}

/// An optional size: `unknown` when missing.
pub fn format_optional_size(bytes: Option<u64>) -> String {
    bytes.map_or_else(|| UNKNOWN.to_owned(), format_size)
}

/// The exact byte count with thousands separators (`373,886,615 bytes`), for hover text.
pub fn format_exact_bytes(bytes: u64) -> String {
    let digits = bytes.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 6);
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    out.push_str(if bytes == 1 { " byte" } else { " bytes" });
    out
}

/// A digest shortened the way `docker images` does: 12 hex characters. Other algorithms keep
/// their prefix so `sha512` is never mistaken for `sha256`.
pub fn short_digest(digest: &str) -> String {
    match digest.split_once(':') {
        Some(("sha256", hex)) => hex.chars().take(12).collect(),
        Some((algorithm, hex)) => {
            format!("{algorithm}:{}", hex.chars().take(12).collect::<String>())
        }
        None => digest.chars().take(19).collect(),
    }
}

/// A calendar date and time of day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CivilTime {
    /// Year (proleptic Gregorian).
    pub year: i64,
    /// Month, 1 to 12.
    pub month: u32,
    /// Day of the month, 1 to 31.
    pub day: u32,
    /// Hour, 0 to 23.
    pub hour: u32,
    /// Minute, 0 to 59.
    pub minute: u32,
    /// Second, 0 to 59.
    pub second: u32,
}

/// Splits Unix milliseconds (already shifted to the wanted zone) into calendar fields.
pub fn civil_from_ms(ms: i64) -> CivilTime {
    let days = ms.div_euclid(MS_PER_DAY);
    let ms_of_day = ms.rem_euclid(MS_PER_DAY);
    let (year, month, day) = civil_from_days(days);
    let secs = ms_of_day / 1000;
    CivilTime {
        year,
        month,
        day,
        hour: u32::try_from(secs / 3600).unwrap_or(0),
        minute: u32::try_from(secs / 60 % 60).unwrap_or(0),
        second: u32::try_from(secs % 60).unwrap_or(0),
    }
}

/// Howard Hinnant's `civil_from_days`: days since 1970-01-01 to (year, month, day).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (
        year,
        u32::try_from(month).unwrap_or(1),
        u32::try_from(day).unwrap_or(1),
    )
}

/// Days since 1970-01-01 of a calendar date (inverse of [`civil_from_ms`]'s date part).
pub fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let yoe = year.rem_euclid(400);
    let month = i64::from(month);
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// `UTC`, `UTC+01:00`, `UTC-05:30`: the zone, given minutes east of UTC.
pub fn format_utc_offset(offset_minutes: i32) -> String {
    if offset_minutes == 0 {
        return "UTC".to_owned();
    }
    let sign = if offset_minutes > 0 { '+' } else { '-' };
    let abs = offset_minutes.unsigned_abs();
    format!("UTC{sign}{:02}:{:02}", abs / 60, abs % 60)
}

/// Date and time in the viewer's zone: `2023-11-01 01:53 UTC+01:00`.
pub fn format_local(ms: i64, offset_minutes: i32) -> String {
    let t = civil_from_ms(ms + i64::from(offset_minutes) * MS_PER_MINUTE);
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02} {}",
        t.year,
        t.month,
        t.day,
        t.hour,
        t.minute,
        format_utc_offset(offset_minutes)
    )
}

/// The exact UTC time, for hover text: `2023-11-01 00:53:26 UTC`.
pub fn format_utc(ms: i64) -> String {
    let t = civil_from_ms(ms);
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02} UTC",
        t.year, t.month, t.day, t.hour, t.minute, t.second
    )
}

/// ISO 8601 in UTC for `<time datetime>`: `2023-11-01T00:53:26Z`.
pub fn format_iso(ms: i64) -> String {
    let t = civil_from_ms(ms);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        t.year, t.month, t.day, t.hour, t.minute, t.second
    )
}

/// A moment relative to now, in words: `just now`, `5 minutes ago`, `2 years ago`, `in 3 days`.
pub fn relative_age(now_ms: i64, then_ms: i64) -> String {
    let diff = now_ms - then_ms;
    let future = diff < 0;
    let secs = diff.unsigned_abs() / 1000;
    let (count, unit) = match secs {
        0..45 => return "just now".to_owned(),
        45..3_600 => (((secs + 30) / 60).max(1), "minute"),
        3_600..86_400 => (secs / 3_600, "hour"),
        86_400..2_592_000 => (secs / 86_400, "day"),
        2_592_000..31_536_000 => (secs / 2_592_000, "month"),
        _ => (secs / 31_536_000, "year"),
    };
    let units = if count == 1 {
        unit.to_owned()
    } else {
        format!("{unit}s")
    };
    if future {
        format!("in {count} {units}")
    } else {
        format!("{count} {units} ago")
    }
}

/// A duration for elapsed times: `45 s`, `3 min 12 s`, `1 h 5 min`.
pub fn format_duration(ms: i64) -> String {
    let secs = ms.max(0) / 1000;
    match secs {
        0..60 => format!("{secs} s"),
        60..3_600 => format!("{} min {} s", secs / 60, secs % 60),
        _ => format!("{} h {} min", secs / 3_600, secs / 60 % 60),
    }
}

/// Parses an `<input type="datetime-local">` value (`2024-05-01T13:45`, seconds optional) in the
/// viewer's zone into Unix milliseconds. `offset_minutes` is the zone's offset east of UTC.
pub fn parse_local_datetime(value: &str, offset_minutes: i32) -> Option<i64> {
    let (date, time) = value.trim().split_once('T')?;
    let mut date_parts = date.splitn(3, '-');
    let year: i64 = date_parts.next()?.parse().ok()?;
    let month: u32 = date_parts.next()?.parse().ok()?;
    let day: u32 = date_parts.next()?.parse().ok()?;
    let mut time_parts = time.splitn(3, ':');
    let hour: i64 = time_parts.next()?.parse().ok()?;
    let minute: i64 = time_parts.next()?.parse().ok()?;
    let (second, millis) = match time_parts.next() {
        None => (0, 0),
        Some(s) => parse_seconds(s)?,
    };
    let valid = (1..=12).contains(&month)
        && (1..=31).contains(&day)
        && (0..24).contains(&hour)
        && (0..60).contains(&minute)
        && (0..60).contains(&second);
    if !valid {
        return None;
    }
    let days = days_from_civil(year, month, day);
    let second_ms = second * 1000 + millis;
    let local_ms = days * MS_PER_DAY + hour * 3_600_000 + minute * MS_PER_MINUTE + second_ms;
    Some(local_ms - i64::from(offset_minutes) * MS_PER_MINUTE)
}

/// `SS` or `SS.fff` into whole seconds and milliseconds.
fn parse_seconds(text: &str) -> Option<(i64, i64)> {
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    let seconds = whole.parse().ok()?;
    if !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let millis = format!("{fraction:0<3}")[..3].parse().ok()?;
    Some((seconds, millis))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_use_binary_units_with_one_decimal() {
        assert_eq!(format_size(0), "0 B");
        assert_eq!(format_size(1023), "1023 B");
        assert_eq!(format_size(1024), "1.0 KiB");
        assert_eq!(format_size(373_886_615), "356.6 MiB");
        assert_eq!(format_size(5 * 1024 * 1024 * 1024), "5.0 GiB");
        assert_eq!(format_size(u64::MAX), "16.0 EiB");
        // Just below a unit boundary rounds up into the next unit, not "1024.0 KiB".
        assert_eq!(format_size(1024 * 1024 - 1), "1.0 MiB");
    }

    #[test]
    fn unknown_sizes_say_unknown_never_zero() {
        assert_eq!(format_optional_size(None), "unknown");
        assert_eq!(format_optional_size(Some(0)), "0 B");
    }

    #[test]
    fn exact_bytes_have_separators() {
        assert_eq!(format_exact_bytes(373_886_615), "373,886,615 bytes");
        assert_eq!(format_exact_bytes(1), "1 byte");
        assert_eq!(format_exact_bytes(999), "999 bytes");
        assert_eq!(format_exact_bytes(1000), "1,000 bytes");
        assert_eq!(
            format_exact_bytes(9_007_199_254_740_993),
            "9,007,199,254,740,993 bytes"
        );
    }

    #[test]
    fn digests_are_shortened_like_docker_does() {
        let d = format!("sha256:{}", "ab12".repeat(16));
        assert_eq!(short_digest(&d), "ab12ab12ab12");
        let d = format!("sha512:{}", "cd".repeat(64));
        assert_eq!(short_digest(&d), "sha512:cdcdcdcdcdcd");
        assert_eq!(short_digest("odd"), "odd");
    }

    #[test]
    fn the_vendor_example_timestamp_formats_in_utc_and_local_zones() {
        let ms = 1_698_800_006_000;
        assert_eq!(format_utc(ms), "2023-11-01 00:53:26 UTC");
        assert_eq!(format_iso(ms), "2023-11-01T00:53:26Z");
        assert_eq!(format_local(ms, 60), "2023-11-01 01:53 UTC+01:00");
        assert_eq!(format_local(ms, -300), "2023-10-31 19:53 UTC-05:00");
        assert_eq!(format_local(ms, 330), "2023-11-01 06:23 UTC+05:30");
        assert_eq!(format_local(ms, 0), "2023-11-01 00:53 UTC");
    }

    #[test]
    fn calendar_conversion_round_trips_across_leap_years_and_before_1970() {
        for days in [-800_000, -1, 0, 59, 60, 365, 11_016, 19_662, 2_932_896] {
            let t = civil_from_ms(days * MS_PER_DAY);
            assert_eq!(days_from_civil(t.year, t.month, t.day), days);
        }
        let leap = civil_from_ms(days_from_civil(2024, 2, 29) * MS_PER_DAY);
        assert_eq!((leap.year, leap.month, leap.day), (2024, 2, 29));
    }

    #[test]
    fn ages_read_naturally() {
        let now = 1_700_000_000_000;
        assert_eq!(relative_age(now, now - 10_000), "just now");
        assert_eq!(relative_age(now, now - 60_000), "1 minute ago");
        assert_eq!(relative_age(now, now - 5 * 60_000), "5 minutes ago");
        assert_eq!(relative_age(now, now - 3 * 3_600_000), "3 hours ago");
        assert_eq!(relative_age(now, now - 86_400_000), "1 day ago");
        assert_eq!(relative_age(now, now - 40 * 86_400_000), "1 month ago");
        assert_eq!(relative_age(now, now - 800 * 86_400_000), "2 years ago");
        assert_eq!(relative_age(now, now + 3_600_000), "in 1 hour");
        assert_eq!(relative_age(now, now + 200 * 86_400_000), "in 6 months");
        assert_eq!(relative_age(now, now + 20_000), "just now");
    }

    #[test]
    fn durations_are_compact() {
        assert_eq!(format_duration(45_000), "45 s");
        assert_eq!(format_duration(192_000), "3 min 12 s");
        assert_eq!(format_duration(3_900_000), "1 h 5 min");
        assert_eq!(format_duration(-5), "0 s");
    }

    #[test]
    fn datetime_local_inputs_parse_in_the_viewers_zone() {
        assert_eq!(
            parse_local_datetime("2023-11-01T01:53:26", 60),
            Some(1_698_800_006_000)
        );
        assert_eq!(
            parse_local_datetime("2023-11-01T00:53", 0),
            Some(1_698_799_980_000)
        );
        assert_eq!(
            parse_local_datetime("2023-11-01T00:53:26.5", 0),
            Some(1_698_800_006_500)
        );
        assert_eq!(parse_local_datetime("2023-11-01T00:53:2x", 0), None);
        assert_eq!(parse_local_datetime("", 0), None);
        assert_eq!(parse_local_datetime("2023-13-01T00:00", 0), None);
        assert_eq!(parse_local_datetime("yesterday", 0), None);
    }
}
