//! Every finding code the pipeline emits, with its default severity and meaning (the README's
//! table repeats it; a test checks the two agree).

use crate::model::Severity;

pub struct CodeInfo {
    pub code: &'static str,
    pub severity: Severity,
    pub stage: &'static str,
    pub meaning: &'static str,
    /// The production system's nearest code, for operators used to its messages.
    pub production: &'static str,
}

macro_rules! codes {
    ($( $c:literal, $sev:ident, $stage:literal, $prod:literal, $m:literal; )*) => {
        pub const CODES: &[CodeInfo] = &[ $( CodeInfo { code: $c, severity: Severity::$sev, stage: $stage, meaning: $m, production: $prod } ),* ];
    };
}

codes! {
    "IN001", Error, "intake", "E001", "required field is empty (shipment_id, import_date, quarter, cn_code, origin_iso, net_mass_kg)";
    "IN002", Error, "intake", "E002", "CN code malformed: not 8 digits after removing spaces and dots";
    "IN003", Warning, "intake", "", "CN code is not a CBAM good (outside Annex I or an explicit exception); row excluded";
    "IN004", Error, "intake", "E003", "import_date is not a valid YYYY-MM-DD date";
    "IN005", Error, "intake", "W001", "import_date lies outside the row's quarter (severity from policy.date_outside_quarter)";
    "IN006", Error, "intake", "", "quarter is not of the form YYYYQn";
    "IN007", Error, "intake", "", "row's quarter differs from the report quarter given with --quarter";
    "IN008", Error, "intake", "E004", "net_mass_kg is not a positive decimal number (or is above 10^9 kg)";
    "IN009", Error, "intake", "E009", "origin_iso is not an ISO 3166-1 alpha-2 country code (two upper-case letters naming a country; XX, EU, QZ are refused)";
    "IN010", Error, "intake", "", "shipment_id appears on more than one row (all such rows are rejected)";
    "IN011", Warning, "intake", "", "has_actual_emissions is not YES/NO (treated as NO)";
    "IN012", Warning, "intake", "E009", "importer_country is not an EU member state";
    "IN013", Error, "intake", "", "row has a different number of fields than the header";
    "IN014", Error, "intake", "", "a field exceeds 64 KiB";
    "IN015", Warning, "intake", "", "file is not UTF-8; read as Latin-1";
    "IN016", Warning, "intake", "W005", "product_group given in the row disagrees with the CN code's Annex I sector";
    "IN017", Error, "intake", "", "import_date is before the CBAM reporting obligation began (2023-10-01)";
    "IN018", Warning, "intake", "", "origin is an EU member state or an Annex III exempt country (IS, LI, NO, CH): not a CBAM import; row excluded";
    "IN019", Error, "intake", "", "a quoted field spans lines in a column where a line break does not belong (all but product_description and notes): a quote left open?; row rejected";
    "IN020", Info, "intake", "", "delimiter detected from the header: not the one the extension implies (',' for .csv, tab for .tsv), but the one that splits the header into the most shipment columns";
    "IN021", Info, "intake", "", "decimal comma detected in a ';'-separated file: some numeric field has a ',' and none a '.' without a ','; numbers read as with --decimal-comma";
    "CA001", Warning, "calculate", "", "actuals requested (has_actual_emissions=YES) but supplier_id is empty; default used";
    "CA002", Warning, "calculate", "E007", "supplier not found in the supplier profiles; default used";
    "CA003", Warning, "calculate", "VAL-030", "supplier has no actual emissions data; default used";
    "CA004", Warning, "calculate", "VAL-032", "supplier does not produce this CN code / product group; default used";
    "CA005", Warning, "calculate", "W003", "supplier data is stale (policy.stale_after_years); default used";
    "CA006", Error, "calculate", "E005", "no emission factor for this CN code and period; row rejected";
    "CA008", Warning, "calculate", "", "factor source gives only a total; reported as direct emissions";
    "CA009", Warning, "calculate", "", "CN code outside Annex I calculated anyway (policy.out_of_scope: calculate)";
    "CA010", Warning, "calculate", "", "supplier actuals not verified (policy.require_verified); default used";
    "CA011", Warning, "calculate", "", "PARTIAL actuals are not supported; default values used";
    "CA012", Warning, "calculate", "", "the supplier's Communication template lists this CN code under two processes with different SEE; default used";
    "CA013", Warning, "calculate", "", "supplier actuals inconsistent: direct + indirect differs from the stated total by more than 0.001 tCO2e/t; direct and indirect used";
    "TP001", Error, "suppliers import", "", "a Communication template holds no product data (a blank template), or every row has an error: nothing imported";
    "TP002", Error, "suppliers import", "", "template row: SEE direct + indirect differs from the total by more than 0.0001; row not imported";
    "TP003", Error, "suppliers import", "", "template row: a negative SEE; row not imported";
    "TP004", Warning, "suppliers import", "", "template row: SEE total above the plausible range for the sector (a unit or typing error?)";
    "TP005", Warning, "suppliers import", "", "template row: share of emissions from default values above 20 % (or not a fraction)";
    "TP006", Warning, "suppliers import", "", "template row: CN code is not 8 digits; row not imported";
    "TP007", Warning, "suppliers import", "", "template: reporting period missing or start after end (data age cannot be checked)";
    "TP008", Warning, "suppliers import", "", "template: installation name missing, or UN/LOCODE not in the installation's country";
    "TP009", Warning, "suppliers import", "", "template: the same CN code under two processes with different SEE; not imported for that code";
    "TP010", Warning, "suppliers import", "", "template row: a SEE cell holds a placeholder (n.a.) instead of a figure; row not imported";
    "DV001", Warning, "obligation", "", "CN code split into TARIC lines in the definitive default values and no taric_code given: the residual line (…90) is used (once per good)";
    "DV002", Warning, "calculate", "", "taric_code column not 10 digits starting with the CN code; ignored";
    "DV003", Info, "assemble", "", "default value of low confidence (single transcription, or a heading-level representative value) used (once per CN code and factor; replaces the per-row CA007)";
    "DV004", Warning, "calculate", "", "taric_code names a TARIC line the definitive default values do not list: the line the message names is used";
    "DV005", Warning, "calculate", "", "the annex gives a default value of 0 for the good and origin (e.g. Mali, hydrogen): used as published";
    "DV006", Error, "enrich", "", "electricity (CN 2716 00 00) without its quantity in MWh (column quantity_mwh): not calculated from kilograms";
    "RP002", Error, "assemble", "", "no row could be calculated: the report has no goods";
    "CO001", Info, "obligation", "", "de minimis: the year's iron and steel, aluminium, fertilisers and cement are at or below 50 t: exempt";
    "CO002", Warning, "obligation", "", "de minimis: the year's counted mass is above 90 % of the 50 t threshold";
    "CO003", Info, "obligation", "", "de minimis: above 50 t: the whole year's imports are liable";
    "CO004", Warning, "obligation", "", "no CBAM benchmark for the CN code: no free-allocation adjustment deducted";
    "CO005", Warning, "obligation", "", "benchmark route ambiguous: the lowest benchmark of the candidate routes is used";
    "CO008", Info, "obligation", "", "several alloy grades for the CN code: the highest benchmark of the production year is used (IR (EU) 2025/2620 Annex point 5.1)";
    "CO006", Warning, "obligation", "", "no certificate price known for the quarter: cost not estimated (--certificate-prices)";
    "CO007", Warning, "obligation", "", "carbon price paid given for goods declared with default values: not deducted (Art. 9(4): Commission default carbon prices only)";
    "XQ001", Error, "xml", "", "QReport: a required element is missing, or an element occurs more often than the schema allows";
    "XQ002", Error, "xml", "", "QReport: an element that the schema does not allow at this place (unknown, or out of order), or text where only elements belong";
    "XQ003", Error, "xml", "", "QReport: a value does not fit its schema format (an..N, aN, n..N, decN-M, boolean, date)";
    "XQ004", Error, "xml", "", "QReport of an older schema version (17.03 or earlier): cbam reads and writes 23.00";
    "XQ010", Error, "xml", "", "HsCode is not the first 6 digits of CnCode, or the CN code is not a CBAM good";
    "XQ011", Error, "xml", "VAL-003", "ReportingPeriod and Year are not a quarter of the transitional period (2023Q4-2025Q4)";
    "XQ012", Error, "xml", "", "goods measure not in tonnes (01) from Q2 2024, or emissions unit not EMU1";
    "XQ013", Error, "xml", "", "DeterminationType not 01/02/03, or 02 (default values) after Q2 2024";
    "XQ014", Error, "xml", "", "goods other than electricity without indirect emissions or without specific direct embedded emissions";
    "XQ015", Error, "xml", "", "GoodsEmissions without ProductionCountry";
    "XQ016", Warning, "xml", "", "quantities do not add up: procedures or produced measures differ from the imported measure";
    "XQ017", Warning, "xml", "", "report confirmations (GlobalDataConfirmation, UseOfDataConfirmation) are not true";
    "XQ018", Error, "xml", "", "Declarant/Role does not fit the parties: 01 without header Importer, 02 without header Representative, 03 with them or a good without its own, or an unknown role";
    "XQ019", Warning, "xml", "", "Installation without its InstallationOperator, or in another country than ProductionCountry";
    "XQ020", Error, "xml", "", "report quarter outside the transitional period: there is no QReport for it; XML not written";
    "XQ021", Error, "xml", "", "electricity goods (MWh, electricity-only fields): cbam does not write them; XML not written";
}

pub fn info(code: &str) -> Option<&'static CodeInfo> {
    CODES.iter().find(|c| c.code == code)
}
