//! What one invocation cost: the numbers of CloudWatch's `REPORT` line, and Lambda's billing rules.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

/// How an invocation ended, as the `Status:` field of a newer-style REPORT line shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Status {
    Success,
    /// The function (or its runtime) reported an error; the instance lives on.
    Error(String),
    Timeout,
    /// The sandbox failed: crash, out of memory, init failure. The instance is gone.
    Failed(String),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    pub request_id: Arc<str>,
    /// From the runtime receiving the event to its answer (init excluded).
    pub duration: Duration,
    /// Spawn until the first `/next`, on a cold start.
    pub init: Option<Duration>,
    pub memory_size_mb: u32,
    pub max_memory_used_mb: u64,
    pub status: Status,
}

impl Report {
    /// Billed at 1 ms granularity, rounded up, at least 1 ms. A custom runtime's init is billed too
    /// (and since August 2025 every on-demand init is): a cold start costs its init.
    pub fn billed_ms(&self) -> u64 {
        let billed = self.duration + self.init.unwrap_or_default();
        (billed.as_nanos().div_ceil(1_000_000) as u64).max(1)
    }
}

fn millis(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}

/// `REPORT RequestId: … Duration: … ms Billed Duration: … ms …`, its fields tab-separated like CloudWatch.
impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "REPORT RequestId: {}\tDuration: {:.2} ms\tBilled Duration: {} ms\tMemory Size: {} MB\tMax Memory Used: {} MB",
            self.request_id,
            millis(self.duration),
            self.billed_ms(),
            self.memory_size_mb,
            self.max_memory_used_mb
        )?;
        if let Some(init) = self.init {
            write!(f, "\tInit Duration: {:.2} ms", millis(init))?;
        }
        match &self.status {
            Status::Success => Ok(()),
            Status::Timeout => write!(f, "\tStatus: timeout"),
            Status::Error(error_type) | Status::Failed(error_type) => {
                write!(f, "\tStatus: error\tError Type: {error_type}")
            }
        }
    }
}

/// Lambda reports memory in whole megabytes, rounded up.
pub fn megabytes(kilobytes: u64) -> u64 {
    kilobytes.div_ceil(1024)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(duration_us: u64, init_us: Option<u64>, status: Status) -> Report {
        Report {
            request_id: "8f5f4a3c-0000-4000-8000-000000000001".into(),
            duration: Duration::from_micros(duration_us),
            init: init_us.map(Duration::from_micros),
            memory_size_mb: 128,
            max_memory_used_mb: 5,
            status,
        }
    }

    #[test]
    fn billing_rounds_up_to_the_millisecond_with_a_one_millisecond_minimum() {
        assert_eq!(report(180, None, Status::Success).billed_ms(), 1);
        assert_eq!(report(0, None, Status::Success).billed_ms(), 1);
        assert_eq!(report(1000, None, Status::Success).billed_ms(), 1);
        assert_eq!(report(1001, None, Status::Success).billed_ms(), 2);
        assert_eq!(report(2_999, None, Status::Success).billed_ms(), 3);
    }

    #[test]
    fn a_cold_start_bills_its_init() {
        assert_eq!(report(210, Some(5_120), Status::Success).billed_ms(), 6);
    }

    #[test]
    fn report_line_reads_like_cloudwatch() {
        assert_eq!(
            report(210, Some(5_120), Status::Success).to_string(),
            "REPORT RequestId: 8f5f4a3c-0000-4000-8000-000000000001\tDuration: 0.21 ms\t\
             Billed Duration: 6 ms\tMemory Size: 128 MB\tMax Memory Used: 5 MB\tInit Duration: 5.12 ms"
        );
        let timed_out = report(1_000_400, None, Status::Timeout).to_string();
        assert!(
            timed_out.ends_with(
                "Billed Duration: 1001 ms\tMemory Size: 128 MB\tMax Memory Used: 5 MB\tStatus: timeout"
            ),
            "{timed_out}"
        );
        let crashed = report(300, None, Status::Failed("Runtime.ExitError".into())).to_string();
        assert!(crashed.ends_with("\tStatus: error\tError Type: Runtime.ExitError"), "{crashed}");
    }

    #[test]
    fn memory_is_reported_in_whole_megabytes_rounded_up() {
        assert_eq!(megabytes(0), 0);
        assert_eq!(megabytes(1), 1);
        assert_eq!(megabytes(1024), 1);
        assert_eq!(megabytes(5 * 1024 + 1), 6);
    }
}
