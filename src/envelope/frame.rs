//! Frames of the framed body.
//!
//! ```text
//! regular frame:  seq u32 | IV [12] | ciphertext [frame length] | tag [16]
//! final frame:    0xFFFFFFFF | seq u32 | IV [12] | content length u32 | ciphertext | tag [16]
//! IV  = 8 zero bytes || seq (u32 BE)
//! AAD = message id || "AWSKMSEncryptionClient Frame" (or "... Final Frame")
//!       || seq (u32 BE) || content length (u64 BE)
//! ```

use super::suite::AlgorithmSuite;

/// Body AAD content string of regular frames.
pub const FRAME_STRING: &[u8] = b"AWSKMSEncryptionClient Frame";
/// Body AAD content string of the final frame.
pub const FINAL_FRAME_STRING: &[u8] = b"AWSKMSEncryptionClient Final Frame";
/// The sequence-number-end marker that opens the final frame.
pub const SEQUENCE_NUMBER_END: u32 = 0xFFFF_FFFF;
/// Bytes before the ciphertext of a regular frame.
pub const REGULAR_PREFIX_LEN: usize = 4 + AlgorithmSuite::IV_LEN;
/// Bytes before the ciphertext of the final frame.
pub const FINAL_PREFIX_LEN: usize = 4 + 4 + AlgorithmSuite::IV_LEN + 4;

/// The IV of frame `seq`: the sequence number, big-endian, left-padded with zeros.
pub fn frame_iv(seq: u32) -> [u8; 12] {
    let mut iv = [0u8; 12];
    iv[8..].copy_from_slice(&seq.to_be_bytes());
    iv
}

/// The AAD of frame `seq` holding `content_len` plaintext bytes.
pub fn frame_aad(message_id: &[u8; 32], seq: u32, content_len: u64, is_final: bool) -> Vec<u8> {
    let label = if is_final { FINAL_FRAME_STRING } else { FRAME_STRING };
    let mut aad = Vec::with_capacity(32 + label.len() + 12);
    aad.extend_from_slice(message_id);
    aad.extend_from_slice(label);
    aad.extend_from_slice(&seq.to_be_bytes());
    aad.extend_from_slice(&content_len.to_be_bytes());
    aad
}

/// The bytes of a frame before its ciphertext.
pub fn frame_prefix(seq: u32, content_len: u32, is_final: bool) -> Vec<u8> {
    let iv = frame_iv(seq);
    let mut p = Vec::with_capacity(FINAL_PREFIX_LEN);
    if is_final {
        p.extend_from_slice(&SEQUENCE_NUMBER_END.to_be_bytes());
    }
    p.extend_from_slice(&seq.to_be_bytes());
    p.extend_from_slice(&iv);
    if is_final {
        p.extend_from_slice(&content_len.to_be_bytes());
    }
    p
}

/// What a frame cipher outside Rust needs to seal or open one frame.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FrameParams {
    /// The frame's sequence number.
    pub sequence_number: u32,
    /// Whether this is the final frame.
    pub is_final: bool,
    /// Plaintext bytes in the frame.
    pub content_length: u32,
    /// The AES-GCM IV.
    pub iv: [u8; 12],
    /// The AES-GCM additional data.
    pub aad: Vec<u8>,
    /// The serialized bytes that precede the ciphertext (encrypt side).
    pub prefix: Vec<u8>,
}

impl FrameParams {
    pub(crate) fn new(message_id: &[u8; 32], seq: u32, content_len: u32, is_final: bool) -> Self {
        FrameParams {
            sequence_number: seq,
            is_final,
            content_length: content_len,
            iv: frame_iv(seq),
            aad: frame_aad(message_id, seq, u64::from(content_len), is_final),
            prefix: frame_prefix(seq, content_len, is_final),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iv_aad_and_prefix_layout() {
        assert_eq!(frame_iv(0x0102_0304), [0, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4]);
        let id = [7u8; 32];
        let aad = frame_aad(&id, 2, 4096, false);
        assert_eq!(&aad[..32], &id);
        assert_eq!(&aad[32..60], FRAME_STRING);
        assert_eq!(&aad[60..], &[0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0x10, 0]);
        let fin = frame_aad(&id, 3, 5, true);
        assert_eq!(&fin[32..66], FINAL_FRAME_STRING);
        assert_eq!(frame_prefix(1, 10, false).len(), REGULAR_PREFIX_LEN);
        let p = frame_prefix(3, 5, true);
        assert_eq!(p.len(), FINAL_PREFIX_LEN);
        assert_eq!(&p[..8], &[0xff, 0xff, 0xff, 0xff, 0, 0, 0, 3]);
        assert_eq!(&p[20..], &[0, 0, 0, 5]);
    }
}
