//! The cost model against published examples, hand-computed bills and its invariants.
use std::collections::BTreeMap;

use deck_core::pricing::{
    azure_estimate, break_even_requests, cents, comparison, cost_vs_memory, cost_vs_requests, estimate,
    Architecture, CostInputs, PricingEra, CHART_MAX_REQUESTS, CHART_MIN_REQUESTS, DEFAULT_SERVER_MONTHLY_USD,
};

fn params(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

fn assert_close(actual: f64, expected: f64) {
    assert!((actual - expected).abs() <= 1e-9 * expected.abs().max(1.0), "expected {expected}, got {actual}");
}

/// A workload with the free tier off, so hand computations stay short.
fn paid(requests: f64, duration_ms: f64, memory_mb: u32) -> CostInputs {
    CostInputs { requests, duration_ms, memory_mb, free_tier: false, ..CostInputs::default() }
}

// --- AWS's published 2016 examples, through the URL parameters as the panel reads them ---

#[test]
fn aws_example_one_to_the_cent() {
    let inputs = CostInputs::from_params(&params(&[
        ("requests", "3000000"),
        ("duration_ms", "1000"),
        ("memory_mb", "512"),
        ("pricing", "2016"),
    ]))
    .unwrap();
    let bill = estimate(&inputs);
    assert_eq!(cents(bill.compute), "$18.34");
    assert_eq!(cents(bill.requests), "$0.40");
    assert_eq!(cents(bill.total), "$18.74");
    assert_close(bill.gb_seconds, 1_500_000.0);
}

#[test]
fn aws_example_two_to_the_cent() {
    let inputs = CostInputs::from_params(&params(&[
        ("requests", "30000000"),
        ("duration_ms", "200"),
        ("memory_mb", "128"),
        ("pricing", "2016"),
    ]))
    .unwrap();
    let bill = estimate(&inputs);
    assert_eq!(cents(bill.compute), "$5.83");
    assert_eq!(cents(bill.requests), "$5.80");
    assert_eq!(cents(bill.total), "$11.63");
    // The free tier took 400,000 GB-s and 1 M requests off.
    assert_close(bill.free_tier_savings, 400_000.0 * 0.00001667 + 0.20);
}

// --- Current prices, hand-computed ---

#[test]
fn arm64_is_cheaper_than_x86() {
    let x86 = CostInputs { requests: 50e6, duration_ms: 250.0, memory_mb: 1024, ..CostInputs::default() };
    let arm = CostInputs { arch: Architecture::Arm64, ..x86.clone() };
    let (x86, arm) = (estimate(&x86), estimate(&arm));
    assert!(arm.compute < x86.compute && arm.total < x86.total, "{arm:?} vs {x86:?}");
    assert_close(arm.requests, x86.requests);
    // 12.5 M GB-s − 0.4 M free, in the first tier of each.
    assert_close(x86.compute, 12.1e6 * 0.0000166667);
    assert_close(arm.compute, 12.1e6 * 0.0000133334);
}

#[test]
fn x86_workload_crossing_tiers_is_billed_in_each() {
    // 1 G requests × 1 s × 8 GB = 8 G GB-s: 6 G in the first tier, 2 G in the second.
    let bill = estimate(&paid(1e9, 1000.0, 8192));
    assert_close(bill.gb_seconds, 8e9);
    assert_close(bill.compute, 6e9 * 0.0000166667 + 2e9 * 0.000015);
    assert_close(bill.compute, 130_000.2);
    assert_close(bill.requests, 200.0);
    // 2 G × 1 s × 10 GB = 20 G GB-s: reaches the third tier at 15 G.
    let bill = estimate(&paid(2e9, 1000.0, 10240));
    assert_close(bill.compute, 6e9 * 0.0000166667 + 9e9 * 0.000015 + 5e9 * 0.0000133334);
}

#[test]
fn arm64_tiers_break_at_7_5_and_18_75_billion() {
    let inputs = CostInputs { arch: Architecture::Arm64, ..paid(2e9, 1000.0, 10240) };
    let bill = estimate(&inputs);
    assert_close(bill.compute, 7.5e9 * 0.0000133334 + 11.25e9 * 0.0000120001 + 1.25e9 * 0.0000106667);
    assert_close(bill.compute, 248_335.0);
}

#[test]
fn ephemeral_storage_above_512_mb_is_billed_per_gb_second() {
    let inputs = CostInputs { ephemeral_mb: 10_240, ..paid(1e6, 1000.0, 128) };
    let bill = estimate(&inputs);
    // (10,240 − 512) MB = 9.5 GB for 1 M seconds.
    assert_close(bill.ephemeral_storage, 9.5e6 * 0.0000000309);
    assert_close(bill.total, bill.compute + bill.requests + bill.ephemeral_storage);
    assert_eq!(estimate(&paid(1e6, 1000.0, 128)).ephemeral_storage, 0.0);
}

#[test]
fn provisioned_concurrency_serves_invocations_up_to_its_capacity() {
    // 1 M GB-s of work; 1 instance × 100 h at 1 GB can run 360,000 GB-s of it.
    let inputs = CostInputs { provisioned_instances: 1, provisioned_hours: 100.0, ..paid(1e6, 1000.0, 1024) };
    let bill = estimate(&inputs);
    assert_close(bill.provisioned_concurrency, 360_000.0 * 0.0000041667);
    assert_close(bill.compute, 360_000.0 * 0.0000097222 + 640_000.0 * 0.0000166667);
    assert_close(bill.total, 1.500012 + 3.499992 + 10.666688 + 0.2);
}

#[test]
fn provisioned_concurrency_gets_no_free_tier() {
    // All 360,000 GB-s run on the provisioned instance, so the free GB-s have nothing to cover.
    let inputs = CostInputs {
        provisioned_instances: 1,
        provisioned_hours: 100.0,
        arch: Architecture::Arm64,
        ..CostInputs { free_tier: true, ..paid(360_000.0, 1000.0, 1024) }
    };
    let bill = estimate(&inputs);
    assert_close(bill.compute, 360_000.0 * 0.0000077778);
    assert_close(bill.provisioned_concurrency, 360_000.0 * 0.0000033334);
    assert_eq!(bill.requests, 0.0);
}

#[test]
fn fully_used_provisioned_concurrency_is_cheaper_than_on_demand() {
    // Why the model is not monotonic in provisioned capacity: a busy warm instance costs
    // $0.0000138889/GB-s against $0.0000166667 on demand, as AWS advertises.
    let seconds_in_month = 744.0 * 3600.0;
    let on_demand = paid(seconds_in_month, 1000.0, 1024);
    let provisioned = CostInputs { provisioned_instances: 1, provisioned_hours: 744.0, ..on_demand.clone() };
    let (on_demand, provisioned) = (estimate(&on_demand), estimate(&provisioned));
    assert!(provisioned.total < on_demand.total, "{provisioned:?} vs {on_demand:?}");
    assert_close(provisioned.total - provisioned.requests, seconds_in_month * (0.0000041667 + 0.0000097222));
}

// --- Billing granularity ---

#[test]
fn pricing_2016_rounds_duration_up_to_100_ms() {
    let inputs = CostInputs { duration_ms: 101.0, pricing: PricingEra::Y2016, ..paid(1e6, 0.0, 1024) };
    let bill = estimate(&inputs);
    assert_eq!(bill.billed_duration_ms, 200.0);
    assert_close(bill.compute, 1e6 * 0.2 * 0.00001667);
    let exact = CostInputs { duration_ms: 200.0, ..inputs };
    assert_eq!(estimate(&exact).billed_duration_ms, 200.0);
}

#[test]
fn current_pricing_bills_to_the_millisecond() {
    let bill = estimate(&paid(1e6, 101.0, 1024));
    assert_eq!(bill.billed_duration_ms, 101.0);
    assert_close(bill.compute, 1e6 * 0.101 * 0.0000166667);
    assert_eq!(estimate(&paid(1e6, 100.2, 1024)).billed_duration_ms, 101.0);
}

// --- Invariants ---

const REQUESTS: [f64; 8] = [0.0, 1.0, 999_999.0, 1e6, 3e6, 1e8, 1e10, 1e12];
const DURATIONS: [f64; 7] = [1.0, 50.0, 99.5, 100.0, 101.0, 1000.0, 900_000.0];
const MEMORIES: [u32; 6] = [128, 200, 1024, 1536, 3008, 10_240];
const EPHEMERALS: [u32; 3] = [512, 513, 10_240];
const PROVISIONED: [(u32, f64); 4] = [(0, 0.0), (1, 1.0), (10, 744.0), (1000, 744.0)];

/// Every combination of the grids above, for both architectures, eras and free-tier settings.
fn grid() -> Vec<CostInputs> {
    let mut all = Vec::new();
    for pricing in [PricingEra::Current, PricingEra::Y2016] {
        for arch in [Architecture::X86_64, Architecture::Arm64] {
            for free_tier in [true, false] {
                for requests in REQUESTS {
                    for duration_ms in DURATIONS {
                        for memory_mb in MEMORIES {
                            for ephemeral_mb in EPHEMERALS {
                                for (provisioned_instances, provisioned_hours) in PROVISIONED {
                                    all.push(CostInputs {
                                        requests,
                                        duration_ms,
                                        memory_mb,
                                        arch,
                                        ephemeral_mb,
                                        free_tier,
                                        pricing,
                                        provisioned_instances,
                                        provisioned_hours,
                                        server_monthly_usd: DEFAULT_SERVER_MONTHLY_USD,
                                    });
                                }
                            }
                        }
                    }
                }
            }
        }
    }
    all
}

#[test]
fn free_tier_never_makes_a_cost_negative() {
    for inputs in grid() {
        let bill = estimate(&inputs);
        let parts = [bill.compute, bill.requests, bill.ephemeral_storage, bill.provisioned_concurrency];
        assert!(parts.iter().all(|&x| x >= 0.0), "{inputs:?} → {bill:?}");
        assert!(bill.free_tier_savings >= 0.0 && bill.total >= 0.0, "{inputs:?} → {bill:?}");
        let without = estimate(&CostInputs { free_tier: false, ..inputs.clone() });
        assert!((bill.total + bill.free_tier_savings - without.total).abs() <= 1e-9 * without.total.max(1.0));
        let azure = azure_estimate(&inputs);
        assert!(azure.compute >= 0.0 && azure.executions >= 0.0, "{inputs:?} → {azure:?}");
    }
}

#[test]
fn nothing_is_ever_nan() {
    for inputs in grid() {
        let side_by_side = comparison(&inputs);
        let numbers = [
            side_by_side.lambda.total,
            side_by_side.lambda.free_tier_savings,
            side_by_side.lambda.gb_seconds,
            side_by_side.azure.total,
            side_by_side.azure.free_tier_savings,
        ];
        assert!(numbers.iter().all(|x| x.is_finite()), "{inputs:?} → {side_by_side:?}");
    }
}

/// `total(raised) >= total(base)`, allowing for float rounding only.
fn assert_not_cheaper(base: &CostInputs, raised: &CostInputs, what: &str) {
    let (before, after) = (estimate(base).total, estimate(raised).total);
    assert!(after >= before - 1e-12 * before, "raising {what}: {before} → {after}\n{base:?}\n{raised:?}");
}

/// The grid value after `current`, if any.
fn next_after<T: PartialEq + Copy>(values: &[T], current: T) -> Option<T> {
    let i = values.iter().position(|&v| v == current)?;
    values.get(i + 1).copied()
}

#[test]
fn total_never_decreases_when_the_workload_grows() {
    for base in grid() {
        let raised = [
            (
                "requests",
                next_after(&REQUESTS, base.requests).map(|requests| CostInputs { requests, ..base.clone() }),
            ),
            (
                "duration",
                next_after(&DURATIONS, base.duration_ms)
                    .map(|duration_ms| CostInputs { duration_ms, ..base.clone() }),
            ),
            (
                "memory",
                next_after(&MEMORIES, base.memory_mb)
                    .map(|memory_mb| CostInputs { memory_mb, ..base.clone() }),
            ),
            (
                "ephemeral storage",
                next_after(&EPHEMERALS, base.ephemeral_mb)
                    .map(|ephemeral_mb| CostInputs { ephemeral_mb, ..base.clone() }),
            ),
        ];
        for (what, raised) in raised {
            if let Some(raised) = raised {
                assert_not_cheaper(&base, &raised, what);
            }
        }
    }
}

#[test]
fn idle_provisioned_capacity_only_adds_cost() {
    // Once the warm instances can run the whole workload, more of them (or more hours) is pure
    // cost. Below that, more capacity can lower the bill — see the test above.
    for base in grid().into_iter().filter(|i| i.provisioned_instances > 0) {
        let capacity_gb_s = f64::from(base.provisioned_instances)
            * base.provisioned_hours
            * 3600.0
            * f64::from(base.memory_mb)
            / 1024.0;
        if estimate(&base).gb_seconds > capacity_gb_s {
            continue;
        }
        let more_instances =
            CostInputs { provisioned_instances: base.provisioned_instances * 2, ..base.clone() };
        assert_not_cheaper(&base, &more_instances, "provisioned instances");
        let more_hours = CostInputs { provisioned_hours: base.provisioned_hours * 1.5, ..base.clone() };
        assert_not_cheaper(&base, &more_hours, "provisioned hours");
    }
}

// --- Parameters ---

#[test]
fn missing_parameters_take_the_defaults() {
    assert_eq!(CostInputs::from_params(&BTreeMap::new()), Ok(CostInputs::default()));
    assert_eq!(cents(DEFAULT_SERVER_MONTHLY_USD), "$15.18");
}

#[test]
fn bad_parameters_are_reported_per_field() {
    let errors = CostInputs::from_params(&params(&[
        ("requests", "abc"),
        ("duration_ms", "-5"),
        ("memory_mb", "64"),
        ("arch", "sparc"),
    ]))
    .unwrap_err();
    let fields: Vec<_> = errors.iter().map(|e| e.key.as_str()).collect();
    assert_eq!(fields, ["arch", "duration_ms", "memory_mb", "requests"]);
    assert!(errors[0].message.contains("x86_64, arm64"), "{}", errors[0]);
    assert!(errors[1].message.contains("between 1 and 900000"), "{}", errors[1]);
    assert!(errors[2].message.contains("between 128 and 10240"), "{}", errors[2]);
    assert!(errors[3].message.contains("must be a number"), "{}", errors[3]);
    assert_eq!(errors[3].to_string(), "`requests` must be a number");

    let errors = CostInputs::from_params(&params(&[("requests", "-5")])).unwrap_err();
    assert_eq!(errors[0].key, "requests");
    assert!(errors[0].message.contains("between 0 and"), "{}", errors[0]);
    let errors = CostInputs::from_params(&params(&[("requests", "NaN")])).unwrap_err();
    assert_eq!(errors[0].key, "requests");
}

#[test]
fn pricing_2016_limits_memory_to_1536_mb() {
    let errors = CostInputs::from_params(&params(&[("memory_mb", "2048"), ("pricing", "2016")])).unwrap_err();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0].key, "memory_mb");
    assert!(errors[0].message.contains("between 128 and 1536"), "{}", errors[0]);
    assert!(CostInputs::from_params(&params(&[("memory_mb", "2048"), ("pricing", "current")])).is_ok());
    assert!(CostInputs::from_params(&params(&[("memory_mb", "1536"), ("pricing", "2016")])).is_ok());
    // One error per field, even when both rules reject it.
    let errors =
        CostInputs::from_params(&params(&[("memory_mb", "20000"), ("pricing", "2016")])).unwrap_err();
    assert_eq!(errors.len(), 1, "{errors:?}");
}

