//! The serverless cost model behind the `cost` panel (issue 5): what a month of AWS Lambda costs
//! for a workload, next to Azure Functions (Consumption plan) and an always-on server, plus the
//! numbers the panel's two charts draw. Pure arithmetic on `f64`; amounts are rounded to cents
//! only for display ([`cents`]).
//!
//! The model assumes the inputs it is given are valid: build them with
//! [`CostInputs::from_params`] (which reports every bad field) or start from
//! [`CostInputs::default`].
use std::collections::BTreeMap;
use std::str::FromStr;

use crate::aws_rules::{EPHEMERAL_MB, MEMORY_MB};
use crate::panels::{PanelKind, PanelSpec, Param, ParamError, ParamType, UnknownName};

// ---------------------------------------------------------------------------------------------
// Price table.
//
// AWS Lambda, us-east-1, on-demand and provisioned concurrency, from
// https://aws.amazon.com/lambda/pricing/ as quoted in issue 5 (recorded 2026-11-27).
// The 2016 sheet is the same page as archived in 2016, whose two worked examples
// (3 M × 1 s × 512 MB = $18.74, 30 M × 200 ms × 128 MB = $11.63) the tests reproduce.
// Azure Functions Consumption plan: https://azure.microsoft.com/pricing/details/functions/
// (recorded 2026-11-27).
// ---------------------------------------------------------------------------------------------

/// Where the prices come from, for the panel to cite.
pub const PRICE_SOURCES: &str = "AWS Lambda pricing (us-east-1) and Azure Functions Consumption \
    pricing as of 2026-11; 2016 mode: AWS Lambda pricing page of 2016; server: EC2 t3.small on-demand.";

const REQUEST_PRICE_PER_MILLION: f64 = 0.20;
const FREE_REQUESTS: f64 = 1_000_000.0;
const FREE_GB_SECONDS: f64 = 400_000.0;

/// On-demand duration is priced in monthly volume tiers (per account, region and architecture).
const X86_DURATION_TIERS: [Tier; 3] = [
    Tier { up_to_gb_s: 6e9, price_per_gb_s: 0.0000166667 },
    Tier { up_to_gb_s: 15e9, price_per_gb_s: 0.000015 },
    Tier { up_to_gb_s: f64::INFINITY, price_per_gb_s: 0.0000133334 },
];
const ARM64_DURATION_TIERS: [Tier; 3] = [
    Tier { up_to_gb_s: 7.5e9, price_per_gb_s: 0.0000133334 },
    Tier { up_to_gb_s: 18.75e9, price_per_gb_s: 0.0000120001 },
    Tier { up_to_gb_s: f64::INFINITY, price_per_gb_s: 0.0000106667 },
];
const Y2016_DURATION_TIERS: [Tier; 1] = [Tier { up_to_gb_s: f64::INFINITY, price_per_gb_s: 0.00001667 }];

/// `/tmp` up to this size is included; only the configured storage above it is billed.
const INCLUDED_EPHEMERAL_MB: u32 = 512;
const EPHEMERAL_PRICE_PER_GB_S: f64 = 0.0000000309;

const X86_PROVISIONED: ProvisionedPrices =
    ProvisionedPrices { enabled_per_gb_s: 0.0000041667, duration_per_gb_s: 0.0000097222 };
const ARM64_PROVISIONED: ProvisionedPrices =
    ProvisionedPrices { enabled_per_gb_s: 0.0000033334, duration_per_gb_s: 0.0000077778 };

const AZURE_PRICE_PER_GB_S: f64 = 0.000016;
const AZURE_PRICE_PER_MILLION_EXECUTIONS: f64 = 0.20;
const AZURE_FREE_EXECUTIONS: f64 = 1_000_000.0;
const AZURE_FREE_GB_SECONDS: f64 = 400_000.0;
const AZURE_MEMORY_STEP_MB: u32 = 128;
const AZURE_MIN_DURATION_MS: f64 = 100.0;

