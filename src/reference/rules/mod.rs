//! The rules file: every rule has an id, a name, a severity, a regulation reference and a
//! check from a closed vocabulary. Loading compiles each rule; a rule that cannot run (unknown
//! check, bad path, bad regex, missing parameter) is a load error naming the rule and its line.
//!
//! The production system's rules file (`validation_rules:` with free-text checks) loads too:
//! each of its rules runs through our rule with the same id (with its tolerance and severity)
//! and the ones we have no executable form for are listed as not run, with the reason.

mod compile;

use crate::error::{Error, Result};
use crate::formats::jsonpath::Path;
use crate::model::{Date, Quarter, Severity};
use compile::compile;
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

use crate::model::ANNEX_III;

/// The id under which the report's JSON Schema check is listed among the rules (`--only`,
/// `--skip`).
pub const SCHEMA_RULE_ID: &str = "SCHEMA";

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
            NamedSet::Eu27 => crate::model::EU27.contains(&v),
            NamedSet::AnnexIiiExempt => ANNEX_III.contains(&v),
            NamedSet::Eu27OrAnnexIii => crate::model::EU27.contains(&v) || ANNEX_III.contains(&v),
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
        /// `pattern` as compiled (`\d`, `\w`, `\s`, `\b` with their ASCII meaning).
        re: regex::Regex,
        pattern: String,
    },
    Range {
        path: Path,
        bounds: Bounds,
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
    SupplierMatches(SupplierMatch),
    DeMinimis {
        each: Path,
        mass: Path,
        cn: Path,
        threshold: Decimal,
        exclude_prefixes: Vec<String>,
    },
}

/// The limits of a `range` check.
#[derive(Debug, Clone)]
pub struct Bounds {
    pub min: Option<Decimal>,
    pub max: Option<Decimal>,
    pub exclusive_min: bool,
    pub exclusive_max: bool,
}

impl Bounds {
    /// `≥ 0 and < 100`, for messages.
    pub fn expected(&self) -> String {
        let lo = self
            .min
            .map(|m| format!("{} {m}", if self.exclusive_min { ">" } else { "≥" }));
        let hi = self
            .max
            .map(|m| format!("{} {m}", if self.exclusive_max { "<" } else { "≤" }));
        [lo, hi]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" and ")
    }

    /// Whether `d` lies outside the bounds.
    pub fn excludes(&self, d: Decimal) -> bool {
        let low = self
            .min
            .is_some_and(|m| if self.exclusive_min { d <= m } else { d < m });
        let high = self
            .max
            .is_some_and(|m| if self.exclusive_max { d >= m } else { d > m });
        low || high
    }
}

