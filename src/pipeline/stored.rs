//! The report's lines as the pipeline keeps them: each calculated line encoded compactly (its
//! row as read — 16 fields, extra columns, row and line — the figures as exact decimals, and the
//! factor, scope entry and decision trails as indices into tables shared by every line) in a
//! sorted list that spills to disk past a budget, in report order (shipment id, then row).
//! Reading them back decodes batch by batch, in parallel: no line is held for the whole file,
//! and a million lines cost their bytes on disk, not 800 bytes each in memory.

use crate::fsio::codec::{corrupt, put_opt_str, put_u64, Decoder};
use crate::model::{
    CnCode, Col, Date, EmissionFactor, Line, Method, Quarter, ScopeEntryRef, ScopeStatus, Shipment,
    ShipmentRow,
};
use crate::report::{line_key, LineSource, Listed, Record};
use rayon::prelude::*;
use rust_decimal::Decimal;
use std::io;
use std::sync::{Arc, Mutex};

type Trail = Arc<[Arc<str>]>;

/// What many lines share, listed once: each line names its entries by index.
#[derive(Default)]
pub(super) struct Tables {
    pub factors: Vec<Arc<EmissionFactor>>,
    pub scopes: Vec<Arc<ScopeEntryRef>>,
    pub trails: Vec<Trail>,
}

/// The tables while the chunks fill them (any thread), keyed by the address of what they hold
/// (each entry is kept alive by the table, so an address is never reused).
#[derive(Default)]
pub(super) struct SharedTables(Mutex<(Tables, rustc_hash::FxHashMap<usize, u32>)>);

/// One chunk's memo of `SharedTables` (a chunk uses a handful of entries: the lock is taken
/// once per entry, not per line).
#[derive(Default)]
pub(super) struct LocalIndex(rustc_hash::FxHashMap<usize, u32>);

impl SharedTables {
    fn index<T: ?Sized>(
        &self,
        local: &mut LocalIndex,
        item: &Arc<T>,
        list: fn(&mut Tables) -> &mut Vec<Arc<T>>,
    ) -> u32 {
        let key = Arc::as_ptr(item) as *const u8 as usize;
        if let Some(&i) = local.0.get(&key) {
            return i;
        }
        let mut guard = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let (tables, index) = &mut *guard;
        let i = *index.entry(key).or_insert_with(|| {
            let v = list(tables);
            v.push(item.clone());
            (v.len() - 1) as u32
        });
        local.0.insert(key, i);
        i
    }

    pub fn into_tables(self) -> Tables {
        self.0.into_inner().unwrap_or_else(|e| e.into_inner()).0
    }
}

/// A calculated line ready to be stored: its encoding, made where it was calculated.
pub(super) struct StoredLine {
    key: Vec<u8>,
    bytes: Vec<u8>,
}

impl StoredLine {
    pub fn new(l: &Line, file: u32, shared: &SharedTables, local: &mut LocalIndex) -> StoredLine {
        let mut key = Vec::with_capacity(32);
        line_key(
            &mut key,
            l.shipment.row.get(Col::ShipmentId),
            l.shipment.row.row,
            file,
        );
        let mut b = Vec::with_capacity(256);
        let s = &l.shipment;
        s.row.encode(&mut b);
        put_u64(&mut b, u64::from(file));
        b.extend_from_slice(&s.cn.0);
        put_date(&mut b, s.import_date);
        b.extend_from_slice(&s.quarter.year.to_le_bytes());
        b.push(s.quarter.q);
        b.extend_from_slice(&s.net_mass_kg.serialize());
        put_opt_decimal(&mut b, s.quantity_mwh);
        match &s.scope {
            ScopeStatus::InScope(e) => {
                b.push(1);
                put_u64(&mut b, u64::from(shared.index(local, e, |t| &mut t.scopes)));
            }
            ScopeStatus::Excluded(e) => {
                b.push(2);
                put_u64(&mut b, u64::from(shared.index(local, e, |t| &mut t.scopes)));
            }
            ScopeStatus::NotListed => b.push(0),
        }
        b.push(u8::from(s.wants_actuals));
        put_opt_str(&mut b, s.supplier_id.as_deref());
        b.push(match l.method {
            Method::ActualData => 0,
            Method::DefaultValues => 1,
        });
        put_u64(
            &mut b,
            u64::from(shared.index(local, &l.factor, |t| &mut t.factors)),
        );
        for d in [l.mass_tonnes, l.direct, l.indirect, l.total] {
            b.extend_from_slice(&d.serialize());
        }
        put_opt_decimal(&mut b, l.markup);
        for t in [&l.reasons, &l.departures] {
            put_u64(&mut b, u64::from(shared.index(local, t, |t| &mut t.trails)));
        }
        StoredLine { key, bytes: b }
    }
}