/// EC2 t3.small (2 vCPU, 2 GiB), Linux on-demand, us-east-1, from
/// https://aws.amazon.com/ec2/pricing/on-demand/ — the smallest instance that comfortably runs
/// the demo's HTTP service around the clock. Excludes its disk and data transfer.
const T3_SMALL_HOURLY_USD: f64 = 0.0208;
/// AWS's own convention for a month of hours.
const HOURS_PER_MONTH: f64 = 730.0;
/// The default always-on server: one t3.small for a month, $15.18.
pub const DEFAULT_SERVER_MONTHLY_USD: f64 = T3_SMALL_HOURLY_USD * HOURS_PER_MONTH;

/// The range the request chart spans, requests per month.
pub const CHART_MIN_REQUESTS: f64 = 1e4;
pub const CHART_MAX_REQUESTS: f64 = 1e10;
/// The largest workload the panel accepts (its `requests` parameter), and so the furthest
/// [`break_even_requests`] looks.
const MAX_REQUESTS: f64 = 1e12;

const CURRENT_MEMORY_SIZES_MB: [u32; 10] = [128, 256, 512, 1024, 1769, 2048, 3008, 4096, 8192, 10240];
const Y2016_MEMORY_SIZES_MB: [u32; 5] = [128, 256, 512, 1024, 1536];

#[derive(Debug, Clone, Copy)]
struct Tier {
    up_to_gb_s: f64,
    price_per_gb_s: f64,
}

#[derive(Debug, Clone, Copy)]
struct ProvisionedPrices {
    enabled_per_gb_s: f64,
    duration_per_gb_s: f64,
}

/// The prices that apply to one era and architecture.
struct PriceSheet {
    duration_tiers: &'static [Tier],
    billing_granularity_ms: f64,
    ephemeral_per_gb_s: f64,
    /// `None` where the feature did not exist.
    provisioned: Option<ProvisionedPrices>,
}

impl PriceSheet {
    /// In 2016 there was one price: no arm64, no configurable `/tmp`, no provisioned
    /// concurrency, so those inputs cost nothing there ([`CostInputs::from_params`] rejects them).
    fn new(pricing: PricingEra, arch: Architecture) -> Self {
        match (pricing, arch) {
            (PricingEra::Y2016, _) => PriceSheet {
                duration_tiers: &Y2016_DURATION_TIERS,
                billing_granularity_ms: 100.0,
                ephemeral_per_gb_s: 0.0,
                provisioned: None,
            },
            (PricingEra::Current, Architecture::X86_64) => PriceSheet {
                duration_tiers: &X86_DURATION_TIERS,
                billing_granularity_ms: 1.0,
                ephemeral_per_gb_s: EPHEMERAL_PRICE_PER_GB_S,
                provisioned: Some(X86_PROVISIONED),
            },
            (PricingEra::Current, Architecture::Arm64) => PriceSheet {
                duration_tiers: &ARM64_DURATION_TIERS,
                billing_granularity_ms: 1.0,
                ephemeral_per_gb_s: EPHEMERAL_PRICE_PER_GB_S,
                provisioned: Some(ARM64_PROVISIONED),
            },
        }
    }

    /// The on-demand duration charge for a month's GB-seconds, walking up the tiers.
    fn on_demand_duration(&self, gb_seconds: f64) -> f64 {
        let mut cost = 0.0;
        let mut tier_start = 0.0;
        for tier in self.duration_tiers {
            if gb_seconds <= tier_start {
                break;
            }
            cost += (gb_seconds.min(tier.up_to_gb_s) - tier_start) * tier.price_per_gb_s;
            tier_start = tier.up_to_gb_s;
        }
        cost
    }
}

// ---------------------------------------------------------------------------------------------
// Inputs.
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Architecture {
    #[default]
    X86_64,
    Arm64,
}

impl Architecture {
    const ALL: [Architecture; 2] = [Architecture::X86_64, Architecture::Arm64];
    /// The `arch` parameter's choices.
    const NAMES: [&'static str; 2] = [Architecture::X86_64.name(), Architecture::Arm64.name()];

    pub const fn name(self) -> &'static str {
        match self {
            Architecture::X86_64 => "x86_64",
            Architecture::Arm64 => "arm64",
        }
    }
}

