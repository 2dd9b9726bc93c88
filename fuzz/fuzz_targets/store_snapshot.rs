//! Any bytes as a stored state (plain or sealed): restore refuses or
//! rebuilds a KMS whose own snapshot restores to the same bytes.
#![no_main]
use kms_wasm::{Kms, Partition};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let p = Partition::new("111122223333", "us-east-1").unwrap();
    if let Ok(kms) = Kms::restore(p.clone(), data) {
        let again = kms.snapshot().unwrap();
        let back = Kms::restore(p.clone(), again.expose()).unwrap();
        assert_eq!(back.snapshot().unwrap().expose(), again.expose());
    }
    let _ = Kms::restore_sealed(p, &[7u8; 32], data);
});
