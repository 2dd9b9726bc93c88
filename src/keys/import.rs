//! Imported key material (BYOK): wrapping key pairs and import tokens,
//! unwrapping with RSA-OAEP or RSA + AES key wrap (RFC 5649) as AWS
//! documents, and the expiry of imported material.

#[cfg(feature = "full")]
use crate::crypto::random_array;
use crate::crypto::{ct_eq, SecretBytes};
use crate::error::{enum_constraint, violation, KmsError, Result};
use crate::ids::KeyId;
use crate::time::Timestamp;
use core::fmt;
#[cfg(feature = "full")]
use rsa::pkcs8::{DecodePrivateKey, EncodePrivateKey, EncodePublicKey};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

/// How long import parameters stay valid (AWS: 24 hours).
pub const PARAMETERS_VALID_MS: i64 = 24 * 3_600_000;
/// Latest `ValidTo` AWS accepts: 365 days ahead.
pub const MAX_VALID_DAYS: u32 = 365;

const TOKEN_VERSION: u8 = 1;
const TOKEN_LEN: usize = 1 + 16 + 16 + 32;

/// `WrappingAlgorithm`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum WrappingAlgorithm {
    /// RSAES_OAEP_SHA_1
    RsaesOaepSha1,
    /// RSAES_OAEP_SHA_256
    RsaesOaepSha256,
    /// RSA_AES_KEY_WRAP_SHA_1
    RsaAesKeyWrapSha1,
    /// RSA_AES_KEY_WRAP_SHA_256
    RsaAesKeyWrapSha256,
}

impl WrappingAlgorithm {
    /// Parses the AWS name.
    pub fn parse(name: &str) -> Result<WrappingAlgorithm> {
        match name {
            "RSAES_OAEP_SHA_1" => Ok(Self::RsaesOaepSha1),
            "RSAES_OAEP_SHA_256" => Ok(Self::RsaesOaepSha256),
            "RSA_AES_KEY_WRAP_SHA_1" => Ok(Self::RsaAesKeyWrapSha1),
            "RSA_AES_KEY_WRAP_SHA_256" => Ok(Self::RsaAesKeyWrapSha256),
            "RSAES_PKCS1_V1_5" | "SM2PKE" => Err(KmsError::UnsupportedOperationException(format!(
                "WrappingAlgorithm {name} is not supported; use RSAES_OAEP_SHA_256 or RSA_AES_KEY_WRAP_SHA_256."
            ))),
            _ => Err(enum_violation("wrappingAlgorithm", name, WRAPPING_ALGORITHMS)),
        }
    }
}

/// The wrapping algorithms of AWS's model (`AlgorithmSpec`).
pub const WRAPPING_ALGORITHMS: &[&str] = &[
    "RSAES_PKCS1_V1_5",
    "RSAES_OAEP_SHA_1",
    "RSAES_OAEP_SHA_256",
    "RSA_AES_KEY_WRAP_SHA_1",
    "RSA_AES_KEY_WRAP_SHA_256",
    "SM2PKE",
];

/// The wrapping key specs of AWS's model (`WrappingKeySpec`).
pub const WRAPPING_KEY_SPECS: &[&str] = &["RSA_2048", "RSA_3072", "RSA_4096", "SM2"];

/// A value outside an enum of AWS's model, in AWS's words.
fn enum_violation(member: &str, value: &str, values: &[&str]) -> KmsError {
    violation(member, Some(value), &enum_constraint(values))
}

/// `WrappingKeySpec`: the RSA modulus size.
pub fn parse_key_spec(name: &str) -> Result<usize> {
    match name {
        "RSA_2048" => Ok(2048),
        "RSA_3072" => Ok(3072),
        "RSA_4096" => Ok(4096),
        "SM2" => Err(KmsError::UnsupportedOperationException("WrappingKeySpec SM2 is not supported.".into())),
        _ => Err(enum_violation("wrappingKeySpec", name, WRAPPING_KEY_SPECS)),
    }
}

