//! The process's limit on open files. Every connection takes one, and a follower's stream stays
//! open for the whole talk, so this limit, not the CPU, is what bounds the room: most desktops
//! start programs at a soft limit of 1,024, far below the hard limit they would allow.

use std::io;

use crate::platform::logs::LogSink;

/// macOS refuses a soft limit above `OPEN_MAX` even when the hard limit is unlimited.
const OPEN_MAX: u64 = 10_240;

/// Raises the soft limit on open files to the hard limit, and logs what it got in one line.
pub fn raise(log: &LogSink) {
    let (before, hard) = match limits() {
        Ok(limits) => limits,
        Err(error) => return log.line(format!("open files: limit unknown ({error})")),
    };
    let raised = (hard > before).then(|| {
        set_soft(hard, hard).map(|()| hard).or_else(|error| match hard.min(OPEN_MAX) {
            macos_max if macos_max > before => set_soft(macos_max, hard).map(|()| macos_max),
            _ => Err(error),
        })
    });
    let line = match raised {
        None => format!("open files: {}", shown(before)),
        Some(Ok(now)) => format!("open files: {} (raised from {})", shown(now), shown(before)),
        Some(Err(error)) => {
            format!("open files: {} (could not raise it to {}: {error})", shown(before), shown(hard))
        }
    };
    log.line(line);
}

/// The soft limit now: what the process may open.
pub fn limit() -> u64 {
    // Unknown only if the kernel refuses to say; then the common default is the safe guess.
    limits().map_or(1_024, |(soft, _)| soft)
}

/// (soft, hard)
fn limits() -> io::Result<(u64, u64)> {
    let mut limit = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
    // SAFETY: getrlimit only writes the struct it is given.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok((limit.rlim_cur, limit.rlim_max))
}

fn set_soft(soft: u64, hard: u64) -> io::Result<()> {
    let limit = libc::rlimit { rlim_cur: soft as libc::rlim_t, rlim_max: hard as libc::rlim_t };
    // SAFETY: setrlimit only reads the struct it is given.
    if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &limit) } != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

fn shown(limit: u64) -> String {
    if limit == libc::RLIM_INFINITY {
        "unlimited".to_owned()
    } else {
        limit.to_string()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use super::*;

    /// What a log wrote.
    #[derive(Clone, Default)]
    struct Written(Arc<Mutex<Vec<u8>>>);

    impl io::Write for Written {
        fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(bytes);
            Ok(bytes.len())
        }

        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn the_soft_limit_is_raised_to_the_hard_one_and_said_in_one_line() {
        let (soft, hard) = limits().unwrap();
        assert!(soft <= hard && soft == limit());
        // From a desktop's usual soft limit (this process's own, which it may lower and raise).
        let start = hard.min(1_024);
        set_soft(start, hard).unwrap();
        let written = Written::default();
        let log = LogSink::new(written.clone());
        raise(&log);
        log.flush();
        let (now, same_hard) = limits().unwrap();
        assert_eq!(same_hard, hard, "the hard limit is left alone");
        let line = String::from_utf8(written.0.lock().unwrap().clone()).unwrap();
        if now == start {
            assert_eq!(line, format!("open files: {}\n", shown(now)), "already at the hard limit");
        } else {
            assert!(now == hard || now == OPEN_MAX, "{start} → {now} of {hard}");
            assert_eq!(line, format!("open files: {} (raised from {start})\n", shown(now)));
        }
    }
}
