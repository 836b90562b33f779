//! `cbam deadlines`: reporting, modification, declaration and surrender dates around a day.

use super::Format;
use anyhow::Context;
use std::io::Write;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The day to look from (YYYY-MM-DD; default: today, UTC).
    #[arg(long, value_name = "DATE")]
    pub today: Option<String>,
    /// Events within this many days count as due soon.
    #[arg(long, default_value_t = 30)]
    pub days_ahead: u32,
    /// Every event, not just the last 90 days and the next year.
    #[arg(long)]
    pub all: bool,
    /// What stdout shows: `table` for people, `json` for scripts.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

pub fn run(a: Args) -> anyhow::Result<u8> {
    let today = match &a.today {
        Some(t) => cbam::model::Date::parse(t)
            .with_context(|| format!("--today: expected YYYY-MM-DD, found {t:?}"))?,
        None => {
            let now = cbam::time::generated_at(None)?;
            now.get(..10)
                .and_then(cbam::model::Date::parse)
                .context("system clock")?
        }
    };
    let events: Vec<_> = cbam::deadlines::events(today, a.days_ahead)
        .into_iter()
        .filter(|e| a.all || (-90..=365).contains(&e.days))
        .collect();
    let mut out = super::stdout();
    match a.format {
        Format::Json => {
            let j = serde_json::json!({"today": today.to_string(), "days_ahead": a.days_ahead, "events": events});
            writeln!(out, "{}", serde_json::to_string_pretty(&j)?)?;
        }
        Format::Table => {
            writeln!(
                out,
                "today {today}, due soon = within {} days",
                a.days_ahead
            )?;
            writeln!(
                out,
                "{:<10}  {:<9}  {:>6}  {:<24}  {:<8}  what",
                "date", "status", "days", "kind", "period"
            )?;
            for e in &events {
                writeln!(
                    out,
                    "{:<10}  {:<9}  {:>6}  {:<24}  {:<8}  {}",
                    e.date, e.status, e.days, e.kind, e.period, e.description
                )?;
            }
        }
    }
    Ok(0)
}
