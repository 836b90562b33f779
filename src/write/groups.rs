//! Findings grouped by code, for the places a person reads them (the Markdown summary, the
//! table `cbam report` prints): each code once, with its count, the first lines and the first
//! message — never one line per finding. The report JSON keeps every finding.

use crate::model::Finding;
use crate::report::Listed;

/// Lines named per group.
pub const FIRST_LINES: usize = 5;

/// The findings of one code in one list (one severity).
pub struct FindingGroup {
    pub code: String,
    pub count: u64,
    /// The first lines (distinct, ascending: the list is sorted by row).
    pub lines: Vec<u64>,
    /// How many distinct lines the code is on.
    pub distinct_lines: u64,
    /// Some are about the report, not a row.
    pub about_report: bool,
    pub field: Option<&'static str>,
    /// The first finding's message.
    pub message: String,
    last_line: Option<u64>,
}

/// The groups of a sorted list, by code.
pub fn finding_groups(list: &Listed<Finding>) -> std::io::Result<Vec<FindingGroup>> {
    let mut groups: std::collections::BTreeMap<String, FindingGroup> = Default::default();
    for f in list.iter() {
        let f = f?;
        let g = groups
            .entry(f.code.to_string())
            .or_insert_with(|| FindingGroup {
                code: f.code.to_string(),
                count: 0,
                lines: Vec::new(),
                distinct_lines: 0,
                about_report: false,
                field: f.field,
                message: f.message.clone(),
                last_line: None,
            });
        g.count += 1;
        match f.line {
            // Sorted by row: a row's findings are together, so its line is counted once.
            Some(l) if g.last_line != Some(l) => {
                g.last_line = Some(l);
                g.distinct_lines += 1;
                if g.lines.len() < FIRST_LINES {
                    g.lines.push(l);
                }
            }
            Some(_) => {}
            None => g.about_report = true,
        }
    }
    Ok(groups.into_values().collect())
}

impl FindingGroup {
    /// `2, 3, 9, … (40 lines)`: the first lines and how many when there are more; `report`
    /// for findings about the report rather than a row.
    pub fn where_found(&self) -> String {
        let mut t: Vec<String> = self.lines.iter().map(u64::to_string).collect();
        if self.distinct_lines > self.lines.len() as u64 {
            t.push(format!("… ({} lines)", self.distinct_lines));
        }
        if self.about_report {
            t.push("report".into());
        }
        t.join(", ")
    }
}
