//! `cbam generate` and `cbam bench`: seeded shipments and timed whole runs.

use super::report::{self, Details};
use super::Format;
use anyhow::Context;
use std::io::Write;
use std::path::PathBuf;
use std::time::Instant;

#[derive(Debug, clap::Args)]
pub struct GenerateArgs {
    /// How many shipments to write.
    #[arg(long, default_value_t = 100_000)]
    pub shipments: u64,
    /// The generator's seed: the same seed writes the same bytes.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Quarter of the generated shipments.
    #[arg(long, default_value = "2025Q4")]
    pub quarter: String,
    /// The shipments CSV to write (atomically).
    #[arg(long, value_name = "FILE")]
    pub output: PathBuf,
    /// Print nothing.
    #[arg(short, long)]
    pub quiet: bool,
}

#[derive(Debug, clap::Args)]
pub struct BenchArgs {
    /// Comma-separated shipment counts.
    #[arg(long, value_delimiter = ',', default_value = "100000,1000000")]
    pub shipments: Vec<u64>,
    /// The generator's seed (the same seed times the same data).
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Timed runs per configuration (the minimum and median are reported).
    #[arg(long, default_value_t = 3)]
    pub runs: usize,
    /// Working directory for the generated input and reports (default: a temp dir).
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
    /// Also the production-shaped workload (30 % supplier-actual requests with warnings, 4 %
    /// rejected rows), as modes `prod-full` and `prod-summary`.
    #[arg(long)]
    pub production: bool,
}

pub fn generate(a: GenerateArgs) -> anyhow::Result<u8> {
    let q = cbam::model::Quarter::parse(&a.quarter)
        .with_context(|| format!("--quarter: expected YYYYQn, found {:?}", a.quarter))?;
    cbam::fsio::atomic_write(&a.output, |w| {
        cbam::bench::generate(w, a.shipments, a.seed, q.year, q.q)
    })?;
    if !a.quiet {
        let bytes = std::fs::metadata(&a.output).map(|m| m.len()).unwrap_or(0);
        writeln!(
            super::status_out(&[&a.output]),
            "wrote {} shipments of {q} (seed {}) to {}: {bytes} bytes",
            a.shipments,
            a.seed,
            cbam::model::printable(&a.output.display().to_string())
        )?;
    }
    Ok(0)
}

fn report_args(input: PathBuf, output: PathBuf, details: Details) -> report::Args {
    report::Args {
        input: vec![input],
        input_format: None,
        sheet: None,
        table: "shipments".into(),
        input_dialect: Default::default(),
        output,
        summary: None,
        html: None,
        lines: None,
        lines_dialect: Default::default(),
        xml: None,
        xml_flags: Default::default(),
        reference: Default::default(),
        importer_name: "Bench Importer BV".into(),
        importer_country: "NL".into(),
        importer_eori: "NL123456789012".into(),
        declarant_name: "Bench".into(),
        declarant_position: "Benchmark".into(),
        quarter: None,
        generated_at: Some("2026-01-15T00:00:00Z".into()),
        details,
        format: Format::Table,
        quiet: true,
    }
}

/// `cbam validate` of the full report, and `cbam diff` of it against the same report made
/// at another time (not byte-identical: every line is compared): (mode, seconds, peak
/// allocated bytes) of one run each, timed with the counting allocator on.
fn read_back(
    input: &std::path::Path,
    output: &std::path::Path,
    dir: &std::path::Path,
) -> anyhow::Result<Vec<(&'static str, f64, usize)>> {
    let timed = |f: &mut dyn FnMut() -> anyhow::Result<()>| -> anyhow::Result<(f64, usize)> {
        let t = Instant::now();
        let (r, peak) = cbam::alloc::measure(f);
        r?;
        Ok((t.elapsed().as_secs_f64(), peak))
    };
    let (v_s, v_peak) = timed(&mut || {
        super::validate::run(super::validate::Args {
            report: output.to_path_buf(),
            rules: None,
            suppliers: None,
            cn_codes: None,
            only: Vec::new(),
            skip: Vec::new(),
            format: Format::Table,
            quiet: true,
        })
        .map(drop)
    })?;
    let other = dir.join("report-other-time.json");
    let mut args = report_args(input.to_path_buf(), other.clone(), Details::Full);
    args.generated_at = Some("2026-02-15T00:00:00Z".into());
    report::run(args)?;
    let (d_s, d_peak) = timed(&mut || {
        let a = cbam::fsio::FileBytes::open(output)?;
        let b = cbam::fsio::FileBytes::open(&other)?;
        let d = cbam::compare::diff_reports((output, &a), (&other, &b), &[], 20, false)?;
        anyhow::ensure!(
            d.count == 0,
            "the two reports differ: {:?}",
            d.shown.first()
        );
        Ok(())
    })?;
    std::fs::remove_file(&other)?;
    Ok(vec![("validate", v_s, v_peak), ("diff", d_s, d_peak)])
}

