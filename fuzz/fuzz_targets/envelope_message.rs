//! Any bytes as an AWS Encryption SDK message, fed in two chunks, through
//! the decryptor with the test raw AES keyring: a named error or a
//! plaintext, never a panic; nothing forged authenticates.
#![no_main]
use kms_wasm::envelope::{DecryptOptions, Decryptor, RawAesKeyring};
use libfuzzer_sys::fuzz_target;

const WRAPPING_KEY: [u8; 32] = [
    0xcc, 0x4f, 0x98, 0xaf, 0x2d, 0xa5, 0x4e, 0xb9, 0x44, 0x62, 0xe9, 0x17, 0xcf, 0x71, 0x19, 0xda, 0xe7, 0xc7, 0x3a,
    0x35, 0x01, 0x51, 0xfb, 0xd3, 0xfb, 0x5d, 0x52, 0xb7, 0x04, 0x69, 0x99, 0xed,
];

fuzz_target!(|data: &[u8]| {
    let Some((split, message)) = data.split_first() else { return };
    let at = usize::from(*split).min(message.len());
    let (a, b) = message.split_at(at);
    let Ok(keyring) = RawAesKeyring::new("kms-wasm-test", "aes-256-wrapping-key", &WRAPPING_KEY) else { return };
    let options = DecryptOptions { max_encrypted_data_keys: Some(8), ..DecryptOptions::default() };
    let mut d = Decryptor::new(options);
    let mut out = Vec::new();
    let mut input: Vec<&[u8]> = vec![a, b];
    let mut guard = 0;
    while let Some(chunk) = input.first().copied() {
        guard += 1;
        if guard > 16 {
            return;
        }
        let Ok(used) = d.update(chunk, &mut out) else { return };
        if d.needs_data_key() {
            let Some(h) = d.header() else { return };
            let Ok(key) = keyring.unwrap(&h.encryption_context, &h.encrypted_data_keys) else { return };
            if d.set_data_key(key.as_ref()).is_err() {
                return;
            }
        }
        let rest = chunk.get(used..).unwrap_or_default();
        if rest.is_empty() {
            input.remove(0);
        } else {
            input[0] = rest;
        }
    }
    let _ = d.finish(&mut out);
});
