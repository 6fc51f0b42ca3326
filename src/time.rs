//! Instants in UTC, parsed from and printed as `xs:dateTime` / RFC 3339.
//!
//! Validation never reads the clock: every check takes a [`Timestamp`] from the caller. The host
//! usually passes `Timestamp::now()` (or `SystemTime::now().into()`); tests pass a fixed instant.

use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// An instant in UTC with nanosecond precision, ordered, cheap to copy.
///
/// Range: years 0001 to 9999 (what `xs:dateTime` values in SAML use).
///
/// ```
/// use sso_scim::Timestamp;
/// let t = Timestamp::parse("2026-01-15T10:00:30.123Z").unwrap();
/// assert_eq!(t.to_string(), "2026-01-15T10:00:30.123Z");
/// assert_eq!(t.unix_seconds(), 1_768_471_230);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp {
    secs: i64,
    nanos: u32,
}

/// Why a text could not be read as an `xs:dateTime` instant.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{value:?} is not a valid UTC date-time (expected e.g. 2026-01-15T10:00:30Z): {reason}")]
pub struct TimestampError {
    /// The text, shortened to 64 characters.
    pub value: String,
    /// What was wrong with it.
    pub reason: &'static str,
}

const MIN_SECS: i64 = -62_135_596_800; // 0001-01-01T00:00:00Z
const MAX_SECS: i64 = 253_402_300_799; // 9999-12-31T23:59:59Z

impl Timestamp {
    /// The earliest representable instant, 0001-01-01T00:00:00Z.
    pub const MIN: Timestamp = Timestamp {
        secs: MIN_SECS,
        nanos: 0,
    };
    /// The latest representable instant, 9999-12-31T23:59:59.999999999Z.
    pub const MAX: Timestamp = Timestamp {
        secs: MAX_SECS,
        nanos: 999_999_999,
    };

    /// The current time from the system clock. Only hosts call this; the crate's checks never do.
    pub fn now() -> Timestamp {
        SystemTime::now().into()
    }

    /// An instant from seconds since the Unix epoch (clamped to the supported range).
    pub fn from_unix_seconds(secs: i64) -> Timestamp {
        Timestamp {
            secs: secs.clamp(MIN_SECS, MAX_SECS),
            nanos: 0,
        }
    }

    /// Seconds since the Unix epoch (negative before 1970), rounded down.
    pub fn unix_seconds(self) -> i64 {
        self.secs
    }

    /// The nanoseconds within the second.
    pub fn subsec_nanos(self) -> u32 {
        self.nanos
    }

    /// This instant moved later by `d`, saturating at [`Timestamp::MAX`].
    pub fn saturating_add(self, d: Duration) -> Timestamp {
        let secs = i64::try_from(d.as_secs()).unwrap_or(i64::MAX);
        let mut nanos = self.nanos + d.subsec_nanos();
        let mut carry = 0;
        if nanos >= 1_000_000_000 {
            nanos -= 1_000_000_000;
            carry = 1;
        }
        match self
            .secs
            .checked_add(secs)
            .and_then(|s| s.checked_add(carry))
        {
            Some(s) if s <= MAX_SECS => Timestamp { secs: s, nanos },
            _ => Timestamp::MAX,
        }
    }

    /// This instant moved earlier by `d`, saturating at [`Timestamp::MIN`].
    pub fn saturating_sub(self, d: Duration) -> Timestamp {
        let secs = i64::try_from(d.as_secs()).unwrap_or(i64::MAX);
        let (mut s, mut nanos) = (self.secs, self.nanos);
        if nanos < d.subsec_nanos() {
            nanos += 1_000_000_000;
            s = s.saturating_sub(1);
        }
        nanos -= d.subsec_nanos();
        match s.checked_sub(secs) {
            Some(s) if s >= MIN_SECS => Timestamp { secs: s, nanos },
            _ => Timestamp::MIN,
        }
    }

    /// The time from `earlier` to `self`, or `None` when `earlier` is later.
    pub fn duration_since(self, earlier: Timestamp) -> Option<Duration> {
        if self < earlier {
            return None;
        }
        let (mut secs, mut nanos) = (self.secs - earlier.secs, self.nanos);
        if nanos < earlier.nanos {
            nanos += 1_000_000_000;
            secs -= 1;
        }
        Some(Duration::new(
            u64::try_from(secs).ok()?,
            nanos - earlier.nanos,
        ))
    }