#[test]
fn pricing_2016_rejects_what_lambda_did_not_offer_then() {
    let errors = CostInputs::from_params(&params(&[
        ("pricing", "2016"),
        ("arch", "arm64"),
        ("ephemeral_mb", "1024"),
        ("provisioned_instances", "2"),
        ("duration_ms", "600000"),
    ]))
    .unwrap_err();
    let fields: Vec<_> = errors.iter().map(|e| e.key.as_str()).collect();
    assert_eq!(fields, ["duration_ms", "arch", "ephemeral_mb", "provisioned_instances"]);
}

#[test]
fn params_round_trip() {
    let custom = CostInputs {
        requests: 123_456_789.5,
        duration_ms: 87.25,
        memory_mb: 1769,
        arch: Architecture::Arm64,
        ephemeral_mb: 2048,
        free_tier: false,
        pricing: PricingEra::Current,
        provisioned_instances: 3,
        provisioned_hours: 0.1,
        server_monthly_usd: 42.42,
    };
    let y2016 = CostInputs { pricing: PricingEra::Y2016, duration_ms: 1000.0, ..CostInputs::default() };
    for inputs in [CostInputs::default(), custom, y2016] {
        let params = inputs.to_params();
        assert_eq!(params.len(), 10, "{params:?}");
        assert_eq!(CostInputs::from_params(&params), Ok(inputs));
    }
}

