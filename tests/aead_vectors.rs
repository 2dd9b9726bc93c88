#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]
//! Known-answer vectors for our AES-256-GCM wrapper (`kms_wasm::crypto::AeadKey`),
//! read from files under `tests/vectors/aead/` (sources and licences in its README):
//!
//! - NIST CAVP `gcmEncryptExtIV256.rsp` (256-bit key, 96-bit IV, 128-bit tag):
//!   every vector seals to exactly `CT || Tag` and opens back; the same
//!   sealed bytes with any single bit flipped (in the body, the tag or the
//!   AAD) are refused.
//! - Project Wycheproof `aes_gcm_test.json`, the group with the sizes we
//!   use: valid cases seal and open as given; invalid ones (modified tags)
//!   are refused with the one `InvalidCiphertextException`.
//!
//! Wycheproof's other invalid cases (IVs of 0–8 or more than 12 bytes) cannot
//! be expressed: the wrapper takes only `&[u8; 12]` nonces.

use kms_wasm::crypto::{AeadKey, NONCE_LEN, TAG_LEN};
use kms_wasm::KmsError;
use std::path::PathBuf;

fn vector_file(name: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/vectors/aead").join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn unhex(s: &str) -> Vec<u8> {
    hex::decode(s.trim()).unwrap_or_else(|e| panic!("bad hex {s:?}: {e}"))
}

struct Vector {
    id: String,
    key: Vec<u8>,
    iv: Vec<u8>,
    aad: Vec<u8>,
    msg: Vec<u8>,
    ct: Vec<u8>,
    tag: Vec<u8>,
    valid: bool,
}

impl Vector {
    fn key(&self) -> AeadKey {
        AeadKey::from_slice(&self.key).unwrap_or_else(|| panic!("{}: key is not 32 bytes", self.id))
    }

    fn nonce(&self) -> [u8; NONCE_LEN] {
        self.iv.as_slice().try_into().unwrap_or_else(|_| panic!("{}: IV is not 12 bytes", self.id))
    }

    fn sealed(&self) -> Vec<u8> {
        [self.ct.as_slice(), self.tag.as_slice()].concat()
    }

    fn seal(&self) -> Vec<u8> {
        let mut out = vec![0u8; self.msg.len() + TAG_LEN];
        self.key().seal_into(&self.nonce(), &self.aad, &self.msg, &mut out).unwrap();
        out
    }
}

fn nist() -> Vec<Vector> {
    let text = vector_file("nist_cavp_gcm_encrypt_ext_iv_256.rsp");
    let mut out = Vec::new();
    for block in text.split("\n\n") {
        let fields: Vec<(&str, &str)> = block
            .lines()
            .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
            .map(|l| l.split_once('=').map(|(k, v)| (k.trim(), v.trim())).expect("Name = value"))
            .collect();
        if fields.is_empty() {
            continue;
        }
        let get = |name: &str| fields.iter().find(|(k, _)| *k == name).map(|(_, v)| *v).expect(name);
        out.push(Vector {
            id: format!("NIST Count {}", get("Count")),
            key: unhex(get("Key")),
            iv: unhex(get("IV")),
            aad: unhex(get("AAD")),
            msg: unhex(get("PT")),
            ct: unhex(get("CT")),
            tag: unhex(get("Tag")),
            valid: true,
        });
    }
    out
}

fn wycheproof() -> Vec<Vector> {
    let doc: serde_json::Value = serde_json::from_str(&vector_file("wycheproof_aes_gcm_256_96_128.json")).unwrap();
    let mut out = Vec::new();
    for group in doc["testGroups"].as_array().unwrap() {
        assert_eq!(
            (group["keySize"].as_u64(), group["ivSize"].as_u64(), group["tagSize"].as_u64()),
            (Some(256), Some(96), Some(128))
        );
        for t in group["tests"].as_array().unwrap() {
            let s = |name: &str| t[name].as_str().unwrap_or_else(|| panic!("tcId {}: no {name}", t["tcId"]));
            out.push(Vector {
                id: format!("Wycheproof tcId {} ({})", t["tcId"], s("comment")),
                key: unhex(s("key")),
                iv: unhex(s("iv")),
                aad: unhex(s("aad")),
                msg: unhex(s("msg")),
                ct: unhex(s("ct")),
                tag: unhex(s("tag")),
                valid: match s("result") {
                    "valid" => true,
                    "invalid" => false,
                    other => panic!("tcId {}: result {other} is not expected for these sizes", t["tcId"]),
                },
            });
        }
    }
    assert_eq!(out.len() as u64, doc["numberOfTests"].as_u64().unwrap(), "numberOfTests");
    out
}

