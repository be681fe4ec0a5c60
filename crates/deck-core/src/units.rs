//! How the panels write numbers: durations, counts, memory sizes and dollars on an axis.

/// `0.42 ms`, `15.5 ms`, `137 ms`, `12.5 s`; `—` for no number.
pub fn format_ms(ms: f64) -> String {
    match ms {
        ms if !ms.is_finite() => "—".to_owned(),
        ms if ms < 1.0 => format!("{ms:.2} ms"),
        ms if ms < 100.0 => format!("{ms:.1} ms"),
        ms if ms < 10_000.0 => format!("{ms:.0} ms"),
        ms => format!("{:.1} s", ms / 1000.0),
    }
}

/// An axis tick in milliseconds, as the chart computed it.
pub fn axis_ms(ms: f64) -> String {
    format!("{ms} ms")
}

/// `3 M`, `8.1 M`, `450 k`, `12 B`.
pub fn compact_count(n: f64) -> String {
    let (scaled, unit) = [(1e12, " T"), (1e9, " B"), (1e6, " M"), (1e3, " k")]
        .into_iter()
        .find(|(scale, _)| n >= *scale)
        .map_or((n, ""), |(scale, unit)| (n / scale, unit));
    let number = if scaled < 10.0 { compact_number(scaled) } else { format!("{scaled:.0}") };
    format!("{number}{unit}")
}

/// `512`, `1G`, `1.5G`: a memory size in MB, as a chart's label.
pub fn memory_label(mb: u32) -> String {
    if mb < 1024 {
        mb.to_string()
    } else {
        format!("{}G", compact_number(f64::from(mb) / 1024.0))
    }
}

/// `$0`, `$0.42`, `$7`, `$1.5k`, `$2M`: dollars on a chart's axis.
pub fn axis_usd(usd: f64) -> String {
    match usd {
        usd if usd >= 1e6 => format!("${}M", compact_number(usd / 1e6)),
        usd if usd >= 1e3 => format!("${}k", compact_number(usd / 1e3)),
        usd if usd >= 1.0 => format!("${}", compact_number(usd)),
        usd if usd > 0.0 => format!("${usd:.2}"),
        _ => "$0".to_owned(),
    }
}

/// `1`, `1.7`, `10`: one decimal only when it says something.
fn compact_number(x: f64) -> String {
    let rounded = (x * 10.0).round() / 10.0;
    if rounded.fract() == 0.0 {
        format!("{rounded:.0}")
    } else {
        format!("{rounded:.1}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_well() {
        assert_eq!(format_ms(0.4231), "0.42 ms");
        assert_eq!(format_ms(15.54), "15.5 ms");
        assert_eq!(format_ms(137.1), "137 ms");
        assert_eq!(format_ms(12_500.0), "12.5 s");
        assert_eq!(format_ms(f64::NAN), "—");
        assert_eq!(axis_ms(250.0), "250 ms");
    }

    #[test]
    fn counts_memory_and_dollars_read_well() {
        assert_eq!(compact_count(3_000_000.0), "3 M");
        assert_eq!(compact_count(2_640_000.0), "2.6 M");
        assert_eq!(compact_count(450_000.0), "450 k");
        assert_eq!(compact_count(12_000_000_000.0), "12 B");
        assert_eq!(compact_count(12.0), "12");
        assert_eq!(memory_label(512), "512");
        assert_eq!(memory_label(1024), "1G");
        assert_eq!(memory_label(1536), "1.5G");
        assert_eq!(axis_usd(0.0), "$0");
        assert_eq!(axis_usd(0.42), "$0.42");
        assert_eq!(axis_usd(7.0), "$7");
        assert_eq!(axis_usd(1500.0), "$1.5k");
        assert_eq!(axis_usd(2_000_000.0), "$2M");
    }
}
