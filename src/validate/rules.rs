//! The rules file: every rule has an id, a name, a severity, a regulation reference and a
//! check from a closed vocabulary. Loading compiles each rule; a rule that cannot run (unknown
//! check, bad path, bad regex, missing parameter) is a load error naming the rule and its line.
//!
//! The production system's rules file (`validation_rules:` with free-text checks) loads too:
//! each of its rules runs through our rule with the same id (with its tolerance and severity)
//! and the ones we have no executable form for are listed as not run, with the reason.

use super::path::Path;
use crate::error::{Error, Result};
use crate::model::{Date, Quarter, Severity};
use rust_decimal::Decimal;
use serde::Deserialize;
use std::path::Path as FsPath;

/// Named sets of country codes a rule can test against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NamedSet {
    /// The 27 EU member states.
    Eu27,
    /// Annex III of Reg. 2023/956: origins exempt from CBAM (Iceland, Liechtenstein, Norway, Switzerland).
    AnnexIiiExempt,
    /// Either of the above: goods from there are not CBAM imports.
    Eu27OrAnnexIii,
}

pub const ANNEX_III: [&str; 4] = ["IS", "LI", "NO", "CH"];

impl NamedSet {
    fn parse(s: &str) -> Option<NamedSet> {
        Some(match s {
            "eu27" => NamedSet::Eu27,
            "annex_iii_exempt" => NamedSet::AnnexIiiExempt,
            "eu27_or_annex_iii" => NamedSet::Eu27OrAnnexIii,
            _ => return None,
        })
    }
    pub fn contains(self, v: &str) -> bool {
        match self {
            NamedSet::Eu27 => crate::enrich::EU27.contains(&v),
            NamedSet::AnnexIiiExempt => ANNEX_III.contains(&v),
            NamedSet::Eu27OrAnnexIii => crate::enrich::EU27.contains(&v) || ANNEX_III.contains(&v),
        }
    }
    pub fn describe(self) -> &'static str {
        match self {
            NamedSet::Eu27 => "an EU member state",
            NamedSet::AnnexIiiExempt => "an Annex III exempt origin (IS, LI, NO, CH)",
            NamedSet::Eu27OrAnnexIii => "an EU member state or an Annex III exempt origin",
        }
    }
}

/// A condition on a value (relative to the report for `applies_when`, to the element for `when`).
#[derive(Debug, Clone)]
pub struct Condition {
    pub path: Path,
    pub one_of: Vec<String>,
    pub from: Option<Date>,
    pub to: Option<Date>,
    /// The condition holds when the path is missing.
    pub if_missing: bool,
}

#[derive(Debug, Clone)]
pub enum Check {
    Required {
        paths: Vec<Path>,
    },
    Pattern {
        path: Path,
        re: regex_lite::Regex,
        pattern: String,
    },
    Range {
        path: Path,
        min: Option<Decimal>,
        max: Option<Decimal>,
        exclusive_min: bool,
        exclusive_max: bool,
        /// `unless`: conditions on the element of the path's last `[]` (e.g. `cn_code` of a
        /// `detailed_goods[]` line) under which the value is not checked, with the path split
        /// there (element path, path inside the element).
        unless: Vec<Condition>,
        split: Option<(Path, Path)>,
    },
    OneOf {
        path: Path,
        values: Vec<String>,
    },
    InSet {
        path: Path,
        set: NamedSet,
        negate: bool,
    },
    Unique {
        path: Path,
    },
    SumEquals {
        path: Path,
        sum_of: Path,
        factor: Decimal,
        tolerance: Decimal,
    },
    LineSum {
        each: Path,
        terms: Vec<Path>,
        equals: Path,
        tolerance: Decimal,
    },
    RatioAtMost {
        each: Path,
        numerator: Path,
        denominator: Path,
        when: Vec<Condition>,
        scope: Vec<Condition>,
        max: Decimal,
    },
    DateWithin {
        path: Path,
        from: Option<Date>,
        to: Option<Date>,
        report_period: bool,
    },
    QuarterWithin {
        path: Path,
        from: Quarter,
        to: Quarter,
    },
    InScope {
        path: Path,
    },
    SupplierMatches {
        each: Path,
        supplier: Path,
        cn: Path,
        date: Path,
        method: Path,
        max_age_years: Option<u32>,
        vintage_only: bool,
    },
    DeMinimis {
        each: Path,
        mass: Path,
        cn: Path,
        threshold: Decimal,
        exclude_prefixes: Vec<String>,
    },
}