/// A wrapping key pair and its import token, waiting for material.
#[derive(Serialize, Deserialize)]
pub struct ImportParameters {
    token_id: [u8; 16],
    token_secret: [u8; 32],
    /// PKCS#8 DER of the RSA private key.
    #[serde(serialize_with = "crate::crypto::secret::exposed")]
    private_key: SecretBytes,
    algorithm: WrappingAlgorithm,
    /// When the token and public key stop being valid.
    pub valid_to: Timestamp,
}

impl fmt::Debug for ImportParameters {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ImportParameters")
            .field("algorithm", &self.algorithm)
            .field("valid_to", &self.valid_to)
            .field("private_key", &"[REDACTED]")
            .finish_non_exhaustive()
    }
}

/// What a key with imported material keeps besides its material (which,
/// per version, is in `BackingKeys`).
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct ImportState {
    /// The latest parameters from GetParametersForImport.
    pub parameters: Option<ImportParameters>,
}

/// `ExpirationModel`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ExpirationModel {
    /// The material is deleted at `ValidTo`.
    #[serde(rename = "KEY_MATERIAL_EXPIRES")]
    Expires,
    /// The material stays until deleted.
    #[serde(rename = "KEY_MATERIAL_DOES_NOT_EXPIRE")]
    DoesNotExpire,
}

impl ExpirationModel {
    /// The AWS name.
    pub fn name(self) -> &'static str {
        match self {
            Self::Expires => "KEY_MATERIAL_EXPIRES",
            Self::DoesNotExpire => "KEY_MATERIAL_DOES_NOT_EXPIRE",
        }
    }
}

/// The fingerprint of 32 bytes of material: a domain-separated SHA-256,
/// one-way, so it reveals nothing a guess of the (256-bit random) material
/// would not.
pub fn fingerprint(material: &[u8]) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(b"kms-wasm imported material fingerprint v1");
    h.update((material.len() as u64).to_be_bytes());
    h.update(material);
    h.finalize().into()
}

/// The key material id of imported material: as AWS does, derived from the
/// KMS key id and the material (so importing the same material into the
/// same key, or into a multi-Region replica with the same key id, gives the
/// same id), through a one-way function that reveals nothing about it.
pub fn material_id(key: KeyId, material: &[u8]) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(b"kms-wasm imported key material id v1");
    h.update(key.0);
    h.update((material.len() as u64).to_be_bytes());
    h.update(material);
    h.finalize().into()
}

/// Parameters, the DER public key and the token for one GetParametersForImport.
pub struct Issued {
    /// Kept by the key.
    pub parameters: ImportParameters,
    /// `PublicKey`: DER SubjectPublicKeyInfo.
    pub public_key: Vec<u8>,
    /// `ImportToken`.
    pub token: Vec<u8>,
}

#[cfg(feature = "full")]
fn internal(what: &str) -> KmsError {
    KmsError::KMSInternalException(format!("{what} failed."))
}

/// Generates a wrapping key pair and a token for `key`.
#[cfg(not(feature = "full"))]
pub fn issue(_key: KeyId, _algorithm: WrappingAlgorithm, _bits: usize, _now: Timestamp) -> Result<Issued> {
    Err(KmsError::needs_full_engine("RSA (GetParametersForImport)"))
}

/// Generates a wrapping key pair and a token for `key`.
#[cfg(feature = "full")]
pub fn issue(key: KeyId, algorithm: WrappingAlgorithm, bits: usize, now: Timestamp) -> Result<Issued> {
    let mut rng = getrandom::SysRng;
    let private = rsa::PrivateKey::new(&mut rng, bits).map_err(|_| internal("Generating the wrapping key"))?;
    let public_key = private
        .to_public_key()
        .to_public_key_der()
        .map_err(|_| internal("Encoding the wrapping key"))?
        .as_bytes()
        .to_vec();
    let der = private.to_pkcs8_der().map_err(|_| internal("Encoding the wrapping key"))?;
    let parameters = ImportParameters {
        token_id: random_array()?,
        token_secret: random_array()?,
        private_key: SecretBytes::new(der.as_bytes().to_vec()),
        algorithm,
        valid_to: Timestamp(now.0.saturating_add(PARAMETERS_VALID_MS)),
    };
    let mut token = Vec::with_capacity(TOKEN_LEN);
    token.push(TOKEN_VERSION);
    token.extend_from_slice(&key.0);
    token.extend_from_slice(&parameters.token_id);
    token.extend_from_slice(&parameters.token_secret);
    Ok(Issued { parameters, public_key, token })
}

