//! When may a rate-limited agent try again? Read from what it printed, else a default.
//!
//! The wordings understood are those the agent CLIs really print; `tests/agents/limit-messages.tsv`
//! holds them, with where each one comes from.

use std::time::Duration;

use jiff::civil::{Date, Time};
use jiff::tz::{Offset, TimeZone};
use jiff::Timestamp;
use regex::{Captures, Regex};

/// The wait that the output names, if it names one. `now` is Unix seconds. Waits are rounded
/// up to whole seconds.
///
/// Understood, the last line that names a wait winning:
/// - a Unix timestamp after `|` (old Claude Code: `usage limit reached|1700000000`), and JSON-ish
///   fields `resets_at`/`resetsAt` (a timestamp), `resets_in_seconds`, `retryDelay: "23.5s"`;
/// - "try again in", "retry in/after", "wait in", "resets in", "reset after" N units, decimals
///   allowed, units ms/s/m/h/d in short or long form, compounds like `5m 30s`, `8h44m7s` or
///   `2 days 3 hours`;
/// - "retry after N" / `Retry-After: N` (seconds);
/// - a clock time after "resets", "reset at", "try again at", "retry at": `3pm`, `15:30`,
///   `3:30 pm`, `3:07 PM`, optionally after a date (`Nov 28, 3pm`, `Nov 28, 2027, 3pm`,
///   `May 18th, 2033 3:33 AM`, `Nov 28 at 3:00 PM`, a date alone) or a weekday (`Monday 9am`,
///   `Fri 4:00 PM`: the next such day), optionally followed by a zone: an IANA name in
///   parentheses (`(Europe/Paris)`, `(Etc/GMT+5)`, read in that zone), or the short names that
///   en-US formatting prints (`UTC`, `GMT+2`, `GMT-5:30`, `PST`, `EDT`...). No zone: local
///   time. A time without a date is the next such moment, except that one already past by
///   less than the precision it is printed with (a minute, or a second when seconds are
///   printed) means now. A full date already past means now;
/// - an ISO date after "regain access on" (the Anthropic API's spend limit: `2026-04-01 at
///   00:00 UTC`), only with a zone: an ISO time without one names no zone anyone can guess.
pub fn reset_wait(lines: &[String], now: f64) -> Option<Duration> {
    reset_wait_in(lines, now, &TimeZone::system())
}

/// [`reset_wait`], with `local` as the zone of times that name none.
fn reset_wait_in(lines: &[String], now: f64, local: &TimeZone) -> Option<Duration> {
    if !now.is_finite() {
        return None;
    }
    // The last mention wins: it is the freshest.
    lines.iter().rev().find_map(|l| parse_line(l, now, local))
}

const UNITS: &str =
    r"ms|millis(?:econds?)?|msecs?|s|secs?|seconds?|m|mins?|minutes?|h|hrs?|hours?|d|days?";
/// The same units, longest first: read without a word boundary after them (inside `8h44m7s`).
const UNITS_LONGEST_FIRST: &str =
    r"millis(?:econds?)?|msecs?|ms|minutes?|mins?|m|seconds?|secs?|s|hours?|hrs?|h|days?|d";
/// A duration written without spaces, as Gemini's quota errors print it: `8h44m7s`, `1m30s`.
const COMPACT: &str = r"\d+[dhm](?:\d+[hm])*\d+(?:\.\d+)?(?:ms|[smh])\b";

struct Patterns {
    stamp: Regex,
    field: Regex,
    relative: Regex,
    amount: Regex,
    after_n: Regex,
    clock: Regex,
}