    /// Parses an `xs:dateTime` as SAML uses it: `YYYY-MM-DDThh:mm:ss[.fraction][Z|±hh:mm]`.
    ///
    /// A value without a zone is read as UTC (SAML requires UTC). At most 9 fraction digits are
    /// kept (more are allowed and truncated). Leap seconds (`:60`) are refused, as SAML forbids them.
    pub fn parse(s: &str) -> Result<Timestamp, TimestampError> {
        parse_datetime(s.as_bytes()).map_err(|reason| TimestampError {
            value: s.chars().take(64).collect(),
            reason,
        })
    }
}

fn digits(b: &[u8], at: usize, n: usize) -> Result<i64, &'static str> {
    let part = b.get(at..at + n).ok_or("too short")?;
    let mut v = 0i64;
    for &c in part {
        if !c.is_ascii_digit() {
            return Err("expected a digit");
        }
        v = v * 10 + i64::from(c - b'0');
    }
    Ok(v)
}

fn expect(b: &[u8], at: usize, c: u8, what: &'static str) -> Result<(), &'static str> {
    if b.get(at) == Some(&c) {
        Ok(())
    } else {
        Err(what)
    }
}

fn parse_datetime(b: &[u8]) -> Result<Timestamp, &'static str> {
    if b.len() > 64 {
        return Err("too long");
    }
    let year = digits(b, 0, 4)?;
    expect(b, 4, b'-', "expected '-' after the year")?;
    let month = digits(b, 5, 2)?;
    expect(b, 7, b'-', "expected '-' after the month")?;
    let day = digits(b, 8, 2)?;
    expect(b, 10, b'T', "expected 'T' between date and time")?;
    let hour = digits(b, 11, 2)?;
    expect(b, 13, b':', "expected ':' after the hour")?;
    let minute = digits(b, 14, 2)?;
    expect(b, 16, b':', "expected ':' after the minutes")?;
    let second = digits(b, 17, 2)?;
    if year == 0 || !(1..=12).contains(&month) {
        return Err("month or year out of range");
    }
    if day < 1 || day > days_in_month(year, month) {
        return Err("day out of range");
    }
    if hour > 23 || minute > 59 || second > 59 {
        return Err("time of day out of range");
    }
    let mut at = 19;
    let mut nanos = 0u32;
    if b.get(at) == Some(&b'.') {
        at += 1;
        let start = at;
        let mut scale = 100_000_000u32;
        while let Some(&c) = b.get(at) {
            if !c.is_ascii_digit() {
                break;
            }
            nanos += u32::from(c - b'0') * scale;
            scale /= 10;
            at += 1;
        }
        if at == start {
            return Err("expected digits after '.'");
        }
    }
    let offset_secs = match b.get(at) {
        None => 0,
        Some(b'Z') if at + 1 == b.len() => 0,
        Some(&sign @ (b'+' | b'-')) if at + 6 == b.len() => {
            let oh = digits(b, at + 1, 2)?;
            expect(b, at + 3, b':', "expected ':' in the zone offset")?;
            let om = digits(b, at + 4, 2)?;
            // xs:dateTime: offsets from -14:00 to +14:00.
            if oh > 14 || om > 59 || (oh == 14 && om != 0) {
                return Err("zone offset out of range");
            }
            let off = oh * 3600 + om * 60;
            if sign == b'+' {
                off
            } else {
                -off
            }
        }
        Some(_) => return Err("unexpected characters after the time"),
    };
    let days = days_from_civil(year, month, day);
    let secs = days * 86_400 + hour * 3600 + minute * 60 + second - offset_secs;
    if !(MIN_SECS..=MAX_SECS).contains(&secs) {
        return Err("outside years 0001..9999");
    }
    Ok(Timestamp { secs, nanos })
}

fn is_leap(y: i64) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if is_leap(y) => 29,
        _ => 28,
    }
}

// Howard Hinnant's days_from_civil / civil_from_days (public-domain algorithms).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

/// A [`Timestamp`] in RFC 3339, on the stack: at most `2026-01-15T10:00:30.123456789Z`.
#[derive(Clone, Copy)]
pub(crate) struct Rfc3339 {
    buf: [u8; 30],
    len: usize,
}

