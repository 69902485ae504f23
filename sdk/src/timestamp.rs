//! The protocol's time format: `yyyyMMddHHmmss` in UTC+8 (SPEC §3).
//!
//! ```
//! use sdk::timestamp;
//! use time::macros::datetime;
//!
//! let at = datetime!(2024-01-31 16:30:00 UTC);
//! assert_eq!(timestamp::format(at), "20240201003000");
//! assert_eq!(timestamp::parse("20240201003000"), Some(at));
//! ```

use time::{Date, Month, OffsetDateTime, PrimitiveDateTime, Time, UtcOffset};

/// The protocol's time zone, UTC+8 (China Standard Time).
pub const OFFSET: UtcOffset = match UtcOffset::from_hms(8, 0, 0) {
    Ok(offset) => offset,
    Err(_) => panic!("UTC+8 is a valid offset"),
};

/// Formats `at` as `yyyyMMddHHmmss` in UTC+8.
pub fn format(at: OffsetDateTime) -> String {
    let at = at.to_offset(OFFSET);
    format!(
        "{:04}{:02}{:02}{:02}{:02}{:02}",
        at.year(),
        u8::from(at.month()),
        at.day(),
        at.hour(),
        at.minute(),
        at.second()
    )
}

/// Parses `yyyyMMddHHmmss` read as UTC+8; `None` unless it is exactly 14 digits of a real time.
pub fn parse(text: &str) -> Option<OffsetDateTime> {
    if text.len() != 14 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    // Every slice below is ASCII digits, so the parses only fail on out-of-range values.
    let number = |range: std::ops::Range<usize>| text[range].parse::<u16>().ok();
    let year = i32::from(number(0..4)?);
    let month = Month::try_from(u8::try_from(number(4..6)?).ok()?).ok()?;
    let day = u8::try_from(number(6..8)?).ok()?;
    let hour = u8::try_from(number(8..10)?).ok()?;
    let minute = u8::try_from(number(10..12)?).ok()?;
    let second = u8::try_from(number(12..14)?).ok()?;
    let date = Date::from_calendar_date(year, month, day).ok()?;
    let time = Time::from_hms(hour, minute, second).ok()?;
    Some(PrimitiveDateTime::new(date, time).assume_offset(OFFSET))
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn formats_in_utc_plus_8_whatever_the_input_offset() {
        assert_eq!(format(datetime!(2010-09-01 23:59:59 UTC)), "20100902075959");
        assert_eq!(format(datetime!(2010-09-02 07:59:59 +8)), "20100902075959");
    }

    #[test]
    fn parse_refuses_what_is_not_a_real_time() {
        for bad in [
            "2010090207595",
            "201009020759590",
            "2010090207595x",
            "20100230000000",
            "20101302000000",
        ] {
            assert_eq!(parse(bad), None, "{bad}");
        }
        assert_eq!(parse("+0100902075959"), None);
        assert_eq!(parse("20100902240000"), None);
        assert_eq!(parse("20100902075959"), Some(datetime!(2010-09-01 23:59:59 UTC)));
    }
}