impl Patterns {
    fn new() -> Patterns {
        let re = |s: &str| Regex::new(s).expect("a valid pattern");
        Patterns {
            stamp: re(r"\|\s*(\d{10,13})\b"),
            field: re(
                r#"(?i)\b(retry_?delay|resets?_in_seconds|resets?_?at)"?\s*[:=]\s*"?(\d+(?:\.\d+)?)(ms|s)?\b"#,
            ),
            relative: re(&format!(
                r"(?i)\b(?:try again|retry|wait|resets?)\s+(?:in|after)\s+(?:about\s+|~)?((?:(?:{COMPACT}|\d+(?:\.\d+)?\s*(?:{UNITS})\b)[\s,]*(?:and\s+)?)+)"
            )),
            amount: re(&format!(r"(?i)(\d+(?:\.\d+)?)\s*({UNITS_LONGEST_FIRST})")),
            after_n: re(r"(?i)\bretry[- ]after:?\s+(\d+(?:\.\d+)?)\b"),
            clock: re(concat!(
                r"(?i)\b(?:resets?|(?:try\s+again|retry)\s+at|regain\s+access)\s+(?:at\s+|on\s+)?",
                r"(?:(?P<mon>jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+",
                r"(?P<day>\d{1,2})(?:st|nd|rd|th)?\b,?(?:\s+(?P<year>\d{4})\b,?)?(?:\s+at)?\s*",
                r"|(?P<iy>\d{4})-(?P<im>\d{2})-(?P<id>\d{2})(?:\s+at)?\s*",
                r"|(?P<wd>mon|tue|wed|thu|fri|sat|sun)(?:day|s|sday|nesday|rsday|urday)?\b\.?,?(?:\s+at)?\s*)?",
                r"(?:(?P<h>\d{1,2})(?::(?P<mi>\d{2}))?(?::(?P<s>\d{2}))?(?:\s*(?P<ap>[ap]\.?m\b\.?))?)?",
                r"(?:\s*\((?P<zone>[A-Za-z][A-Za-z0-9_+\-]*(?:/[A-Za-z0-9_+\-]+)*(?::\d{2})?)\)",
                r"|\s+(?P<abbr>UTC|GMT(?:[+-]\d{1,2}(?::\d{2})?)?|[ECMP][SD]T|AK[SD]T|HST)\b)?",
            )),
        }
    }
}

fn parse_line(line: &str, now: f64, local: &TimeZone) -> Option<Duration> {
    thread_local! {
        static PATTERNS: Patterns = Patterns::new();
    }
    PATTERNS.with(|p| {
        if let Some(c) = p.stamp.captures(line) {
            return Some(secs(stamp(&c[1])? - now));
        }
        if let Some(w) = p
            .field
            .captures_iter(line)
            .find_map(|c| field_wait(&c, now))
        {
            return Some(w);
        }
        if let Some(c) = p.relative.captures(line) {
            let mut total = 0.0;
            for a in p.amount.captures_iter(&c[1]) {
                total += a[1].parse::<f64>().ok()? * unit_seconds(&a[2]);
            }
            return Some(secs(total));
        }
        if let Some(c) = p.after_n.captures(line) {
            return Some(secs(c[1].parse().ok()?));
        }
        p.clock
            .captures_iter(line)
            .find_map(|c| clock_wait(&c, now, local))
    })
}

/// The wait that a `retryDelay`, `resets_in_seconds` or `resets_at` field (the `field`
/// pattern) names; a `resets_at` that is no Unix timestamp (an ISO date...) names none.
fn field_wait(c: &Captures, now: f64) -> Option<Duration> {
    let name = c[1].to_ascii_lowercase();
    let n: f64 = c[2].parse().ok()?;
    if name.contains("delay") {
        let ms = c
            .get(3)
            .is_some_and(|u| u.as_str().eq_ignore_ascii_case("ms"));
        Some(secs(if ms { n / 1000.0 } else { n }))
    } else if name.contains("seconds") {
        Some(secs(n))
    } else if matches!(c[2].len(), 10 | 13) {
        Some(secs(stamp(&c[2])? - now))
    } else {
        None
    }
}

/// Unix seconds from a 10-digit (seconds) or 13-digit (milliseconds) stamp.
fn stamp(digits: &str) -> Option<f64> {
    let t: f64 = digits.parse().ok()?;
    Some(if digits.len() == 13 { t / 1000.0 } else { t })
}

fn unit_seconds(unit: &str) -> f64 {
    let u = unit.to_ascii_lowercase();
    if u.starts_with("ms") || u.starts_with("mil") {
        0.001
    } else {
        match u.as_bytes()[0] {
            b'd' => 86400.0,
            b'h' => 3600.0,
            b'm' => 60.0,
            _ => 1.0,
        }
    }
}

/// A wait of `s` seconds, rounded up (a float error of a microsecond is forgiven), never
/// negative, and capped far beyond any real reset.
fn secs(s: f64) -> Duration {
    const MAX: f64 = 1e12;
    if s.is_nan() || s <= 0.0 {
        return Duration::ZERO;
    }
    Duration::from_secs((s - 1e-6).ceil().clamp(0.0, MAX) as u64)
}

