//! Is a recorded agent process still the one we started? A pid alone can be reused, so the
//! note keeps the process start time too (field 22 of `/proc/<pid>/stat`).

/// The start time of process `pid` in clock ticks since boot, `None` when it does not exist.
#[cfg(target_os = "linux")]
pub fn start_time(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) may contain spaces and parentheses: split after its last `)`.
    let rest = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // `rest` starts at field 3 (state); a zombie has exited already.
    if fields.first() == Some(&"Z") {
        return None;
    }
    fields.get(22 - 3)?.parse().ok()
}

#[cfg(not(target_os = "linux"))]
pub fn start_time(pid: u32) -> Option<u64> {
    // Without /proc, `kill -0` tells whether the pid exists; reuse cannot be told apart.
    let ok = std::process::Command::new("kill")
        .args(["-0", &pid.to_string()])
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    ok.then_some(0)
}

/// Whether the process recorded as (`pid`, `start`) is still running.
pub fn is_alive(pid: u32, start: Option<u64>) -> bool {
    match (start_time(pid), start) {
        (Some(now), Some(then)) => cfg!(not(target_os = "linux")) || now == then,
        (Some(_), None) => true,
        (None, _) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn own_process_is_alive_and_reuse_is_detected() {
        let me = std::process::id();
        let t = start_time(me);
        assert!(t.is_some());
        assert!(is_alive(me, t));
        if cfg!(target_os = "linux") {
            assert!(!is_alive(me, t.map(|t| t + 1)));
        }
        assert!(!is_alive(u32::MAX - 1, None));
    }
}
