//! Wall-clock formatting. The platform needs three fixed UTC formats (log timestamps, Function URL
//! request times, log stream dates), which does not justify a date-time dependency.

use std::time::{SystemTime, UNIX_EPOCH};

/// Milliseconds since the Unix epoch; a clock set before 1970 reads as the epoch.
pub fn epoch_millis(time: SystemTime) -> u64 {
    time.duration_since(UNIX_EPOCH).map_or(0, |since| since.as_millis() as u64)
}

/// A UTC calendar time with millisecond precision.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UtcTime {
    pub year: u64,
    pub month: u64,
    pub day: u64,
    pub hour: u64,
    pub minute: u64,
    pub second: u64,
    pub millis: u64,
}

const MONTHS: [&str; 12] =
    ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

impl UtcTime {
    pub fn now() -> UtcTime {
        UtcTime::from_epoch_millis(epoch_millis(SystemTime::now()))
    }

    pub fn from_epoch_millis(epoch_ms: u64) -> UtcTime {
        let (days, ms_of_day) = (epoch_ms / 86_400_000, epoch_ms % 86_400_000);
        let (year, month, day) = civil_from_days(days);
        UtcTime {
            year,
            month,
            day,
            hour: ms_of_day / 3_600_000,
            minute: ms_of_day / 60_000 % 60,
            second: ms_of_day / 1000 % 60,
            millis: ms_of_day % 1000,
        }
    }

    /// `2024-03-01T09:05:07.042Z`, as CloudWatch prints it in front of `Task timed out`.
    pub fn rfc3339_millis(&self) -> String {
        format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
            self.year, self.month, self.day, self.hour, self.minute, self.second, self.millis
        )
    }

    /// `01/Mar/2024:09:05:07 +0000`: `requestContext.time` of a Function URL event.
    pub fn common_log_format(&self) -> String {
        let month = MONTHS[(self.month - 1) as usize];
        format!(
            "{:02}/{month}/{:04}:{:02}:{:02}:{:02} +0000",
            self.day, self.year, self.hour, self.minute, self.second
        )
    }

    /// `2024/03/01`: the date prefix of a log stream name.
    pub fn slash_date(&self) -> String {
        format!("{:04}/{:02}/{:02}", self.year, self.month, self.day)
    }
}

/// Days since 1970-01-01 → (year, month 1–12, day 1–31), after Howard Hinnant's `civil_from_days`.
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    let z = days + 719_468;
    let era = z / 146_097;
    let day_of_era = z % 146_097;
    let year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let shifted_month = (5 * day_of_year + 2) / 153; // March = 0
    let day = day_of_year - (153 * shifted_month + 2) / 5 + 1;
    let month = if shifted_month < 10 { shifted_month + 3 } else { shifted_month - 9 };
    let year = year_of_era + era * 400 + u64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn epoch_is_the_first_of_january_1970() {
        let time = UtcTime::from_epoch_millis(0);
        assert_eq!(time.rfc3339_millis(), "1970-01-01T00:00:00.000Z");
        assert_eq!(time.common_log_format(), "01/Jan/1970:00:00:00 +0000");
        assert_eq!(time.slash_date(), "1970/01/01");
    }

    #[test]
    fn formats_a_known_instant_in_all_three_shapes() {
        // 2020-03-12T19:03:58.390Z, the instant of AWS's own Function URL example event.
        let time = UtcTime::from_epoch_millis(1_584_039_838_390);
        assert_eq!(time.rfc3339_millis(), "2020-03-12T19:03:58.390Z");
        assert_eq!(time.common_log_format(), "12/Mar/2020:19:03:58 +0000");
        assert_eq!(time.slash_date(), "2020/03/12");
    }

    #[test]
    fn leap_days_and_year_ends_land_on_the_right_date() {
        let day = 86_400_000;
        // 2024-02-29 is day 19782 after the epoch; 2023-12-31 is day 19722.
        assert_eq!(UtcTime::from_epoch_millis(19_782 * day).slash_date(), "2024/02/29");
        assert_eq!(UtcTime::from_epoch_millis(19_783 * day).slash_date(), "2024/03/01");
        assert_eq!(
            UtcTime::from_epoch_millis(19_722 * day + day - 1).rfc3339_millis(),
            "2023-12-31T23:59:59.999Z"
        );
        assert_eq!(UtcTime::from_epoch_millis(11_016 * day).slash_date(), "2000/02/29");
    }
}