// --- Comparisons and charts ---

#[test]
fn azure_rounds_memory_up_to_128_mb_and_duration_to_100_ms() {
    let inputs = CostInputs { requests: 3e6, duration_ms: 50.4, memory_mb: 200, ..CostInputs::default() };
    let azure = azure_estimate(&inputs);
    assert_eq!(azure.billed_memory_mb, 256);
    assert_eq!(azure.billed_duration_ms, 100.0);
    assert_eq!(azure_estimate(&CostInputs { memory_mb: 256, ..inputs.clone() }).billed_memory_mb, 256);
    assert_eq!(azure_estimate(&CostInputs { duration_ms: 150.2, ..inputs }).billed_duration_ms, 151.0);
}

#[test]
fn azure_bill_for_the_first_aws_example() {
    let inputs = CostInputs { requests: 3e6, duration_ms: 1000.0, memory_mb: 512, ..CostInputs::default() };
    let azure = azure_estimate(&inputs);
    assert_close(azure.compute, 1.1e6 * 0.000016);
    assert_eq!(cents(azure.executions), "$0.40");
    assert_eq!(cents(azure.total), "$18.00");
}

#[test]
fn comparison_puts_the_three_side_by_side() {
    let inputs = CostInputs { server_monthly_usd: 30.0, ..CostInputs::default() };
    let side_by_side = comparison(&inputs);
    assert_eq!(side_by_side.lambda, estimate(&inputs));
    assert_eq!(side_by_side.azure, azure_estimate(&inputs));
    assert_eq!(side_by_side.server, 30.0);
}

