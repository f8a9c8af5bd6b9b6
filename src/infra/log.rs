//! Ticket logs: read only their tail, whatever their size.

use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

/// What starts a line the agent wrote to its stderr, in its log (its stdout's lines are as
/// they came): the reason an agent gives for failing is usually there.
pub const STDERR_MARK: &str = "[stderr] ";

/// A log line without its stderr mark, if it has one.
pub fn unmarked(line: &str) -> &str {
    line.strip_prefix(STDERR_MARK).unwrap_or(line)
}

/// Append `line` to the log (our own header and footer lines).
pub fn log_line(log: &Path, line: &str) -> crate::infra::error::Result<()> {
    use std::io::Write;
    // A ticket that never ran here (a worktree made by hand, a clone that joined) has no
    // logs directory yet: what is said about it must not be lost for that.
    if let Some(dir) = log.parent() {
        let _ = std::fs::create_dir_all(dir);
    }
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)
        .map_err(|e| anyhow::anyhow!("could not open {}: {e}", log.display()))?;
    writeln!(f, "{line}")?;
    Ok(())
}

/// The last `n` non-empty lines of the file at `path` (empty when it does not exist).
/// Reads backwards in chunks, so a 1 GB log costs as much as a small one.
pub fn tail_lines(path: &Path, n: usize) -> Vec<String> {
    let Ok(mut file) = std::fs::File::open(path) else {
        return Vec::new();
    };
    let Ok(len) = file.seek(SeekFrom::End(0)) else {
        return Vec::new();
    };
    const CHUNK: u64 = 8192;
    // Never read more than this much, even if lines are very long.
    const LIMIT: u64 = 4 * 1024 * 1024;
    let mut start = len;
    let mut buf: Vec<u8> = Vec::new();
    loop {
        let step = CHUNK.min(start);
        start -= step;
        let mut chunk = vec![0u8; step as usize];
        if file.seek(SeekFrom::Start(start)).is_err() || file.read_exact(&mut chunk).is_err() {
            return Vec::new();
        }
        chunk.extend_from_slice(&buf);
        buf = chunk;
        let lines = buf
            .split(|&b| b == b'\n' || b == b'\r')
            .filter(|l| !l.iter().all(u8::is_ascii_whitespace))
            .count();
        // One more line than asked, since the first may be cut in the middle.
        if start == 0 || lines > n || len - start >= LIMIT {
            break;
        }
    }
    let text = String::from_utf8_lossy(&buf);
    let mut lines: Vec<String> = text
        .split(['\n', '\r'])
        .filter(|l| !l.trim().is_empty())
        .map(|l| strip_ansi(l).trim_end().to_owned())
        .collect();
    if start > 0 && lines.len() > n {
        lines.remove(0);
    }
    let skip = lines.len().saturating_sub(n);
    lines.split_off(skip)
}

/// Remove terminal escape sequences so a status line shows text, not colour codes.
pub fn strip_ansi(s: &str) -> String {
    console::strip_ansi_codes(s).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tail_of_a_big_file() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("x.log");
        let mut text = String::new();
        for i in 0..100_000 {
            text.push_str(&format!("line {i}\n"));
        }
        text.push_str("\n\n");
        std::fs::write(&p, text).unwrap();
        assert_eq!(tail_lines(&p, 2), ["line 99998", "line 99999"]);
        assert_eq!(tail_lines(&p, 1), ["line 99999"]);
        assert!(tail_lines(&dir.path().join("none"), 3).is_empty());
    }

    #[test]
    fn small_file_and_colours() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("x.log");
        std::fs::write(&p, "a\n\x1b[31mb\x1b[0m\r\n").unwrap();
        assert_eq!(tail_lines(&p, 5), ["a", "b"]);
    }
}

/// Cuts bytes that arrive in pieces into whole lines (without their `\n`): the agent's
/// output as git-epic follows it, and `git epic logs` as it renders it. A line longer than
/// `max` is skipped whole (the log keeps it); the part after the last `\n` waits for more.
pub struct Lines {
    pending: Vec<u8>,
    max: usize,
    too_long: bool,
}

impl Lines {
    pub fn new(max: usize) -> Lines {
        Lines {
            pending: Vec::new(),
            max,
            too_long: false,
        }
    }

    /// Hand each line completed by `bytes` to `each`.
    pub fn push<E>(
        &mut self,
        mut bytes: &[u8],
        mut each: impl FnMut(&str) -> std::result::Result<(), E>,
    ) -> std::result::Result<(), E> {
        while let Some(i) = bytes.iter().position(|&b| b == b'\n') {
            self.keep(&bytes[..i]);
            if !self.too_long {
                each(&String::from_utf8_lossy(&self.pending))?;
            }
            self.pending.clear();
            self.too_long = false;
            bytes = &bytes[i + 1..];
        }
        self.keep(bytes);
        Ok(())
    }

    /// The last line, when the bytes did not end with a newline.
    pub fn rest(&mut self) -> Option<String> {
        let rest = std::mem::take(&mut self.pending);
        (!rest.is_empty() && !std::mem::take(&mut self.too_long))
            .then(|| String::from_utf8_lossy(&rest).into_owned())
    }

    fn keep(&mut self, bytes: &[u8]) {
        if self.pending.len().saturating_add(bytes.len()) > self.max {
            self.too_long = true;
            self.pending.clear();
        } else if !self.too_long {
            self.pending.extend_from_slice(bytes);
        }
    }
}

#[cfg(test)]
mod lines_tests {
    use super::Lines;

    #[test]
    fn pieces_become_whole_lines_and_overlong_ones_are_skipped() {
        let mut got = Vec::new();
        let mut l = Lines::new(8);
        for piece in [&b"ab"[..], b"c\nde", b"f\n0123456789\nxy\nta", b"il"] {
            l.push(piece, |s| {
                got.push(s.to_owned());
                Ok::<(), ()>(())
            })
            .unwrap();
        }
        assert_eq!(got, ["abc", "def", "xy"]);
        assert_eq!(l.rest().as_deref(), Some("tail"));
        assert_eq!(l.rest(), None);
    }
}
