//! wasm32 exports of the envelope module for the JS layer (streams,
//! keyrings). Bytes in and out are `Uint8Array`; objects are plain objects;
//! every error is a JS `Error` whose `name` is the group
//! (`MalformedMessageError`, `AuthenticationError`, ...) and whose `code`
//! is the precise reason (`FrameAuthenticationFailed`, ...).
//!
//! JS contract (exact signatures in docs/envelope.md):
//! - `new EnvelopeEncryptor(algorithmSuite, frameLength, encryptionContext, maxEncryptedDataKeys?)`;
//!   `encryptionContext()`, `start(dataKey, encryptedDataKeys)` → header bytes,
//!   `update(plaintext)` → frame bytes, `finish()` → final frame + footer;
//!   external cipher: `frameKey()`, `beginFrame(contentLength, isFinal)`,
//!   `endFrame(ciphertextAndTag?)`, `finishExternal()`; `header()`; batched:
//!   `beginFrames(regular, finalLength?)` → packed frame records,
//!   `endFrames(sealed?)`.
//! - `new EnvelopeDecryptor(options?)`; `update(chunk)` → plaintext and
//!   `consumed`; `needsDataKey`, `header()`, `setDataKey(dataKey)`,
//!   `updateExternal(chunk)` → frames, `updateFrames(chunk)` → packed frame
//!   records, `frameKey()`, `finish()` → the final frame's plaintext.
//! - `rawAesWrap(...)`, `rawAesUnwrap(...)`.
//!
//! The batched forms are the per-frame hot path: one call for many frames,
//! one `Uint8Array` back (no object per frame), and on decrypt no copy of
//! the ciphertext into or out of the wasm for unsigned suites (see
//! `beginFrames` and `updateFrames` for the record layouts).
//!
//! Secrets passed in (data keys, plaintext) are taken by value and wiped
//! after use; secrets handed out are copied into fresh `Uint8Array`s and the
//! Rust copies wiped. Copies in the JS heap are out of our reach.

use crate::envelope::{
    AlgorithmSuite, DecryptOptions, Decryptor, EncryptedDataKey, EncryptionContext, Encryptor, EnvelopeError,
    ExternalFrame, FrameParams, MessageHeader, RawAesKeyring,
};
use serde::{Deserialize, Serialize};
use serde_bytes::ByteBuf;
use std::collections::BTreeMap;
use wasm_bindgen::prelude::*;
use zeroize::Zeroizing;

/// The one conversion from an envelope error to a JS error.
fn to_js(err: EnvelopeError) -> JsValue {
    let e = js_sys::Error::new(&err.message());
    e.set_name(err.name());
    // Reflect::set on a fresh Error object cannot fail in practice; if it
    // did, the error would still carry its name and message.
    let _ = js_sys::Reflect::set(&e, &JsValue::from_str("code"), &JsValue::from_str(err.code()));
    e.into()
}

fn invalid(what: &str) -> JsValue {
    to_js(EnvelopeError::InvalidArgument(what.to_owned()))
}

fn to_value<T: Serialize>(value: &T) -> Result<JsValue, JsValue> {
    let s = serde_wasm_bindgen::Serializer::new().serialize_maps_as_objects(true);
    value.serialize(&s).map_err(|_| to_js(EnvelopeError::Internal("a result could not be encoded")))
}

/// Secret bytes out: a fresh `Uint8Array`, then the Rust copy is wiped.
fn secret_out(bytes: Zeroizing<Vec<u8>>) -> js_sys::Uint8Array {
    js_sys::Uint8Array::from(bytes.as_slice())
}

fn context_in(value: JsValue) -> Result<BTreeMap<String, String>, JsValue> {
    if value.is_undefined() || value.is_null() {
        return Ok(BTreeMap::new());
    }
    serde_wasm_bindgen::from_value(value)
        .map_err(|_| invalid("The encryption context must be an object of string keys and string values."))
}