#[test]
fn cost_vs_requests_spans_a_log_scale() {
    let inputs = CostInputs::default();
    let points = cost_vs_requests(&inputs, 7);
    let requests: Vec<f64> = points.iter().map(|p| p.requests).collect();
    for (actual, expected) in requests.iter().zip([1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10]) {
        assert_close(*actual, expected);
    }
    assert_eq!((requests[0], requests[6]), (CHART_MIN_REQUESTS, CHART_MAX_REQUESTS));
    for point in &points {
        let at = CostInputs { requests: point.requests, ..inputs.clone() };
        assert_eq!(point.lambda, estimate(&at).total);
        assert_eq!(point.azure, azure_estimate(&at).total);
        assert_eq!(point.server, inputs.server_monthly_usd);
    }
    assert!(cost_vs_requests(&inputs, 0).is_empty());
    assert_eq!(cost_vs_requests(&inputs, 1)[0].requests, CHART_MIN_REQUESTS);
}

#[test]
fn break_even_is_where_the_totals_cross() {
    let inputs = CostInputs::default();
    let break_even = break_even_requests(&inputs).expect("the default workload has a break-even");
    let total_at = |requests: f64| estimate(&CostInputs { requests, ..inputs.clone() }).total;
    assert!(total_at(break_even * (1.0 - 1e-6)) < inputs.server_monthly_usd);
    assert!(total_at(break_even * (1.0 + 1e-6)) > inputs.server_monthly_usd);
    assert_close(total_at(break_even), inputs.server_monthly_usd);
    // Hand-computed: (r × 0.05 GB-s − 400,000) × 0.0000166667 + (r − 1 M) × 0.2e-6 = server.
    let per_request = 0.05 * 0.0000166667 + 0.2e-6;
    let expected = (DEFAULT_SERVER_MONTHLY_USD + 400_000.0 * 0.0000166667 + 0.2) / per_request;
    assert_close(break_even, expected);
    // The chart agrees: cheaper below, dearer above.
    for point in cost_vs_requests(&inputs, 61) {
        assert_eq!(point.lambda < point.server, point.requests < break_even, "{point:?}");
    }
}

