//! Any bytes as a backup: restoring answers an error or a KMS, never a
//! panic. The KDF parameters inside are bounded, so no input costs more
//! than the cap.
#![no_main]
use kms_wasm::{Kms, Partition};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // Keep the fuzzer fast: only cheap KDF parameters (m <= 64 KiB, t <= 2)
    // get past this point; costlier headers are refused by the core anyway
    // or take the capped time, which is not what this target measures.
    if data.len() >= 17 && data.get(..5) == Some(b"KMSB\x01".as_slice()) {
        let m = u32::from_be_bytes(data[5..9].try_into().unwrap());
        let t = u32::from_be_bytes(data[9..13].try_into().unwrap());
        if m > 64 || t > 2 {
            return;
        }
    }
    let _ = Kms::restore_backup(Partition::new("111122223333", "us-east-1").unwrap(), data, "passphrase");
});