impl Record for StoredLine {
    fn key(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.key);
    }

    /// The row is in the key after the shipment id, before the file index.
    fn row_in_key(key_len: usize) -> usize {
        key_len.saturating_sub(12)
    }

    fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.bytes);
    }

    /// Only the rows of a converted input are decoded while stored (to rename their line).
    fn decode(bytes: &[u8]) -> io::Result<StoredLine> {
        Ok(StoredLine {
            key: Vec::new(),
            bytes: bytes.to_vec(),
        })
    }
}

impl StoredLine {
    /// Renames the physical line (a dump's or workbook's, not the intermediate CSV's): the
    /// row's encoding starts with its row number (`put_row`), then the line.
    pub fn set_line(&mut self, at: impl Fn(u64) -> Option<u64>) -> io::Result<()> {
        let mut d = Decoder(&self.bytes);
        let row = d.row()?.ok_or_else(corrupt)?;
        let _old = d.u64()?;
        let rest = d.0.to_vec();
        let mut b = Vec::with_capacity(self.bytes.len() + 8);
        crate::fsio::codec::put_row(&mut b, Some(row));
        put_u64(&mut b, at(row).unwrap_or(0));
        b.extend_from_slice(&rest);
        self.bytes = b;
        Ok(())
    }
}

fn put_date(b: &mut Vec<u8>, d: Date) {
    b.extend_from_slice(&d.year.to_le_bytes());
    b.push(d.month);
    b.push(d.day);
}

fn put_opt_decimal(b: &mut Vec<u8>, d: Option<Decimal>) {
    match d {
        None => b.push(0),
        Some(d) => {
            b.push(1);
            b.extend_from_slice(&d.serialize());
        }
    }
}

struct LineDecoder<'a> {
    d: Decoder<'a>,
    tables: &'a Tables,
}

impl LineDecoder<'_> {
    fn take<const N: usize>(&mut self) -> io::Result<[u8; N]> {
        let (a, rest) = self.d.0.split_first_chunk::<N>().ok_or_else(corrupt)?;
        self.d.0 = rest;
        Ok(*a)
    }

    fn decimal(&mut self) -> io::Result<Decimal> {
        Ok(Decimal::deserialize(self.take::<16>()?))
    }

    fn opt_decimal(&mut self) -> io::Result<Option<Decimal>> {
        match self.d.byte()? {
            0 => Ok(None),
            1 => self.decimal().map(Some),
            _ => Err(corrupt()),
        }
    }

    fn entry<T: ?Sized>(&mut self, list: &[Arc<T>]) -> io::Result<Arc<T>> {
        let i = usize::try_from(self.d.u64()?).map_err(|_| corrupt())?;
        list.get(i).cloned().ok_or_else(corrupt)
    }

    fn line(mut self) -> io::Result<Line> {
        let row = ShipmentRow::decode(&mut self.d)?;
        let _file = self.d.u64()?;
        let cn = CnCode(self.take::<8>()?);
        let [y0, y1, y2, y3, month, day] = self.take::<6>()?;
        let import_date = Date {
            year: i32::from_le_bytes([y0, y1, y2, y3]),
            month,
            day,
        };
        let [q0, q1, q2, q3, q] = self.take::<5>()?;
        let quarter = Quarter {
            year: i32::from_le_bytes([q0, q1, q2, q3]),
            q,
        };
        let net_mass_kg = self.decimal()?;
        let quantity_mwh = self.opt_decimal()?;
        let tables = self.tables;
        let scope = match self.d.byte()? {
            0 => ScopeStatus::NotListed,
            1 => ScopeStatus::InScope(self.entry(&tables.scopes)?),
            2 => ScopeStatus::Excluded(self.entry(&tables.scopes)?),
            _ => return Err(corrupt()),
        };
        let wants_actuals = self.d.byte()? == 1;
        let supplier_id = self.d.opt_string()?;
        let method = match self.d.byte()? {
            0 => Method::ActualData,
            1 => Method::DefaultValues,
            _ => return Err(corrupt()),
        };
        let factor = self.entry(&tables.factors)?;
        let [mass_tonnes, direct, indirect, total] = [
            self.decimal()?,
            self.decimal()?,
            self.decimal()?,
            self.decimal()?,
        ];
        let markup = self.opt_decimal()?;
        let reasons = self.entry(&tables.trails)?;
        let departures = self.entry(&tables.trails)?;
        self.d.end()?;
        Ok(Line {
            shipment: Shipment {
                row,
                cn,
                import_date,
                quarter,
                net_mass_kg,
                quantity_mwh,
                scope,
                wants_actuals,
                supplier_id,
            },
            method,
            factor,
            mass_tonnes,
            markup,
            direct,
            indirect,
            total,
            reasons,
            departures,
        })
    }
}

