//! Fuzz target: `cbam` reading a file of kind `suppliers_yaml` (see `cbam::fuzzing`).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    // Err is a refusal, which is fine; a panic, abort or runaway allocation is the bug.
    let _ = cbam::fuzzing::run(cbam::fuzzing::Target::SuppliersYaml, data);
});