/// The encryptor's suite argument; an unsupported one is the caller's
/// mistake here (`InvalidArgumentError`), not a malformed message.
fn suite_in(value: &JsValue) -> Result<AlgorithmSuite, JsValue> {
    let unsupported = |e: EnvelopeError| to_js(EnvelopeError::InvalidArgument(e.message()));
    if value.is_undefined() || value.is_null() {
        return Ok(AlgorithmSuite::default());
    }
    if let Some(n) = value.as_f64() {
        // An id must be an integer in u16 range.
        if n.fract() != 0.0 || !(0.0..=65535.0).contains(&n) {
            return Err(invalid("The algorithm suite must be 0x0478 or 0x0578."));
        }
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)] // range checked above
        return AlgorithmSuite::from_id(n as u16).map_err(unsupported);
    }
    match value.as_string() {
        Some(s) => AlgorithmSuite::parse(&s).map_err(unsupported),
        None => Err(invalid("The algorithm suite must be 0x0478 or 0x0578.")),
    }
}

fn u32_in(n: f64, what: &str) -> Result<u32, JsValue> {
    if n.fract() != 0.0 || !(0.0..=f64::from(u32::MAX)).contains(&n) {
        return Err(invalid(&format!("{what} must be an integer between 0 and 2^32 - 1.")));
    }
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)] // range checked above
    Ok(n as u32)
}

fn count_in(n: Option<f64>, what: &str) -> Result<Option<usize>, JsValue> {
    n.map(|n| u32_in(n, what).map(|v| usize::try_from(v).unwrap_or(usize::MAX))).transpose()
}

/// An encrypted data key as JS sees it.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct EdkJs {
    provider_id: String,
    #[serde(deserialize_with = "crate::crypto::strict_bytes::deserialize", serialize_with = "bytes")]
    provider_info: Vec<u8>,
    #[serde(deserialize_with = "crate::crypto::strict_bytes::deserialize", serialize_with = "bytes")]
    encrypted_data_key: Vec<u8>,
}

fn bytes<S: serde::Serializer>(b: &[u8], s: S) -> Result<S::Ok, S::Error> {
    s.serialize_bytes(b)
}

impl From<&EncryptedDataKey> for EdkJs {
    fn from(e: &EncryptedDataKey) -> Self {
        EdkJs {
            provider_id: e.provider_id.clone(),
            provider_info: e.provider_info.clone(),
            encrypted_data_key: e.ciphertext.clone(),
        }
    }
}

impl From<EdkJs> for EncryptedDataKey {
    fn from(e: EdkJs) -> Self {
        EncryptedDataKey {
            provider_id: e.provider_id,
            provider_info: e.provider_info,
            ciphertext: e.encrypted_data_key,
        }
    }
}

fn edks_in(value: JsValue) -> Result<Vec<EncryptedDataKey>, JsValue> {
    let v: Vec<EdkJs> = serde_wasm_bindgen::from_value(value).map_err(|_| {
        invalid("encryptedDataKeys must be an array of { providerId: string, providerInfo: Uint8Array, encryptedDataKey: Uint8Array }.")
    })?;
    Ok(v.into_iter().map(Into::into).collect())
}

/// The `messageHeader` object.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct HeaderJs {
    version: u8,
    algorithm_suite: u16,
    algorithm_suite_name: &'static str,
    #[serde(serialize_with = "bytes")]
    message_id: Vec<u8>,
    encryption_context: BTreeMap<String, String>,
    encrypted_data_keys: Vec<EdkJs>,
    content_type: u8,
    frame_length: u32,
}

