//! A direct writer for one `detailed_goods` entry as compact JSON: the same object the serde
//! impl (`assemble::DetailedGood`) produces, without serde's per-value dispatch. The keys the
//! writer names are constants; the extra columns' names come from the input's header (any
//! text) and are escaped like every value, exactly as serde_json does (`"`, `\`, control
//! characters). A test compares the two on every fixture.

use crate::model::{Col, Line, Period, ScopeStatus, SHIPMENT_COLUMNS};
use rust_decimal::Decimal;
use std::io::Write;

/// Appends `s` as a JSON string.
pub fn string(buf: &mut Vec<u8>, s: &str) {
    let b = s.as_bytes();
    // Fast path: nothing to escape (almost every value).
    if !b.iter().any(|&c| c < 0x20 || c == b'"' || c == b'\\') {
        buf.reserve(b.len() + 2);
        buf.push(b'"');
        buf.extend_from_slice(b);
        buf.push(b'"');
        return;
    }
    buf.push(b'"');
    let mut start = 0;
    for (i, &c) in b.iter().enumerate() {
        let esc: &[u8] = match c {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            b'\n' => b"\\n",
            b'\r' => b"\\r",
            b'\t' => b"\\t",
            0x08 => b"\\b",
            0x0c => b"\\f",
            0..=0x1f => {
                buf.extend_from_slice(&b[start..i]);
                let _ = write!(buf, "\\u{:04x}", c);
                start = i + 1;
                continue;
            }
            _ => continue,
        };
        buf.extend_from_slice(&b[start..i]);
        buf.extend_from_slice(esc);
        start = i + 1;
    }
    buf.extend_from_slice(&b[start..]);
    buf.push(b'"');
}

/// A key the writer names itself (a plain ASCII identifier): written as it is.
fn key(buf: &mut Vec<u8>, k: &str, first: bool) {
    if !first {
        buf.push(b',');
    }
    buf.push(b'"');
    buf.extend_from_slice(k.as_bytes());
    buf.extend_from_slice(b"\":");
}

/// A decimal exactly as `Decimal`'s `Display` writes it (all `scale` places kept), without
/// the formatting machinery: mantissa digits with the point inserted.
pub fn decimal(buf: &mut Vec<u8>, d: Decimal) {
    let m = d.mantissa();
    let scale = d.scale() as usize;
    if m < 0 {
        buf.push(b'-');
    }
    let mut digits = [0u8; 40];
    let mut len = 0;
    let abs = m.unsigned_abs();
    // Least significant digit first; the same loop for u64 and u128.
    macro_rules! push_digits {
        ($n:expr) => {{
            let mut n = $n;
            loop {
                digits[len] = b'0' + (n % 10) as u8;
                n /= 10;
                len += 1;
                if n == 0 {
                    break;
                }
            }
        }};
    }
    // u128 division is a library call; nearly every value fits a u64.
    match u64::try_from(abs) {
        Ok(n) => push_digits!(n),
        Err(_) => push_digits!(abs),
    }
    // Enough digits for "0.000…": at least scale + 1.
    while len < scale + 1 {
        digits[len] = b'0';
        len += 1;
    }
    for i in (0..len).rev() {
        buf.push(digits[i]);
        if i == scale && scale > 0 {
            buf.push(b'.');
        }
    }
}

fn strings(buf: &mut Vec<u8>, items: &[std::sync::Arc<str>]) {
    buf.push(b'[');
    for (i, s) in items.iter().enumerate() {
        if i > 0 {
            buf.push(b',');
        }
        string(buf, s);
    }
    buf.push(b']');
}

