#!/usr/bin/env bash
# Seeds fuzz/corpus/<target>/ from the fixtures fuzz/seeds.txt lists (the replay test reads the
# same list), a TSV made from the CSV fixture and one registry XML made by cbam itself.
set -euo pipefail
cd "$(dirname "$0")/.."
while read -r t dir ext; do
  case "$t" in ''|'#'*) continue ;; esac
  mkdir -p "fuzz/corpus/$t"
  for f in $dir/*$ext; do
    if [ -f "$f" ]; then cp "$f" "fuzz/corpus/$t/seed-$(basename "$f")"; fi
  done
done < fuzz/seeds.txt
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
