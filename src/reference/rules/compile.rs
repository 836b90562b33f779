//! Compiling a rule of the file: one short function per check kind, each naming what is
//! missing or wrong with a typed `RuleError` (the load error says it with the rule's id and line).

use super::{
    Bounds, Check, Condition, ConditionYaml, NamedSet, Rule, RuleYaml, SupplierMatch, CHECKS,
};
use crate::formats::jsonpath::{Path, PathError};
use crate::model::{Date, Quarter};
use rust_decimal::Decimal;

/// Why one rule of the file does not compile (said with the rule's id and line).
#[derive(Debug, thiserror::Error)]
pub(super) enum RuleError {
    /// A parameter the check needs (`what` as the message says it: "`path`", "`min` or `max`").
    #[error("check {check} needs {what}")]
    Missing { check: String, what: String },
    #[error(transparent)]
    Path(#[from] PathError),
    #[error("path {0:?}: the per-row lists of validation_results (errors, warnings, infos, rejected_rows) are not for rules (they hold the rules' own findings; a rule may read the counts)")]
    ListPath(String),
    #[error("`pattern` {pattern:?} is not a valid regular expression: {reason}")]
    Pattern { pattern: String, reason: String },
    #[error("`{what}`: expected YYYY-MM-DD, found {found:?}")]
    Date { what: &'static str, found: String },
    #[error("`{what}`: expected YYYYQn, found {found:?}")]
    Quarter { what: &'static str, found: String },
    #[error("`set` {0:?} is not one of eu27, annex_iii_exempt, eu27_or_annex_iii")]
    Set(String),
    #[error("`within` {0:?}: expected report_period")]
    Within(String),
    #[error("`unless` needs a path through an array (`…[].field`)")]
    UnlessWithoutArray,
    #[error("unknown check {0:?} (expected one of: {checks}, de_minimis)", checks = CHECKS.join(", "))]
    UnknownCheck(String),
}

pub(super) type Compiled<T> = std::result::Result<T, RuleError>;

impl RuleYaml {
    fn missing(&self, what: &str) -> RuleError {
        RuleError::Missing {
            check: self.check.clone(),
            what: what.to_string(),
        }
    }

    /// A path parameter the check needs (`what`: its key).
    fn path(&self, p: &Option<String>, what: &str) -> Compiled<Path> {
        let t = p
            .as_deref()
            .ok_or_else(|| self.missing(&format!("`{what}`")))?;
        rule_path(t)
    }
}

/// A path a rule reads: any path of the report but into the per-row lists of
/// `validation_results`, which the rules never see (they are filled as the rules run).
fn rule_path(text: &str) -> Compiled<Path> {
    let p = Path::parse(text)?;
    let keys: Vec<&str> = p.segments.iter().take(2).map(|s| s.key.as_str()).collect();
    if let ["validation_results", list] = keys[..] {
        if crate::model::LIST_KEYS.contains(&list) {
            return Err(RuleError::ListPath(p.text));
        }
    }
    Ok(p)
}

fn paths(ps: &[String]) -> Compiled<Vec<Path>> {
    ps.iter().map(|p| rule_path(p)).collect()
}

fn date(d: &Option<String>, what: &'static str) -> Compiled<Option<Date>> {
    match d {
        None => Ok(None),
        Some(t) => Date::parse(t).map(Some).ok_or_else(|| RuleError::Date {
            what,
            found: t.clone(),
        }),
    }
}

fn conditions(cs: &[ConditionYaml]) -> Compiled<Vec<Condition>> {
    cs.iter()
        .map(|c| {
            let mut one_of = c.one_of.clone();
            if let Some(e) = &c.equals {
                one_of.push(e.clone());
            }
            Ok(Condition {
                path: rule_path(&c.path)?,
                one_of,
                from: date(&c.from, "from")?,
                to: date(&c.to, "to")?,
                if_missing: c.if_missing,
            })
        })
        .collect()
}

pub(super) fn compile(r: RuleYaml, line: u64) -> Compiled<Rule> {
    let check = compile_check(&r)?;
    Ok(Rule {
        applies_when: conditions(&r.applies_when)?,
        id: r.id,
        name: r.name,
        severity: r.severity,
        regulation: r.regulation,
        line,
        check,
        description: r.description,
    })
}

/// The rule's check, from the closed vocabulary (`CHECKS`, and `de_minimis`).
fn compile_check(r: &RuleYaml) -> Compiled<Check> {
    let tolerance = r.tolerance.unwrap_or(Decimal::ZERO);
    Ok(match r.check.as_str() {
        "required" => required(r)?,
        "pattern" => pattern(r)?,
        "range" => range(r)?,
        "one_of" => one_of(r)?,
        c @ ("in_set" | "not_in_set") => in_set(r, c == "not_in_set")?,
        "unique" => Check::Unique {
            path: r.path(&r.path, "path")?,
        },
        "sum_equals" => Check::SumEquals {
            path: r.path(&r.path, "path")?,
            sum_of: r.path(&r.sum_of, "sum_of")?,
            factor: r.factor.unwrap_or(Decimal::ONE),
            tolerance,
        },
        "line_sum" => line_sum(r, tolerance)?,
        "ratio_at_most" => ratio_at_most(r)?,
        "date_within" => date_within(r)?,
        "quarter_within" => quarter_within(r)?,
        "in_scope" => Check::InScope {
            path: r.path(&r.path, "path")?,
        },
        "supplier_matches" => Check::SupplierMatches(SupplierMatch {
            each: r.path(&r.each, "each")?,
            supplier: r.path(&r.supplier, "supplier")?,
            cn: r.path(&r.cn, "cn")?,
            date: r.path(&r.date, "date")?,
            method: r.path(&r.method, "method")?,
            max_age_years: r.max_age_years,
            vintage_only: r.vintage_only,
        }),
        "de_minimis" => de_minimis(r)?,
        other => return Err(RuleError::UnknownCheck(other.to_string())),
    })
}

fn required(r: &RuleYaml) -> Compiled<Check> {
    let mut ps = paths(&r.paths)?;
    if let Some(p) = &r.path {
        ps.push(rule_path(p)?);
    }
    if ps.is_empty() {
        return Err(r.missing("`path` or `paths`"));
    }
    Ok(Check::Required { paths: ps })
}

fn pattern(r: &RuleYaml) -> Compiled<Check> {
    let pattern = r.pattern.clone().ok_or_else(|| r.missing("`pattern`"))?;
    let re = regex::Regex::new(&ascii_classes(&pattern)).map_err(|e| RuleError::Pattern {
        reason: regex_reason(&e),
        pattern: pattern.clone(),
    })?;
    Ok(Check::Pattern {
        path: r.path(&r.path, "path")?,
        re,
        pattern,
    })
}

/// A pattern with the ASCII meaning of `\d`, `\w`, `\s` and of word boundaries (what the rules
/// have always meant by them: a CN code's `\d` is 0–9, not any script's digits), for the
/// `regex` crate, whose classes are Unicode-aware.
fn ascii_classes(pattern: &str) -> String {
    let mut out = String::with_capacity(pattern.len() + 16);
    let mut chars = pattern.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        let Some(e) = chars.next() else {
            out.push(c);
            break;
        };
        match e {
            'd' => out.push_str("[0-9]"),
            'D' => out.push_str("[^0-9]"),
            'w' => out.push_str("[0-9A-Za-z_]"),
            'W' => out.push_str("[^0-9A-Za-z_]"),
            's' => out.push_str(r"[\t\n\v\f\r ]"),
            'S' => out.push_str(r"[^\t\n\v\f\r ]"),
            'b' | 'B' | '<' | '>' => {
                out.push_str("(?-u:\\");
                out.push(e);
                // `\b{start}`, `\b{end}`, …: the braces belong to the assertion.
                if e == 'b' && chars.peek() == Some(&'{') {
                    for b in chars.by_ref() {
                        out.push(b);
                        if b == '}' {
                            break;
                        }
                    }
                }
                out.push(')');
            }
            other => {
                out.push('\\');
                out.push(other);
            }
        }
    }
    out
}

/// The one-line reason of a regex error (the `regex` crate's syntax errors show the pattern
/// and a caret on lines of their own before it).
fn regex_reason(e: &regex::Error) -> String {
    let text = e.to_string();
    text.lines()
        .rev()
        .find_map(|l| l.strip_prefix("error: "))
        .unwrap_or(&text)
        .to_string()
}

fn range(r: &RuleYaml) -> Compiled<Check> {
    if r.min.is_none() && r.max.is_none() {
        return Err(r.missing("`min` or `max`"));
    }
    let full = r.path(&r.path, "path")?;
    let unless = conditions(&r.unless)?;
    let split = match (unless.is_empty(), full.split_at_last_each()) {
        (true, _) => None,
        (false, Some(parts)) => Some(parts),
        (false, None) => return Err(RuleError::UnlessWithoutArray),
    };
    Ok(Check::Range {
        path: full,
        bounds: Bounds {
            min: r.min,
            max: r.max,
            exclusive_min: r.exclusive_min,
            exclusive_max: r.exclusive_max,
        },
        unless,
        split,
    })
}

fn one_of(r: &RuleYaml) -> Compiled<Check> {
    if r.values.is_empty() {
        return Err(r.missing("`values`"));
    }
    Ok(Check::OneOf {
        path: r.path(&r.path, "path")?,
        values: r.values.clone(),
    })
}

fn in_set(r: &RuleYaml, negate: bool) -> Compiled<Check> {
    let name = r.set.as_deref().ok_or_else(|| r.missing("`set`"))?;
    let set = NamedSet::parse(name).ok_or_else(|| RuleError::Set(name.to_string()))?;
    Ok(Check::InSet {
        path: r.path(&r.path, "path")?,
        set,
        negate,
    })
}

fn line_sum(r: &RuleYaml, tolerance: Decimal) -> Compiled<Check> {
    if r.terms.is_empty() {
        return Err(r.missing("`terms`"));
    }
    Ok(Check::LineSum {
        each: r.path(&r.each, "each")?,
        terms: paths(&r.terms)?,
        equals: r.path(&r.equals, "equals")?,
        tolerance,
    })
}

fn ratio_at_most(r: &RuleYaml) -> Compiled<Check> {
    Ok(Check::RatioAtMost {
        each: r.path(&r.each, "each")?,
        numerator: r.path(&r.numerator, "numerator")?,
        denominator: r.path(&r.denominator, "denominator")?,
        when: conditions(&r.when)?,
        scope: conditions(&r.scope)?,
        max: r.max.ok_or_else(|| r.missing("`max`"))?,
    })
}

fn date_within(r: &RuleYaml) -> Compiled<Check> {
    let report_period = match r.within.as_deref() {
        None => false,
        Some("report_period") => true,
        Some(o) => return Err(RuleError::Within(o.to_string())),
    };
    let (from, to) = (date(&r.from, "from")?, date(&r.to, "to")?);
    if !report_period && from.is_none() && to.is_none() {
        return Err(r.missing("`from`/`to` or `within: report_period`"));
    }
    Ok(Check::DateWithin {
        path: r.path(&r.path, "path")?,
        from,
        to,
        report_period,
    })
}

fn quarter_within(r: &RuleYaml) -> Compiled<Check> {
    let q = |v: &Option<String>, what: &'static str| -> Compiled<Quarter> {
        let t = v
            .as_deref()
            .ok_or_else(|| r.missing(&format!("`{what}`")))?;
        Quarter::parse(t).ok_or_else(|| RuleError::Quarter {
            what,
            found: t.to_string(),
        })
    };
    Ok(Check::QuarterWithin {
        path: r.path(&r.path, "path")?,
        from: q(&r.from, "from")?,
        to: q(&r.to, "to")?,
    })
}

fn de_minimis(r: &RuleYaml) -> Compiled<Check> {
    Ok(Check::DeMinimis {
        each: r.path(&r.each, "each")?,
        mass: r.path(&r.mass, "mass")?,
        cn: r.path(&r.cn, "cn")?,
        threshold: r.threshold.ok_or_else(|| r.missing("`threshold`"))?,
        exclude_prefixes: r.exclude_prefixes.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matches(pattern: &str, text: &str) -> bool {
        regex::Regex::new(&ascii_classes(pattern))
            .unwrap()
            .is_match(text)
    }

    #[test]
    fn perl_classes_keep_their_ascii_meaning() {
        assert!(matches(r"^\d{8}$", "72081000"));
        assert!(!matches(r"^\d{8}$", "٧٢٠٨١٠٠٠")); // Arabic-Indic digits
        assert!(!matches(r"^\w+$", "δ"));
        assert!(matches(r"^\W$", "δ"));
        assert!(!matches(r"\s", "\u{2000}"));
        assert!(matches(r"^[\d.]+$", "1.5"));
        assert!(matches(r"^\\d$", r"\d"));
        assert!(!matches(r"\b", "δ"));
        assert!(matches(r"\bab\b", "x ab y"));
        assert!(matches(r"\b{start}ab", "ab"));
        assert!(matches(r"^20[2-9][0-9]Q[1-4]$", "2025Q4"));
        assert!(matches(r"^[A-Z]{2}[A-Z0-9]{1,15}$", "DE123456789"));
    }

    #[test]
    fn bad_patterns_say_why_on_one_line() {
        // (Built at run time, as a rules file's pattern is: clippy checks literal patterns.)
        let unclosed = ["^[", "A-Z"].concat();
        let e = regex::Regex::new(&unclosed).unwrap_err();
        assert_eq!(regex_reason(&e), "unclosed character class");
    }

    #[test]
    fn rules_may_not_read_the_per_row_lists() {
        for list in crate::model::LIST_KEYS {
            let p = format!("validation_results.{list}[].code");
            assert!(matches!(rule_path(&p), Err(RuleError::ListPath(_))), "{p}");
        }
        assert!(rule_path("validation_results.error_count").is_ok());
        assert!(rule_path("detailed_goods[].errors").is_ok());
    }
}
