//! What this process knows about itself: the execution environment's side of the Lambda lifecycle.

use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

/// One execution environment (process), created once init is done and shared by its invocations.
#[derive(Debug)]
pub struct Instance {
    id: String,
    init_ms: f64,
    region: Option<String>,
    invocations: AtomicU64,
}

/// The view of one invocation on its instance.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Invocation {
    /// 1 for the first invocation this instance serves.
    pub number: u64,
    /// Whether this invocation paid for the init (the first one of the process).
    pub cold_start: bool,
}

impl Instance {
    /// Marks the end of init: `started` is when `main` began.
    pub fn ready(started: Instant, region: Option<String>, log_stream: Option<&str>) -> Instance {
        Instance {
            init_ms: started.elapsed().as_secs_f64() * 1000.0,
            id: log_stream.and_then(id_from_log_stream).unwrap_or_else(random_id),
            region,
            invocations: AtomicU64::new(0),
        }
    }

    /// Counts an invocation in; every invocation counts, including refused and failed ones.
    pub fn begin_invocation(&self) -> Invocation {
        let number = self.invocations.fetch_add(1, Ordering::Relaxed) + 1;
        Invocation { number, cold_start: number == 1 }
    }

    /// 8 lowercase hex digits naming this execution environment.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// Milliseconds from the start of `main` until the handler was ready.
    pub fn init_ms(&self) -> f64 {
        self.init_ms
    }

    /// `AWS_REGION` as seen at init.
    pub fn region(&self) -> Option<&str> {
        self.region.as_deref()
    }
}

/// Lambda names each execution environment's log stream `date/[version]<32 hex>`; its first 8 hex
/// digits are the id the platform (and CloudWatch) use for this instance, so the panels can match
/// a response to its instance in the platform's events.
fn id_from_log_stream(stream: &str) -> Option<String> {
    let hex = stream.rsplit(']').next()?.get(..8)?;
    hex.chars().all(|c| c.is_ascii_hexdigit()).then(|| hex.to_ascii_lowercase())
}

/// `RandomState` is keyed from the OS's random source once per process: enough randomness for an
/// instance id without another crate or any init cost worth measuring.
fn random_id() -> String {
    let bits = RandomState::new().hash_one(std::process::id());
    format!("{:08x}", bits >> 32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_first_invocation_is_cold_and_all_are_counted() {
        let instance = Instance::ready(Instant::now(), None, None);
        let seen: Vec<Invocation> = (0..3).map(|_| instance.begin_invocation()).collect();
        assert_eq!(
            seen,
            [
                Invocation { number: 1, cold_start: true },
                Invocation { number: 2, cold_start: false },
                Invocation { number: 3, cold_start: false },
            ]
        );
    }

    #[test]
    fn id_is_eight_hex_digits_and_differs_between_instances() {
        let first = Instance::ready(Instant::now(), None, None);
        let second = Instance::ready(Instant::now(), None, None);
        for id in [first.id(), second.id()] {
            assert_eq!(id.len(), 8, "{id}");
            assert!(id.chars().all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()), "{id}");
        }
        assert_ne!(first.id(), second.id());
    }

    #[test]
    fn id_comes_from_the_log_stream_when_there_is_one() {
        let instance = Instance::ready(
            Instant::now(),
            None,
            Some("2026/11/27/[$LATEST]0a1B2c3d4e5f60718293a4b5c6d7e8f9"),
        );
        assert_eq!(instance.id(), "0a1b2c3d");
        assert_eq!(id_from_log_stream("no-brackets-zz"), None);
        assert_eq!(id_from_log_stream("2026/11/27/[$LATEST]abc"), None);
    }

    #[test]
    fn init_time_runs_from_the_given_start() {
        let started = Instant::now() - std::time::Duration::from_millis(40);
        let instance = Instance::ready(started, Some("eu-west-1".into()), None);
        assert!(instance.init_ms() >= 40.0 && instance.init_ms() < 40_000.0, "{}", instance.init_ms());
        assert_eq!(instance.region(), Some("eu-west-1"));
    }
}
