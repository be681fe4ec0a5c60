//! The arithmetic of the panels' charts, apart from their drawing: where a value falls on a
//! linear or log axis, round axis ends, percentiles.

/// Maps values onto `0..=1` between two ends, linearly or on a log scale.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Scale {
    lo: f64,
    hi: f64,
    log: bool,
}

impl Scale {
    pub fn linear(lo: f64, hi: f64) -> Scale {
        Scale { lo, hi, log: false }
    }

    /// Both ends must be above zero; values at or below `lo` sit at the bottom.
    pub fn log(lo: f64, hi: f64) -> Scale {
        Scale { lo, hi, log: true }
    }

    /// Where `value` falls between the ends, clamped to `0..=1`; 0 for what cannot be placed.
    pub fn fraction(&self, value: f64) -> f64 {
        let (value, lo, hi) = if self.log {
            (value.max(self.lo).log10(), self.lo.log10(), self.hi.log10())
        } else {
            (value, self.lo, self.hi)
        };
        let fraction = (value - lo) / (hi - lo);
        if fraction.is_finite() {
            fraction.clamp(0.0, 1.0)
        } else {
            0.0
        }
    }
}

/// The smallest 1, 2 or 5 × 10ⁿ at or above `value`, so an axis ends on a round number.
pub fn nice_ceiling(value: f64) -> f64 {
    if value <= 0.0 || !value.is_finite() {
        return 1.0;
    }
    let magnitude = 10f64.powf(value.log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|step| step * magnitude)
        .find(|&nice| nice >= value)
        .unwrap_or(value)
}

/// The nearest-rank percentile (`p` in 0–100) of `values`; `None` when there are none.
pub fn percentile(values: &[f64], p: f64) -> Option<f64> {
    let mut sorted: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
    if sorted.is_empty() {
        return None;
    }
    sorted.sort_unstable_by(f64::total_cmp);
    let rank = (p / 100.0 * sorted.len() as f64).ceil() as usize;
    sorted.get(rank.clamp(1, sorted.len()) - 1).copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_are_nearest_rank_and_ignore_what_is_not_a_number() {
        let values = [5.0, 1.0, 4.0, 2.0, 3.0, f64::NAN];
        assert_eq!(percentile(&values, 50.0), Some(3.0));
        assert_eq!(percentile(&values, 95.0), Some(5.0));
        assert_eq!(percentile(&values, 0.0), Some(1.0));
        assert_eq!(percentile(&[], 50.0), None);
    }

    #[test]
    fn scales_clamp_and_never_give_nan() {
        let linear = Scale::linear(0.0, 10.0);
        assert_eq!(linear.fraction(2.5), 0.25);
        assert_eq!(linear.fraction(20.0), 1.0);
        assert_eq!(linear.fraction(f64::NAN), 0.0);
        assert_eq!(Scale::linear(3.0, 3.0).fraction(3.0), 0.0);
        let log = Scale::log(1.0, 1e4);
        assert_eq!(log.fraction(100.0), 0.5);
        assert_eq!(log.fraction(0.0), 0.0);
        assert_eq!(nice_ceiling(37.0), 50.0);
        assert_eq!(nice_ceiling(0.0), 1.0);
        assert_eq!(nice_ceiling(101.0), 200.0);
    }
}