impl Rfc3339 {
    /// The text (ASCII digits, `-`, `:`, `.`, `T` and `Z`).
    pub fn as_bytes(&self) -> &[u8] {
        &self.buf[..self.len]
    }
}

/// Writes the last `width` decimal digits of `n` (not negative) at `buf[at..at + width]`.
fn put_digits(buf: &mut [u8], at: usize, width: usize, mut n: u64) {
    for i in (at..at + width).rev() {
        if let Some(b) = buf.get_mut(i) {
            *b = b'0' + (n % 10) as u8;
        }
        n /= 10;
    }
}

impl Timestamp {
    /// RFC 3339 in UTC, as [`Display`](fmt::Display) writes it, without the formatting
    /// machinery (the SCIM writer puts two in every user it answers).
    pub(crate) fn rfc3339(&self) -> Rfc3339 {
        let days = self.secs.div_euclid(86_400);
        let rem = self.secs.rem_euclid(86_400) as u64;
        let (y, m, d) = civil_from_days(days);
        let mut buf = *b"0000-00-00T00:00:00.000000000Z";
        // The range is years 1 to 9999: four digits, never negative.
        put_digits(&mut buf, 0, 4, y.clamp(0, 9999) as u64);
        put_digits(&mut buf, 5, 2, m as u64);
        put_digits(&mut buf, 8, 2, d as u64);
        put_digits(&mut buf, 11, 2, rem / 3600);
        put_digits(&mut buf, 14, 2, rem % 3600 / 60);
        put_digits(&mut buf, 17, 2, rem % 60);
        let fraction = if self.nanos == 0 {
            0
        } else if self.nanos % 1_000_000 == 0 {
            put_digits(&mut buf, 20, 3, u64::from(self.nanos / 1_000_000));
            4
        } else if self.nanos % 1_000 == 0 {
            put_digits(&mut buf, 20, 6, u64::from(self.nanos / 1_000));
            7
        } else {
            put_digits(&mut buf, 20, 9, u64::from(self.nanos));
            10
        };
        let len = 19 + fraction + 1;
        buf[len - 1] = b'Z';
        Rfc3339 { buf, len }
    }
}

impl fmt::Display for Timestamp {
    /// RFC 3339 in UTC: `2026-01-15T10:00:30Z`, with a fraction only when it is not zero
    /// (milliseconds, or more digits when needed).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = self.rfc3339();
        // ASCII by construction.
        f.write_str(std::str::from_utf8(text.as_bytes()).map_err(|_| fmt::Error)?)
    }
}

impl From<SystemTime> for Timestamp {
    fn from(t: SystemTime) -> Timestamp {
        match t.duration_since(UNIX_EPOCH) {
            Ok(d) => Timestamp::from_unix_seconds(0).saturating_add(d),
            Err(e) => Timestamp::from_unix_seconds(0).saturating_sub(e.duration()),
        }
    }
}

impl From<Timestamp> for SystemTime {
    fn from(t: Timestamp) -> SystemTime {
        let base = if t.secs >= 0 {
            UNIX_EPOCH + Duration::from_secs(t.secs.unsigned_abs())
        } else {
            UNIX_EPOCH - Duration::from_secs(t.secs.unsigned_abs())
        };
        base + Duration::from_nanos(u64::from(t.nanos))
    }
}

impl std::str::FromStr for Timestamp {
    type Err = TimestampError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Timestamp::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The text as `format!` wrote it before `rfc3339` existed.
    fn formatted(t: &Timestamp) -> String {
        let days = t.secs.div_euclid(86_400);
        let rem = t.secs.rem_euclid(86_400);
        let (y, m, d) = civil_from_days(days);
        let mut s = format!(
            "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}",
            rem / 3600,
            rem % 3600 / 60,
            rem % 60
        );
        if t.nanos != 0 {
            if t.nanos % 1_000_000 == 0 {
                s += &format!(".{:03}", t.nanos / 1_000_000);
            } else if t.nanos % 1_000 == 0 {
                s += &format!(".{:06}", t.nanos / 1_000);
            } else {
                s += &format!(".{:09}", t.nanos);
            }
        }
        s + "Z"
    }