impl FromStr for Architecture {
    type Err = UnknownName;
    fn from_str(s: &str) -> Result<Self, UnknownName> {
        Architecture::ALL
            .into_iter()
            .find(|arch| arch.name() == s)
            .ok_or_else(|| UnknownName::new("architecture", s, &Architecture::NAMES))
    }
}

/// Which price sheet to use: today's, or the one of the talk's 2016 examples.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PricingEra {
    #[default]
    Current,
    Y2016,
}

impl PricingEra {
    const ALL: [PricingEra; 2] = [PricingEra::Current, PricingEra::Y2016];
    /// The `pricing` parameter's choices.
    const NAMES: [&'static str; 2] = [PricingEra::Current.name(), PricingEra::Y2016.name()];

    pub const fn name(self) -> &'static str {
        match self {
            PricingEra::Current => "current",
            PricingEra::Y2016 => "2016",
        }
    }
}

impl FromStr for PricingEra {
    type Err = UnknownName;
    fn from_str(s: &str) -> Result<Self, UnknownName> {
        PricingEra::ALL
            .into_iter()
            .find(|era| era.name() == s)
            .ok_or_else(|| UnknownName::new("pricing", s, &PricingEra::NAMES))
    }
}

/// A month of one function's workload and how it is deployed.
#[derive(Debug, Clone, PartialEq)]
pub struct CostInputs {
    /// Invocations per month.
    pub requests: f64,
    /// Average duration of one invocation, before rounding to the billing granularity.
    pub duration_ms: f64,
    pub memory_mb: u32,
    pub arch: Architecture,
    /// Configured `/tmp` size; the first 512 MB are included.
    pub ephemeral_mb: u32,
    /// Apply the monthly free tier (Lambda and Azure alike).
    pub free_tier: bool,
    pub pricing: PricingEra,
    /// Provisioned concurrency: this many instances kept warm…
    pub provisioned_instances: u32,
    /// …for this many hours of the month.
    pub provisioned_hours: f64,
    /// The always-on alternative, per month.
    pub server_monthly_usd: f64,
}

/// A small HTTP API today: 10 M requests a month (about 4 a second) of 100 ms at 512 MB on
/// Lambda's default architecture, no provisioned concurrency, against one t3.small.
impl Default for CostInputs {
    fn default() -> Self {
        CostInputs {
            requests: 10_000_000.0,
            duration_ms: 100.0,
            memory_mb: 512,
            arch: Architecture::X86_64,
            ephemeral_mb: INCLUDED_EPHEMERAL_MB,
            free_tier: true,
            pricing: PricingEra::Current,
            provisioned_instances: 0,
            provisioned_hours: 0.0,
            server_monthly_usd: DEFAULT_SERVER_MONTHLY_USD,
        }
    }
}

/// The `cost` panel's parameters, one per [`CostInputs`] field. Each one's name (in URLs and
/// `panel cost` blocks), rule and form label are written once, side by side, in `definition`:
/// `PanelKind::Cost` checks by these rules, [`CostInputs`] reads and writes these names, and the
/// panel's form shows these labels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CostParam {
    Requests,
    DurationMs,
    MemoryMb,
    Arch,
    EphemeralMb,
    FreeTier,
    Pricing,
    ProvisionedInstances,
    ProvisionedHours,
    ServerMonthlyUsd,
}

impl CostParam {
    /// In the form's order.
    pub const ALL: [CostParam; 10] = [
        CostParam::Requests,
        CostParam::DurationMs,
        CostParam::MemoryMb,
        CostParam::Arch,
        CostParam::EphemeralMb,
        CostParam::FreeTier,
        CostParam::Pricing,
        CostParam::ProvisionedInstances,
        CostParam::ProvisionedHours,
        CostParam::ServerMonthlyUsd,
    ];