/// `supplier_matches`: each line of `each` on actual data (`method`) names a supplier of the
/// profiles that produces its CN code, with data at most `max_age_years` older than `date`.
#[derive(Debug, Clone)]
pub struct SupplierMatch {
    pub each: Path,
    pub supplier: Path,
    pub cn: Path,
    pub date: Path,
    pub method: Path,
    pub max_age_years: Option<u32>,
    /// Only the data's age is checked: a CN code the supplier does not produce is not this
    /// rule's finding (its general figures are dated instead).
    pub vintage_only: bool,
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
            Check::SupplierMatches(_) => "supplier_matches",
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

/// The top-level keys of cbam's rules file and of the production system's
/// (`../reference/greenlang/cbam_rules.yaml`); any other key is refused with its line, so a
/// misspelt `rulse:` is never passed over.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)] // the IgnoredAny fields: keys accepted, not used
struct RulesFile {
    #[serde(default)]
    rules: Option<Vec<RuleYaml>>,
    #[serde(default)]
    validation_rules: Option<Vec<ProductionRule>>,
    /// Only looked at to accept a policy-only file (its rules are then the embedded ones).
    #[serde(default)]
    policy: Option<serde::de::IgnoredAny>,
    #[serde(default)]
    metadata: Option<serde::de::IgnoredAny>,
    #[serde(default)]
    product_groups: Option<serde::de::IgnoredAny>,
    #[serde(default)]
    calculation_methods: Option<serde::de::IgnoredAny>,
    #[serde(default)]
    business_rules: Option<serde::de::IgnoredAny>,
    #[serde(default)]
    constants: Option<serde::de::IgnoredAny>,
    #[serde(default)]
    error_codes: Option<serde::de::IgnoredAny>,
    #[serde(default)]
    references: Option<serde::de::IgnoredAny>,
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
#[serde(deny_unknown_fields)]
#[allow(dead_code)] // the IgnoredAny fields: keys accepted, not used
struct ProductionRule {
    #[serde(default)]
    description: Option<serde::de::IgnoredAny>,
    #[serde(default)]
    check: Option<serde::de::IgnoredAny>,
    #[serde(default)]
    applies_to: Option<serde::de::IgnoredAny>,
    #[serde(default)]
    eu_member_states: Option<serde::de::IgnoredAny>,
    #[serde(default)]
    ranges: Option<serde::de::IgnoredAny>,
    #[serde(default)]
    reference: Option<serde::de::IgnoredAny>,
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

/// The rule id a line of the file states (`id: X`, `- rule_id: "X"`), if any.
fn id_on_line(l: &str) -> Option<&str> {
    let t = l.trim_start().trim_start_matches("- ").trim();
    t.strip_prefix("id:")
        .or_else(|| t.strip_prefix("rule_id:"))
        .map(|v| v.trim().trim_matches(|c| c == '"' || c == '\''))
}

/// Line of `id: <id>` (or `rule_id:`) in the file text, for messages.
fn line_of(text: &str, id: &str) -> u64 {
    text.lines()
        .position(|l| id_on_line(l) == Some(id))
        .map_or(0, |i| i as u64 + 1)
}

/// A rules file that does not read, naming the rule the error sits in: the nearest `id:` at or
/// above the error's line.
fn yaml_error(path: &FsPath, text: &str, msg: String) -> Error {
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
            .find_map(id_on_line)
    });
    let which = rule.map(|r| format!("rule {r}: ")).unwrap_or_default();
    Error::Data {
        path: path.to_path_buf(),
        message: format!("rules file: {which}{msg}"),
    }
}

impl RuleSet {
    /// The embedded rules (`rules/cbam_rules.yaml`).
    pub fn embedded() -> Result<RuleSet> {
        let (name, text) = crate::embedded::RULES;
        RuleSet::from_yaml(FsPath::new(name), text)
    }

    /// Whether `--only`/`--skip` may name `id`: a rule of the file, a production rule that does
    /// not run, or the JSON Schema check.
    pub fn can_select(&self, id: &str) -> bool {
        self.rules.iter().any(|r| r.id == id)
            || self.not_run.iter().any(|r| r.id == id)
            || id == SCHEMA_RULE_ID
    }

    pub fn from_yaml(path: &FsPath, text: &str) -> Result<RuleSet> {
        let file: RulesFile =
            serde_saphyr::from_str(text).map_err(|e| yaml_error(path, text, e.to_string()))?;
        match (file.rules, file.validation_rules) {
            (Some(rules), _) => RuleSet::compiled(path, text, rules),
            (None, Some(prod)) => RuleSet::production(text, prod),
            // A policy-only file (e.g. rules/greenlang_compat.yaml) changes how to calculate,
            // not what to check: the embedded rules apply.
            (None, None) if file.policy.is_some() => RuleSet::embedded(),
            (None, None) => Err(Error::Data {
                path: path.to_path_buf(),
                message: "rules file: expected a `rules:` list (or the production system's `validation_rules:`)".into(),
            }),
        }
    }