impl Check {
    pub fn name(&self) -> &'static str {
        match self {
            Check::Required { .. } => "required",
            Check::Pattern { .. } => "pattern",
            Check::Range { .. } => "range",
            Check::OneOf { .. } => "one_of",
            Check::InSet { .. } => "in_set",
            Check::Unique { .. } => "unique",
            Check::SumEquals { .. } => "sum_equals",
            Check::LineSum { .. } => "line_sum",
            Check::RatioAtMost { .. } => "ratio_at_most",
            Check::DateWithin { .. } => "date_within",
            Check::QuarterWithin { .. } => "quarter_within",
            Check::InScope { .. } => "in_scope",
            Check::SupplierMatches { .. } => "supplier_matches",
            Check::DeMinimis { .. } => "de_minimis",
        }
    }
}

/// The vocabulary, for messages and the README.
pub const CHECKS: [&str; 14] = [
    "required",
    "pattern",
    "range",
    "one_of",
    "in_set",
    "not_in_set",
    "unique",
    "sum_equals",
    "line_sum",
    "ratio_at_most",
    "date_within",
    "quarter_within",
    "in_scope",
    "supplier_matches",
];

#[derive(Debug, Clone)]
pub struct Rule {
    pub id: String,
    pub name: String,
    pub severity: Severity,
    pub regulation: String,
    /// Line of the rule in its file (for messages about the rule itself).
    pub line: u64,
    pub check: Check,
    pub applies_when: Vec<Condition>,
    /// Free text from the file (shown by `cbam validate --format json`).
    pub description: Option<String>,
}

/// A rule the file names but that does not run, and why (production rules only: our own file
/// has no such thing — a rule of ours that cannot run is a load error).
#[derive(Debug, Clone, serde::Serialize)]
pub struct NotRun {
    pub id: String,
    pub name: String,
    pub reason: String,
}

#[derive(Debug, Clone)]
pub struct RuleSet {
    pub rules: Vec<Rule>,
    pub not_run: Vec<NotRun>,
    /// `cbam` (our format) or `production` (the production system's validation_rules).
    pub format: &'static str,
}