/// The wait until the date and/or clock time that `c` (the `clock` pattern) captured.
fn clock_wait(c: &Captures, now: f64, local: &TimeZone) -> Option<Duration> {
    let num = |name: &str| -> Option<Option<i64>> {
        match c.name(name) {
            None => Some(None),
            Some(m) => m.as_str().parse().ok().map(Some),
        }
    };
    const MONTHS: &str = "janfebmaraprmayjunjulaugsepoctnovdec";
    // (?i) lets `ſep` through: a month only when it is ASCII.
    let month = match c.name("mon").map(|m| m.as_str().to_ascii_lowercase()) {
        Some(m) if m.len() == 3 => Some((MONTHS.find(&m).filter(|i| i % 3 == 0)? / 3) as i8 + 1),
        Some(_) => return None,
        None => None,
    };
    let iso = match (num("iy")?, num("im")?, num("id")?) {
        (Some(y), Some(m), Some(d)) => Some((y, m, d)),
        _ => None,
    };
    const WEEKDAYS: &str = "montuewedthufrisatsun";
    let weekday = match c
        .name("wd")
        .map(|m| m.as_str().get(..3).map(str::to_ascii_lowercase))
    {
        Some(Some(w)) => Some((WEEKDAYS.find(&w).filter(|i| i % 3 == 0)? / 3) as i8 + 1),
        Some(None) => return None,
        None => None,
    };
    let (hour, minute, second) = (num("h")?, num("mi")?, num("s")?);
    if month.is_none() && iso.is_none() && weekday.is_none() && hour.is_none() {
        return None;
    }
    let mut hour = hour.unwrap_or(0);
    match c.name("ap").map(|m| m.as_str().to_ascii_lowercase()) {
        Some(ap) => {
            if !(1..=12).contains(&hour) {
                return None;
            }
            hour = hour % 12 + if ap.starts_with('p') { 12 } else { 0 };
        }
        // A bare number is not a time.
        None if c.name("h").is_some() && minute.is_none() => return None,
        None => {}
    }
    let (minute, second_v) = (minute.unwrap_or(0), second.unwrap_or(0));
    if hour > 23 || minute > 59 || second_v > 59 {
        return None;
    }
    let precision = if second.is_some() {
        1.0
    } else if c.name("h").is_some() {
        60.0
    } else {
        86400.0
    };
    let tz = match (c.name("zone"), c.name("abbr")) {
        (Some(z), _) | (None, Some(z)) => zone(z.as_str())?,
        // An ISO time names no zone by itself (a provider's server time, often not UTC).
        (None, None) if iso.is_some() => return None,
        (None, None) => local.clone(),
    };
    let time = Time::new(hour as i8, minute as i8, second_v as i8, 0).ok()?;
    let now_ts = Timestamp::from_second(now.floor() as i64).ok()?;
    let today = tz.to_datetime(now_ts).date();
    let at = |date: Date| -> Option<f64> {
        Some(tz.to_timestamp(date.to_datetime(time)).ok()?.as_second() as f64)
    };
    let dated = match (month, iso) {
        (Some(month), _) => Some((
            num("year")?.unwrap_or(today.year() as i64),
            i64::from(month),
            num("day")?.unwrap_or(0),
        )),
        (None, iso) => iso,
    };
    if let Some((year, month, day)) = dated {
        if !(1..=9999).contains(&year) || !(1..=12).contains(&month) || !(1..=31).contains(&day) {
            return None;
        }
        let date = Date::new(year as i16, month as i8, day as i8).ok()?;
        return Some(secs(at(date)? - now));
    }
    if let Some(weekday) = weekday {
        // The next such day: today when its time is still ahead (within its precision).
        let ahead = i64::from((weekday - today.weekday().to_monday_one_offset() + 7) % 7);
        let mut date = today.checked_add(jiff::Span::new().days(ahead)).ok()?;
        if at(date)? <= now - precision {
            date = date.checked_add(jiff::Span::new().days(7)).ok()?;
        }
        return Some(secs(at(date)? - now));
    }
    let target = at(today)?;
    if target > now - precision {
        Some(secs(target - now))
    } else {
        Some(secs(at(today.tomorrow().ok()?)? - now))
    }
}