    /// The rules of [`CostParam::ALL`], in order: what `PanelKind::Cost` accepts.
    pub(crate) const RULES: [Param; 10] = {
        // A loop, as `map` is not `const`.
        let mut rules = [CostParam::Requests.rule(); 10];
        let mut i = 0;
        while i < rules.len() {
            rules[i] = CostParam::ALL[i].rule();
            i += 1;
        }
        rules
    };

    /// Name, rule and label, side by side.
    const fn definition(self) -> (&'static str, ParamType, &'static str) {
        use ParamType::*;
        match self {
            CostParam::Requests => ("requests", Float { min: 0.0, max: MAX_REQUESTS }, "Requests / month"),
            CostParam::DurationMs => {
                ("duration_ms", Float { min: 1.0, max: 900_000.0 }, "Avg. duration (ms)")
            }
            CostParam::MemoryMb => (
                "memory_mb",
                Int { min: *MEMORY_MB.start() as i64, max: *MEMORY_MB.end() as i64 },
                "Memory (MB)",
            ),
            CostParam::Arch => ("arch", Choice(&Architecture::NAMES), "Architecture"),
            CostParam::EphemeralMb => (
                "ephemeral_mb",
                Int { min: *EPHEMERAL_MB.start() as i64, max: *EPHEMERAL_MB.end() as i64 },
                "/tmp storage (MB)",
            ),
            CostParam::FreeTier => ("free_tier", Bool, "Free tier"),
            CostParam::Pricing => ("pricing", Choice(&PricingEra::NAMES), "Prices"),
            CostParam::ProvisionedInstances => {
                ("provisioned_instances", Int { min: 0, max: 100_000 }, "Provisioned instances")
            }
            CostParam::ProvisionedHours => {
                ("provisioned_hours", Float { min: 0.0, max: 744.0 }, "…for hours / month")
            }
            CostParam::ServerMonthlyUsd => {
                ("server_monthly_usd", Float { min: 0.0, max: 1e7 }, "Server ($ / month)")
            }
        }
    }

    /// As in URLs and `panel cost` blocks.
    pub const fn name(self) -> &'static str {
        self.definition().0
    }

    pub const fn rule(self) -> Param {
        let (name, ty, _) = self.definition();
        Param { name, ty }
    }

    /// As in the panel's form.
    pub const fn label(self) -> &'static str {
        self.definition().2
    }
}

impl CostInputs {
    /// Reads the `cost` panel's parameters (URL or `panel cost` block); a missing parameter takes
    /// its [`Default`]. Ranges and spellings are the panel's rules ([`CostParam`]); on top of them,
    /// 2016 pricing accepts only what Lambda offered in 2016. Every bad field is reported, once.
    pub fn from_params(params: &BTreeMap<String, String>) -> Result<Self, Vec<ParamError>> {
        let mut errors = PanelSpec::new(PanelKind::Cost, params).err().unwrap_or_default();
        let mut inputs = CostInputs::default();
        for param in CostParam::ALL {
            if let Some(text) = params.get(param.name()) {
                inputs.set(param, text);
            }
        }
        for error in inputs.era_errors() {
            if !errors.iter().any(|e| e.key == error.key) {
                errors.push(error);
            }
        }
        if errors.is_empty() {
            Ok(inputs)
        } else {
            Err(errors)
        }
    }

    /// Every input as a parameter, for the "copy link" URL. All keys are written, so a shared link
    /// keeps its meaning even if the defaults change. Reads back with [`CostInputs::from_params`].
    pub fn to_params(&self) -> BTreeMap<String, String> {
        CostParam::ALL.into_iter().map(|param| (param.name().to_owned(), self.text(param))).collect()
    }