/// The stored lines and the tables their indices point into.
pub(super) struct StoredLines {
    pub lines: Listed<StoredLine>,
    pub tables: Tables,
}

impl LineSource for StoredLines {
    fn line_count(&self) -> u64 {
        self.lines.len()
    }

    fn batches(
        &self,
        n: usize,
        each: &mut dyn FnMut(Vec<Line>) -> io::Result<()>,
    ) -> io::Result<()> {
        let n = n.max(1);
        // The next batch is read back and decoded while `each` works on this one.
        let mut raw = self.lines.iter_encoded();
        let mut next_raw = || -> io::Result<Vec<Box<[u8]>>> {
            let mut rows = Vec::with_capacity(n.min(1 << 16));
            for r in raw.by_ref() {
                rows.push(r?);
                if rows.len() == n {
                    break;
                }
            }
            Ok(rows)
        };
        let mut current = self.decode(next_raw()?)?;
        while !current.is_empty() {
            let rows = next_raw()?;
            let mut next = Ok(Vec::new());
            // (`in_place_scope`: `each` stays on this thread, it need not be `Send`.)
            let done = rayon::in_place_scope(|s| {
                s.spawn(|_| next = self.decode(rows));
                each(current)
            });
            done?;
            current = next?;
        }
        Ok(())
    }
}

impl StoredLines {
    fn decode(&self, rows: Vec<Box<[u8]>>) -> io::Result<Vec<Line>> {
        rows.into_par_iter()
            .with_min_len(1024)
            .map(|bytes| {
                LineDecoder {
                    d: Decoder(&bytes),
                    tables: &self.tables,
                }
                .line()
            })
            .collect()
    }
}

/// Each of `keys` (ascending, distinct) its index among the lines in report order: one walk
/// over the sorted lines, decoding only each line's place (for the findings the rules made in
/// the chunk pass, which knew a line's place but not yet its index).
pub(super) fn ranks(lines: &Listed<StoredLine>, keys: &[Vec<u8>]) -> io::Result<Vec<u64>> {
    let mut out = Vec::with_capacity(keys.len());
    let mut key = Vec::new();
    for (i, bytes) in lines.iter_encoded().enumerate() {
        if out.len() == keys.len() {
            break;
        }
        let bytes = bytes?;
        let mut d = Decoder(&bytes);
        let row = ShipmentRow::decode(&mut d)?;
        let file = u32::try_from(d.u64()?).map_err(|_| corrupt())?;
        key.clear();
        line_key(&mut key, row.get(Col::ShipmentId), row.row, file);
        if keys[out.len()] == key {
            out.push(i as u64);
        }
    }
    // Every key is a line's: one that is not means the stored lines are not what was kept.
    if out.len() == keys.len() {
        Ok(out)
    } else {
        Err(corrupt())
    }
}