fn header_out(h: &MessageHeader) -> Result<JsValue, JsValue> {
    to_value(&HeaderJs {
        version: AlgorithmSuite::MESSAGE_FORMAT_VERSION,
        algorithm_suite: h.suite.id(),
        algorithm_suite_name: h.suite.name(),
        message_id: h.message_id.to_vec(),
        encryption_context: h.encryption_context.pairs().clone(),
        encrypted_data_keys: h.encrypted_data_keys.iter().map(EdkJs::from).collect(),
        content_type: 2,
        frame_length: h.frame_length,
    })
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct FrameJs {
    sequence_number: u32,
    is_final: bool,
    content_length: u32,
    iv: ByteBuf,
    aad: ByteBuf,
    #[serde(skip_serializing_if = "Option::is_none")]
    prefix: Option<ByteBuf>,
    #[serde(skip_serializing_if = "Option::is_none")]
    sealed: Option<ByteBuf>,
}

fn frame_js(p: FrameParams, prefix: bool, sealed: Option<Vec<u8>>) -> FrameJs {
    FrameJs {
        sequence_number: p.sequence_number,
        is_final: p.is_final,
        content_length: p.content_length,
        iv: ByteBuf::from(p.iv.to_vec()),
        aad: ByteBuf::from(p.aad),
        prefix: prefix.then(|| ByteBuf::from(p.prefix)),
        sealed: sealed.map(ByteBuf::from),
    }
}

fn u8_len(n: usize) -> Result<u8, JsValue> {
    u8::try_from(n).map_err(|_| to_js(EnvelopeError::Internal("a frame field is too long")))
}

fn u32_be(n: usize) -> Result<[u8; 4], JsValue> {
    u32::try_from(n).map(u32::to_be_bytes).map_err(|_| to_js(EnvelopeError::Internal("a frame offset is too large")))
}

// ---- encryptor ---------------------------------------------------------------

/// Writes one message (see the module documentation).
#[wasm_bindgen]
pub struct EnvelopeEncryptor {
    inner: Encryptor,
}

#[wasm_bindgen]
impl EnvelopeEncryptor {
    /// `algorithmSuite`: 0x0478 (default when undefined), 0x0578, or the
    /// ESDK name; `frameLength`: 1..=1 MiB; `encryptionContext`: string map
    /// without `aws-crypto-` keys.
    #[wasm_bindgen(constructor)]
    pub fn new(
        algorithm_suite: JsValue,
        frame_length: f64,
        encryption_context: JsValue,
        max_encrypted_data_keys: Option<f64>,
    ) -> Result<EnvelopeEncryptor, JsValue> {
        let suite = suite_in(&algorithm_suite)?;
        let frame_length = u32_in(frame_length, "frameLength")?;
        let mut inner = Encryptor::new(suite, frame_length, context_in(encryption_context)?).map_err(to_js)?;
        inner.set_max_encrypted_data_keys(count_in(max_encrypted_data_keys, "maxEncryptedDataKeys")?);
        Ok(EnvelopeEncryptor { inner })
    }

    /// The context keyrings must bind (the caller's plus, for 0x0578,
    /// `aws-crypto-public-key`).
    #[wasm_bindgen(js_name = encryptionContext)]
    pub fn encryption_context(&self) -> Result<JsValue, JsValue> {
        to_value(self.inner.encryption_context().pairs())
    }

    /// The message id (32 bytes).
    #[wasm_bindgen(js_name = messageId)]
    pub fn message_id(&self) -> Vec<u8> {
        self.inner.message_id().to_vec()
    }

    /// Writes the header for `dataKey` (32 bytes, wiped after use) and the
    /// encrypted data keys that wrap it. Returns the header bytes.
    pub fn start(&mut self, data_key: Vec<u8>, encrypted_data_keys: JsValue) -> Result<Vec<u8>, JsValue> {
        let data_key = Zeroizing::new(data_key);
        let edks = edks_in(encrypted_data_keys)?;
        let mut out = Vec::new();
        self.inner.start(&data_key, edks, &mut out).map_err(to_js)?;
        Ok(out)
    }

    /// The header written by `start`, as a `messageHeader` object.
    pub fn header(&self) -> Result<JsValue, JsValue> {
        match self.inner.header() {
            Some(h) => header_out(h),
            None => Ok(JsValue::UNDEFINED),
        }
    }

    /// Encrypts plaintext (wiped after use); returns the complete frames.
    pub fn update(&mut self, plaintext: Vec<u8>) -> Result<Vec<u8>, JsValue> {
        let plaintext = Zeroizing::new(plaintext);
        let mut out = Vec::new();
        self.inner.update(&plaintext, &mut out).map_err(to_js)?;
        Ok(out)
    }

    /// The final frame and, for 0x0578, the footer.
    pub fn finish(&mut self) -> Result<Vec<u8>, JsValue> {
        let mut out = Vec::new();
        self.inner.finish(&mut out).map_err(to_js)?;
        Ok(out)
    }

    /// External cipher: the derived AES-256-GCM frame key (32 bytes).
    #[wasm_bindgen(js_name = frameKey)]
    pub fn frame_key(&self) -> Result<js_sys::Uint8Array, JsValue> {
        let k = self.inner.frame_key().map_err(to_js)?;
        Ok(secret_out(Zeroizing::new(k.to_vec())))
    }

    /// External cipher: begins the next frame. Returns `{ sequenceNumber,
    /// isFinal, contentLength, iv, aad, prefix }`; write `prefix`, then the
    /// ciphertext, then the tag.
    #[wasm_bindgen(js_name = beginFrame)]
    pub fn begin_frame(&mut self, content_length: f64, is_final: bool) -> Result<JsValue, JsValue> {
        let n = u32_in(content_length, "contentLength")?;
        let p = self.inner.begin_frame(n, is_final).map_err(to_js)?;
        to_value(&frame_js(p, true, None))
    }

    /// External cipher: ends the frame; `ciphertextAndTag` is required for
    /// 0x0578 (it is signed) and optional for 0x0478.
    #[wasm_bindgen(js_name = endFrame)]
    pub fn end_frame(&mut self, ciphertext_and_tag: Option<Box<[u8]>>) -> Result<(), JsValue> {
        self.inner.end_frame(ciphertext_and_tag.as_deref()).map_err(to_js)
    }

    /// External cipher, batched: begins `regular` regular frames and, with
    /// `finalLength`, the final frame after them. Returns one record per
    /// frame, back to back: `prefixLength u8 | aadLength u8 | iv [12] |
    /// prefix | aad`. Write each `prefix`, then its ciphertext and tag;
    /// then `endFrames`.
    #[wasm_bindgen(js_name = beginFrames)]
    pub fn begin_frames(&mut self, regular: f64, final_length: Option<f64>) -> Result<Vec<u8>, JsValue> {
        let regular = u32_in(regular, "regular")?;
        let final_length = final_length.map(|n| u32_in(n, "finalLength")).transpose()?;
        let frames = self.inner.begin_frames(regular, final_length).map_err(to_js)?;
        let mut out = Vec::with_capacity(frames.len().saturating_mul(2 + 12 + 20 + 80));
        for p in &frames {
            out.push(u8_len(p.prefix.len())?);
            out.push(u8_len(p.aad.len())?);
            out.extend_from_slice(&p.iv);
            out.extend_from_slice(&p.prefix);
            out.extend_from_slice(&p.aad);
        }
        Ok(out)
    }

    /// External cipher, batched: ends the frames of `beginFrames`. `sealed`
    /// (every frame's ciphertext and tag, in order) is required for 0x0578.
    #[wasm_bindgen(js_name = endFrames)]
    pub fn end_frames(&mut self, sealed: Option<Box<[u8]>>) -> Result<(), JsValue> {
        self.inner.end_frames(sealed.as_deref()).map_err(to_js)
    }

    /// External cipher: after the final frame, the footer (empty for 0x0478).
    #[wasm_bindgen(js_name = finishExternal)]
    pub fn finish_external(&mut self) -> Result<Vec<u8>, JsValue> {
        let mut out = Vec::new();
        self.inner.finish_external(&mut out).map_err(to_js)?;
        Ok(out)
    }
}

// ---- decryptor ---------------------------------------------------------------

const DECRYPT_OPTIONS: [&str; 6] = [
    "maxEncryptedDataKeys",
    "maxFrameLength",
    "maxHeaderLength",
    "requiredEncryptionContext",
    "refuseSignedSuites",
    "externalFrameCipher",
];

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct DecryptOptionsJs {
    max_encrypted_data_keys: Option<f64>,
    max_frame_length: Option<f64>,
    max_header_length: Option<f64>,
    required_encryption_context: Option<BTreeMap<String, String>>,
    refuse_signed_suites: Option<bool>,
    external_frame_cipher: Option<bool>,
}

/// Reads one message (see the module documentation).
#[wasm_bindgen]
pub struct EnvelopeDecryptor {
    inner: Decryptor,
    consumed: usize,
}

#[wasm_bindgen]
impl EnvelopeDecryptor {
    /// Options (all optional): `maxEncryptedDataKeys`, `maxFrameLength`
    /// (default 1 MiB), `maxHeaderLength` (default 1 MiB),
    /// `requiredEncryptionContext` (pairs that must be present with these
    /// values), `refuseSignedSuites`, `externalFrameCipher`.
    #[wasm_bindgen(constructor)]
    pub fn new(options: JsValue) -> Result<EnvelopeDecryptor, JsValue> {
        let o: DecryptOptionsJs = if options.is_undefined() || options.is_null() {
            DecryptOptionsJs::default()
        } else {
            // A misspelt limit must not be ignored silently.
            if let Some(obj) = options.dyn_ref::<js_sys::Object>() {
                for key in js_sys::Object::keys(obj).iter() {
                    let key = key.as_string().unwrap_or_default();
                    if !DECRYPT_OPTIONS.contains(&key.as_str()) {
                        return Err(invalid(&format!(
                            "Unknown decrypt option '{key}'; the options are {}.",
                            DECRYPT_OPTIONS.join(", ")
                        )));
                    }
                }
            }
            serde_wasm_bindgen::from_value(options).map_err(|e| invalid(&format!("Invalid decrypt options: {e}.")))?
        };
        let mut opts = DecryptOptions {
            max_encrypted_data_keys: count_in(o.max_encrypted_data_keys, "maxEncryptedDataKeys")?,
            required_encryption_context: o.required_encryption_context.unwrap_or_default(),
            refuse_signed_suites: o.refuse_signed_suites.unwrap_or(false),
            external_frame_cipher: o.external_frame_cipher.unwrap_or(false),
            ..DecryptOptions::default()
        };
        if let Some(n) = o.max_frame_length {
            opts.max_frame_length = u32_in(n, "maxFrameLength")?;
        }
        if let Some(n) = count_in(o.max_header_length, "maxHeaderLength")? {
            opts.max_header_length = n;
        }
        Ok(EnvelopeDecryptor { inner: Decryptor::new(opts), consumed: 0 })
    }

    /// Consumes message bytes; returns the plaintext of the frames verified
    /// by this call (the final frame comes from `finish`). Stops right after
    /// the header when the data key is needed: `consumed` then tells how
    /// much of `chunk` was used, and the rest must be passed again after
    /// `setDataKey`.
    pub fn update(&mut self, chunk: &[u8]) -> Result<js_sys::Uint8Array, JsValue> {
        let mut out = Zeroizing::new(Vec::new());
        self.consumed = 0;
        self.consumed = self.inner.update(chunk, &mut out).map_err(to_js)?;
        Ok(secret_out(out))
    }

    /// External cipher: consumes message bytes and returns the frames
    /// parsed, `[{ sequenceNumber, isFinal, contentLength, iv, aad, sealed }]`
    /// (`sealed` = ciphertext || 16-byte tag). Same `consumed` rule.
    #[wasm_bindgen(js_name = updateExternal)]
    pub fn update_external(&mut self, chunk: &[u8]) -> Result<JsValue, JsValue> {
        let mut frames: Vec<ExternalFrame> = Vec::new();
        self.consumed = 0;
        self.consumed = self.inner.update_external(chunk, &mut frames).map_err(to_js)?;
        let out: Vec<FrameJs> = frames.into_iter().map(|f| frame_js(f.params, false, Some(f.sealed))).collect();
        to_value(&out)
    }

    /// External cipher, batched: like `updateExternal`, the frames completed
    /// by `chunk`: their number (u32), then one record per frame, back to
    /// back: `flags u8` (1: final frame, 2: the sealed bytes are in `chunk`)
    /// `| aadLength u8 | iv [12] | contentLength u32 | sequenceNumber u32 |
    /// sealedAt u32 | aad` (integers big-endian), then the sealed bytes of
    /// the frames not in `chunk`. A frame's ciphertext and tag are the
    /// `contentLength + 16` bytes at `sealedAt` of `chunk` (flag 2) or of
    /// the returned array. Same `consumed` rule. `chunk` stays in the JS
    /// heap: for unsigned suites only the frames' prefixes are copied into
    /// the wasm (the ciphertext never is); anything else is copied whole.
    #[wasm_bindgen(js_name = updateFrames)]
    pub fn update_frames(&mut self, chunk: &js_sys::Uint8Array) -> Result<Vec<u8>, JsValue> {
        let mut frames: Vec<ExternalFrame> = Vec::new();
        self.consumed = 0;
        let len = usize::try_from(chunk.length()).unwrap_or(0);
        // Reads stay within `len` (the decryptor asks only for bytes of its input).
        let mut read = |at: usize, buf: &mut [u8]| {
            let start = u32::try_from(at).unwrap_or(u32::MAX);
            let end = u32::try_from(at.saturating_add(buf.len())).unwrap_or(u32::MAX);
            chunk.subarray(start, end).copy_to(buf);
        };
        self.consumed = self.inner.update_external_sparse(len, &mut read, &mut frames).map_err(to_js)?;
        let records: usize = 4 + frames.iter().map(|f| 2 + 12 + 12 + f.params.aad.len()).sum::<usize>();
        let mut out = Vec::with_capacity(records);
        out.extend_from_slice(&u32_be(frames.len())?);
        let mut tail = records;
        for f in &frames {
            let p = &f.params;
            let (flags, at) = match f.sealed_at {
                Some(at) => (2u8, at),
                None => (0u8, tail),
            };
            tail = tail.saturating_add(f.sealed.len());
            out.push(flags | u8::from(p.is_final));
            out.push(u8_len(p.aad.len())?);
            out.extend_from_slice(&p.iv);
            out.extend_from_slice(&p.content_length.to_be_bytes());
            out.extend_from_slice(&p.sequence_number.to_be_bytes());
            out.extend_from_slice(&u32_be(at)?);
            out.extend_from_slice(&p.aad);
        }
        for f in &frames {
            out.extend_from_slice(&f.sealed);
        }
        Ok(out)
    }

    /// Bytes of the last `update`/`updateExternal`/`updateFrames` chunk that were used.
    #[wasm_bindgen(getter)]
    pub fn consumed(&self) -> f64 {
        #[allow(clippy::cast_precision_loss)] // a chunk is far below 2^53 bytes
        let n = self.consumed as f64;
        n
    }

    /// Whether the header is parsed and `setDataKey` is awaited.
    #[wasm_bindgen(getter, js_name = needsDataKey)]
    pub fn needs_data_key(&self) -> bool {
        self.inner.needs_data_key()
    }

    /// Whether the header has been authenticated (after `setDataKey`).
    #[wasm_bindgen(getter, js_name = headerVerified)]
    pub fn header_verified(&self) -> bool {
        self.inner.header_verified()
    }

    /// The parsed header (`undefined` before it is complete). Until
    /// `headerVerified`, use it only to obtain the data key.
    pub fn header(&self) -> Result<JsValue, JsValue> {
        match self.inner.header() {
            Some(h) => header_out(h),
            None => Ok(JsValue::UNDEFINED),
        }
    }

    /// Checks the data key (32 bytes, wiped after use) against the
    /// commitment, then the header tag.
    #[wasm_bindgen(js_name = setDataKey)]
    pub fn set_data_key(&mut self, data_key: Vec<u8>) -> Result<(), JsValue> {
        let data_key = Zeroizing::new(data_key);
        self.inner.set_data_key(&data_key).map_err(to_js)
    }

    /// External cipher: the derived AES-256-GCM frame key (after `setDataKey`).
    #[wasm_bindgen(js_name = frameKey)]
    pub fn frame_key(&self) -> Result<js_sys::Uint8Array, JsValue> {
        let k = self.inner.frame_key().map_err(to_js)?;
        Ok(secret_out(Zeroizing::new(k.to_vec())))
    }

    /// Ends the message: checks it is complete (final frame, verified
    /// signature, nothing after it) and returns the final frame's plaintext
    /// (empty on the external path, where the caller holds it).
    pub fn finish(&mut self) -> Result<js_sys::Uint8Array, JsValue> {
        let mut out = Zeroizing::new(Vec::new());
        self.inner.finish(&mut out).map_err(to_js)?;
        Ok(secret_out(out))
    }
}

// ---- raw AES keyring -------------------------------------------------------------

fn raw_keyring(key_namespace: &str, key_name: &str, wrapping_key: &[u8]) -> Result<RawAesKeyring, JsValue> {
    RawAesKeyring::new(key_namespace, key_name, wrapping_key).map_err(to_js)
}

/// Wraps a 32-byte data key with the ESDK raw AES keyring scheme; returns
/// `{ providerId, providerInfo, encryptedDataKey }`. `encryptionContext`
/// must be the message's full context (`EnvelopeEncryptor.encryptionContext()`).
#[wasm_bindgen(js_name = rawAesWrap)]
pub fn raw_aes_wrap(
    key_namespace: &str,
    key_name: &str,
    wrapping_key: Vec<u8>,
    encryption_context: JsValue,
    data_key: Vec<u8>,
) -> Result<JsValue, JsValue> {
    let wrapping_key = Zeroizing::new(wrapping_key);
    let data_key = Zeroizing::new(data_key);
    let ring = raw_keyring(key_namespace, key_name, &wrapping_key)?;
    let ec = EncryptionContext::from_pairs(context_in(encryption_context)?).map_err(to_js)?;
    let edk = ring.wrap(&ec, &data_key).map_err(to_js)?;
    to_value(&EdkJs::from(&edk))
}

/// Unwraps the first of `encryptedDataKeys` that this raw AES keyring made
/// for `encryptionContext` (the header's); returns the 32-byte data key or
/// throws `KeyringError` (`UnableToDecryptDataKey`).
#[wasm_bindgen(js_name = rawAesUnwrap)]
pub fn raw_aes_unwrap(
    key_namespace: &str,
    key_name: &str,
    wrapping_key: Vec<u8>,
    encryption_context: JsValue,
    encrypted_data_keys: JsValue,
) -> Result<js_sys::Uint8Array, JsValue> {
    let wrapping_key = Zeroizing::new(wrapping_key);
    let ring = raw_keyring(key_namespace, key_name, &wrapping_key)?;
    let ec = EncryptionContext::from_pairs(context_in(encryption_context)?).map_err(to_js)?;
    let edks = edks_in(encrypted_data_keys)?;
    let key = ring.unwrap(&ec, &edks).map_err(to_js)?;
    Ok(secret_out(Zeroizing::new(key.to_vec())))
}
