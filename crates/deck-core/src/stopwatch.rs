//! The speaker view's elapsed-time clock. Time is passed in (milliseconds from any fixed origin,
//! e.g. `performance.now()`), so the logic is tested without waiting.

/// Elapsed time that can be paused, resumed and reset.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Stopwatch {
    /// Time banked before the current run.
    banked_ms: f64,
    /// When the current run started; None while paused.
    running_since: Option<f64>,
}

impl Stopwatch {
    /// A stopwatch that starts running at `now`.
    pub fn started(now: f64) -> Stopwatch {
        Stopwatch { banked_ms: 0.0, running_since: Some(now) }
    }

    pub fn is_running(&self) -> bool {
        self.running_since.is_some()
    }

    pub fn elapsed_ms(&self, now: f64) -> f64 {
        self.banked_ms + self.running_since.map_or(0.0, |since| (now - since).max(0.0))
    }

    /// Pauses a running stopwatch, resumes a paused one.
    pub fn toggle(&mut self, now: f64) {
        if self.is_running() {
            self.banked_ms = self.elapsed_ms(now);
            self.running_since = None;
        } else {
            self.running_since = Some(now);
        }
    }

    /// Back to zero, keeping whether it runs.
    pub fn reset(&mut self, now: f64) {
        self.banked_ms = 0.0;
        if self.running_since.is_some() {
            self.running_since = Some(now);
        }
    }
}

/// `M:SS` below an hour, `H:MM:SS` from then on.
pub fn format_elapsed(ms: f64) -> String {
    let seconds = (ms.max(0.0) / 1000.0).floor() as u64;
    let (h, m, s) = (seconds / 3600, seconds / 60 % 60, seconds % 60);
    if h > 0 {
        format!("{h}:{m:02}:{s:02}")
    } else {
        format!("{m}:{s:02}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_pauses_resumes_and_resets() {
        let mut watch = Stopwatch::started(1_000.0);
        assert_eq!(watch.elapsed_ms(4_000.0), 3_000.0);
        watch.toggle(4_000.0);
        assert!(!watch.is_running());
        assert_eq!(watch.elapsed_ms(60_000.0), 3_000.0, "paused time does not count");
        watch.toggle(60_000.0);
        assert_eq!(watch.elapsed_ms(62_000.0), 5_000.0);
        watch.reset(62_000.0);
        assert!(watch.is_running());
        assert_eq!(watch.elapsed_ms(63_500.0), 1_500.0);
        watch.toggle(64_000.0);
        watch.reset(70_000.0);
        assert_eq!((watch.is_running(), watch.elapsed_ms(99_000.0)), (false, 0.0));
    }

    #[test]
    fn a_clock_going_backwards_never_gives_negative_time() {
        assert_eq!(Stopwatch::started(5_000.0).elapsed_ms(1_000.0), 0.0);
    }

    #[test]
    fn formats_minutes_and_hours() {
        assert_eq!(format_elapsed(0.0), "0:00");
        assert_eq!(format_elapsed(59_999.0), "0:59");
        assert_eq!(format_elapsed(61_000.0), "1:01");
        assert_eq!(format_elapsed(3_600_000.0 + 5_000.0), "1:00:05");
        assert_eq!(format_elapsed(-3.0), "0:00");
    }
}
