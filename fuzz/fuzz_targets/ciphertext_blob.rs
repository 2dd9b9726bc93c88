//! Any bytes as a CiphertextBlob: Decrypt and ReEncrypt must answer with an
//! AWS error (never panic), and nothing forged may decrypt.
#![no_main]
use kms_wasm::ops::crypto::{DecryptRequest, ReEncryptRequest};
use kms_wasm::{CallContext, Kms, Partition, Timestamp};
use libfuzzer_sys::fuzz_target;
use std::cell::RefCell;

fn fresh() -> (Kms, String) {
    let mut kms = Kms::new(Partition::new("111122223333", "us-east-1").unwrap());
    let ctx = CallContext::new("arn:aws:iam::111122223333:root", Timestamp(0));
    let key = kms.create_key(&ctx, Default::default()).unwrap().key_metadata.arn;
    (kms, key)
}

// libFuzzer calls the target on one thread; a thread-local needs no `Send`.
thread_local! {
    static KMS: RefCell<(Kms, String)> = RefCell::new(fresh());
}

fuzz_target!(|data: &[u8]| KMS.with_borrow_mut(|(kms, key)| {
    let ctx = CallContext::new("arn:aws:iam::111122223333:root", Timestamp(0));
    let r = kms.decrypt(&ctx, DecryptRequest { ciphertext_blob: data.to_vec(), ..Default::default() });
    assert!(r.is_err(), "a forged blob decrypted");
    let r = kms.re_encrypt(
        &ctx,
        ReEncryptRequest { ciphertext_blob: data.to_vec(), destination_key_id: key.clone(), ..Default::default() },
    );
    assert!(r.is_err());
    let _ = kms_wasm::ciphertext::Blob::parse(data);
}));