/// The zone a CLI named: an IANA name, or a short name as en-US formatting prints it.
fn zone(name: &str) -> Option<TimeZone> {
    #[rustfmt::skip]
    const SHORT: [(&str, i32); 13] = [
        ("UTC", 0), ("GMT", 0), ("HST", -10), ("AKST", -9), ("AKDT", -8), ("PST", -8), ("PDT", -7),
        ("MST", -7), ("MDT", -6), ("CST", -6), ("CDT", -5), ("EST", -5), ("EDT", -4),
    ];
    let fixed = |secs: i32| Offset::from_seconds(secs).ok().map(Offset::to_time_zone);
    if let Some((_, h)) = SHORT.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)) {
        return fixed(h * 3600);
    }
    let upper = name.to_ascii_uppercase();
    if let Some(off) = upper
        .strip_prefix("GMT")
        .or_else(|| upper.strip_prefix("UTC"))
    {
        let sign = match off.chars().next() {
            Some('+') => 1,
            Some('-') => -1,
            _ => 0,
        };
        if sign != 0 {
            let (h, m) = off[1..].split_once(':').unwrap_or((&off[1..], "0"));
            let (h, m): (i32, i32) = (h.parse().ok()?, m.parse().ok()?);
            return if h <= 18 && m <= 59 {
                fixed(sign * (h * 3600 + m * 60))
            } else {
                None
            };
        }
    }
    TimeZone::get(name).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wait(line: &str, now: f64) -> Option<u64> {
        reset_wait(&[line.to_owned()], now).map(|d| d.as_secs())
    }

    #[test]
    fn claude_code_timestamp() {
        assert_eq!(
            wait("Claude AI usage limit reached|1700003600", 1_700_000_000.0),
            Some(3600)
        );
        assert_eq!(
            wait("limit|1700000000", 1_700_000_100.0),
            Some(0),
            "a past reset waits nothing"
        );
    }

    #[test]
    fn relative_waits() {
        assert_eq!(
            wait("Rate limit hit. Please try again in 5 minutes.", 0.0),
            Some(300)
        );
        assert_eq!(wait("try again in 30 seconds", 0.0), Some(30));
        assert_eq!(wait("Try again in 2h", 0.0), Some(7200));
        assert_eq!(wait("429 Too Many Requests; retry after 42", 0.0), Some(42));
        assert_eq!(wait("Retry-After: 17", 0.0), Some(17));
        assert_eq!(wait("overloaded", 0.0), None);
        assert_eq!(wait("Please retry in 23.567891234s.", 0.0), Some(24));
        assert_eq!(wait(r#""retryDelay": "23.5s""#, 0.0), Some(24));
        assert_eq!(wait("retry in 850ms", 0.0), Some(1));
        assert_eq!(wait("try again in 1.5 hours", 0.0), Some(5400));
        assert_eq!(wait("try again in 0.1h", 0.0), Some(360));
        assert_eq!(
            wait("Try again in 2 days 3 hours 5 minutes.", 0.0),
            Some(183_900)
        );
    }

    #[test]
    fn local_clock_times() {
        let now = 1_700_000_000.0;
        for line in [
            "Your limit resets at 3pm",
            "resets 15:30",
            "resets at 3:30 pm",
            "resets at 12am",
        ] {
            let w = wait(line, now).unwrap_or_else(|| panic!("{line}"));
            assert!(w > 0 && w <= 24 * 3600, "{line}: {w}");
        }
        // The 15:30 reset is 30 minutes after the 15:00 one, unless 15:xx is now.
        let a = wait("resets at 3pm", now).unwrap();
        let b = wait("resets 15:30", now).unwrap();
        assert!(
            b == a + 1800 || b + 86400 == a + 1800 || a == 86400,
            "{a} {b}"
        );
        assert_eq!(wait("resets 7 tickets", now), None);
    }

    #[test]
    fn a_time_just_past_is_now_and_one_long_past_is_tomorrow() {
        // 2026-11-26 14:00:21 UTC.
        let now = 1_795_701_621.0;
        let w = |l: &str| reset_wait_in(&[l.to_owned()], now, &TimeZone::UTC).map(|d| d.as_secs());
        assert_eq!(w("resets 2pm (UTC)"), Some(0));
        assert_eq!(w("resets 14:00:20"), Some(86399));
        assert_eq!(w("resets 1:59pm (UTC)"), Some(86400 - 81));
        assert_eq!(w("resets 2:01pm"), Some(39));
        assert_eq!(w("resets Nov 25, 3pm (UTC)"), Some(0), "a past date is now");
        assert_eq!(w("resets Nov 26 (UTC)"), Some(0));
        assert_eq!(w("resets 3pm (GMT+1)"), Some(0));
        assert_eq!(w("resets 3pm (Mars/Olympus)"), None);
    }

    #[test]
    fn compact_durations_weekdays_and_iso_dates() {
        // Thursday 2026-11-26 14:00:21 UTC.
        let now = 1_795_701_621.0;
        let w = |l: &str| reset_wait_in(&[l.to_owned()], now, &TimeZone::UTC).map(|d| d.as_secs());
        assert_eq!(w("Your quota will reset after 8h44m7s."), Some(31_447));
        assert_eq!(w("resets in 1m30s"), Some(90));
        assert_eq!(w("reset after 2h30m"), Some(9000));
        assert_eq!(w("retry in 3 steps"), None, "a number is no duration");
        assert_eq!(w("resets Monday 9am"), Some(4 * 86400 - 5 * 3600 - 21));
        assert_eq!(w("resets Fri 4:00 PM"), Some(86400 + 2 * 3600 - 21));
        assert_eq!(
            w("resets Thursday 3pm (UTC)"),
            Some(3600 - 21),
            "today, still ahead"
        );
        assert_eq!(
            w("resets Thu 1pm"),
            Some(7 * 86400 - 3600 - 21),
            "a week on"
        );
        assert_eq!(w("resets monthly"), None);
        assert_eq!(
            w("You will regain access on 2026-12-01 at 00:00 UTC."),
            Some(4 * 86400 + 10 * 3600 - 21)
        );
        assert_eq!(
            w("You will regain access on 2026-11-01 at 00:00 UTC."),
            Some(0)
        );
        // z.ai through Claude Code: an ISO time in an unnamed zone (its server's) is no reset time.
        assert_eq!(
            w("Usage limit reached for 5 hour. Your limit will reset at 2026-11-26 18:55:29"),
            None
        );
    }

    #[test]
    fn the_last_mention_wins() {
        let lines = vec![
            "try again in 10 seconds".to_owned(),
            "try again in 20 seconds".to_owned(),
        ];
        assert_eq!(reset_wait(&lines, 0.0), Some(Duration::from_secs(20)));
    }

    /// The fixed `now` of the table: 2026-11-26 14:00:21 UTC. Times without a zone are read in
    /// UTC there, so that the test does not depend on the machine's zone.
    const TABLE_NOW: f64 = 1_795_701_621.0;

    /// Rows that the default pattern matches though they are no limit, each for a reason:
    /// the spec's `usage limit` and `rate.?limit` alternatives, kept as they are (the regex crate
    /// cannot say "not after Approaching"), and `hit your .{0,40}limit` for Claude's fast mode.
    /// These are interactive notices that a text-mode run does not print. Then the spec's
    /// `overloaded` in Aider's timeout (a timeout may well be an overload).
    const KNOWN_OVER_MATCHES: &[&str] = &[
        "Approaching usage limit",
        "Approaching Opus usage limit",
        "Over 50% of your usage limit used",
        "You've hit your fast limit",
        "Approaching rate limits",
        "The API provider timed out",
    ];

    /// The fatal pattern of each CLI's family (Aider has none of its own: the generic one).
    fn fatal_pattern(cli: &str) -> Regex {
        let family = match cli {
            "claude" => crate::model::agents::Family::Claude,
            "codex" => crate::model::agents::Family::Codex,
            "gemini" => crate::model::agents::Family::Gemini,
            _ => crate::model::agents::Family::Other,
        };
        let adapter = crate::model::agents::Adapter {
            family,
            structured: false,
        };
        Regex::new(adapter.default_fatal_pattern()).unwrap()
    }

    #[test]
    fn real_messages_of_the_agent_clis() {
        let pattern = Regex::new(crate::infra::config::DEFAULT_RATE_LIMIT_PATTERN).unwrap();
        let table = include_str!("../../tests/agents/limit-messages.tsv");
        let mut over_matched = Vec::new();
        let mut rows = 0;
        for (n, row) in table.lines().enumerate() {
            if row.trim().is_empty() || row.starts_with('#') {
                continue;
            }
            let cols: Vec<&str> = row.split('\t').collect();
            assert_eq!(cols.len(), 4, "line {}: {row}", n + 1);
            let [cli, kind, message, expected] = [cols[0], cols[1], cols[2], cols[3]];
            assert!(
                ["claude", "codex", "gemini", "aider"].contains(&cli),
                "line {}",
                n + 1
            );
            assert!(
                ["limit", "warning", "other"].contains(&kind),
                "line {}",
                n + 1
            );
            let lines: Vec<String> = message.split("\\n").map(str::to_owned).collect();
            let matched = lines.iter().any(|l| pattern.is_match(l));
            let known = KNOWN_OVER_MATCHES.iter().find(|k| message.starts_with(*k));
            if let (true, Some(k), false) = (matched, known, kind == "limit") {
                over_matched.push(*k);
            } else {
                assert_eq!(
                    matched,
                    kind == "limit",
                    "line {}: {kind}: {message}",
                    n + 1
                );
            }
            if kind == "limit" {
                let fatal = fatal_pattern(cli);
                assert!(
                    !lines.iter().any(|l| fatal.is_match(l)),
                    "line {}: a limit taken as fatal: {message}",
                    n + 1
                );
            }
            let got = reset_wait_in(&lines, TABLE_NOW, &TimeZone::UTC)
                .map_or("-".to_owned(), |d| d.as_secs().to_string());
            assert_eq!(got, expected, "line {}: {message}", n + 1);
            rows += 1;
        }
        assert!(rows >= 130, "{rows} rows");
        over_matched.sort();
        over_matched.dedup();
        let mut known = KNOWN_OVER_MATCHES.to_vec();
        known.sort();
        assert_eq!(over_matched, known, "each known over-match is in the table");
    }

    #[test]
    fn never_panics() {
        let odd = r#"
|
|99999999999999
limit|9999999999999
try again in 99999999999999999999999999999999999999 hours
retry after 99999999999999999999999999999
retryDelay: "1e400s" retryDelay: "99999999999999999999999.9s" retryDelay: "0.0000001ms"
"resets_at": 9999999999999, "resets_at": "2026-11-26T14:00:00Z", "resets_in_seconds": 1e999
resets 25:99pm
resets 0pm; resets 13am; resets 23:59:60; resets 24:00
resets Feb 30, 3pm (UTC)
resets Feb 29, 2027, 3pm (UTC)
resets Dec 31, 9999, 11pm (Pacific/Kiritimati)
resets Jan 1, 0000, 12am (UTC)
resets 3pm (GMT+99:99); resets 3pm (UTC+14:00); resets 3pm GMT-; resets 3pm (GMT+)
resets 3pm (../../etc/passwd); resets 3pm (Mars/Olympus_Mons)
resets Nov 99th, 3pm; try again at Maybe 3rd, 2033 3:33 AM; resets ſep 3, 3pm
resets in 5m 30s 2h ms; retry in ٣s; resets ٣pm
reset after 99999999999999999999h99999999999999999999m1s; resets in 1d1d1d1d1d1d1d1d1d1d1s
resets Sunday; resets Sat 25:00; resets tues 3pm (Mars/Olympus); resets wednesday 12am
regain access on 9999-12-31 at 23:59 UTC; regain access on 0000-00-00 at 00:00 UTC
regain access on 2026-02-30 at 00:00 GMT+14; resets 2026-13-01 at 99:99 (UTC)"#;
        let lossy =
            String::from_utf8_lossy(b"resets \xff3pm (\xfe/UTC) retry in \xc0 5s").into_owned();
        let mut lines: Vec<String> = odd.lines().map(str::to_owned).collect();
        lines.extend([lossy, "\u{0}\u{feff}resets\u{a0}3pm\u{202f}PM".to_owned()]);
        let nows = [
            0.0,
            -1e20,
            1e20,
            f64::NAN,
            f64::INFINITY,
            1_795_701_621.5,
            253_402_300_799.0,
        ];
        for now in nows {
            for line in &lines {
                let _ = reset_wait(std::slice::from_ref(line), now);
                let _ = reset_wait_in(std::slice::from_ref(line), now, &TimeZone::UTC);
            }
            let _ = reset_wait(&lines, now);
        }
    }
}
