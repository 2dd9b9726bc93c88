//! Any JSON as an exported audit log: verification answers valid or the
//! first bad index, never a panic.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(records) = serde_json::from_slice::<Vec<serde_json::Value>>(data) {
        let v = kms_wasm::audit::verify(&records);
        assert!(v.valid || v.first_invalid_index.is_some_and(|i| i < records.len()));
    }
});
