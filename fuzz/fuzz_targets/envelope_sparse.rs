//! The decryptor's sparse external-frame path (`update_external_sparse`,
//! which reads only each frame's prefix from the caller's buffer) against
//! its copying path (`update_external`), on any bytes fed in two chunks:
//! both accept or refuse alike, and give the same frames (the sparse path's
//! `sealed_at` resolved against its chunk) and the same header.
#![no_main]
use kms_wasm::envelope::{DecryptOptions, Decryptor, ExternalFrame, RawAesKeyring};
use libfuzzer_sys::fuzz_target;

const WRAPPING_KEY: [u8; 32] = [
    0xcc, 0x4f, 0x98, 0xaf, 0x2d, 0xa5, 0x4e, 0xb9, 0x44, 0x62, 0xe9, 0x17, 0xcf, 0x71, 0x19, 0xda, 0xe7, 0xc7, 0x3a,
    0x35, 0x01, 0x51, 0xfb, 0xd3, 0xfb, 0x5d, 0x52, 0xb7, 0x04, 0x69, 0x99, 0xed,
];

/// A frame as (sequence number, final?, IV, AAD, content length, ciphertext and tag).
type Seen = (u32, bool, Vec<u8>, Vec<u8>, u32, Vec<u8>);

fn seen(f: &ExternalFrame, chunk: &[u8]) -> Seen {
    let p = &f.params;
    let sealed = match f.sealed_at {
        Some(at) => chunk.get(at..at + p.content_length as usize + 16).map(<[u8]>::to_vec).unwrap_or_default(),
        None => f.sealed.clone(),
    };
    (p.sequence_number, p.is_final, p.iv.to_vec(), p.aad.clone(), p.content_length, sealed)
}

/// Feeds the chunks; `sparse` picks the path. The outcome: every frame seen,
/// then `Ok` at the end of the input or the first error's code.
fn feed(chunks: &[&[u8]], sparse: bool, keyring: &RawAesKeyring) -> (Vec<Seen>, Result<(), &'static str>) {
    let options =
        DecryptOptions { max_encrypted_data_keys: Some(8), external_frame_cipher: true, ..DecryptOptions::default() };
    let mut d = Decryptor::new(options);
    let mut out = Vec::new();
    for chunk in chunks {
        let mut pos = 0;
        let mut guard = 0;
        while pos < chunk.len() {
            guard += 1;
            if guard > 64 {
                return (out, Err("no progress"));
            }
            let rest = chunk.get(pos..).unwrap_or_default();
            let mut frames = Vec::new();
            let used = if sparse {
                d.update_external_sparse(rest.len(), &mut |at, buf| buf.copy_from_slice(&rest[at..at + buf.len()]), &mut frames)
            } else {
                d.update_external(rest, &mut frames)
            };
            out.extend(frames.iter().map(|f| seen(f, rest)));
            let n = match used {
                Ok(n) => n.min(rest.len()),
                Err(e) => return (out, Err(e.code())),
            };
            pos += n;
            if !d.needs_data_key() && n == 0 {
                return (out, Err("no progress"));
            }
            if d.needs_data_key() {
                let Some(h) = d.header() else { return (out, Err("no header")) };
                let Ok(key) = keyring.unwrap(&h.encryption_context, &h.encrypted_data_keys) else {
                    return (out, Err("keyring"));
                };
                if let Err(e) = d.set_data_key(key.as_ref()) {
                    return (out, Err(e.code()));
                }
            }
        }
    }
    (out, Ok(()))
}

fuzz_target!(|data: &[u8]| {
    let Some((split, message)) = data.split_first() else { return };
    let at = usize::from(*split).min(message.len());
    let (a, b) = message.split_at(at);
    let Ok(keyring) = RawAesKeyring::new("kms-wasm-test", "aes-256-wrapping-key", &WRAPPING_KEY) else { return };
    let copying = feed(&[a, b], false, &keyring);
    let sparse = feed(&[a, b], true, &keyring);
    assert_eq!(copying, sparse, "the sparse and copying frame paths disagree");
});
