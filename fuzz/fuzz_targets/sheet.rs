#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| kartlegg_fuzz::scan_as("fuzz.xlsx", data));
