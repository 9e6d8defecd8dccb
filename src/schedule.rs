//! TEMPORARY placeholder until the scheduler branch merges.
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use std::str::FromStr;
#[derive(Debug, Clone)]
pub struct CronSchedule {
    expr: String,
    inner: cron::Schedule,
}
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct CronError {
    pub message: String,
}
impl CronSchedule {
    pub fn parse(expr: &str) -> Result<CronSchedule, CronError> {
        let six = if expr.split_whitespace().count() == 5 {
            format!("0 {expr}")
        } else {
            expr.to_string()
        };
        cron::Schedule::from_str(&six)
            .map(|inner| CronSchedule {
                expr: expr.into(),
                inner,
            })
            .map_err(|e| CronError {
                message: e.to_string(),
            })
    }
    pub fn as_str(&self) -> &str {
        &self.expr
    }
    pub fn next_after(&self, zone: Tz, after: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.inner
            .after(&after.with_timezone(&zone))
            .next()
            .map(|d| d.with_timezone(&Utc))
    }
}