    /// Sets one input from its parameter's text. Unreadable text keeps the default: the panel's
    /// rules have already reported it, so this never hides an error.
    fn set(&mut self, param: CostParam, text: &str) {
        fn read<T: FromStr>(input: &mut T, text: &str) {
            if let Ok(value) = text.parse() {
                *input = value;
            }
        }
        match param {
            CostParam::Requests => read(&mut self.requests, text),
            CostParam::DurationMs => read(&mut self.duration_ms, text),
            CostParam::MemoryMb => read(&mut self.memory_mb, text),
            CostParam::Arch => read(&mut self.arch, text),
            CostParam::EphemeralMb => read(&mut self.ephemeral_mb, text),
            CostParam::FreeTier => read(&mut self.free_tier, text),
            CostParam::Pricing => read(&mut self.pricing, text),
            CostParam::ProvisionedInstances => read(&mut self.provisioned_instances, text),
            CostParam::ProvisionedHours => read(&mut self.provisioned_hours, text),
            CostParam::ServerMonthlyUsd => read(&mut self.server_monthly_usd, text),
        }
    }

    /// One input as its parameter's text, which [`CostInputs::set`] reads back.
    fn text(&self, param: CostParam) -> String {
        match param {
            CostParam::Requests => self.requests.to_string(),
            CostParam::DurationMs => self.duration_ms.to_string(),
            CostParam::MemoryMb => self.memory_mb.to_string(),
            CostParam::Arch => self.arch.name().to_owned(),
            CostParam::EphemeralMb => self.ephemeral_mb.to_string(),
            CostParam::FreeTier => self.free_tier.to_string(),
            CostParam::Pricing => self.pricing.name().to_owned(),
            CostParam::ProvisionedInstances => self.provisioned_instances.to_string(),
            CostParam::ProvisionedHours => self.provisioned_hours.to_string(),
            CostParam::ServerMonthlyUsd => self.server_monthly_usd.to_string(),
        }
    }

    /// What 2016 pricing cannot express: Lambda then had 128–1,536 MB, a 5-minute timeout, x86
    /// only (arm64 came in 2021), a fixed 512 MB `/tmp` (configurable in 2022) and no
    /// provisioned concurrency (2019).
    fn era_errors(&self) -> Vec<ParamError> {
        if self.pricing != PricingEra::Y2016 {
            return Vec::new();
        }
        let rules = [
            (
                (128..=1536).contains(&self.memory_mb),
                CostParam::MemoryMb,
                "must be between 128 and 1536 with 2016 pricing",
            ),
            (
                self.duration_ms <= 300_000.0,
                CostParam::DurationMs,
                "must be at most 300000 (5 minutes) with 2016 pricing",
            ),
            (
                self.arch == Architecture::X86_64,
                CostParam::Arch,
                "must be x86_64 with 2016 pricing (arm64 arrived in 2021)",
            ),
            (
                self.ephemeral_mb == INCLUDED_EPHEMERAL_MB,
                CostParam::EphemeralMb,
                "must be 512 with 2016 pricing (configurable /tmp arrived in 2022)",
            ),
            (
                self.provisioned_instances == 0,
                CostParam::ProvisionedInstances,
                "must be 0 with 2016 pricing (provisioned concurrency arrived in 2019)",
            ),
        ];
        rules
            .into_iter()
            .filter(|(ok, _, _)| !ok)
            .map(|(_, param, message)| ParamError::new(param.name(), message))
            .collect()
    }
}

// ---------------------------------------------------------------------------------------------
// AWS Lambda.
// ---------------------------------------------------------------------------------------------

/// A month of Lambda, in USD. `total` is the sum of the four charges, each already after the
/// free tier; `free_tier_savings` says how much the free tier took off them.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct CostBreakdown {
    /// Duration of all invocations: on-demand (tiered, after the free tier) plus the provisioned
    /// duration rate for invocations served by provisioned instances.
    pub compute: f64,
    pub requests: f64,
    pub ephemeral_storage: f64,
    /// Keeping provisioned instances warm, whether or not they run anything.
    pub provisioned_concurrency: f64,
    pub free_tier_savings: f64,
    pub total: f64,
    /// Duration GB-seconds of the month's invocations (before the free tier).
    pub gb_seconds: f64,
    /// One invocation's duration as billed: rounded up to 1 ms (current) or 100 ms (2016).
    pub billed_duration_ms: f64,
}