    /// Our format: every rule compiled, or a load error naming it and its line.
    fn compiled(path: &FsPath, text: &str, rules: Vec<RuleYaml>) -> Result<RuleSet> {
        let mut out = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for r in rules {
            let line = line_of(text, &r.id);
            let id = r.id.clone();
            let at = |message: String| Error::Parse {
                path: path.to_path_buf(),
                line,
                message: format!("rule {id}: {message}"),
            };
            if !seen.insert(r.id.clone()) {
                return Err(at("id used twice".into()));
            }
            out.push(compile(r, line).map_err(|e| at(e.to_string()))?);
        }
        Ok(RuleSet {
            rules: out,
            not_run: Vec::new(),
            format: "cbam",
        })
    }

    /// The production system's file: run our rule of the same id, with its severity and
    /// tolerance/threshold; list the rest as not run.
    fn production(text: &str, prod: Vec<ProductionRule>) -> Result<RuleSet> {
        let ours = RuleSet::embedded()?;
        let mut rules = Vec::new();
        let mut not_run = Vec::new();
        for p in prod {
            let part = format!("{}.", p.rule_id);
            let matching: Vec<&Rule> = ours
                .rules
                .iter()
                .filter(|r| r.id == p.rule_id || r.id.starts_with(&part))
                .collect();
            if matching.is_empty() {
                not_run.push(NotRun {
                    id: p.rule_id.clone(),
                    name: p.rule_name.clone().unwrap_or_default(),
                    reason: no_equivalent(&p.rule_id),
                });
                continue;
            }
            let line = line_of(text, &p.rule_id);
            rules.extend(matching.into_iter().map(|r| p.adopt(r, line)));
        }
        Ok(RuleSet {
            rules,
            not_run,
            format: "production",
        })
    }
}

impl ProductionRule {
    /// Our rule `r` as this production rule states it: its severity, name, tolerance or
    /// threshold where it gives them.
    fn adopt(&self, r: &Rule, line: u64) -> Rule {
        let mut r = r.clone();
        r.line = line;
        if let Some(sev) = self.severity.as_deref().and_then(|s| match s {
            "error" | "critical" => Some(Severity::Error),
            "warning" => Some(Severity::Warning),
            "info" => Some(Severity::Info),
            _ => None,
        }) {
            r.severity = sev;
        }
        if let Some(name) = self.rule_name.as_ref().filter(|n| !n.is_empty()) {
            r.name = name.clone();
        }
        match &mut r.check {
            Check::SumEquals { tolerance, .. } | Check::LineSum { tolerance, .. } => {
                if let Some(t) = self.tolerance {
                    *tolerance = t;
                }
            }
            Check::RatioAtMost { max, .. } => {
                if let Some(t) = self.threshold {
                    *max = t;
                }
            }
            _ => {}
        }
        r
    }
}

/// Why a production rule without an equivalent of ours does not run.
fn no_equivalent(id: &str) -> String {
    NO_EQUIVALENT
        .iter()
        .find(|(known, _)| *known == id)
        .map(|(_, why)| why.to_string())
        .unwrap_or_else(|| {
            "its check is free text with no executable equivalent in cbam's rules".into()
        })
}

/// Production rules we cannot run, and why.
const NO_EQUIVALENT: [(&str, &str); 5] = [
    ("VAL-020", "cbam calculates no complex goods (neither does the production system), so a complex-goods mass share is always 0; the 20 % limit on default values is cbam's CBAM-070, measured by emissions"),
    ("VAL-030", "supplier completeness is decided at intake, where the shipment row is known (findings CA001–CA003 in the report); a report does not carry has_actual_emissions reliably"),
    ("VAL-021", "complex goods with precursors are not calculated by cbam (nor by the production system): there is no complex_goods_components data to check"),
    ("VAL-022", "complex goods with precursors are not calculated by cbam (nor by the production system): there are no precursor mass fractions to check"),
    ("VAL-012", "its typical-range table has no legal source (cbam does not invent ranges to check factors against)"),
];
