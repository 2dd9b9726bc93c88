//! ECDSA P-384 / SHA-384 for suite 0x0578: the signature covers every
//! message byte before the footer (header and body), and the footer is
//! `u16 signature length || DER ECDSA-Sig-Value`. The verification key
//! travels in the encryption context as `aws-crypto-public-key`: the
//! Base64 of the SEC1 compressed point (49 bytes → 68 characters).

use super::error::{EnvelopeError, Result};

/// The largest DER signature for P-384 (two 49-byte INTEGERs plus headers).
pub(crate) const MAX_SIGNATURE_LEN: usize = 104;

#[cfg(not(feature = "full"))]
pub(crate) use core_engine::{MessageSigner, MessageVerifier};
#[cfg(feature = "full")]
pub(crate) use ecdsa_p384::{MessageSigner, MessageVerifier};

#[cfg(feature = "full")]
mod ecdsa_p384 {
    use super::{EnvelopeError, Result};
    use base64ct::{Base64, Encoding};
    use p384::ecdsa::signature::hazmat::{PrehashSigner, PrehashVerifier};
    use p384::ecdsa::{DerSignature, SigningKey, VerifyingKey};
    use sha2::{Digest, Sha384};
    use zeroize::Zeroizing;

    /// Signs a message as it is written.
    pub(crate) struct MessageSigner {
        key: SigningKey,
        hash: Sha384,
    }

    impl MessageSigner {
        /// A fresh key from the CSPRNG.
        pub(crate) fn generate() -> Result<Self> {
            // A uniformly random scalar: retry the (~2^-190 likely) out-of-range draws.
            for _ in 0..16 {
                let mut bytes = Zeroizing::new([0u8; 48]);
                super::super::fill_random(bytes.as_mut())?;
                if let Ok(key) = SigningKey::from_slice(bytes.as_ref()) {
                    return Ok(MessageSigner { key, hash: Sha384::new() });
                }
            }
            Err(EnvelopeError::Internal("could not generate a signing key"))
        }

        /// A key from 48 secret bytes (deterministic test vectors only).
        pub(crate) fn from_secret(bytes: &[u8; 48]) -> Result<Self> {
            let key = SigningKey::from_slice(bytes)
                .map_err(|_| EnvelopeError::InvalidArgument("The signing key is not a valid P-384 scalar.".into()))?;
            Ok(MessageSigner { key, hash: Sha384::new() })
        }

        /// The `aws-crypto-public-key` value.
        pub(crate) fn public_key_base64(&self) -> String {
            Base64::encode_string(self.key.verifying_key().to_sec1_point(true).as_bytes())
        }

        pub(crate) fn update(&mut self, bytes: &[u8]) {
            self.hash.update(bytes);
        }

        /// The footer: `u16 length || DER signature` over everything hashed.
        pub(crate) fn footer(&mut self) -> Result<Vec<u8>> {
            let digest = core::mem::replace(&mut self.hash, Sha384::new()).finalize();
            let sig: DerSignature =
                self.key.sign_prehash(&digest).map_err(|_| EnvelopeError::Internal("signing failed"))?;
            let der = sig.as_bytes();
            let mut out = Vec::with_capacity(2 + der.len());
            let len = u16::try_from(der.len()).map_err(|_| EnvelopeError::Internal("signature length"))?;
            out.extend_from_slice(&len.to_be_bytes());
            out.extend_from_slice(der);
            Ok(out)
        }
    }

    /// Verifies a message as it is read.
    pub(crate) struct MessageVerifier {
        key: VerifyingKey,
        hash: Sha384,
    }

    impl MessageVerifier {
        /// The verifier for an `aws-crypto-public-key` value.
        pub(crate) fn from_base64(value: &str) -> Result<Self> {
            let point = Base64::decode_vec(value).map_err(|_| EnvelopeError::MissingPublicKey)?;
            // The key must be a compressed point (as the ESDK writes it).
            if point.len() != 49 {
                return Err(EnvelopeError::MissingPublicKey);
            }
            let key = VerifyingKey::from_sec1_bytes(&point).map_err(|_| EnvelopeError::MissingPublicKey)?;
            Ok(MessageVerifier { key, hash: Sha384::new() })
        }

