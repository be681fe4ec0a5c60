//! An instance's memory, read from the kernel: `VmRSS` (now) and `VmHWM` (the peak, which is what
//! Lambda's "Max Memory Used" reports) in `/proc/<pid>/status`.

use std::fs::File;
use std::os::unix::fs::FileExt;
use std::sync::atomic::{AtomicU64, Ordering};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct MemoryReading {
    pub rss_kb: u64,
    pub peak_kb: u64,
}

/// Keeps `/proc/<pid>/status` open: re-reading an open proc file is one `pread`, cheap enough for
/// every invocation, and it can never read a later process that reused the pid.
#[derive(Debug)]
pub struct MemoryProbe {
    status: Option<File>,
    last_peak_kb: AtomicU64,
}

impl MemoryProbe {
    pub fn open(pid: u32) -> MemoryProbe {
        MemoryProbe { status: File::open(format!("/proc/{pid}/status")).ok(), last_peak_kb: AtomicU64::new(0) }
    }

    /// `None` once the process is gone (or where there is no procfs).
    pub fn read(&self) -> Option<MemoryReading> {
        let mut buffer = [0u8; 4096];
        let length = self.status.as_ref()?.read_at(&mut buffer, 0).ok()?;
        let reading = parse_status(std::str::from_utf8(&buffer[..length]).ok()?)?;
        self.last_peak_kb.fetch_max(reading.peak_kb, Ordering::Relaxed);
        Some(reading)
    }

    /// The peak now, or the last peak seen if the process has exited.
    pub fn peak_kb(&self) -> u64 {
        self.read().map_or_else(|| self.last_peak_kb.load(Ordering::Relaxed), |reading| reading.peak_kb)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_rss_and_peak_from_a_status_file() {
        let status = "Name:\tbootstrap\nVmPeak:\t   10520 kB\nVmHWM:\t    4312 kB\nVmRSS:\t    4100 kB\nThreads:\t1\n";
        assert_eq!(parse_status(status), Some(MemoryReading { rss_kb: 4100, peak_kb: 4312 }));
    }

    #[test]
    fn a_kernel_thread_without_memory_fields_reads_as_nothing() {
        assert_eq!(parse_status("Name:\tkthreadd\nState:\tS (sleeping)\n"), None);
    }

    #[test]
    fn probes_a_live_process_and_remembers_its_peak_after_it_is_gone() {
        let probe = MemoryProbe::open(std::process::id());
        let reading = probe.read().expect("this test process has a status file");
        assert!(reading.rss_kb > 0 && reading.peak_kb >= reading.rss_kb, "{reading:?}");
        assert!(probe.peak_kb() >= reading.peak_kb);

        let gone = MemoryProbe::open(u32::MAX);
        assert_eq!((gone.read(), gone.peak_kb()), (None, 0));
    }
}