/// What `inputs` costs on Lambda for a month.
///
/// Provisioned concurrency is modelled as perfectly used capacity: its instances can run
/// `instances × hours × 3600` seconds of invocations, which are billed at the provisioned
/// duration rate; whatever exceeds that runs on demand. The free tier covers requests and
/// on-demand duration, never provisioned concurrency. So well-used provisioned concurrency
/// lowers the bill (as AWS advertises) while idle instances only add to it.
pub fn estimate(inputs: &CostInputs) -> CostBreakdown {
    let sheet = PriceSheet::new(inputs.pricing, inputs.arch);
    let billed_duration_ms = round_up(inputs.duration_ms, sheet.billing_granularity_ms);
    let execution_seconds = inputs.requests * billed_duration_ms / 1000.0;
    let memory_gb = gigabytes(inputs.memory_mb);
    let gb_seconds = execution_seconds * memory_gb;

    let (provisioned_concurrency, provisioned_duration, provisioned_gb_seconds) = match sheet.provisioned {
        Some(prices) => {
            let capacity_gb_seconds =
                f64::from(inputs.provisioned_instances) * inputs.provisioned_hours * 3600.0 * memory_gb;
            let served = gb_seconds.min(capacity_gb_seconds);
            (capacity_gb_seconds * prices.enabled_per_gb_s, served * prices.duration_per_gb_s, served)
        }
        None => (0.0, 0.0, 0.0),
    };

    let (free_requests, free_gb_seconds) =
        if inputs.free_tier { (FREE_REQUESTS, FREE_GB_SECONDS) } else { (0.0, 0.0) };
    let on_demand_gb_seconds = gb_seconds - provisioned_gb_seconds;
    let on_demand_before_free = sheet.on_demand_duration(on_demand_gb_seconds);
    let on_demand = sheet.on_demand_duration((on_demand_gb_seconds - free_gb_seconds).max(0.0));
    let requests = per_million(inputs.requests - free_requests, REQUEST_PRICE_PER_MILLION);
    let free_tier_savings = on_demand_before_free - on_demand
        + per_million(inputs.requests.min(free_requests), REQUEST_PRICE_PER_MILLION);

    let extra_ephemeral_gb = gigabytes(inputs.ephemeral_mb.saturating_sub(INCLUDED_EPHEMERAL_MB));
    let ephemeral_storage = execution_seconds * extra_ephemeral_gb * sheet.ephemeral_per_gb_s;

    let compute = on_demand + provisioned_duration;
    CostBreakdown {
        compute,
        requests,
        ephemeral_storage,
        provisioned_concurrency,
        free_tier_savings,
        total: compute + requests + ephemeral_storage + provisioned_concurrency,
        gb_seconds,
        billed_duration_ms,
    }
}

// ---------------------------------------------------------------------------------------------
// Side by side: Azure Functions and an always-on server.
// ---------------------------------------------------------------------------------------------

/// A month of Azure Functions on the Consumption plan, in USD, after the free grant.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct AzureBreakdown {
    pub compute: f64,
    pub executions: f64,
    pub free_tier_savings: f64,
    pub total: f64,
    pub gb_seconds: f64,
    /// Memory rounded up to the next 128 MB.
    pub billed_memory_mb: u32,
    /// Duration at 1 ms granularity, at least 100 ms.
    pub billed_duration_ms: f64,
}

