//! A seeded generator of realistic shipments (the production export format) for the
//! benchmark. Same seed and count → the same bytes.

use std::io::Write;

/// SplitMix64: tiny, fast, and stable across platforms and versions (unlike `rand`'s StdRng).
pub struct SplitMix64(u64);

impl SplitMix64 {
    pub fn new(seed: u64) -> Self {
        SplitMix64(seed)
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }
}

/// CBAM goods with transitional default values, with a rough import weight (steel dominates).
const GOODS: &[(&str, &str, &str, u32)] = &[
    ("72081000", "steel", "Hot-rolled coils", 14),
    ("72083900", "steel", "Hot-rolled flat under 3 mm", 8),
    ("72091700", "steel", "Cold-rolled flat", 8),
    ("72104900", "steel", "Galvanised flat", 8),
    ("72139100", "steel", "Wire rod", 6),
    ("72142000", "steel", "Rebar", 6),
    ("72163100", "steel", "U sections", 3),
    ("72011000", "steel", "Non-alloy pig iron", 3),
    ("72024900", "steel", "Ferro-chromium", 1),
    ("72031000", "steel", "Direct reduced iron", 2),
    ("73041900", "steel", "Line pipe", 2),
    ("73181500", "steel", "Screws and bolts", 3),
    ("73269098", "steel", "Other articles of steel", 3),
    ("76011000", "aluminum", "Unwrought aluminium", 6),
    ("76012000", "aluminum", "Aluminium alloys", 6),
    ("76061200", "aluminum", "Aluminium plates", 4),
    ("76042100", "aluminum", "Hollow profiles", 2),
    ("25231000", "cement", "Cement clinker", 3),
    ("25232900", "cement", "Grey portland cement", 4),
    ("28141000", "fertilizers", "Anhydrous ammonia", 2),
    ("31021090", "fertilizers", "Urea", 3),
    ("31023090", "fertilizers", "Ammonium nitrate", 2),
    ("28080000", "fertilizers", "Nitric acid", 1),
    ("28041000", "hydrogen", "Hydrogen", 1),
];

const ORIGINS: &[(&str, &str)] = &[
    ("CN", "China"),
    ("IN", "India"),
    ("TR", "Turkey"),
    ("KR", "Korea"),
    ("VN", "Viet Nam"),
    ("UA", "Ukraine"),
    ("BR", "Brazil"),
    ("EG", "Egypt"),
    ("US", "United States"),
    ("ZA", "South Africa"),
];

const IMPORTERS: &[(&str, &str)] = &[
    ("Noordzee Staal Import BV", "NL"),
    ("Rheinmetall Handel GmbH", "DE"),
    ("Aceros Levante SL", "ES"),
    ("Baltic Metals OÜ", "EE"),
];

const PORTS: &[&str] = &[
    "Rotterdam",
    "Antwerp",
    "Hamburg",
    "Genoa",
    "Barcelona",
    "Le Havre",
    "Gdansk",
    "Piraeus",
];

/// What generated shipments look like.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Workload {
    /// Every row valid, EU default values.
    Clean,
    /// Shaped like the production system's exports: 30 % of rows ask for supplier actuals
    /// (`has_actual_emissions` YES with a supplier id; without a supplier file each gets a
    /// warning and the default value), 2 % have no mass and 2 % origin `OTHER` (rejected).
    Production,
}

/// Writes `n` clean shipments of quarter `year`Q`q` as CSV.
pub fn generate(w: &mut dyn Write, n: u64, seed: u64, year: i32, q: u8) -> std::io::Result<()> {
    generate_workload(w, n, seed, (year, q), Workload::Clean)
}

/// Writes `n` shipments of quarter `year`Q`q` as CSV, shaped as `workload` says.
pub fn generate_workload(
    w: &mut dyn Write,
    n: u64,
    seed: u64,
    (year, q): (i32, u8),
    workload: Workload,
) -> std::io::Result<()> {
    let mut rng = SplitMix64::new(seed);
    let weights: u32 = GOODS.iter().map(|g| g.3).sum();
    let mut out = std::io::BufWriter::with_capacity(1 << 20, w);
    out.write_all(crate::model::SHIPMENT_COLUMNS.join(",").as_bytes())?;
    out.write_all(b"\n")?;
    let first_month = (q - 1) * 3 + 1;
    let progress = crate::fsio::progress::begin(
        "generating shipments",
        Some(n),
        crate::fsio::progress::Unit::Rows,
    );
    for i in 0..n {
        if i % 65_536 == 0 && i > 0 {
            progress.add(65_536);
        }
        let mut pick = rng.below(weights as u64) as u32;
        let mut good = &GOODS[0];
        for g in GOODS {
            if pick < g.3 {
                good = g;
                break;
            }
            pick -= g.3;
        }
        let (iso, country) = ORIGINS[rng.below(ORIGINS.len() as u64) as usize];
        let (imp, imp_cc) = IMPORTERS[rng.below(IMPORTERS.len() as u64) as usize];
        let month = first_month + rng.below(3) as u8;
        let day = 1 + rng.below(crate::model::days_in_month(year, month) as u64) as u8;
        // 0.100 t … 30 t, in grams precision.
        let grams = 100_000 + rng.below(29_900_000);
        let port = PORTS[rng.below(PORTS.len() as u64) as usize];
        let mut mass = format!("{}.{:03}", grams / 1000, grams % 1000);
        let (mut iso, mut actuals, mut supplier) = (iso, "NO", String::new());
        if workload == Workload::Production {
            match rng.below(100) {
                0..=29 => {
                    actuals = "YES";
                    supplier = format!("SUP-{:03}", rng.below(40));
                }
                30..=31 => mass.clear(),
                32..=33 => iso = "OTHER",
                _ => {}
            }
        }
        writeln!(
            out,
            "GEN-{year}Q{q}-{i:08},{year}-{month:02}-{day:02},{year}Q{q},{},{},{},{iso},{country},{imp},{imp_cc},{mass},{port},REF-{:06},{actuals},{supplier},generated seed {seed}",
            good.0,
            good.1,
            good.2,
            rng.below(1_000_000)
        )?;
    }
    out.flush()
}
