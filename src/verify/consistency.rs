//! A report against itself: do its stated summaries add up from its own lines?

use super::compare::{half_unit, Consistency, DeviationClass, Tally};
use super::{Field, Figures};
use rust_decimal::Decimal;
use std::collections::{BTreeMap, BTreeSet};

/// The sums of a side's own lines: in total, by sector and by origin.
#[derive(Default)]
struct OwnSums {
    total: [Decimal; 3],
    by_sector: BTreeMap<String, Decimal>,
    by_origin: BTreeMap<String, Decimal>,
}

fn own_sums(f: &Figures) -> OwnSums {
    let mut s = OwnSums::default();
    for line in f.lines.values() {
        let e = &line.emissions;
        for (i, field) in Field::ALL.into_iter().enumerate() {
            s.total[i] += e.get(field).unwrap_or_default();
        }
        if let Some(k) = line.sector {
            *s.by_sector.entry(f.names.get(k).to_string()).or_default() += e.total;
        }
        if let Some(k) = line.origin {
            *s.by_origin.entry(f.names.get(k).to_string()).or_default() += e.total;
        }
    }
    s
}

const TOTAL_KEYS: [&str; 3] = [
    "total_direct_emissions_tco2",
    "total_indirect_emissions_tco2",
    "total_embedded_emissions_tco2",
];
const EXACT_KEYS: [&str; 3] = [
    "direct_emissions_tco2",
    "indirect_emissions_tco2",
    "total_emissions_tco2",
];

/// Every stated summary figure of `f` that differs from the sum of its own lines. A summary
/// rounded to d decimals from the lines may be ½·10^-d off (class `rounding`); the exact sums
/// and the shipment count must be exact.
pub(super) fn check(side: &'static str, f: &Figures) -> Vec<Consistency> {
    let Some(stated) = &f.stated else {
        return Vec::new();
    };
    let sums = own_sums(f);
    let rounded = half_unit(stated.decimals);
    let mut out = Vec::new();
    let mut push = |at: String, stated: Decimal, from_lines: Decimal, allowance: Decimal| {
        let difference = stated - from_lines;
        let class = Tally::class(difference, allowance);
        if class != DeviationClass::Equal {
            out.push(Consistency {
                side,
                stated_at: at,
                stated,
                from_lines,
                difference,
                rounding_allowance: allowance,
                class,
            });
        }
    };
    for (i, field) in Field::ALL.into_iter().enumerate() {
        let lines_state_it = f.lines.values().all(|l| l.emissions.get(field).is_some());
        if !lines_state_it {
            continue;
        }
        if let Some(v) = stated.totals.get(field) {
            let at = format!("emissions_summary.{}", TOTAL_KEYS[i]);
            push(at, v, sums.total[i], rounded);
        }
        if let Some(v) = stated.exact_sums.and_then(|x| x.get(field)) {
            let at = format!("emissions_summary.exact_sums.{}", EXACT_KEYS[i]);
            push(at, v, sums.total[i], Decimal::ZERO);
        }
    }
    for (list, key, st, own) in [
        (
            "emissions_by_product_group",
            "product_group",
            &stated.by_sector,
            &sums.by_sector,
        ),
        (
            "emissions_by_origin_country",
            "country_iso",
            &stated.by_origin,
            &sums.by_origin,
        ),
    ] {
        // Only when the lines say what they are grouped by (a report's lines always do).
        if own.is_empty() {
            continue;
        }
        let keys: BTreeSet<&String> = st.keys().chain(own.keys()).collect();
        for k in keys {
            let at = format!("emissions_summary.{list}[{key}={k}].total_emissions_tco2");
            let (s, o) = (st.get(k).copied(), own.get(k).copied());
            push(at, s.unwrap_or_default(), o.unwrap_or_default(), rounded);
        }
    }
    if let Some(n) = stated.shipments {
        let lines = f.lines.len() as u64;
        push(
            "goods_summary.total_shipments".into(),
            Decimal::from(n),
            Decimal::from(lines),
            Decimal::ZERO,
        );
    }
    out
}
