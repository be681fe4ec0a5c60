//! An instance's memory, read from the kernel.
//!
//! Two sources, because of what they cost: `/proc/<pid>/statm` gives the resident set now in about
//! a microsecond, so every invocation reads it; `/proc/<pid>/status` also gives `VmHWM`, the peak
//! resident set (what Lambda's "Max Memory Used" reports), but renders the whole status page in
//! several microseconds, so it is read while an invocation runs long and at least once a second.

use std::fs::File;
use std::os::unix::fs::FileExt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The longest the peak may go unread while the instance is in use.
const PEAK_REFRESH: Duration = Duration::from_secs(1);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct MemoryReading {
    pub rss_kb: u64,
    pub peak_kb: u64,
}

/// Keeps the proc files open: re-reading an open proc file is one `pread`, and it can never read
/// a later process that reused the pid.
#[derive(Debug)]
pub struct MemoryProbe {
    statm: Option<File>,
    status: Option<File>,
    page_kb: u64,
    /// The highest resident set seen, from either source.
    peak_kb: AtomicU64,
    peak_read_at: Mutex<Option<Instant>>,
}

impl MemoryProbe {
    pub fn open(pid: u32) -> MemoryProbe {
        // SAFETY: sysconf has no preconditions.
        let page_size = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
        MemoryProbe {
            statm: File::open(format!("/proc/{pid}/statm")).ok(),
            status: File::open(format!("/proc/{pid}/status")).ok(),
            page_kb: u64::try_from(page_size).map_or(4, |bytes| bytes / 1024),
            peak_kb: AtomicU64::new(0),
            peak_read_at: Mutex::new(None),
        }
    }

    /// The resident set now, in kB, and the peak so far: the cheap reading, for every invocation.
    /// The peak is re-read from the kernel when the last reading is older than [`PEAK_REFRESH`].
    /// `None` once the process is gone.
    pub fn sample(&self) -> Option<MemoryReading> {
        let stale = self.lock_peak_read_at().is_none_or(|at| at.elapsed() >= PEAK_REFRESH);
        if stale {
            return self.read();
        }
        let mut buffer = [0u8; 128];
        let length = self.statm.as_ref()?.read_at(&mut buffer, 0).ok()?;
        let rss_kb = parse_statm(std::str::from_utf8(&buffer[..length]).ok()?)? * self.page_kb;
        let peak_kb = self.peak_kb.fetch_max(rss_kb, Ordering::Relaxed).max(rss_kb);
        Some(MemoryReading { rss_kb, peak_kb })
    }

    /// The exact reading, peak included. `None` once the process is gone.
    pub fn read(&self) -> Option<MemoryReading> {
        let mut buffer = [0u8; 4096];
        let length = self.status.as_ref()?.read_at(&mut buffer, 0).ok()?;
        let reading = parse_status(std::str::from_utf8(&buffer[..length]).ok()?)?;
        *self.lock_peak_read_at() = Some(Instant::now());
        let peak_kb = self.peak_kb.fetch_max(reading.peak_kb, Ordering::Relaxed).max(reading.peak_kb);
        Some(MemoryReading { peak_kb, ..reading })
    }

    /// The highest resident set seen so far, in kB (still known after the process is gone).
    pub fn peak_kb(&self) -> u64 {
        self.peak_kb.load(Ordering::Relaxed)
    }

    fn lock_peak_read_at(&self) -> std::sync::MutexGuard<'_, Option<Instant>> {
        self.peak_read_at.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// Picks `VmRSS` and `VmHWM` (in kB) out of a `/proc/<pid>/status` text.
pub fn parse_status(status: &str) -> Option<MemoryReading> {
    let field = |name: &str| {
        let line = status.lines().find(|line| line.starts_with(name))?;
        line[name.len()..].trim().trim_end_matches("kB").trim().parse::<u64>().ok()
    };
    Some(MemoryReading { rss_kb: field("VmRSS:")?, peak_kb: field("VmHWM:")? })
}

/// The resident set, in pages: the second field of `/proc/<pid>/statm`.
pub fn parse_statm(statm: &str) -> Option<u64> {
    statm.split_ascii_whitespace().nth(1)?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_rss_and_peak_from_a_status_file() {
        let status =
            "Name:\tbootstrap\nVmPeak:\t   10520 kB\nVmHWM:\t    4312 kB\nVmRSS:\t    4100 kB\nThreads:\t1\n";
        assert_eq!(parse_status(status), Some(MemoryReading { rss_kb: 4100, peak_kb: 4312 }));
    }

    #[test]
    fn a_kernel_thread_without_memory_fields_reads_as_nothing() {
        assert_eq!(parse_status("Name:\tkthreadd\nState:\tS (sleeping)\n"), None);
    }

    #[test]
    fn reads_resident_pages_from_statm() {
        assert_eq!(parse_statm("2661 1033 878 133 0 229 0\n"), Some(1033));
        assert_eq!(parse_statm(""), None);
    }

    #[test]
    fn probes_a_live_process_and_remembers_its_peak_after_it_is_gone() {
        let probe = MemoryProbe::open(std::process::id());
        let exact = probe.read().expect("this test process has a status file");
        assert!(exact.rss_kb > 0 && exact.peak_kb >= exact.rss_kb, "{exact:?}");
        let cheap = probe.sample().expect("and a statm file");
        assert!(cheap.rss_kb > 0 && cheap.peak_kb >= exact.peak_kb, "{cheap:?} after {exact:?}");
        assert!(probe.peak_kb() >= exact.peak_kb);

        let gone = MemoryProbe::open(u32::MAX);
        assert_eq!((gone.read(), gone.sample(), gone.peak_kb()), (None, None, 0));
    }
}
