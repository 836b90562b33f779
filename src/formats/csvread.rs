//! CSV records read with every field bounded while it is read: a field longer than the bound
//! is measured and dropped as it streams through a fixed buffer, never held whole, and a
//! record keeps at most so many fields (the rest are counted). The quoting is the `csv`
//! crate's own (its `csv_core` reader, the same defaults): RFC 4180, `""` inside quotes,
//! `\n`, `\r\n` or `\r` end a record, blank lines are skipped.

use csv_core::{ReadFieldResult, Reader, ReaderBuilder};

/// One record: its fields (at most the reader's `max_fields`), each field's full length,
/// and where it lies in the data.
#[derive(Debug, Default)]
pub struct Record {
    bytes: Vec<u8>,
    ends: Vec<usize>,
    /// (field index, length) of the fields longer than the bound, kept empty.
    oversize: Vec<(usize, u64)>,
    count: usize,
    /// Offset where reading the record began (blank lines before it included) and just
    /// after its end.
    pub start: usize,
    pub end: usize,
}

impl Record {
    /// The number of fields the record has (also those past `max_fields`).
    pub fn len(&self) -> usize {
        self.count
    }

    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// Field `i` as read; empty for a field over the bound (see `oversize`); `None` past
    /// the end or past `max_fields`.
    pub fn get(&self, i: usize) -> Option<&[u8]> {
        let end = *self.ends.get(i)?;
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        Some(&self.bytes[start..end])
    }

    /// The length of field `i` when it was over the bound (and so not kept).
    pub fn oversize(&self, i: usize) -> Option<u64> {
        self.oversize.iter().find(|(j, _)| *j == i).map(|&(_, n)| n)
    }

    /// The fields kept, in order.
    pub fn iter(&self) -> impl Iterator<Item = &[u8]> {
        (0..self.ends.len()).filter_map(|i| self.get(i))
    }

    fn clear(&mut self, start: usize) {
        self.bytes.clear();
        self.ends.clear();
        self.oversize.clear();
        self.count = 0;
        self.start = start;
        self.end = start;
    }
}

/// Reads the records of `data[start..end]`.
pub struct BoundedRecords<'a> {
    core: Reader,
    data: &'a [u8],
    pos: usize,
    end: usize,
    max_fields: usize,
    /// The field buffer: the bound plus one byte, so a field that fills it is over the bound.
    buf: Vec<u8>,
    done: bool,
}

impl<'a> BoundedRecords<'a> {
    pub fn new(
        data: &'a [u8],
        start: usize,
        end: usize,
        delimiter: u8,
        max_field_bytes: usize,
        max_fields: usize,
    ) -> BoundedRecords<'a> {
        BoundedRecords {
            core: ReaderBuilder::new().delimiter(delimiter).build(),
            data,
            pos: start,
            end: end.min(data.len()),
            max_fields,
            buf: vec![0; max_field_bytes.saturating_add(1)],
            done: false,
        }
    }

    /// The offset reading has reached.
    pub fn position(&self) -> usize {
        self.pos
    }

    /// Reads the next record into `rec`; `false` at the end of the data.
    pub fn read(&mut self, rec: &mut Record) -> bool {
        rec.clear(self.pos);
        if self.done {
            return false;
        }
        let (mut filled, mut length, mut over) = (0usize, 0u64, false);
        loop {
            let input = &self.data[self.pos..self.end];
            let out = if over {
                &mut self.buf[..]
            } else {
                &mut self.buf[filled..]
            };
            let (res, nin, nout) = self.core.read_field(input, out);
            self.pos += nin;
            length += nout as u64;
            if !over {
                filled += nout;
            }
            match res {
                ReadFieldResult::InputEmpty if !input.is_empty() => {}
                ReadFieldResult::OutputFull => over = true,
                ReadFieldResult::Field { record_end } => {
                    let field = if over { &[][..] } else { &self.buf[..filled] };
                    if rec.ends.len() < self.max_fields {
                        rec.bytes.extend_from_slice(field);
                        rec.ends.push(rec.bytes.len());
                        if over {
                            rec.oversize.push((rec.count, length));
                        }
                    }
                    rec.count += 1;
                    (filled, length, over) = (0, 0, false);
                    if record_end {
                        rec.end = self.pos;
                        return true;
                    }
                }
                // `End`, or no progress at the end of the data.
                _ => {
                    self.done = true;
                    rec.end = self.pos;
                    return rec.count > 0;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Fields kept, field count, oversize fields.
    type Read = (Vec<String>, usize, Vec<(usize, u64)>);

    fn all(data: &[u8], max_field: usize, max_fields: usize) -> Vec<Read> {
        let mut r = BoundedRecords::new(data, 0, data.len(), b',', max_field, max_fields);
        let mut rec = Record::default();
        let mut out = Vec::new();
        while r.read(&mut rec) {
            let fields = rec
                .iter()
                .map(|f| String::from_utf8_lossy(f).into_owned())
                .collect();
            out.push((fields, rec.len(), rec.oversize.clone()));
        }
        out
    }

    #[test]
    fn reads_as_the_csv_crate_reads() {
        let data = b"a,\"b,\"\"c\"\"\",d\r\n\r\n\"x\ny\",z\rlast,";
        let mut want = Vec::new();
        let mut rdr = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(&data[..]);
        for r in rdr.byte_records() {
            let r = r.unwrap();
            want.push(
                r.iter()
                    .map(|f| String::from_utf8_lossy(f).into_owned())
                    .collect::<Vec<_>>(),
            );
        }
        let got: Vec<Vec<String>> = all(data, 100, 100).into_iter().map(|(f, _, _)| f).collect();
        assert_eq!(got, want);
    }

    #[test]
    fn a_long_field_is_measured_not_kept_and_fields_past_the_bound_counted() {
        let mut data = b"ab,".to_vec();
        data.extend(std::iter::repeat_n(b'x', 1000));
        data.extend_from_slice(b",\"");
        data.extend(std::iter::repeat_n(b'y', 500));
        data.extend_from_slice(b"\",c,d,e\nok\n");
        let got = all(&data, 10, 4);
        assert_eq!(got[0].0, vec!["ab", "", "", "c"]);
        assert_eq!(got[0].1, 6);
        assert_eq!(got[0].2, vec![(1, 1000), (2, 500)]);
        assert_eq!(got[1].0, vec!["ok"]);
        // Exactly the bound is kept.
        assert_eq!(all(b"0123456789\n", 10, 4)[0].0, vec!["0123456789"]);
        assert_eq!(all(b"0123456789A\n", 10, 4)[0].2, vec![(0, 11)]);
    }
}