/// Seconds to write `bytes` bytes to `path` and fsync them: what the full report's output
/// costs the disk alone (its floor), measured beside it.
fn disk_floor(path: &std::path::Path, bytes: u64) -> anyhow::Result<f64> {
    use std::io::Write;
    let block = vec![b'x'; 4 << 20];
    let t = Instant::now();
    let mut f = std::fs::File::create(path)?;
    let mut left = bytes;
    while left > 0 {
        let n = left.min(block.len() as u64) as usize;
        f.write_all(&block[..n])?;
        left -= n as u64;
    }
    f.sync_all()?;
    let s = t.elapsed().as_secs_f64();
    drop(f);
    std::fs::remove_file(path)?;
    Ok(s)
}

pub fn bench(a: BenchArgs) -> anyhow::Result<u8> {
    let tmp;
    let dir = match &a.dir {
        Some(d) => {
            std::fs::create_dir_all(d)?;
            d.clone()
        }
        None => {
            tmp = std::env::temp_dir().join(format!("cbam-bench-{}", std::process::id()));
            std::fs::create_dir_all(&tmp)?;
            tmp
        }
    };
    writeln!(
        super::stdout(),
        "threads: {}  runs: {}  seed: {}",
        rayon::current_num_threads(),
        a.runs,
        a.seed
    )?;
    writeln!(
        super::stdout(),
        "{:>10} {:>10} {:>10} {:>9} {:>9} {:>12} {:>10} {:>10}",
        "shipments",
        "input MB",
        "mode",
        "min s",
        "median s",
        "rows/s",
        "output MB",
        "alloc MB"
    )?;
    let mut runs = vec![(cbam::bench::Workload::Clean, "")];
    if a.production {
        runs.push((cbam::bench::Workload::Production, "prod-"));
    }
    for &n in &a.shipments {
        for &(workload, prefix) in &runs {
            let input = dir.join(format!("shipments-{n}-{}-{prefix}.csv", a.seed));
            let t = Instant::now();
            cbam::fsio::atomic_write(&input, |w| {
                cbam::bench::generate_workload(w, n, a.seed, (2025, 4), workload)
            })?;
            let gen_s = t.elapsed().as_secs_f64();
            let in_mb = std::fs::metadata(&input)?.len() as f64 / 1e6;
            eprintln!("generated {n} shipments in {gen_s:.2} s");
            // The floor: the csv crate's tokenizer alone, one thread, over the same file.
            let mut floor = f64::MAX;
            for _ in 0..a.runs.max(1) {
                let t = Instant::now();
                let bytes = std::fs::read(&input)?;
                let mut rdr = csv::ReaderBuilder::new().from_reader(&bytes[..]);
                let mut rec = csv::ByteRecord::new();
                let mut rows = 0u64;
                while rdr.read_byte_record(&mut rec)? {
                    rows += 1;
                }
                floor = floor.min(t.elapsed().as_secs_f64());
                anyhow::ensure!(rows == n, "tokenizer read {rows} rows, expected {n}");
            }
            if prefix.is_empty() {
                writeln!(
                    super::stdout(),
                    "{n:>10} {in_mb:>10.1} {:>10} {floor:>9.3} {:>9} {:>12.0}",
                    "csv-floor",
                    "",
                    n as f64 / floor,
                )?;
            }
            for (base, details) in [("full", Details::Full), ("summary", Details::None)] {
                let mode = format!("{prefix}{base}");
                let output = dir.join(format!("report-{n}-{mode}.json"));
                let mut times = Vec::new();
                for _ in 0..a.runs.max(1) {
                    let t = Instant::now();
                    report::run(report_args(input.clone(), output.clone(), details))?;
                    times.push(t.elapsed().as_secs_f64());
                }
                times.sort_by(|x, y| x.total_cmp(y));
                let min = times[0];
                let med = times[times.len() / 2];
                let out_bytes = std::fs::metadata(&output)?.len();
                let out_mb = out_bytes as f64 / 1e6;
                // Memory: one more run with the counting allocator on (the timed runs had it off).
                let (r, peak) = cbam::alloc::measure(|| {
                    report::run(report_args(input.clone(), output.clone(), details))
                });
                r?;
                writeln!(super::stdout(),
                "{n:>10} {in_mb:>10.1} {mode:>10} {min:>9.3} {med:>9.3} {:>12.0} {out_mb:>10.1} {:>10.1}",
                n as f64 / min,
                peak as f64 / 1e6
            )?;
                if base == "full" && prefix.is_empty() {
                    let floor = disk_floor(&dir.join("disk-floor.bin"), out_bytes)?;
                    writeln!(
                        super::stdout(),
                        "{n:>10} {in_mb:>10.1} {:>10} {floor:>9.3} {:>9} {:>12} {out_mb:>10.1}",
                        "disk-floor",
                        "",
                        ""
                    )?;
                    for (what, secs, peak) in read_back(&input, &output, &dir)? {
                        writeln!(super::stdout(),
                        "{n:>10} {in_mb:>10.1} {what:>10} {secs:>9.3} {:>9} {:>12} {out_mb:>10.1} {:>10.1}",
                        "",
                        "",
                        peak as f64 / 1e6
                    )?;
                    }
                }
            }
        }
    }
    if a.dir.is_none() {
        let _ = std::fs::remove_dir_all(&dir);
    }
    Ok(0)
}
