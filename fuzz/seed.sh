#!/usr/bin/env bash
# Seeds fuzz/corpus/<target>/ from the repository's fixtures (the same files the replay test
# reads as seeds), and one registry XML made by cbam itself from the shipped fixture.
set -euo pipefail
cd "$(dirname "$0")/.."
seed() { # target, files...
  local t=$1; shift
  mkdir -p "fuzz/corpus/$t"
  for f in "$@"; do
    if [ -f "$f" ]; then cp "$f" "fuzz/corpus/$t/seed-$(basename "$f")"; fi
  done
}
seed csv fixtures/*.csv fixtures/bad/*.csv fixtures/bad/*/*.csv fixtures/templates/*.csv
seed tsv fixtures/bad/*/*.tsv
seed json fixtures/sheets/*.json fixtures/bad/*/*.json
seed pgdump fixtures/pgdump/*.sql fixtures/pgdump/*.sql.gz fixtures/pgdump/*.dump
seed workbook fixtures/sheets/*.xlsx fixtures/sheets/*.xls fixtures/sheets/*.ods fixtures/bad/*/*.xlsx
seed suppliers_yaml fixtures/suppliers.yaml fixtures/bad/*/*.yaml
seed rules rules/*.yaml
seed factor_file fixtures/greenlang/*.py fixtures/bad/*/*.py
seed template fixtures/templates/*.xlsx fixtures/templates/bad/*.xlsx
# A TSV seed made from the CSV fixture when the corpus has none.
[ -n "$(ls fuzz/corpus/tsv 2>/dev/null)" ] || tr ',' '\t' < fixtures/shipments_2025q4.csv > fuzz/corpus/tsv/seed-shipments.tsv
mkdir -p fuzz/corpus/qreport
cargo run -q --release -- report --input fixtures/shipments_2025q4.csv --suppliers fixtures/suppliers.yaml \
  --importer-name "Noordzee Staal Import BV" --importer-country NL --importer-eori NL123456789012 \
  --declarant-name "Jan de Vries" --declarant-position "Customs Compliance Officer" \
  --generated-at 2026-01-15T09:00:00Z --output /tmp/cbam-seed-report.json --xml fuzz/corpus/qreport/seed-fixture.xml --declarant-city Rotterdam >/dev/null || true
for t in csv tsv json pgdump workbook suppliers_yaml rules factor_file template qreport; do
  printf '%-15s %4s files\n' "$t" "$(ls "fuzz/corpus/$t" | wc -l)"
done
