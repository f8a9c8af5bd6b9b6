//! When may a rate-limited agent try again? Read from what it printed, else a default.

use std::time::Duration;

use regex::Regex;

/// The wait that the output names, if it names one. `now` is Unix seconds.
///
/// Understood: a Unix timestamp after `|` (Claude Code's `usage limit reached|1700000000`),
/// "try again in N seconds/minutes/hours", "retry after N" (seconds, as in `Retry-After`),
/// "resets at 3pm", "resets 15:30", "resets at 3:30 pm" (local time, the next such moment).
pub fn reset_wait(lines: &[String], now: f64) -> Option<Duration> {
    // The last mention wins: it is the freshest.
    lines.iter().rev().find_map(|l| parse_line(l, now))
}

fn parse_line(line: &str, now: f64) -> Option<Duration> {
    thread_local! {
        static PATTERNS: [Regex; 4] = [
            Regex::new(r"\|\s*(\d{10,13})\b").unwrap(),
            Regex::new(r"(?i)(?:try again|retry|wait)\s+(?:in|after)\s+(?:about\s+)?(\d+)\s*(s|sec|secs|seconds?|m|min|mins|minutes?|h|hr|hrs|hours?)\b").unwrap(),
            Regex::new(r"(?i)retry[- ]after:?\s+(\d+)\b").unwrap(),
            Regex::new(r"(?i)resets?\s+(?:at\s+)?(\d{1,2})(?::(\d{2}))?\s*(am|pm)?\b").unwrap(),
        ];
    }
    PATTERNS.with(|[stamp, in_n, after_n, resets]| {
        if let Some(c) = stamp.captures(line) {
            let mut t: f64 = c[1].parse().ok()?;
            if c[1].len() == 13 {
                t /= 1000.0;
            }
            return Some(secs(t - now));
        }
        if let Some(c) = in_n.captures(line) {
            let n: u64 = c[1].parse().ok()?;
            let unit = c[2].to_ascii_lowercase();
            let mult = match unit.chars().next() {
                Some('h') => 3600,
                Some('m') => 60,
                _ => 1,
            };
            return Some(Duration::from_secs(n * mult));
        }
        if let Some(c) = after_n.captures(line) {
            return Some(Duration::from_secs(c[1].parse().ok()?));
        }
        if let Some(c) = resets.captures(line) {
            let mut hour: u32 = c[1].parse().ok()?;
            let minute: u32 = c.get(2).map_or(Some(0), |m| m.as_str().parse().ok())?;
            match c.get(3).map(|m| m.as_str().to_ascii_lowercase()) {
                Some(ref ap) if ap == "pm" && hour < 12 => hour += 12,
                Some(ref ap) if ap == "am" && hour == 12 => hour = 0,
                None if c.get(2).is_none() => return None, // a bare number is not a time
                _ => {}
            }
            if hour > 23 || minute > 59 {
                return None;
            }
            return Some(secs(next_local(now, hour, minute)? - now));
        }
        None
    })
}

fn secs(s: f64) -> Duration {
    Duration::from_secs_f64(s.max(0.0))
}

/// Unix time of the next local `hour:minute` after `now`.
fn next_local(now: f64, hour: u32, minute: u32) -> Option<f64> {
    let at = |t: libc::time_t, day_offset: i32| -> Option<f64> {
        // SAFETY: localtime_r and mktime only read and write the `tm` we pass.
        unsafe {
            let mut tm: libc::tm = std::mem::zeroed();
            if libc::localtime_r(&t, &mut tm).is_null() {
                return None;
            }
            tm.tm_hour = hour as i32;
            tm.tm_min = minute as i32;
            tm.tm_sec = 0;
            tm.tm_mday += day_offset;
            tm.tm_isdst = -1;
            let r = libc::mktime(&mut tm);
            (r != -1).then_some(r as f64)
        }
    };
    let today = at(now as libc::time_t, 0)?;
    if today > now {
        Some(today)
    } else {
        at(now as libc::time_t, 1)
    }
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
    fn the_last_mention_wins() {
        let lines = vec![
            "try again in 10 seconds".to_owned(),
            "try again in 20 seconds".to_owned(),
        ];
        assert_eq!(reset_wait(&lines, 0.0), Some(Duration::from_secs(20)));
    }
}
