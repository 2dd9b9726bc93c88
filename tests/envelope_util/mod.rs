//! Helpers shared by the envelope tests: chunked decryption as the JS layer
//! will drive it, an "external" frame cipher (plain `aes-gcm`, standing in
//! for node:crypto / WebCrypto), and the vector files.
#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::cast_possible_truncation
)]

use aes_gcm::aead::inout::InOutBuf;
use aes_gcm::{AeadInOut, Aes256Gcm, KeyInit};
use kms_wasm::envelope::{
    DecryptOptions, Decryptor, EncryptedDataKey, Encryptor, EnvelopeError, ExternalFrame, Keyring, RawAesKeyring,
};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::PathBuf;

pub fn vectors_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/vectors/envelope")
}

pub fn read_json(rel: &str) -> Value {
    let text = std::fs::read_to_string(vectors_dir().join(rel)).unwrap();
    serde_json::from_str(&text).unwrap()
}

pub fn read_bytes(rel: &str) -> Vec<u8> {
    std::fs::read(vectors_dir().join(rel)).unwrap()
}

/// The raw AES keyring `name` of keys.json.
pub fn keyring(name: &str) -> RawAesKeyring {
    let keys = read_json("keys.json");
    let k = &keys["keys"][name];
    RawAesKeyring::new(
        k["keyNamespace"].as_str().unwrap(),
        k["keyName"].as_str().unwrap(),
        &hex::decode(k["wrappingKey"].as_str().unwrap()).unwrap(),
    )
    .unwrap()
}

pub fn string_map(v: &Value) -> BTreeMap<String, String> {
    match v.as_object() {
        Some(o) => o.iter().map(|(k, v)| (k.clone(), v.as_str().unwrap().to_owned())).collect(),
        None => BTreeMap::new(),
    }
}

/// Decrypt options from a manifest entry's `decrypt` member.
pub fn options(v: &Value) -> DecryptOptions {
    let d = &v["decrypt"];
    let mut o = DecryptOptions::default();
    if let Some(n) = d["maxEncryptedDataKeys"].as_u64() {
        o.max_encrypted_data_keys = Some(n as usize);
    }
    if let Some(n) = d["maxFrameLength"].as_u64() {
        o.max_frame_length = n as u32;
    }
    if let Some(n) = d["maxHeaderLength"].as_u64() {
        o.max_header_length = n as usize;
    }
    if let Some(b) = d["refuseSignedSuites"].as_bool() {
        o.refuse_signed_suites = b;
    }
    o.required_encryption_context = string_map(&d["requiredEncryptionContext"]);
    o
}

/// Feeds `msg` in chunks of `chunk` bytes, unwrapping the data key with
/// `keyring` when the header is complete, as the JS layer does.
pub fn decrypt_chunked(
    msg: &[u8],
    options: DecryptOptions,
    keyring: &dyn Keyring,
    chunk: usize,
) -> Result<Vec<u8>, EnvelopeError> {
    let mut dec = Decryptor::new(options);
    let mut out = Vec::new();
    for c in msg.chunks(chunk.max(1)) {
        let mut rest = c;
        loop {
            let used = dec.update(rest, &mut out)?;
            rest = &rest[used..];
            if dec.needs_data_key() {
                let h = dec.header().unwrap();
                let key = keyring.on_decrypt(&h.encryption_context, &h.encrypted_data_keys)?;
                dec.set_data_key(key.as_ref())?;
            }
            if rest.is_empty() {
                break;
            }
        }
    }
    dec.finish(&mut out)?;
    Ok(out)
}

/// The same through the external frame cipher path, with `aes-gcm` as the
/// "platform" AES: frames are released only after their tag verifies, the
/// final one only after `finish`.
pub fn decrypt_external(
    msg: &[u8],
    mut options: DecryptOptions,
    keyring: &dyn Keyring,
    chunk: usize,
) -> Result<Vec<u8>, EnvelopeError> {
    options.external_frame_cipher = true;
    let mut dec = Decryptor::new(options);
    let mut out = Vec::new();
    let mut held_final: Option<Vec<u8>> = None;
    let mut cipher: Option<Aes256Gcm> = None;
    for c in msg.chunks(chunk.max(1)) {
        let mut rest = c;
        loop {
            let mut frames: Vec<ExternalFrame> = Vec::new();
            let used = dec.update_external(rest, &mut frames)?;
            rest = &rest[used..];
            for f in frames {
                let cipher = cipher.as_ref().unwrap();
                let n = f.params.content_length as usize;
                let (ct, tag) = f.sealed.split_at(n);
                let mut pt = vec![0u8; n];
                cipher
                    .decrypt_inout_detached(
                        &f.params.iv.into(),
                        &f.params.aad,
                        InOutBuf::new(ct, &mut pt).unwrap(),
                        tag.try_into().unwrap(),
                    )
                    .map_err(|_| EnvelopeError::FrameAuthenticationFailed(f.params.sequence_number))?;
                if f.params.is_final {
                    held_final = Some(pt);
                } else {
                    out.extend_from_slice(&pt);
                }
            }
            if dec.needs_data_key() {
                let h = dec.header().unwrap();
                let key = keyring.on_decrypt(&h.encryption_context, &h.encrypted_data_keys)?;
                dec.set_data_key(key.as_ref())?;
                cipher = Some(Aes256Gcm::new(&(*dec.frame_key().unwrap()).into()));
            }
            if rest.is_empty() {
                break;
            }
        }
    }
    dec.finish(&mut Vec::new())?;
    out.extend_from_slice(&held_final.unwrap_or_default());
    Ok(out)
}

/// Encrypts through the internal path, pushing plaintext in `chunk`-byte pieces.
pub fn encrypt_internal(
    mut enc: Encryptor,
    data_key: &[u8],
    edks: Vec<EncryptedDataKey>,
    plaintext: &[u8],
    chunk: usize,
) -> Vec<u8> {
    let mut out = Vec::new();
    enc.start(data_key, edks, &mut out).unwrap();
    for c in plaintext.chunks(chunk.max(1)) {
        enc.update(c, &mut out).unwrap();
    }
    enc.finish(&mut out).unwrap();
    out
}

/// Encrypts through the external frame cipher path with `aes-gcm`,
/// following the documented frame layout (a regular frame only when more
/// plaintext follows it).
pub fn encrypt_external(mut enc: Encryptor, data_key: &[u8], edks: Vec<EncryptedDataKey>, plaintext: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    enc.start(data_key, edks, &mut out).unwrap();
    let cipher = Aes256Gcm::new(&(*enc.frame_key().unwrap()).into());
    let fl = enc.frame_length() as usize;
    let signed = enc.suite().is_signed();
    let mut rest = plaintext;
    loop {
        let is_final = rest.len() <= fl;
        let take = if is_final { rest.len() } else { fl };
        let (frame, tail) = rest.split_at(take);
        let p = enc.begin_frame(take as u32, is_final).unwrap();
        let mut sealed = vec![0u8; take];
        let tag =
            cipher.encrypt_inout_detached(&p.iv.into(), &p.aad, InOutBuf::new(frame, &mut sealed).unwrap()).unwrap();
        sealed.extend_from_slice(&tag);
        out.extend_from_slice(&p.prefix);
        out.extend_from_slice(&sealed);
        enc.end_frame(if signed { Some(&sealed) } else { None }).unwrap();
        rest = tail;
        if is_final {
            break;
        }
    }
    enc.finish_external(&mut out).unwrap();
    out
}

/// A small deterministic generator (xorshift) for test data and chunk sizes.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }

    pub fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next() as u8).collect()
    }

    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}