#[derive(Debug, Deserialize)]
struct RulesFile {
    #[serde(default)]
    rules: Option<Vec<RuleYaml>>,
    #[serde(default)]
    validation_rules: Option<Vec<ProductionRule>>,
    /// Only looked at to accept a policy-only file (its rules are then the embedded ones).
    #[serde(default)]
    policy: Option<serde::de::IgnoredAny>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ConditionYaml {
    path: String,
    #[serde(default)]
    equals: Option<String>,
    #[serde(default)]
    one_of: Vec<String>,
    #[serde(default)]
    from: Option<String>,
    #[serde(default)]
    to: Option<String>,
    #[serde(default)]
    if_missing: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleYaml {
    id: String,
    name: String,
    severity: Severity,
    regulation: String,
    check: String,
    #[serde(default)]
    path: Option<String>,
    #[serde(default)]
    paths: Vec<String>,
    #[serde(default)]
    pattern: Option<String>,
    #[serde(default, with = "rust_decimal::serde::str_option")]
    min: Option<Decimal>,
    #[serde(default, with = "rust_decimal::serde::str_option")]
    max: Option<Decimal>,
    #[serde(default)]
    exclusive_min: bool,
    #[serde(default)]
    exclusive_max: bool,
    #[serde(default)]
    values: Vec<String>,
    #[serde(default)]
    set: Option<String>,
    #[serde(default)]
    sum_of: Option<String>,
    #[serde(default, with = "rust_decimal::serde::str_option")]
    factor: Option<Decimal>,
    #[serde(default, with = "rust_decimal::serde::str_option")]
    tolerance: Option<Decimal>,
    #[serde(default)]
    each: Option<String>,
    #[serde(default)]
    terms: Vec<String>,
    #[serde(default)]
    equals: Option<String>,
    #[serde(default)]
    numerator: Option<String>,
    #[serde(default)]
    denominator: Option<String>,
    #[serde(default)]
    when: Vec<ConditionYaml>,
    #[serde(default)]
    unless: Vec<ConditionYaml>,
    #[serde(default)]
    scope: Vec<ConditionYaml>,
    #[serde(default)]
    applies_when: Vec<ConditionYaml>,
    #[serde(default)]
    from: Option<String>,
    #[serde(default)]
    to: Option<String>,
    #[serde(default)]
    within: Option<String>,
    #[serde(default)]
    supplier: Option<String>,
    #[serde(default)]
    cn: Option<String>,
    #[serde(default)]
    date: Option<String>,
    #[serde(default)]
    method: Option<String>,
    #[serde(default)]
    max_age_years: Option<u32>,
    #[serde(default)]
    vintage_only: bool,
    #[serde(default)]
    mass: Option<String>,
    #[serde(default, with = "rust_decimal::serde::str_option")]
    threshold: Option<Decimal>,
    #[serde(default)]
    exclude_prefixes: Vec<String>,
    /// Free text; ignored by the engine.
    #[serde(default)]
    description: Option<String>,
}

#[derive(Debug, Deserialize)]
struct ProductionRule {
    rule_id: String,
    #[serde(default)]
    rule_name: Option<String>,
    #[serde(default)]
    severity: Option<String>,
    #[serde(default, with = "rust_decimal::serde::str_option")]
    tolerance: Option<Decimal>,
    #[serde(default, with = "rust_decimal::serde::str_option")]
    threshold: Option<Decimal>,
}

/// Line of `id: <id>` (or `rule_id:`) in the file text, for messages.
fn line_of(text: &str, id: &str) -> u64 {
    for (i, l) in text.lines().enumerate() {
        let t = l.trim_start().trim_start_matches("- ").trim();
        for key in ["id:", "rule_id:"] {
            if let Some(rest) = t.strip_prefix(key) {
                if rest.trim().trim_matches(|c| c == '"' || c == '\'') == id {
                    return i as u64 + 1;
                }
            }
        }
    }
    0
}

impl RuleSet {
    /// The embedded rules (`rules/cbam_rules.yaml`).
    pub fn embedded() -> Result<RuleSet> {
        let (name, text) = crate::embedded::RULES;
        RuleSet::from_yaml(FsPath::new(name), text)
    }

    pub fn from_yaml(path: &FsPath, text: &str) -> Result<RuleSet> {
        let file: RulesFile = serde_saphyr::from_str(text).map_err(|e| {
            let msg = e.to_string();
            // Name the rule the error sits in: the nearest `id:` at or above the error's line.
            let line = msg
                .split("line ")
                .nth(1)
                .and_then(|r| r.split(|c: char| !c.is_ascii_digit()).next())
                .and_then(|n| n.parse::<usize>().ok());
            let rule = line.and_then(|l| {
                text.lines()
                    .take(l)
                    .collect::<Vec<_>>()
                    .into_iter()
                    .rev()
                    .find_map(|t| {
                        let t = t.trim_start().trim_start_matches("- ").trim();
                        t.strip_prefix("id:")
                            .or_else(|| t.strip_prefix("rule_id:"))
                            .map(|v| v.trim().trim_matches(|c| c == '"' || c == '\'').to_string())
                    })
            });
            let which = rule.map(|r| format!("rule {r}: ")).unwrap_or_default();
            Error::Data {
                path: path.to_path_buf(),
                message: format!("rules file: {which}{msg}"),
            }
        })?;
        match (file.rules, file.validation_rules) {
            (Some(rules), _) => {
                let mut out = Vec::new();
                let mut seen = std::collections::HashSet::new();
                for r in rules {
                    let line = line_of(text, &r.id);
                    if !seen.insert(r.id.clone()) {
                        return Err(Error::Parse { path: path.to_path_buf(), line, message: format!("rule {}: id used twice", r.id) });
                    }
                    let rule = compile(r, line).map_err(|(id, message)| Error::Parse {
                        path: path.to_path_buf(),
                        line,
                        message: format!("rule {id}: {message}"),
                    })?;
                    out.push(rule);
                }
                Ok(RuleSet { rules: out, not_run: Vec::new(), format: "cbam" })
            }
            (None, Some(prod)) => {
                // The production system's file: run our rule of the same id, with its severity
                // and tolerance/threshold; list the rest as not run.
                let ours = RuleSet::embedded()?;
                let mut rules = Vec::new();
                let mut not_run = Vec::new();
                for p in prod {
                    let name = p.rule_name.clone().unwrap_or_default();
                    let matching: Vec<&Rule> =
                        ours.rules.iter().filter(|r| r.id == p.rule_id || r.id.starts_with(&format!("{}.", p.rule_id))).collect();
                    if matching.is_empty() {
                        not_run.push(NotRun {
                            id: p.rule_id.clone(),
                            name,
                            reason: NO_EQUIVALENT
                                .iter()
                                .find(|(id, _)| *id == p.rule_id)
                                .map(|(_, why)| why.to_string())
                                .unwrap_or_else(|| "its check is free text with no executable equivalent in cbam's rules".into()),
                        });
                        continue;
                    }
                    for r in matching {
                        let mut r = r.clone();
                        r.line = line_of(text, &p.rule_id);
                        if let Some(sev) = p.severity.as_deref().and_then(|s| match s {
                            "error" | "critical" => Some(Severity::Error),
                            "warning" => Some(Severity::Warning),
                            "info" => Some(Severity::Info),
                            _ => None,
                        }) {
                            r.severity = sev;
                        }
                        if !name.is_empty() {
                            r.name = name.clone();
                        }
                        match &mut r.check {
                            Check::SumEquals { tolerance, .. } | Check::LineSum { tolerance, .. } => {
                                if let Some(t) = p.tolerance {
                                    *tolerance = t;
                                }
                            }
                            Check::RatioAtMost { max, .. } => {
                                if let Some(t) = p.threshold {
                                    *max = t;
                                }
                            }
                            _ => {}
                        }
                        rules.push(r);
                    }
                }
                Ok(RuleSet { rules, not_run, format: "production" })
            }
            // A policy-only file (e.g. rules/greenlang_compat.yaml) changes how to calculate,
            // not what to check: the embedded rules apply.
            (None, None) if file.policy.is_some() => RuleSet::embedded(),
            (None, None) => Err(Error::Data {
                path: path.to_path_buf(),
                message: "rules file: expected a `rules:` list (or the production system's `validation_rules:`)".into(),
            }),
        }
    }
}

/// Production rules we cannot run, and why.
const NO_EQUIVALENT: [(&str, &str); 5] = [
    ("VAL-020", "cbam calculates no complex goods (neither does the production system), so a complex-goods mass share is always 0; the 20 % limit on default values is cbam's CBAM-070, measured by emissions"),
    ("VAL-030", "supplier completeness is decided at intake, where the shipment row is known (findings CA001–CA003 in the report); a report does not carry has_actual_emissions reliably"),
    ("VAL-021", "complex goods with precursors are not calculated by cbam (nor by the production system): there is no complex_goods_components data to check"),
    ("VAL-022", "complex goods with precursors are not calculated by cbam (nor by the production system): there are no precursor mass fractions to check"),
    ("VAL-012", "its typical-range table has no legal source (cbam does not invent ranges to check factors against)"),
];

type CompileError = (String, String);

fn compile(r: RuleYaml, line: u64) -> std::result::Result<Rule, CompileError> {
    let id = r.id.clone();
    let err = |m: String| (id.clone(), m);
    let path = |p: &Option<String>, what: &str| -> std::result::Result<Path, CompileError> {
        let t = p
            .as_deref()
            .ok_or_else(|| err(format!("check {} needs `{what}`", r.check)))?;
        Path::parse(t).map_err(err)
    };
    let paths = |ps: &[String]| -> std::result::Result<Vec<Path>, CompileError> {
        ps.iter().map(|p| Path::parse(p).map_err(err)).collect()
    };
    let date =
        |d: &Option<String>, what: &str| -> std::result::Result<Option<Date>, CompileError> {
            match d {
                None => Ok(None),
                Some(t) => Date::parse(t)
                    .map(Some)
                    .ok_or_else(|| err(format!("`{what}`: expected YYYY-MM-DD, found {t:?}"))),
            }
        };
    let conditions = |cs: &[ConditionYaml]| -> std::result::Result<Vec<Condition>, CompileError> {
        cs.iter()
            .map(|c| {
                let mut one_of = c.one_of.clone();
                if let Some(e) = &c.equals {
                    one_of.push(e.clone());
                }
                Ok(Condition {
                    path: Path::parse(&c.path).map_err(err)?,
                    one_of,
                    from: date(&c.from, "from")?,
                    to: date(&c.to, "to")?,
                    if_missing: c.if_missing,
                })
            })
            .collect()
    };
    let tolerance = r.tolerance.unwrap_or(Decimal::ZERO);
    let check = match r.check.as_str() {
        "required" => {
            let mut ps = paths(&r.paths)?;
            if let Some(p) = &r.path {
                ps.push(Path::parse(p).map_err(err)?);
            }
            if ps.is_empty() {
                return Err(err("check required needs `path` or `paths`".into()));
            }
            Check::Required { paths: ps }
        }
        "pattern" => {
            let pattern = r
                .pattern
                .clone()
                .ok_or_else(|| err("check pattern needs `pattern`".into()))?;
            let re = regex_lite::Regex::new(&pattern).map_err(|e| {
                err(format!(
                    "`pattern` {pattern:?} is not a valid regular expression: {e}"
                ))
            })?;
            Check::Pattern {
                path: path(&r.path, "path")?,
                re,
                pattern,
            }
        }
        "range" => {
            if r.min.is_none() && r.max.is_none() {
                return Err(err("check range needs `min` or `max`".into()));
            }
            let full = path(&r.path, "path")?;
            let unless = conditions(&r.unless)?;
            let split = match (unless.is_empty(), full.split_at_last_each()) {
                (true, _) => None,
                (false, Some(parts)) => Some(parts),
                (false, None) => {
                    return Err(err(
                        "`unless` needs a path through an array (`…[].field`)".into()
                    ))
                }
            };
            Check::Range {
                path: full,
                min: r.min,
                max: r.max,
                exclusive_min: r.exclusive_min,
                exclusive_max: r.exclusive_max,
                unless,
                split,
            }
        }
        "one_of" => {
            if r.values.is_empty() {
                return Err(err("check one_of needs `values`".into()));
            }
            Check::OneOf {
                path: path(&r.path, "path")?,
                values: r.values.clone(),
            }
        }
        c @ ("in_set" | "not_in_set") => {
            let name = r
                .set
                .as_deref()
                .ok_or_else(|| err(format!("check {c} needs `set`")))?;
            let set = NamedSet::parse(name).ok_or_else(|| {
                err(format!(
                    "`set` {name:?} is not one of eu27, annex_iii_exempt, eu27_or_annex_iii"
                ))
            })?;
            Check::InSet {
                path: path(&r.path, "path")?,
                set,
                negate: c == "not_in_set",
            }
        }
        "unique" => Check::Unique {
            path: path(&r.path, "path")?,
        },
        "sum_equals" => Check::SumEquals {
            path: path(&r.path, "path")?,
            sum_of: path(&r.sum_of, "sum_of")?,
            factor: r.factor.unwrap_or(Decimal::ONE),
            tolerance,
        },
        "line_sum" => {
            if r.terms.is_empty() {
                return Err(err("check line_sum needs `terms`".into()));
            }
            Check::LineSum {
                each: path(&r.each, "each")?,
                terms: paths(&r.terms)?,
                equals: path(&r.equals, "equals")?,
                tolerance,
            }
        }
        "ratio_at_most" => Check::RatioAtMost {
            each: path(&r.each, "each")?,
            numerator: path(&r.numerator, "numerator")?,
            denominator: path(&r.denominator, "denominator")?,
            when: conditions(&r.when)?,
            scope: conditions(&r.scope)?,
            max: r
                .max
                .ok_or_else(|| err("check ratio_at_most needs `max`".into()))?,
        },
        "date_within" => {
            let report_period = match r.within.as_deref() {
                None => false,
                Some("report_period") => true,
                Some(o) => return Err(err(format!("`within` {o:?}: expected report_period"))),
            };
            let (from, to) = (date(&r.from, "from")?, date(&r.to, "to")?);
            if !report_period && from.is_none() && to.is_none() {
                return Err(err(
                    "check date_within needs `from`/`to` or `within: report_period`".into(),
                ));
            }
            Check::DateWithin {
                path: path(&r.path, "path")?,
                from,
                to,
                report_period,
            }
        }
        "quarter_within" => {
            let q =
                |v: &Option<String>, what: &str| -> std::result::Result<Quarter, CompileError> {
                    let t = v
                        .as_deref()
                        .ok_or_else(|| err(format!("check quarter_within needs `{what}`")))?;
                    Quarter::parse(t)
                        .ok_or_else(|| err(format!("`{what}`: expected YYYYQn, found {t:?}")))
                };
            Check::QuarterWithin {
                path: path(&r.path, "path")?,
                from: q(&r.from, "from")?,
                to: q(&r.to, "to")?,
            }
        }
        "in_scope" => Check::InScope {
            path: path(&r.path, "path")?,
        },
        "supplier_matches" => Check::SupplierMatches {
            each: path(&r.each, "each")?,
            supplier: path(&r.supplier, "supplier")?,
            cn: path(&r.cn, "cn")?,
            date: path(&r.date, "date")?,
            method: path(&r.method, "method")?,
            max_age_years: r.max_age_years,
            vintage_only: r.vintage_only,
        },
        "de_minimis" => Check::DeMinimis {
            each: path(&r.each, "each")?,
            mass: path(&r.mass, "mass")?,
            cn: path(&r.cn, "cn")?,
            threshold: r
                .threshold
                .ok_or_else(|| err("check de_minimis needs `threshold`".into()))?,
            exclude_prefixes: r.exclude_prefixes.clone(),
        },
        other => {
            return Err(err(format!(
                "unknown check {other:?} (expected one of: {}, de_minimis)",
                CHECKS.join(", ")
            )));
        }
    };
    Ok(Rule {
        id: r.id.clone(),
        name: r.name.clone(),
        severity: r.severity,
        regulation: r.regulation.clone(),
        line,
        check,
        applies_when: conditions(&r.applies_when)?,
        description: r.description.clone(),
    })
}