    #[test]
    fn rfc3339_writes_what_format_wrote() {
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut cases = vec![Timestamp::MIN, Timestamp::MAX];
        for _ in 0..20_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let secs = MIN_SECS + (x % (MAX_SECS - MIN_SECS + 1) as u64) as i64;
            let nanos = match x % 4 {
                0 => 0,
                1 => (x >> 32) as u32 % 1_000 * 1_000_000,
                2 => (x >> 32) as u32 % 1_000_000 * 1_000,
                _ => (x >> 32) as u32 % 1_000_000_000,
            };
            cases.push(Timestamp { secs, nanos });
        }
        for t in cases {
            assert_eq!(t.to_string(), formatted(&t), "{t:?}");
        }
    }

    #[test]
    fn parses_saml_forms() {
        let z = Timestamp::parse("2026-01-15T10:00:30Z").unwrap();
        assert_eq!(z.unix_seconds(), 1_768_471_230);
        assert_eq!(Timestamp::parse("2026-01-15T10:00:30").unwrap(), z);
        assert_eq!(Timestamp::parse("2026-01-15T11:00:30+01:00").unwrap(), z);
        assert_eq!(Timestamp::parse("2026-01-15T09:30:30-00:30").unwrap(), z);
        let f = Timestamp::parse("2016-07-25T23:20:14.859Z").unwrap();
        assert_eq!(f.subsec_nanos(), 859_000_000);
        assert_eq!(f.to_string(), "2016-07-25T23:20:14.859Z");
        let long = Timestamp::parse("2016-07-25T23:20:14.1234567891234Z").unwrap();
        assert_eq!(long.subsec_nanos(), 123_456_789);
        assert_eq!(long.to_string(), "2016-07-25T23:20:14.123456789Z");
        assert_eq!(
            Timestamp::parse("0001-01-01T00:00:00Z").unwrap(),
            Timestamp::MIN
        );
        assert_eq!(
            Timestamp::parse("2024-02-29T00:00:00Z")
                .unwrap()
                .to_string(),
            "2024-02-29T00:00:00Z"
        );
    }

    #[test]
    fn refuses_malformed() {
        for bad in [
            "",
            "2026-01-15",
            "2026-01-15 10:00:30Z",
            "2026-13-15T10:00:30Z",
            "2026-02-29T10:00:30Z",
            "2026-01-15T24:00:00Z",
            "2026-01-15T10:00:60Z",
            "2026-01-15T10:00:30.Z",
            "2026-01-15T10:00:30ZZ",
            "2026-01-15T10:00:30+1:00",
            "2026-01-15T10:00:30+15:00",
            "0000-01-01T00:00:00Z",
            "+2026-01-15T10:00:30Z",
            "2026-01-15T10:00:30Z\n",
            "２０２６-01-15T10:00:30Z",
        ] {
            assert!(Timestamp::parse(bad).is_err(), "{bad:?} accepted");
        }
        // Offsets may not push the instant outside the supported range.
        assert!(Timestamp::parse("0001-01-01T00:00:00+01:00").is_err());
    }

    #[test]
    fn round_trips_and_arithmetic() {
        for days in [-719_162i64, -1, 0, 1, 11_016, 20_468, 2_932_896] {
            let t = Timestamp::from_unix_seconds(days * 86_400 + 3_723);
            assert_eq!(Timestamp::parse(&t.to_string()).unwrap(), t);
        }
        let t = Timestamp::parse("2026-01-15T10:00:30.5Z").unwrap();
        let later = t.saturating_add(Duration::from_millis(700));
        assert_eq!(later.to_string(), "2026-01-15T10:00:31.200Z");
        assert_eq!(later.saturating_sub(Duration::from_millis(700)), t);
        assert_eq!(later.duration_since(t), Some(Duration::from_millis(700)));
        assert_eq!(t.duration_since(later), None);
        assert_eq!(
            Timestamp::MAX.saturating_add(Duration::from_secs(1)),
            Timestamp::MAX
        );
        assert_eq!(
            Timestamp::MIN.saturating_sub(Duration::from_secs(1)),
            Timestamp::MIN
        );
        let st: SystemTime = t.into();
        assert_eq!(Timestamp::from(st), t);
    }
}