/// Checks an `ImportToken` against the key's latest parameters.
pub fn check_token<'a>(
    key: KeyId,
    state: &'a ImportState,
    token: &[u8],
    now: Timestamp,
) -> Result<&'a ImportParameters> {
    let invalid = || KmsError::InvalidImportTokenException("The import token is not valid for this key.".into());
    let (version, rest) = token.split_first().ok_or_else(invalid)?;
    if *version != TOKEN_VERSION || token.len() != TOKEN_LEN {
        return Err(invalid());
    }
    let (key_id, rest) = rest.split_at(16);
    let (token_id, secret) = rest.split_at(16);
    let params = state.parameters.as_ref().ok_or_else(invalid)?;
    // The token must be the latest one issued for this key.
    if key_id != key.0 || token_id != params.token_id || !ct_eq(secret, &params.token_secret) {
        return Err(invalid());
    }
    // It must not have expired (24 hours).
    if now > params.valid_to {
        return Err(KmsError::ExpiredImportTokenException(
            "The import token has expired; get new parameters for import.".into(),
        ));
    }
    Ok(params)
}

/// Unwraps `EncryptedKeyMaterial` with the parameters' private key.
#[cfg(not(feature = "full"))]
pub fn unwrap(_params: &ImportParameters, _wrapped: &[u8]) -> Result<Zeroizing<Vec<u8>>> {
    Err(KmsError::needs_full_engine("RSA (ImportKeyMaterial)"))
}

/// Unwraps `EncryptedKeyMaterial` with the parameters' private key.
#[cfg(feature = "full")]
pub fn unwrap(params: &ImportParameters, wrapped: &[u8]) -> Result<Zeroizing<Vec<u8>>> {
    let bad = || {
        KmsError::InvalidCiphertextException(
            "The wrapped key material could not be decrypted with the import parameters.".into(),
        )
    };
    let private = rsa::PrivateKey::from_pkcs8_der(params.private_key.expose())
        .map_err(|_| internal("Loading the wrapping key"))?;
    let oaep = |data: &[u8], sha256: bool| -> Result<Zeroizing<Vec<u8>>> {
        let out = if sha256 { private.oaep_decrypt::<Sha256>(data) } else { private.oaep_decrypt::<sha1::Sha1>(data) };
        out.map(Zeroizing::new).map_err(|_| bad())
    };
    match params.algorithm {
        WrappingAlgorithm::RsaesOaepSha1 => oaep(wrapped, false),
        WrappingAlgorithm::RsaesOaepSha256 => oaep(wrapped, true),
        WrappingAlgorithm::RsaAesKeyWrapSha1 | WrappingAlgorithm::RsaAesKeyWrapSha256 => {
            // RSA-OAEP-wrapped AES key (modulus-size bytes), then the
            // material wrapped with AES key wrap with padding (RFC 5649).
            let rsa_len = rsa::traits::PublicKeyParts::size(&private);
            if wrapped.len() <= rsa_len {
                return Err(bad());
            }
            let (wrapped_aes, wrapped_material) = wrapped.split_at(rsa_len);
            let aes_key = oaep(wrapped_aes, params.algorithm == WrappingAlgorithm::RsaAesKeyWrapSha256)?;
            kwp_unwrap(&aes_key, wrapped_material).ok_or_else(bad)
        }
    }
}

#[cfg(feature = "full")]
fn kwp_unwrap(kek: &[u8], wrapped: &[u8]) -> Option<Zeroizing<Vec<u8>>> {
    use aes_kw::cipher::KeyInit;
    let mut out = Zeroizing::new(vec![0u8; wrapped.len()]);
    let n = match kek.len() {
        16 => aes_kw::KwpAes128::new_from_slice(kek).ok()?.unwrap_key(wrapped, &mut out).ok()?.len(),
        24 => aes_kw::KwpAes192::new_from_slice(kek).ok()?.unwrap_key(wrapped, &mut out).ok()?.len(),
        32 => aes_kw::KwpAes256::new_from_slice(kek).ok()?.unwrap_key(wrapped, &mut out).ok()?.len(),
        _ => return None,
    };
    out.truncate(n);
    Some(out)
}

