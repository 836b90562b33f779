//! The EU CBAM registry's quarterly report XML, `QReport` (schema v23.00, namespace
//! [`NAMESPACE`]): built from a report ([`build`]), checked against the schema's formats and
//! multiplicities before anything is written ([`schema::check`]), written byte-for-byte
//! deterministically ([`to_xml`]), and read back from a file ([`parse`]) so `cbam validate`
//! can check a hand-edited or third-party QReport ([`validate`]).
//!
//! Everything works on one small element tree ([`Node`]): what is written is exactly what
//! was checked.

pub mod build;
pub mod rules;
pub mod schema;

use crate::error::{Error, Result};
use crate::model::{Finding, Severity};
use std::path::Path;

/// The namespace of every QReport version seen (17.00, 17.03, 23.00).
pub const NAMESPACE: &str = "http://xmlns.ec.eu/BusinessObjects/CBAM/Types/V1";
/// The schema version `cbam` writes and reads.
pub const SCHEMA_VERSION: &str = "23.00";

/// The quarters QReports exist for: the transitional period, 2023Q4 to 2025Q4. The writer
/// (XQ020) and the rules (XQ011) both ask here.
pub fn is_transitional_quarter(q: crate::model::Quarter) -> bool {
    use crate::model::Quarter;
    (Quarter { year: 2023, q: 4 }..=Quarter { year: 2025, q: 4 }).contains(&q)
}
/// Elements that exist only in QReport 17.03 (and older): their presence identifies the version.
const ONLY_IN_17: [&str; 6] = [
    "DraftReportId",
    "TotalImported",
    "TotalEmissions",
    "NationalCompetentAuth",
    "InstallationEmissions",
    "SignatureDate",
];
/// Deeper than any QReport (9 levels); a bound on hostile input.
const MAX_DEPTH: usize = 32;

/// An element: its local name, its text (for simple elements), its children, and the line it
/// starts on when it was read from a file (0 when built in memory).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Node {
    pub name: String,
    pub text: String,
    pub children: Vec<Node>,
    pub line: u64,
}

impl Node {
    pub fn new(name: &str) -> Node {
        Node {
            name: name.to_string(),
            ..Node::default()
        }
    }
    pub fn leaf(name: &str, text: impl Into<String>) -> Node {
        Node {
            name: name.to_string(),
            text: text.into(),
            ..Node::default()
        }
    }
    /// Appends a child (builder style).
    pub fn with(mut self, child: Node) -> Node {
        self.children.push(child);
        self
    }
    /// Appends a leaf when `text` is given.
    pub fn with_opt(self, name: &str, text: Option<&str>) -> Node {
        match text {
            Some(t) => self.with(Node::leaf(name, t)),
            None => self,
        }
    }
    pub fn child(&self, name: &str) -> Option<&Node> {
        self.children.iter().find(|c| c.name == name)
    }
    pub fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Node> + 'a {
        self.children.iter().filter(move |c| c.name == name)
    }
    /// The text of the descendant at `a/b/c`, trimmed.
    pub fn text_at(&self, path: &str) -> Option<&str> {
        let mut n = self;
        for part in path.split('/') {
            n = n.child(part)?;
        }
        Some(n.text.trim())
    }
}

/// A finding about a QReport: code, severity, the element path
/// (`QReport/ImportedGood[2]/OriginCountry/Country`), the line when read from a file (0: built
/// in memory), and the message (which starts with the path).
pub fn finding(
    code: &'static str,
    severity: Severity,
    path: &str,
    line: u64,
    message: impl Into<String>,
) -> Finding {
    let mut f = Finding::new(code, severity, message);
    f.path = Some(path.to_string());
    f.line = (line > 0).then_some(line);
    f
}

