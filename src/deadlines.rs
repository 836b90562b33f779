//! CBAM dates around a given day: transitional quarterly reports and their modification
//! windows (the official calendar, `data/cbam_calendar.csv`), and the definitive period's
//! annual declaration and surrender (30 September of the following year, Art. 6(1) and 22(1)
//! as amended by Reg. 2025/2083), certificate sales (from 1 Feb 2027, Art. 20(1)) and the
//! quarterly holding check (at least 50 % from 2027, Art. 22(2)).

use crate::model::Date;
use serde::Serialize;

pub use crate::embedded::CALENDAR;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Event {
    pub date: String,
    /// report_due, modification_until, declaration_due, surrender_due, certificate_sales_start, holding_check
    pub kind: &'static str,
    /// The reporting period or year it concerns (e.g. 2025Q3, 2026).
    pub period: String,
    pub description: String,
    pub source: String,
    /// past, due_soon (within the look-ahead), upcoming
    pub status: &'static str,
    /// Days from today (negative: past).
    pub days: i64,
}

fn ev(
    date: Date,
    kind: &'static str,
    period: String,
    description: String,
    source: &str,
) -> (Date, Event) {
    (
        date,
        Event {
            date: date.to_string(),
            kind,
            period,
            description,
            source: source.to_string(),
            status: "",
            days: 0,
        },
    )
}

/// Every dated obligation, from the first transitional report to the declarations of the year
/// after `today`, with its status relative to `today` and the look-ahead window.
pub fn events(today: Date, days_ahead: u32) -> Vec<Event> {
    let mut out: Vec<(Date, Event)> = Vec::new();
    let mut rdr = csv::ReaderBuilder::new().from_reader(CALENDAR.1.as_bytes());
    for rec in rdr.records().flatten() {
        let (period, due, until, source) = (&rec[0], &rec[1], &rec[2], &rec[3]);
        if let (Some(due), Some(until)) = (Date::parse(due), Date::parse(until)) {
            out.push(ev(
                due,
                "report_due",
                period.to_string(),
                format!("CBAM quarterly report for {period} due (transitional period)"),
                source,
            ));
            out.push(ev(
                until,
                "modification_until",
                period.to_string(),
                format!("last day to modify the {period} report"),
                source,
            ));
        }
    }
    let decl_src = "Reg (EU) 2023/956 Art. 6(1) and 22(1) as amended by Reg (EU) 2025/2083 (docs/domain/regulation.md §5.2)";
    for year in 2026..=today.year.max(2026) + 1 {
        let due = Date {
            year: year + 1,
            month: 9,
            day: 30,
        };
        out.push(ev(
            due,
            "declaration_due",
            year.to_string(),
            format!("annual CBAM declaration for {year} imports due"),
            decl_src,
        ));
        out.push(ev(
            due,
            "surrender_due",
            year.to_string(),
            format!("surrender of CBAM certificates for {year} embedded emissions"),
            decl_src,
        ));
        if year >= 2027 {
            for (q, (m, d)) in [(1, (3, 31)), (2, (6, 30)), (3, (9, 30)), (4, (12, 31))] {
                out.push(ev(
                    Date { year, month: m, day: d },
                    "holding_check",
                    format!("{year}Q{q}"),
                    format!("end of {year}Q{q}: hold certificates for at least 50 % of embedded emissions imported since 1 January"),
                    "Reg (EU) 2023/956 Art. 22(2) as amended by Reg (EU) 2025/2083 (docs/domain/regulation.md §5.3)",
                ));
            }
        }
    }
    out.push(ev(
        Date { year: 2027, month: 2, day: 1 },
        "certificate_sales_start",
        "2026".into(),
        "CBAM certificates on sale on the common central platform (no purchases during 2026)".into(),
        "Reg (EU) 2023/956 Art. 20(1) as amended by Reg (EU) 2025/2083 (docs/domain/regulation.md §5.3)",
    ));
    out.sort_by(|a, b| {
        a.0.cmp(&b.0)
            .then(a.1.kind.cmp(b.1.kind))
            .then(a.1.period.cmp(&b.1.period))
    });
    let t = today.to_days();
    out.into_iter()
        .map(|(d, mut e)| {
            e.days = d.to_days() - t;
            e.status = if e.days < 0 {
                "past"
            } else if e.days <= days_ahead as i64 {
                "due_soon"
            } else {
                "upcoming"
            };
            e
        })
        .collect()
}
