#!/usr/bin/env python3
"""Builds data/default_values_definitive.csv: the definitive-period default values of
IR (EU) 2025/2621 Annex I as corrected by IR (EU) 2026/1740, every origin, every code.

Inputs (read-only, ../shared/reference; see data/SOURCES.md for what each one is):
  S5  default_values_definitive_all_origins.csv  corrected annex, all 121 origins + fallback
  S1  default_values_definitive.csv              corrected annex, 15 origins, independent values
  V1  official/cbam_default_values.xlsx          Commission workbook v1 (2026-02-04), before
                                                 the correction
Every S5 row becomes one output row; S1 and V1 only decide its confidence and note.
Run from the repository root:  python3 data/build/default_values_definitive.py ../shared/reference
Needs openpyxl (pip install openpyxl).
"""
import csv
import io
import re
import sys
from decimal import ROUND_HALF_UP, Decimal

import openpyxl

REF = sys.argv[1] if len(sys.argv) > 1 else "../shared/reference"
OUT = "data/default_values_definitive.csv"
SOURCE = "IR (EU) 2025/2621 Annex I as corrected by IR (EU) 2026/1740"


def read_csv(path):
    # The csv module never turns "NA" (Namibia) into a missing value.
    with open(path, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def dec(t):
    t = (t or "").strip()
    return Decimal(t) if t else None


def figures(d, i, t):
    return (dec(d), dec(i), dec(t))


def v1_sheet_iso():
    """Sheet name → ISO code, from the mapping the tool itself uses (src/reference/workbook.rs)."""
    src = open("src/reference/workbook.rs", encoding="utf-8").read()
    return {n: iso for n, iso in re.findall(r'\("([^"]+)", "([A-Z]{2})"\)', src)}


def v1_cell(v):
    if v is None:
        return None
    if isinstance(v, (int, float)):
        # Cells hold binary doubles with up to 4 decimals; the workbook shows 3, rounded
        # half-up, and the annex prints 3.
        return Decimal(repr(v)).quantize(Decimal("0.001"), rounding=ROUND_HALF_UP).normalize()
    s = str(v).replace("\xa0", " ").strip()
    if s in ("", "–", "-", "—", "_") or s.replace("/", "").replace(".", "").lower().startswith(("na", "n(a", "see")):
        return None
    return Decimal(s).normalize()


def v1_code(v, description):
    digits = re.sub(r"[ .]", "", str(v or ""))
    if not re.fullmatch(r"\d{4}|\d{6}|\d{8}", digits):
        return None
    d = (description or "").lower()
    # The correction split these codes into TARIC lines (white …10, grey/other …90).
    if digits == "25070080":
        return "2507008080"
    if digits in ("25231000", "25239000"):
        return digits + ("10" if "white" in d else "90")
    return digits


def read_v1(path):
    names = v1_sheet_iso()
    wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    out = {}
    for sheet in wb.sheetnames:
        n = sheet.strip().lstrip("_").lower()
        iso = "" if n.startswith("other countries") else names.get(n)
        if iso is None:
            continue
        for r in wb[sheet].iter_rows(min_row=3, values_only=True):
            code = v1_code(r[0], r[1])
            if code is None:
                continue
            route = str(r[8] or "").replace("\xa0", "").strip().replace("(", "").replace(")", "")
            out[(iso, code)] = (v1_cell(r[2]), v1_cell(r[3]), v1_cell(r[4]), route)
    return out


def norm(f):
    return tuple(x.normalize() if x is not None else None for x in f)


def show(f):
    return "/".join("–" if x is None else format(x, "f") for x in f)


def main():
    s5 = read_csv(f"{REF}/default_values_definitive_all_origins.csv")
    s1 = {}
    for r in read_csv(f"{REF}/default_values_definitive.csv"):
        s1[(r["origin_country"], r["cn_code"])] = r
    # S1 names origins by their sheet label; its 15 labels equal S5's but for Korea's cut.
    s1_by_iso = {}
    label_iso = {r["origin_name"]: r["origin_iso2"] for r in s5}
    label_iso["Korea, Republic of"] = "KR"
    for (label, code), r in s1.items():
        s1_by_iso[(label_iso[label], code)] = r
    v1 = read_v1(f"{REF}/official/cbam_default_values.xlsx")
    # Sector, code type and product name per code, from S1's fallback rows (all 283 codes).
    meta = {r["cn_code"]: r for r in read_csv(f"{REF}/default_values_definitive.csv")
            if r["origin_country"] == "Other countries and territories"}

    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["origin_iso", "origin_country", "cn_code", "code_type", "sector", "product_name",
                "route_code", "direct", "indirect", "total", "source", "confidence",
                "transcription", "note"])
    counts = {}
    for r in s5:
        iso = r["origin_iso2"] or "*"
        code = r["cn_code"]
        m = meta[code]
        f5 = norm(figures(r["direct"], r["indirect"], r["total"]))
        route = r["route"]
        agree = ["S5"]
        notes = []
        one = s1_by_iso.get((r["origin_iso2"], code))
        if one is not None:
            f1 = norm(figures(one["direct"], one["indirect"], one["total"]))
            r1 = one["route_code"].strip("()").replace(")/(", "/")
            if f1 == f5 and r1 == route:
                agree.append("S1")
            else:
                sys.exit(f"S1 disagrees with S5 at {iso} {code}: {show(f1)} {r1} vs {show(f5)} {route}")
        old = v1.get((r["origin_iso2"], code))
        if old is None:
            notes.append("not in the v1 workbook (added by the correction)")
        else:
            fv, rv = old[:3], old[3]
            if fv == f5 and rv == route:
                agree.append("V1")
            elif fv == f5:
                agree.append("V1 (values)")
                notes.append(f"route {rv or 'none'} in v1, {route or 'none'} after the correction")
            else:
                notes.append(f"v1 workbook {show(fv)}{' route ' + rv if rv else ''}; the corrected annex gives {show(f5)}, which is used")
        if f5 == (Decimal(0), Decimal(0), Decimal(0)) or (f5[2] is not None and f5[2] == 0):
            notes.append("the annex gives 0 (used as published; warned where used)")
        has_value = f5[2] is not None
        if not has_value:
            confidence = "no-value"
        elif "S1" in agree:
            confidence = "two-transcriptions"  # S5 = S1, two transcriptions of the corrected text
        elif "V1" in agree or "V1 (values)" in agree:
            # S5's figures = the Commission workbook v1 (a route change is in the note).
            confidence = "unchanged-since-v1"
        else:
            confidence = "single-transcription"
        counts[confidence] = counts.get(confidence, 0) + 1
        w.writerow([iso, r["origin_name"] if iso != "*" else "Other countries and territories",
                    code, m["code_type"], m["sector"], m["product_name"],
                    f"({route})".replace("/", ")/(") if route else "",
                    r["direct"], r["indirect"], r["total"], SOURCE, confidence,
                    "=".join(agree), "; ".join(notes)])
    open(OUT, "w", encoding="utf-8", newline="").write(buf.getvalue())
    print(OUT, len(s5), "rows", counts, file=sys.stderr)


main()
