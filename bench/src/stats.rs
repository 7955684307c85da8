//! Sample summaries: median, tail and spread of latencies, and ratios between two summaries.

use std::time::Duration;

/// A summary of one set of samples, in microseconds.
#[derive(Debug, Clone, Copy, Default)]
pub struct Summary {
    /// Number of samples.
    pub n: usize,
    /// Smallest sample.
    pub min: f64,
    /// 25th percentile.
    pub p25: f64,
    /// Median.
    pub p50: f64,
    /// 75th percentile.
    pub p75: f64,
    /// 99th percentile.
    pub p99: f64,
    /// Largest sample.
    pub max: f64,
}

impl Summary {
    /// Summarises samples given in microseconds (any order).
    pub fn of_micros(samples: &[f64]) -> Self {
        let mut sorted: Vec<f64> = samples.iter().copied().filter(|v| v.is_finite()).collect();
        sorted.sort_by(f64::total_cmp);
        if sorted.is_empty() {
            return Self::default();
        }
        Self {
            n: sorted.len(),
            min: sorted[0],
            p25: percentile(&sorted, 25.0),
            p50: percentile(&sorted, 50.0),
            p75: percentile(&sorted, 75.0),
            p99: percentile(&sorted, 99.0),
            max: sorted[sorted.len() - 1],
        }
    }

    /// Summarises durations.
    pub fn of_durations(samples: &[Duration]) -> Self {
        let micros: Vec<f64> = samples.iter().map(|d| d.as_secs_f64() * 1e6).collect();
        Self::of_micros(&micros)
    }

    /// A compact line for notes: every statistic and the sample count.
    pub fn detail(&self) -> String {
        format!(
            "n={}, min {}, p25 {}, p50 {}, p75 {}, p99 {}, max {}",
            self.n,
            fmt_us(self.min),
            fmt_us(self.p25),
            fmt_us(self.p50),
            fmt_us(self.p75),
            fmt_us(self.p99),
            fmt_us(self.max)
        )
    }
}

/// Linear-interpolated percentile of sorted samples.
pub fn percentile(sorted: &[f64], pct: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = (pct / 100.0) * (sorted.len() - 1) as f64;
    let low = rank.floor() as usize;
    let high = rank.ceil() as usize;
    let weight = rank - low as f64;
    sorted[low] * (1.0 - weight) + sorted[high] * weight
}

/// Formats microseconds with a unit that keeps three significant digits.
pub fn fmt_us(us: f64) -> String {
    if !us.is_finite() {
        "n/a".to_owned()
    } else if us < 1_000.0 {
        format!("{us:.0} µs")
    } else if us < 10_000.0 {
        format!("{:.2} ms", us / 1e3)
    } else if us < 1_000_000.0 {
        format!("{:.1} ms", us / 1e3)
    } else {
        format!("{:.2} s", us / 1e6)
    }
}

/// Formats a byte count in KiB/MiB.
pub fn fmt_bytes(bytes: u64) -> String {
    let b = bytes as f64;
    if b < 1024.0 {
        format!("{bytes} B")
    } else if b < 1024.0 * 1024.0 {
        format!("{:.1} KiB", b / 1024.0)
    } else {
        format!("{:.1} MiB", b / (1024.0 * 1024.0))
    }
}

/// A count with thousands separators ("10,000").
pub fn fmt_count(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

/// `a / b` formatted as a ratio ("1.07×").
pub fn fmt_ratio(ratio: f64) -> String {
    if ratio.is_finite() {
        format!("{ratio:.2}×")
    } else {
        "n/a".to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_interpolate() {
        let s = Summary::of_micros(&[4.0, 1.0, 3.0, 2.0, 5.0]);
        assert_eq!(s.p50, 3.0);
        assert_eq!(s.min, 1.0);
        assert_eq!(s.max, 5.0);
        assert_eq!(s.p25, 2.0);
        assert!((s.p99 - 4.96).abs() < 1e-9);
    }

    #[test]
    fn units() {
        assert_eq!(fmt_us(512.4), "512 µs");
        assert_eq!(fmt_us(1_234.0), "1.23 ms");
        assert_eq!(fmt_us(12_340.0), "12.3 ms");
        assert_eq!(fmt_bytes(2048), "2.0 KiB");
        assert_eq!(fmt_ratio(1.0749), "1.07×");
        assert_eq!(fmt_count(10_000), "10,000");
        assert_eq!(fmt_count(999), "999");
    }
}