pub fn detailed_good(buf: &mut Vec<u8>, l: &Line) {
    let row = &l.shipment.row;
    buf.push(b'{');
    for (i, name) in SHIPMENT_COLUMNS.iter().enumerate() {
        key(buf, name, i == 0);
        match i {
            x if x == Col::CnCode as usize => string(buf, l.shipment.cn.as_str()),
            x if x == Col::NetMassKg as usize => decimal(buf, l.shipment.net_mass_kg),
            _ => string(buf, row.field(i)),
        }
    }
    if row.get(Col::CnCode) != l.shipment.cn.as_str() {
        key(buf, "cn_code_original", false);
        string(buf, row.get(Col::CnCode));
    }
    for (k, v) in &row.extra {
        // A header cell is any text: `x":"injected","y` must stay one key.
        buf.push(b',');
        string(buf, k);
        buf.push(b':');
        string(buf, v);
    }
    key(buf, "_row", false);
    let _ = write!(buf, "{}", row.row);

    key(buf, "_enrichment", false);
    buf.push(b'{');
    match &l.shipment.scope {
        ScopeStatus::InScope(e) | ScopeStatus::Excluded(e) => {
            key(buf, "product_group", true);
            string(buf, e.sector.product_group());
            key(buf, "sector", false);
            string(buf, e.sector.as_str());
            key(buf, "annex_i_entry", false);
            string(buf, &e.code);
            key(buf, "in_cbam_scope", false);
            buf.extend_from_slice(if matches!(l.shipment.scope, ScopeStatus::InScope(_)) {
                b"true"
            } else {
                b"false"
            });
        }
        ScopeStatus::NotListed => {
            key(buf, "product_group", true);
            string(buf, "");
            key(buf, "in_cbam_scope", false);
            buf.extend_from_slice(b"false");
        }
    }
    key(buf, "period", false);
    string(
        buf,
        match Period::of(l.shipment.import_date) {
            Period::Transitional => "transitional",
            Period::Definitive => "definitive",
        },
    );
    buf.push(b'}');

    key(buf, "emissions_calculation", false);
    buf.push(b'{');
    key(buf, "calculation_method", true);
    string(buf, l.method.as_str());
    key(buf, "factor_id", false);
    string(buf, &l.factor.id);
    key(buf, "emission_factor_source", false);
    string(buf, &l.factor.label);
    key(buf, "data_quality", false);
    string(buf, &l.factor.data_quality);
    key(buf, "emission_factor_direct_tco2_per_ton", false);
    decimal(buf, l.factor.direct);
    key(buf, "emission_factor_indirect_tco2_per_ton", false);
    decimal(buf, l.factor.indirect);
    key(buf, "emission_factor_total_tco2_per_ton", false);
    decimal(buf, l.factor.total);
    if let Some(m) = l.markup {
        key(buf, "default_markup", false);
        decimal(buf, m);
    }
    key(buf, "mass_tonnes", false);
    decimal(buf, l.mass_tonnes);
    key(buf, "direct_emissions_tco2", false);
    decimal(buf, l.direct);
    key(buf, "indirect_emissions_tco2", false);
    decimal(buf, l.indirect);
    key(buf, "total_emissions_tco2", false);
    decimal(buf, l.total);
    key(buf, "trail", false);
    strings(buf, &l.reasons);
    if !l.departures.is_empty() {
        key(buf, "departures_from_production_system", false);
        strings(buf, &l.departures);
    }
    buf.push(b'}');
    buf.push(b'}');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_print_like_display() {
        use std::str::FromStr;
        for t in [
            "0",
            "-0.5",
            "2.030",
            "0.001",
            "12345678901234.5678901",
            "1.0000000000000000001",
            "-7.90",
            "100",
            "0.000",
        ] {
            let d = Decimal::from_str(t).unwrap();
            let mut buf = Vec::new();
            decimal(&mut buf, d);
            assert_eq!(String::from_utf8(buf).unwrap(), d.to_string(), "{t}");
        }
        let max = Decimal::MAX;
        let mut buf = Vec::new();
        decimal(&mut buf, max);
        assert_eq!(String::from_utf8(buf).unwrap(), max.to_string());
    }

    #[test]
    fn escapes_like_serde_json() {
        for s in [
            "plain",
            "quote \" and \\ backslash",
            "tab\tnew\nline\r",
            "ctl \u{1} \u{1f} \u{8} \u{c}",
            "Türkiye ÖÜ €",
            "",
        ] {
            let mut buf = Vec::new();
            string(&mut buf, s);
            assert_eq!(
                String::from_utf8(buf).unwrap(),
                serde_json::to_string(s).unwrap()
            );
        }
    }
}