#[test]
fn no_break_even_when_serverless_is_never_or_always_cheaper() {
    let free_server = CostInputs { server_monthly_usd: 0.0, ..CostInputs::default() };
    assert_eq!(break_even_requests(&free_server), None);
    let costly_warm_pool =
        CostInputs { provisioned_instances: 100, provisioned_hours: 744.0, ..CostInputs::default() };
    assert_eq!(break_even_requests(&costly_warm_pool), None);
    let huge_server = CostInputs { server_monthly_usd: 1e7, ..CostInputs::default() };
    assert_eq!(break_even_requests(&huge_server), None);
}

#[test]
fn cost_vs_memory_covers_typical_sizes() {
    let inputs = CostInputs::default();
    let curve = cost_vs_memory(&inputs);
    let sizes: Vec<u32> = curve.iter().map(|&(m, _)| m).collect();
    assert_eq!(sizes, [128, 256, 512, 1024, 1769, 2048, 3008, 4096, 8192, 10240]);
    for &(memory_mb, total) in &curve {
        assert_eq!(total, estimate(&CostInputs { memory_mb, ..inputs.clone() }).total);
    }
    // The free tier covers the smallest sizes entirely; beyond it, more memory costs more.
    assert!(curve.windows(2).all(|w| w[0].1 <= w[1].1), "{curve:?}");
    assert!(curve.windows(2).skip(1).all(|w| w[0].1 < w[1].1), "{curve:?}");

    let y2016 = CostInputs { pricing: PricingEra::Y2016, ..inputs };
    let sizes: Vec<u32> = cost_vs_memory(&y2016).iter().map(|&(m, _)| m).collect();
    assert_eq!(sizes, [128, 256, 512, 1024, 1536]);
}

#[test]
fn cents_rounds_for_display_only() {
    assert_eq!(cents(18.337), "$18.34");
    assert_eq!(cents(5.8345), "$5.83");
    assert_eq!(cents(0.0), "$0.00");
    assert_eq!(cents(-0.0), "$0.00");
    assert_eq!(cents(0.004), "$0.00");
    assert_eq!(cents(999.995), "$1,000.00");
    assert_eq!(cents(1_234_567.891), "$1,234,567.89");
    assert_eq!(cents(123_456.0), "$123,456.00");
    assert_eq!(cents(-2.5), "-$2.50");
    assert_eq!(cents(f64::NAN), "—");
}
