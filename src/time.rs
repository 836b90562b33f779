//! Timestamps without a clock dependency: the report's only volatile value, pinnable by
//! `--generated-at` or `SOURCE_DATE_EPOCH` (reproducible-builds convention).

use crate::model::Date;

/// `YYYY-MM-DDTHH:MM:SSZ` from seconds since the Unix epoch.
pub fn rfc3339_utc(epoch_secs: i64) -> String {
    let days = epoch_secs.div_euclid(86_400);
    let secs = epoch_secs.rem_euclid(86_400);
    let d = Date::from_days(days);
    format!(
        "{d}T{:02}:{:02}:{:02}Z",
        secs / 3600,
        (secs / 60) % 60,
        secs % 60
    )
}

/// The earliest report time accepted: 2000-01-01T00:00:00Z.
pub const MIN_EPOCH: i64 = 946_684_800;
/// The latest report time accepted: 9999-12-31T23:59:59Z (a four-digit year).
pub const MAX_EPOCH: i64 = 253_402_300_799;

/// Epoch seconds within [`MIN_EPOCH`]..=[`MAX_EPOCH`], as RFC 3339 UTC.
fn bounded_epoch(e: &str) -> Option<String> {
    e.parse::<i64>()
        .ok()
        .filter(|e| (MIN_EPOCH..=MAX_EPOCH).contains(e))
        .map(rfc3339_utc)
}

/// Accepts `YYYY-MM-DD`, `YYYY-MM-DDTHH:MM:SSZ` (or `+00:00`), or `@<epoch seconds>`, from
/// 2000-01-01 to 9999-12-31; returns the normalised RFC 3339 UTC form.
pub fn parse_timestamp(s: &str) -> Option<String> {
    let s = s.trim();
    if let Some(e) = s.strip_prefix('@') {
        return bounded_epoch(e);
    }
    let t = parse_any_timestamp(s)?;
    (t.as_str() >= "2000-01-01").then_some(t)
}

fn parse_any_timestamp(s: &str) -> Option<String> {
    if s.len() == 10 {
        return Date::parse(s).map(|d| format!("{d}T00:00:00Z"));
    }
    let (date, rest) = (s.get(..10)?, s.get(10..)?);
    let d = Date::parse(date)?;
    let rest = rest.strip_prefix('T').or_else(|| rest.strip_prefix(' '))?;
    let time = rest
        .strip_suffix('Z')
        .or_else(|| rest.strip_suffix("+00:00"))?;
    let b = time.as_bytes();
    if b.len() != 8 || b[2] != b':' || b[5] != b':' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| time.get(r)?.parse::<u32>().ok();
    let (h, m, sec) = (num(0..2)?, num(3..5)?, num(6..8)?);
    if h > 23 || m > 59 || sec > 59 {
        return None;
    }
    Some(format!("{d}T{h:02}:{m:02}:{sec:02}Z"))
}

/// A report time that cannot be read, named by where it came from.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TimeError {
    #[error("--generated-at: expected YYYY-MM-DD, YYYY-MM-DDTHH:MM:SSZ or @EPOCH, from 2000-01-01 to 9999-12-31, found {0:?}")]
    GeneratedAt(String),
    #[error("SOURCE_DATE_EPOCH: expected integer seconds since 1970, from {MIN_EPOCH} (2000-01-01) to {MAX_EPOCH} (9999-12-31), found {0:?}")]
    SourceDateEpoch(String),
}

/// The report time: explicit value, else `SOURCE_DATE_EPOCH`, else the system clock.
pub fn generated_at(explicit: Option<&str>) -> Result<String, TimeError> {
    if let Some(s) = explicit {
        return parse_timestamp(s).ok_or_else(|| TimeError::GeneratedAt(s.to_string()));
    }
    if let Ok(v) = std::env::var("SOURCE_DATE_EPOCH") {
        return bounded_epoch(v.trim()).ok_or(TimeError::SourceDateEpoch(v));
    }
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    Ok(rfc3339_utc(now))
}

/// Today (UTC): `SOURCE_DATE_EPOCH`'s day when set (reproducible runs), else the clock's.
pub fn today() -> Result<crate::model::Date, TimeError> {
    let now = generated_at(None)?;
    now.get(..10)
        .and_then(crate::model::Date::parse)
        .ok_or(TimeError::GeneratedAt(now))
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn epoch_round_trip() {
        assert_eq!(rfc3339_utc(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339_utc(1_767_225_600), "2026-01-01T00:00:00Z");
        assert_eq!(
            parse_timestamp("2026-01-31T10:20:30Z").as_deref(),
            Some("2026-01-31T10:20:30Z")
        );
        assert_eq!(
            parse_timestamp("2024-02-29").as_deref(),
            Some("2024-02-29T00:00:00Z")
        );
        assert_eq!(parse_timestamp("2025-02-29"), None);
        assert_eq!(
            parse_timestamp("@1767225600").as_deref(),
            Some("2026-01-01T00:00:00Z")
        );
    }

    #[test]
    fn a_time_outside_2000_to_9999_is_refused() {
        assert_eq!(parse_timestamp("@86400"), None);
        assert_eq!(parse_timestamp("@9223372036854775807"), None);
        assert_eq!(parse_timestamp("@-9223372036854775808"), None);
        assert_eq!(parse_timestamp("1999-12-31"), None);
        assert_eq!(parse_timestamp("1999-12-31T23:59:59Z"), None);
        assert_eq!(
            parse_timestamp(&format!("@{MIN_EPOCH}")).as_deref(),
            Some("2000-01-01T00:00:00Z")
        );
        assert_eq!(
            parse_timestamp(&format!("@{MAX_EPOCH}")).as_deref(),
            Some("9999-12-31T23:59:59Z")
        );
        assert_eq!(parse_timestamp(&format!("@{}", MAX_EPOCH + 1)), None);
    }

    #[test]
    fn an_unreadable_time_names_the_flag() {
        assert_eq!(
            generated_at(Some("soon")).unwrap_err().to_string(),
            "--generated-at: expected YYYY-MM-DD, YYYY-MM-DDTHH:MM:SSZ or @EPOCH, from 2000-01-01 to 9999-12-31, found \"soon\""
        );
    }
}