#[test]
fn nist_cavp_vectors_seal_to_the_expected_bytes_and_open_back() {
    let vectors = nist();
    assert_eq!(vectors.len(), 375, "the NIST file has 375 vectors with a 96-bit IV and a 128-bit tag");
    for v in &vectors {
        assert_eq!(hex::encode(v.seal()), hex::encode(v.sealed()), "{}: seal", v.id);
        assert_eq!(v.key().open(&v.nonce(), &v.aad, &v.sealed()).unwrap().expose(), v.msg.as_slice(), "{}: open", v.id);
    }
}

#[test]
fn nist_cavp_vectors_with_any_flipped_bit_are_refused() {
    for v in nist() {
        let (key, nonce, sealed) = (v.key(), v.nonce(), v.sealed());
        for i in 0..sealed.len() * 8 {
            let mut bad = sealed.clone();
            bad[i / 8] ^= 1 << (i % 8);
            assert_eq!(
                key.open(&nonce, &v.aad, &bad).unwrap_err(),
                KmsError::invalid_ciphertext(),
                "{}: bit {i}",
                v.id
            );
        }
        for i in 0..v.aad.len() * 8 {
            let mut aad = v.aad.clone();
            aad[i / 8] ^= 1 << (i % 8);
            assert!(key.open(&nonce, &aad, &sealed).is_err(), "{}: AAD bit {i}", v.id);
        }
        let mut other_nonce = nonce;
        other_nonce[0] ^= 0x80;
        assert!(key.open(&other_nonce, &v.aad, &sealed).is_err(), "{}: other nonce", v.id);
        // truncated: every shorter prefix, including one shorter than a tag
        for len in 0..sealed.len() {
            assert!(key.open(&nonce, &v.aad, &sealed[..len]).is_err(), "{}: first {len} bytes", v.id);
        }
    }
}

#[test]
fn wycheproof_vectors_valid_ones_match_and_invalid_ones_are_refused() {
    let vectors = wycheproof();
    let valid = vectors.iter().filter(|v| v.valid).count();
    let invalid = vectors.len() - valid;
    assert_eq!((valid, invalid), (39, 27), "the 256/96/128 group: 39 valid, 27 invalid (modified tags)");
    for v in &vectors {
        let opened = v.key().open(&v.nonce(), &v.aad, &v.sealed());
        if v.valid {
            assert_eq!(hex::encode(v.seal()), hex::encode(v.sealed()), "{}: seal", v.id);
            assert_eq!(opened.unwrap().expose(), v.msg.as_slice(), "{}: open", v.id);
        } else {
            assert_eq!(opened.unwrap_err(), KmsError::invalid_ciphertext(), "{}: must be refused", v.id);
            // the message with the real tag is what the wrapper writes
            assert_ne!(v.seal(), v.sealed(), "{}: the modified tag is not what sealing gives", v.id);
        }
    }
}

#[test]
fn seal_refuses_an_output_buffer_of_the_wrong_length() {
    let v = &nist()[200];
    for len in [0, v.msg.len(), v.msg.len() + TAG_LEN - 1, v.msg.len() + TAG_LEN + 1] {
        let mut out = vec![0u8; len];
        let err = v.key().seal_into(&v.nonce(), &v.aad, &v.msg, &mut out).unwrap_err();
        assert_eq!(err.name(), "KMSInternalException", "output of {len} bytes");
    }
}
