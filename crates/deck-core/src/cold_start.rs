//! What the `cold-start` panel measures, apart from its drawing: the calls of a series or a
//! burst, and the statistics it shows of them (medians, the cold-start penalty, instances).
use serde::{Deserialize, Serialize};

use crate::demo::Greeting;
use crate::scale::percentile;
use crate::units::format_ms;

/// Published init durations on AWS: maxday/lambda-perf, zip packages, 128 MB, x86_64, data of
/// 2026-08-22.
pub const PUBLISHED_INIT_MS: [(&str, f64); 7] = [
    ("Rust", 15.5),
    ("C++", 17.4),
    ("Go", 49.2),
    ("Python 3.13", 91.1),
    ("Node.js 22", 137.1),
    ("Java 25", 185.3),
    (".NET 8", 248.0),
];
pub const PUBLISHED_SOURCE: &str = "https://maxday.github.io/lambda-perf/";

/// One answered call.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Sample {
    pub latency_ms: f64,
    pub cold: bool,
    pub instance_id: String,
    /// The function's own measure of its init (process start to ready).
    pub init_ms: Option<f64>,
}

impl Sample {
    /// The demo function's answer, measured at `latency_ms` by the caller.
    pub fn of(greeting: Greeting, latency_ms: f64) -> Sample {
        Sample {
            latency_ms,
            cold: greeting.cold_start,
            instance_id: greeting.instance_id,
            init_ms: Some(greeting.init_ms),
        }
    }
}

/// A run of sequential calls, possibly still going.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Series {
    pub endpoint: String,
    pub planned: u32,
    pub forced_cold: bool,
    pub samples: Vec<Sample>,
}

/// A set of concurrent calls and what answered them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Burst {
    pub endpoint: String,
    pub calls: u32,
    pub samples: Vec<Sample>,
    /// Why the calls that failed did (throttling, for one).
    pub failures: Vec<String>,
}

impl Burst {
    pub fn distinct_instances(&self) -> usize {
        let mut seen: Vec<&str> = Vec::new();
        for sample in &self.samples {
            if !seen.contains(&sample.instance_id.as_str()) {
                seen.push(&sample.instance_id);
            }
        }
        seen.len()
    }

    /// "Burst of 8: 8 answered by 3 instances (3 cold), slowest 312 ms".
    pub fn summary(&self) -> String {
        let cold = self.samples.iter().filter(|s| s.cold).count();
        let slowest = self.samples.iter().map(|s| s.latency_ms).fold(0.0, f64::max);
        let instances = self.distinct_instances();
        format!(
            "Burst of {}: {} answered by {instances} instance{} ({cold} cold), slowest {}",
            self.calls,
            self.samples.len(),
            if instances == 1 { "" } else { "s" },
            format_ms(slowest),
        )
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Run {
    Series,
    Burst,
}

/// What the panel has measured and is doing (one shared value, so mirrors get it whole).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Runs {
    pub running: Option<Run>,
    pub series: Option<Series>,
    pub burst: Option<Burst>,
    /// The run that failed and why, so Retry runs it again.
    pub failure: Option<(Run, String)>,
}

/// Medians of cold and warm calls, and the init the function reported.
pub fn stats_line(samples: &[Sample]) -> String {
    let median = |cold: bool| {
        let values = latencies(samples, cold);
        let kind = if cold { "cold" } else { "warm" };
        percentile(&values, 50.0).map(|m| format!("{kind} {} (median of {})", format_ms(m), values.len()))
    };
    let init = measured_init_ms(samples).map(|ms| format!("function's own init {}", format_ms(ms)));
    [median(true), median(false), init].into_iter().flatten().collect::<Vec<_>>().join(" · ")
}

/// Our cold start as the panel measures it: how much longer the median cold call took than the
/// median warm one — what a cold start adds, comparable to the init durations AWS reports.
pub fn cold_penalty_ms(samples: &[Sample]) -> Option<f64> {
    let median = |cold: bool| percentile(&latencies(samples, cold), 50.0);
    Some((median(true)? - median(false)?).max(0.0))
}

/// The median init time the function reported on its cold calls.
pub fn measured_init_ms(samples: &[Sample]) -> Option<f64> {
    let inits: Vec<f64> = samples.iter().filter(|s| s.cold).filter_map(|s| s.init_ms).collect();
    percentile(&inits, 50.0)
}

fn latencies(samples: &[Sample], cold: bool) -> Vec<f64> {
    samples.iter().filter(|s| s.cold == cold).map(|s| s.latency_ms).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(latency_ms: f64, cold: bool, instance: &str) -> Sample {
        Sample { latency_ms, cold, instance_id: instance.into(), init_ms: cold.then_some(0.2) }
    }

    #[test]
    fn a_cold_start_costs_the_difference_between_cold_and_warm_calls() {
        let samples = [
            sample(21.0, true, "a"),
            sample(2.0, false, "a"),
            sample(3.0, false, "a"),
            sample(1.0, false, "a"),
        ];
        assert_eq!(cold_penalty_ms(&samples), Some(19.0));
        assert_eq!(measured_init_ms(&samples), Some(0.2));
        assert_eq!(cold_penalty_ms(&samples[..1]), None, "no warm call to compare with");
        assert_eq!(
            stats_line(&samples),
            "cold 21.0 ms (median of 1) · warm 2.0 ms (median of 3) · function's own init 0.20 ms"
        );
        assert_eq!(stats_line(&[]), "");
        assert!(
            PUBLISHED_INIT_MS.windows(2).all(|pair| pair[0].1 <= pair[1].1),
            "ours is placed into an ordered list"
        );
    }

    #[test]
    fn a_burst_counts_the_instances_that_answered() {
        let samples = vec![sample(1.0, true, "a"), sample(312.4, true, "b"), sample(1.0, false, "a")];
        let burst = Burst { endpoint: "local".into(), calls: 4, samples, failures: vec!["throttled".into()] };
        assert_eq!(burst.distinct_instances(), 2);
        assert_eq!(burst.summary(), "Burst of 4: 3 answered by 2 instances (2 cold), slowest 312 ms");
        let one = Burst { samples: vec![sample(2.0, false, "a")], ..burst };
        assert_eq!(one.summary(), "Burst of 4: 1 answered by 1 instance (0 cold), slowest 2.0 ms");
    }

    #[test]
    fn a_sample_is_what_the_demo_said_and_how_long_it_took() {
        let greeting: Greeting = serde_json::from_value(serde_json::json!({
            "greeting": "Hello, cold-start!", "request_id": "r", "cold_start": true, "init_ms": 0.4,
            "instance_id": "a1", "invocations": 1, "memory_mb": 128, "function_name": "hello",
            "function_version": "$LATEST", "region": null, "timestamp": "2024-11-05T09:30:15.250Z",
        }))
        .unwrap();
        let measured = Sample::of(greeting, 12.5);
        assert_eq!(
            measured,
            Sample { latency_ms: 12.5, cold: true, instance_id: "a1".into(), init_ms: Some(0.4) }
        );
    }
}