/// Renders the tree as XML: UTF-8, declaration, the namespace on the root, 2-space indent,
/// `\n` line ends, text escaped. The same tree always gives the same bytes.
pub fn to_xml(root: &Node) -> Vec<u8> {
    let mut out = Vec::with_capacity(64 * 1024);
    out.extend_from_slice(b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    write_node(&mut out, root, 0);
    out
}

fn write_node(out: &mut Vec<u8>, n: &Node, depth: usize) {
    for _ in 0..depth {
        out.extend_from_slice(b"  ");
    }
    out.push(b'<');
    out.extend_from_slice(n.name.as_bytes());
    if depth == 0 {
        out.extend_from_slice(b" xmlns=\"");
        out.extend_from_slice(NAMESPACE.as_bytes());
        out.push(b'"');
    }
    if n.children.is_empty() {
        if n.text.is_empty() {
            out.extend_from_slice(b"/>\n");
            return;
        }
        out.push(b'>');
        xml_text(out, &n.text);
    } else {
        out.extend_from_slice(b">\n");
        for c in &n.children {
            write_node(out, c, depth + 1);
        }
        for _ in 0..depth {
            out.extend_from_slice(b"  ");
        }
    }
    out.extend_from_slice(b"</");
    out.extend_from_slice(n.name.as_bytes());
    out.extend_from_slice(b">\n");
}

/// Element text from the data (a name, a city, a remark) as XML 1.0 that reads back as
/// written: `&`, `<` and `>` as entities, a carriage return as `&#13;` (a parser would turn a
/// bare one into a line feed); a character XML 1.0 cannot hold at all, even as a reference (a
/// control character other than tab and line feed, U+FFFE, U+FFFF), as U+FFFD.
pub fn xml_text(out: &mut Vec<u8>, s: &str) {
    let mut buf = [0u8; 4];
    for c in s.chars() {
        let piece: &str = match c {
            '&' => "&amp;",
            '<' => "&lt;",
            '>' => "&gt;",
            '\r' => "&#13;",
            '\t' | '\n' => c.encode_utf8(&mut buf),
            '\u{0}'..='\u{1f}' | '\u{fffe}' | '\u{ffff}' => "\u{fffd}",
            c => c.encode_utf8(&mut buf),
        };
        out.extend_from_slice(piece.as_bytes());
    }
}

/// Whether a file is XML (its first non-blank character is `<`) rather than a report JSON.
pub fn looks_like_xml(bytes: &[u8]) -> bool {
    let b = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    b.iter().find(|c| !c.is_ascii_whitespace()) == Some(&b'<')
}

/// Reads a QReport into a tree. Not well-formed XML, a root other than `QReport` in
/// [`NAMESPACE`], or nesting beyond any QReport's is an error naming the file and line; what
/// the tree contains is checked by [`validate`].
pub fn parse(path: &Path, bytes: &[u8]) -> Result<Node> {
    use quick_xml::events::Event;
    use quick_xml::name::ResolveResult;
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let text = std::str::from_utf8(bytes).map_err(|e| Error::Parse {
        path: path.to_path_buf(),
        line: line_of(bytes, e.valid_up_to()),
        message: "not UTF-8 text (a QReport is UTF-8 XML)".into(),
    })?;
    let mut reader = quick_xml::reader::NsReader::from_str(text);
    reader.config_mut().check_end_names = true;
    let err = |pos: u64, message: String| Error::Parse {
        path: path.to_path_buf(),
        line: line_of(bytes, pos as usize),
        message,
    };
    let mut stack: Vec<Node> = Vec::new();
    let mut root: Option<Node> = None;
    // Lines are counted forward from the last element, not from the start each time
    // (positions only grow): linear in the file, whatever its size.
    let (mut counted_to, mut counted_line) = (0usize, 1u64);
    loop {
        let pos = reader.buffer_position();
        let (ns, ev) = match reader.read_resolved_event() {
            Ok(x) => x,
            Err(e) => {
                let msg = format!("not well-formed XML: {e}");
                return Err(err(reader.error_position(), msg));
            }
        };
        let ns_ok = matches!(&ns, ResolveResult::Bound(n) if n.as_ref() == NAMESPACE);
        // Only error messages name the namespace found.
        let ns_text = || match &ns {
            ResolveResult::Bound(n) => n.as_ref().to_string(),
            _ => "no namespace".into(),
        };
        match ev {
            Event::Start(_) | Event::Empty(_) if root.is_some() => {
                return Err(err(pos, "content after the root element".into()));
            }
            Event::Start(ref e) | Event::Empty(ref e) => {
                let name = e.local_name().as_ref().to_string();
                let to = (pos as usize).min(bytes.len()).max(counted_to);
                counted_line += memchr::memchr_iter(b'\n', &bytes[counted_to..to]).count() as u64;
                counted_to = to;
                let line = counted_line;
                if stack.is_empty() {
                    if name != "QReport" {
                        return Err(err(
                            pos,
                            format!("the root element is {name:?}, expected QReport (the EU CBAM quarterly report)"),
                        ));
                    }
                    if !ns_ok {
                        return Err(err(
                            pos,
                            format!(
                                "QReport is in namespace {:?}, expected {NAMESPACE:?}",
                                ns_text()
                            ),
                        ));
                    }
                } else if !ns_ok {
                    return Err(err(
                        pos,
                        format!(
                            "element {name} is in namespace {:?}, expected {NAMESPACE:?}",
                            ns_text()
                        ),
                    ));
                }
                if stack.len() >= MAX_DEPTH {
                    return Err(err(
                        pos,
                        format!("elements nested deeper than {MAX_DEPTH} levels"),
                    ));
                }
                let node = Node {
                    name,
                    line,
                    ..Node::default()
                };
                if matches!(ev, Event::Empty(_)) {
                    close(&mut stack, &mut root, node);
                } else {
                    stack.push(node);
                }
            }
            Event::End(_) => {
                let node = stack
                    .pop()
                    .ok_or_else(|| err(pos, "closing tag without an opening one".into()))?;
                close(&mut stack, &mut root, node);
            }
            Event::Text(t) => match stack.last_mut() {
                Some(n) => n.text.push_str(&t.xml10_content()),
                None if t.xml10_content().trim().is_empty() => {}
                None => return Err(err(pos, "text outside the root element".into())),
            },
            Event::CData(t) => match stack.last_mut() {
                Some(n) => n.text.push_str(&t.xml10_content()),
                None => return Err(err(pos, "CDATA outside the root element".into())),
            },
            Event::GeneralRef(r) => {
                let c = match r.resolve_char_ref() {
                    Ok(Some(c)) => c,
                    Ok(None) => match r.as_ref() {
                        "lt" => '<',
                        "gt" => '>',
                        "amp" => '&',
                        "apos" => '\'',
                        "quot" => '"',
                        other => return Err(err(pos, format!("unknown entity &{other};"))),
                    },
                    Err(e) => return Err(err(pos, format!("bad character reference: {e}"))),
                };
                match stack.last_mut() {
                    Some(n) => n.text.push(c),
                    None => return Err(err(pos, "reference outside the root element".into())),
                }
            }
            Event::DocType(_) => {
                return Err(err(
                    pos,
                    "a DOCTYPE is not allowed in a QReport (entities are not expanded)".into(),
                ))
            }
            Event::Decl(_) | Event::PI(_) | Event::Comment(_) => {}
            Event::Eof => break,
        }
    }
    if !stack.is_empty() {
        return Err(err(
            text.len() as u64,
            format!("the file ends inside <{}>", stack[stack.len() - 1].name),
        ));
    }
    root.ok_or_else(|| err(0, "no root element: expected a QReport".into()))
}

fn close(stack: &mut [Node], root: &mut Option<Node>, mut node: Node) {
    // Whitespace between child elements is indentation, not content.
    if !node.children.is_empty() && node.text.trim().is_empty() {
        node.text.clear();
    }
    match stack.last_mut() {
        Some(parent) => parent.children.push(node),
        None => *root = Some(node),
    }
}

fn line_of(bytes: &[u8], pos: usize) -> u64 {
    let pos = pos.min(bytes.len());
    memchr::memchr_iter(b'\n', &bytes[..pos]).count() as u64 + 1
}

/// Which schema a QReport was written for, judged by the elements only one version has.
/// `Some((element, line))` names the first 17.03-only element found.
pub fn older_version_marker(root: &Node) -> Option<(&str, u64)> {
    fn walk(n: &Node) -> Option<(&str, u64)> {
        if ONLY_IN_17.contains(&n.name.as_str()) {
            return Some((n.name.as_str(), n.line));
        }
        n.children.iter().find_map(walk)
    }
    walk(root)
}

/// `--xml` for a report: the file (its name goes into the findings) and what the XML needs
/// beyond the report. The report's validation then includes the registry's verdict on it.
#[derive(Debug, Clone)]
pub struct RegistryXml {
    pub file_name: String,
    pub options: build::XmlOptions,
}

/// A QReport as it would be submitted: its bytes (`None` when a finding of severity error
/// stops it from being written) and every finding on it — the builder's (period,
/// electricity, schema formats and multiplicities on the tree) and the registry's business
/// rules run on the written XML read back, as `cbam validate` runs them, so the run that
/// writes an XML and a later `cbam validate` of it give one verdict.
pub struct Submission {
    pub bytes: Option<Vec<u8>>,
    pub findings: Vec<Finding>,
}

impl Submission {
    pub fn of(
        header: &build::Header,
        goods: &build::Goods,
        suppliers: Option<&crate::reference::SupplierBook>,
        scope: &crate::reference::AnnexScope,
    ) -> Result<Submission> {
        let (tree, mut findings) = build::build(header, goods, suppliers);
        if crate::model::any_error(&findings) {
            return Ok(Submission {
                bytes: None,
                findings,
            });
        }
        let bytes = to_xml(&tree);
        drop(tree);
        let written = parse(Path::new("QReport"), &bytes)?;
        findings.extend(rules::check(&written, scope));
        findings.sort_by(|a, b| {
            (a.line.unwrap_or(0), &a.path, &a.code).cmp(&(b.line.unwrap_or(0), &b.path, &b.code))
        });
        Ok(Submission {
            bytes: Some(bytes),
            findings,
        })
    }

    /// Valid for upload: written, and no finding of severity error.
    pub fn valid_for_upload(&self) -> bool {
        self.bytes.is_some() && !crate::model::any_error(&self.findings)
    }
}

/// Everything `cbam validate` checks on a QReport: the version, the schema (order,
/// multiplicities, formats), then the registry's business rules ([`rules`]).
pub fn validate(root: &Node, scope: &crate::reference::AnnexScope) -> Vec<Finding> {
    if let Some((el, line)) = older_version_marker(root) {
        return vec![finding(
            "XQ004",
            Severity::Error,
            &format!("QReport/…/{el}"),
            line,
            format!(
                "QReport/…/{el}: this QReport follows an older schema (17.03 or earlier): it has {el}, which QReport \
                 {SCHEMA_VERSION} does not; cbam reads and writes version {SCHEMA_VERSION} only \
                 (re-export the report from the registry, or rebuild it with `cbam xml`)"
            ),
        )
        .found(el)
        .expected(format!("QReport {SCHEMA_VERSION}"))];
    }
    let mut out = schema::check(root);
    out.extend(rules::check(root, scope));
    out.sort_by(|a, b| {
        (a.line.unwrap_or(0), &a.path, &a.code).cmp(&(b.line.unwrap_or(0), &b.path, &b.code))
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> Result<Node> {
        parse(Path::new("t.xml"), text.as_bytes())
    }

    #[test]
    fn written_trees_read_back_identically() {
        let n = Node::new("QReport")
            .with(Node::leaf("ReportingPeriod", "Q4"))
            .with(Node::new("Remarks").with(Node::leaf(
                "AdditionalInformation",
                "a < b & c > d, \"quoted\", 'apos', Türkiye",
            )))
            .with(Node::new("Empty"));
        let xml = to_xml(&n);
        let back = read(std::str::from_utf8(&xml).unwrap()).unwrap();
        let strip = |mut n: Node| {
            fn walk(n: &mut Node) {
                n.line = 0;
                n.children.iter_mut().for_each(walk);
            }
            walk(&mut n);
            n
        };
        assert_eq!(strip(back), n);
        assert_eq!(to_xml(&n), xml, "same tree, same bytes");
    }

    #[test]
    fn references_cdata_prefixes_and_lines() {
        let n = read(&format!(
            "\u{feff}<?xml version=\"1.0\"?>\n<c:QReport xmlns:c=\"{NAMESPACE}\">\n  <c:Year>2&#48;2&#x35;</c:Year>\n  <c:Remarks><![CDATA[<x>]]>&amp;</c:Remarks>\n</c:QReport>"
        ))
        .unwrap();
        assert_eq!(n.text_at("Year"), Some("2025"));
        assert_eq!(n.child("Year").unwrap().line, 3);
        assert_eq!(n.text_at("Remarks"), Some("<x>&"));
    }

    #[test]
    fn unreadable_xml_is_an_error_with_a_line() {
        let e = |t: &str| read(t).unwrap_err().to_string();
        assert!(e("<QReport>").contains("namespace"));
        assert!(e(&format!("<QReport xmlns=\"{NAMESPACE}\">\n<Year>"))
            .contains("the file ends inside <Year>"));
        assert!(
            e(&format!("<QReport xmlns=\"{NAMESPACE}\">&foo;</QReport>"))
                .contains("unknown entity &foo;")
        );
        assert!(e("<!DOCTYPE x [<!ENTITY a \"b\">]><QReport/>").contains("DOCTYPE"));
        assert!(e(&format!(
            "<QReport xmlns=\"{NAMESPACE}\"/><QReport xmlns=\"{NAMESPACE}\"/>"
        ))
        .contains("after the root"));
        assert!(e("").contains("no root element"));
        let deep = format!(
            "<QReport xmlns=\"{NAMESPACE}\">{}{}</QReport>",
            "<a>".repeat(40),
            "</a>".repeat(40)
        );
        assert!(e(&deep).contains("deeper than 32"));
        assert!(parse(Path::new("t.xml"), b"<QReport \xff/>")
            .unwrap_err()
            .to_string()
            .contains("line 1: not UTF-8"));
    }

    #[test]
    fn sniffs_xml() {
        assert!(looks_like_xml(b"\xEF\xBB\xBF \n<?xml"));
        assert!(!looks_like_xml(b"  {\"report_metadata\": 1}"));
        assert!(!looks_like_xml(b""));
    }
}