/// The same workload on Azure Functions Consumption. Azure bills the memory a function actually
/// uses; this assumes it uses what Lambda was configured with. Both eras use today's Azure
/// prices, which have not changed since the plan launched in 2016.
pub fn azure_estimate(inputs: &CostInputs) -> AzureBreakdown {
    let billed_memory_mb = inputs.memory_mb.div_ceil(AZURE_MEMORY_STEP_MB).max(1) * AZURE_MEMORY_STEP_MB;
    let billed_duration_ms = round_up(inputs.duration_ms, 1.0).max(AZURE_MIN_DURATION_MS);
    let gb_seconds = inputs.requests * billed_duration_ms / 1000.0 * gigabytes(billed_memory_mb);
    let (free_executions, free_gb_seconds) =
        if inputs.free_tier { (AZURE_FREE_EXECUTIONS, AZURE_FREE_GB_SECONDS) } else { (0.0, 0.0) };
    let compute = (gb_seconds - free_gb_seconds).max(0.0) * AZURE_PRICE_PER_GB_S;
    let executions = per_million(inputs.requests - free_executions, AZURE_PRICE_PER_MILLION_EXECUTIONS);
    let free_tier_savings = gb_seconds.min(free_gb_seconds) * AZURE_PRICE_PER_GB_S
        + per_million(inputs.requests.min(free_executions), AZURE_PRICE_PER_MILLION_EXECUTIONS);
    AzureBreakdown {
        compute,
        executions,
        free_tier_savings,
        total: compute + executions,
        gb_seconds,
        billed_memory_mb,
        billed_duration_ms,
    }
}

/// The three ways to run the workload for a month.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Comparison {
    pub lambda: CostBreakdown,
    pub azure: AzureBreakdown,
    /// The always-on server: a flat monthly price, whatever the traffic.
    pub server: f64,
}

pub fn comparison(inputs: &CostInputs) -> Comparison {
    Comparison { lambda: estimate(inputs), azure: azure_estimate(inputs), server: inputs.server_monthly_usd }
}

// ---------------------------------------------------------------------------------------------
// Chart data.
// ---------------------------------------------------------------------------------------------

/// Monthly totals at one traffic level.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CostPoint {
    pub requests: f64,
    pub lambda: f64,
    pub azure: f64,
    pub server: f64,
}

/// Monthly totals for `points` traffic levels evenly spaced on a log scale from
/// [`CHART_MIN_REQUESTS`] to [`CHART_MAX_REQUESTS`], every other input as given.
pub fn cost_vs_requests(inputs: &CostInputs, points: usize) -> Vec<CostPoint> {
    let span = CHART_MAX_REQUESTS / CHART_MIN_REQUESTS;
    let last = points.saturating_sub(1).max(1) as f64;
    (0..points)
        .map(|i| {
            let at =
                CostInputs { requests: CHART_MIN_REQUESTS * span.powf(i as f64 / last), ..inputs.clone() };
            let Comparison { lambda, azure, server } = comparison(&at);
            CostPoint { requests: at.requests, lambda: lambda.total, azure: azure.total, server }
        })
        .collect()
}

/// The monthly requests from which Lambda costs at least as much as the server; below it,
/// serverless is cheaper. `None` when Lambda is not cheaper even with no traffic, or is still
/// cheaper at the largest workload the panel accepts (10^12 requests).
///
/// Lambda's total is continuous and non-decreasing in requests, so bisection finds the point.
pub fn break_even_requests(inputs: &CostInputs) -> Option<f64> {
    let lambda_minus_server = |requests: f64| {
        estimate(&CostInputs { requests, ..inputs.clone() }).total - inputs.server_monthly_usd
    };
    let (mut cheaper, mut dearer) = (0.0, MAX_REQUESTS);
    if lambda_minus_server(cheaper) >= 0.0 || lambda_minus_server(dearer) < 0.0 {
        return None;
    }
    // 128 halvings exceed f64 precision over this range; the tolerance usually stops it far sooner.
    for _ in 0..128 {
        if dearer - cheaper <= dearer * 1e-12 {
            break;
        }
        let middle = cheaper + (dearer - cheaper) / 2.0;
        if lambda_minus_server(middle) < 0.0 {
            cheaper = middle;
        } else {
            dearer = middle;
        }
    }
    Some(dearer)
}