        pub(crate) fn update(&mut self, bytes: &[u8]) {
            self.hash.update(bytes);
        }

        /// Checks a DER signature over everything hashed.
        pub(crate) fn verify(&mut self, der: &[u8]) -> Result<()> {
            let digest = core::mem::replace(&mut self.hash, Sha384::new()).finalize();
            let sig = DerSignature::try_from(der).map_err(|_| EnvelopeError::SignatureInvalid)?;
            self.key.verify_prehash(&digest, &sig).map_err(|_| EnvelopeError::SignatureInvalid)
        }
    }
}

/// The core engine has no P-384: a signed suite is the signal to move to
/// the full engine, given before any byte of the message is written or
/// released. The types are uninhabited, so no other method can be reached.
#[cfg(not(feature = "full"))]
mod core_engine {
    use super::{EnvelopeError, Result};

    const WHAT: &str = "The ECDSA P-384 signing suite (0x0578)";

    pub(crate) enum MessageSigner {}

    impl MessageSigner {
        pub(crate) fn generate() -> Result<Self> {
            Err(EnvelopeError::NeedsFullEngine(WHAT))
        }

        pub(crate) fn from_secret(_bytes: &[u8; 48]) -> Result<Self> {
            Err(EnvelopeError::NeedsFullEngine(WHAT))
        }

        pub(crate) fn public_key_base64(&self) -> String {
            match *self {}
        }

        pub(crate) fn update(&mut self, _bytes: &[u8]) {
            match *self {}
        }

        pub(crate) fn footer(&mut self) -> Result<Vec<u8>> {
            match *self {}
        }
    }

    pub(crate) enum MessageVerifier {}

    impl MessageVerifier {
        pub(crate) fn from_base64(_value: &str) -> Result<Self> {
            Err(EnvelopeError::NeedsFullEngine(WHAT))
        }

        pub(crate) fn update(&mut self, _bytes: &[u8]) {
            match *self {}
        }

        pub(crate) fn verify(&mut self, _der: &[u8]) -> Result<()> {
            match *self {}
        }
    }
}

#[cfg(all(test, feature = "full"))]
mod tests {
    use super::*;
    use base64ct::{Base64, Encoding};

    #[test]
    fn sign_then_verify_and_tamper() {
        let mut s = MessageSigner::generate().unwrap();
        let pk = s.public_key_base64();
        assert_eq!(pk.len(), 68);
        s.update(b"header");
        s.update(b"body");
        let footer = s.footer().unwrap();
        let len = usize::from(u16::from_be_bytes([footer[0], footer[1]]));
        assert_eq!(len, footer.len() - 2);
        assert!(len <= MAX_SIGNATURE_LEN);

        let mut v = MessageVerifier::from_base64(&pk).unwrap();
        v.update(b"headerbody");
        v.verify(&footer[2..]).unwrap();

        let mut v = MessageVerifier::from_base64(&pk).unwrap();
        v.update(b"headerbodx");
        assert_eq!(v.verify(&footer[2..]), Err(EnvelopeError::SignatureInvalid));

        let mut v = MessageVerifier::from_base64(&pk).unwrap();
        v.update(b"headerbody");
        assert_eq!(v.verify(&footer[3..]), Err(EnvelopeError::SignatureInvalid));
    }

    #[test]
    fn bad_public_keys_are_refused() {
        assert!(MessageVerifier::from_base64("not base64!").is_err());
        assert!(MessageVerifier::from_base64("AAAA").is_err());
        let not_on_curve = Base64::encode_string(&[2u8; 49]);
        assert!(MessageVerifier::from_base64(&not_on_curve).is_err());
    }
}