#[cfg(all(test, feature = "full"))]
mod tests {
    use super::*;

    fn wrap_oaep(public_der: &[u8], data: &[u8], sha256: bool) -> Vec<u8> {
        use rsa::pkcs8::DecodePublicKey;
        let public = rsa::PublicKey::from_public_key_der(public_der).unwrap();
        if sha256 {
            public.oaep_encrypt::<Sha256>(data).unwrap()
        } else {
            public.oaep_encrypt::<sha1::Sha1>(data).unwrap()
        }
    }

    #[test]
    fn oaep_and_rsa_aes_key_wrap_unwrap_what_was_wrapped() {
        let key = KeyId([3; 16]);
        let material = [0x42u8; 32];
        for (alg, sha256) in [(WrappingAlgorithm::RsaesOaepSha256, true), (WrappingAlgorithm::RsaesOaepSha1, false)] {
            let issued = issue(key, alg, 2048, Timestamp(0)).unwrap();
            let wrapped = wrap_oaep(&issued.public_key, &material, sha256);
            assert_eq!(&unwrap(&issued.parameters, &wrapped).unwrap()[..], &material);
        }
        let issued = issue(key, WrappingAlgorithm::RsaAesKeyWrapSha256, 2048, Timestamp(0)).unwrap();
        let aes = [7u8; 32];
        let mut wrapped = wrap_oaep(&issued.public_key, &aes, true);
        use aes_kw::cipher::KeyInit;
        let mut buf = vec![0u8; 40];
        let w = aes_kw::KwpAes256::new_from_slice(&aes).unwrap().wrap_key(&material, &mut buf).unwrap().to_vec();
        wrapped.extend_from_slice(&w);
        assert_eq!(&unwrap(&issued.parameters, &wrapped).unwrap()[..], &material);
        let mut tampered = wrapped.clone();
        let last = tampered.len() - 1;
        tampered[last] ^= 1;
        assert_eq!(unwrap(&issued.parameters, &tampered).unwrap_err().name(), "InvalidCiphertextException");
    }

    #[test]
    fn tokens_are_bound_to_their_key_and_expire() {
        let key = KeyId([3; 16]);
        let issued = issue(key, WrappingAlgorithm::RsaesOaepSha256, 2048, Timestamp(0)).unwrap();
        let token = issued.token.clone();
        let state = ImportState { parameters: Some(issued.parameters) };
        assert!(check_token(key, &state, &token, Timestamp(1)).is_ok());
        assert_eq!(
            check_token(KeyId([4; 16]), &state, &token, Timestamp(1)).unwrap_err().name(),
            "InvalidImportTokenException"
        );
        assert_eq!(check_token(key, &state, b"junk", Timestamp(1)).unwrap_err().name(), "InvalidImportTokenException");
        assert_eq!(
            check_token(key, &state, &token, Timestamp(PARAMETERS_VALID_MS + 1)).unwrap_err().name(),
            "ExpiredImportTokenException"
        );
        assert!(format!("{:?}", state.parameters).contains("[REDACTED]"));
    }

    #[test]
    fn fingerprints_differ_for_different_material() {
        assert_ne!(fingerprint(&[1; 32]), fingerprint(&[2; 32]));
        assert_eq!(fingerprint(&[1; 32]), fingerprint(&[1; 32]));
    }

    #[test]
    fn material_ids_depend_on_the_key_and_the_material() {
        let (a, b) = (KeyId([1; 16]), KeyId([2; 16]));
        assert_eq!(material_id(a, &[7; 32]), material_id(a, &[7; 32]));
        assert_ne!(material_id(a, &[7; 32]), material_id(b, &[7; 32]));
        assert_ne!(material_id(a, &[7; 32]), material_id(a, &[8; 32]));
        assert_ne!(material_id(a, &[7; 32]), fingerprint(&[7; 32]));
    }
}