/// Lambda's monthly total at typical memory sizes (up to 1,536 MB with 2016 pricing), every
/// other input as given. 1,769 MB is where a function gets one full vCPU.
pub fn cost_vs_memory(inputs: &CostInputs) -> Vec<(u32, f64)> {
    let sizes: &[u32] = match inputs.pricing {
        PricingEra::Current => &CURRENT_MEMORY_SIZES_MB,
        PricingEra::Y2016 => &Y2016_MEMORY_SIZES_MB,
    };
    sizes
        .iter()
        .map(|&memory_mb| (memory_mb, estimate(&CostInputs { memory_mb, ..inputs.clone() }).total))
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Helpers.
// ---------------------------------------------------------------------------------------------

/// An amount for display, rounded to the cent with thousands separators: `$18.34`,
/// `$1,234,567.89`. Not-a-number (never produced by this model) shows as `—` rather than `NaN`.
pub fn cents(usd: f64) -> String {
    if !usd.is_finite() {
        return "—".to_owned();
    }
    let total_cents = (usd * 100.0).round() as i64;
    let sign = if total_cents < 0 { "-" } else { "" };
    let total_cents = total_cents.unsigned_abs();
    format!("{sign}${}.{:02}", thousands(total_cents / 100), total_cents % 100)
}

/// `1234567` → `1,234,567`.
fn thousands(n: u64) -> String {
    if n < 1000 {
        n.to_string()
    } else {
        format!("{},{:03}", thousands(n / 1000), n % 1000)
    }
}

fn round_up(value: f64, step: f64) -> f64 {
    (value / step).ceil() * step
}

fn gigabytes(megabytes: u32) -> f64 {
    f64::from(megabytes) / 1024.0
}

/// The charge for `count` units at a price per million; nothing for a negative count (all free).
fn per_million(count: f64, price_per_million: f64) -> f64 {
    count.max(0.0) * price_per_million / 1_000_000.0
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    /// A valid value under `rule` other than `current`.
    fn another_value(rule: ParamType, current: &str) -> String {
        match rule {
            ParamType::Int { max, .. } => max.to_string(),
            ParamType::Float { max, .. } => max.to_string(),
            ParamType::Bool => (current != "true").to_string(),
            ParamType::Choice(options) => options.iter().find(|o| **o != current).unwrap().to_string(),
            other => unreachable!("no cost parameter is {other:?}"),
        }
    }

    #[test]
    fn unknown_choices_name_the_known_ones() {
        let error = "sparc".parse::<Architecture>().unwrap_err();
        assert_eq!(error.to_string(), "unknown architecture `sparc` (known: x86_64, arm64)");
        let error = "2015".parse::<PricingEra>().unwrap_err();
        assert_eq!(error.to_string(), "unknown pricing `2015` (known: current, 2016)");
    }

    #[test]
    fn every_cost_parameter_round_trips_and_has_a_label() {
        let defaults = CostInputs::default().to_params();
        let names: Vec<_> = CostParam::ALL.iter().map(|p| p.name()).collect();
        assert_eq!(
            defaults.keys().map(String::as_str).collect::<BTreeSet<_>>(),
            BTreeSet::from_iter(names.clone())
        );
        let rules: Vec<_> = PanelKind::Cost.params().iter().map(|p| p.name).collect();
        assert_eq!(rules, names, "the panel's rules are the parameters, in the form's order");
        let labels: BTreeSet<_> = CostParam::ALL.iter().map(|p| p.label()).collect();
        assert_eq!(labels.len(), CostParam::ALL.len(), "one label each: {labels:?}");
        for param in CostParam::ALL {
            assert!(!param.label().is_empty(), "{param:?} has no label");
            // This parameter alone off its default: read into its own input and written back.
            let mut params = defaults.clone();
            let value = another_value(param.rule().ty, &defaults[param.name()]);
            params.insert(param.name().to_owned(), value.clone());
            let inputs = CostInputs::from_params(&params).unwrap_or_else(|e| panic!("{param:?}: {e:?}"));
            assert_ne!(inputs, CostInputs::default(), "{param:?}={value} was not read");
            assert_eq!(inputs.to_params(), params, "{param:?}={value}");
        }
    }
}
