//! Calls out to an external key manager (the custom key stores of the
//! external-key-store kind), which may answer later.
//!
//! The core is synchronous, but an external key store is whatever the host
//! supplies — in JS, an object whose `encrypt`/`decrypt` return promises. An
//! operation that needs it therefore returns a [`Step::External`]: the call
//! to make, and how to carry on with its answer. The host makes the call,
//! however long it takes, and resumes; the operation goes on from where it
//! stopped, and its audit record is written when it finally ends (see
//! `Kms::run_steps`). Nothing is written to the state before the last step,
//! so an operation abandoned half-way changes nothing.
//!
//! Rust hosts can instead attach an [`ExternalKeyManager`] to a store: the
//! synchronous entry points (`Kms::encrypt`, ...) then drive the steps
//! themselves.

use crate::error::{KmsError, Result};
use crate::kms::Kms;

/// What the core asks of an external key manager.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExternalOp {
    /// Encrypt `data` under the external key.
    Encrypt,
    /// Decrypt `data` under the external key.
    Decrypt,
}

impl ExternalOp {
    /// `encrypt` or `decrypt`, as the JS store's methods are named.
    pub fn name(self) -> &'static str {
        match self {
            Self::Encrypt => "encrypt",
            Self::Decrypt => "decrypt",
        }
    }
}

/// One call to an external key manager.
#[derive(Debug)]
pub struct ExternalCall {
    /// The custom key store (`cks-...`).
    pub store_id: String,
    /// Its name.
    pub store_name: String,
    /// The external key, as the store names it (`XksKeyId`).
    pub xks_key_id: String,
    /// Encrypt or decrypt.
    pub op: ExternalOp,
    /// What to encrypt or decrypt. Never a plaintext of the caller: the
    /// external manager only ever sees data already encrypted by the KMS
    /// key's own material (or, when a key is created, a random probe).
    pub data: Vec<u8>,
    /// Additional authenticated data the manager must bind to the result.
    pub aad: Vec<u8>,
}

impl ExternalCall {
    /// A call to the external key of a KMS key.
    pub(crate) fn new(
        external: &crate::custom_key_stores::ExternalKey,
        store_name: &str,
        op: ExternalOp,
        data: Vec<u8>,
        aad: Vec<u8>,
    ) -> ExternalCall {
        ExternalCall {
            store_id: external.store_id.clone(),
            store_name: store_name.to_owned(),
            xks_key_id: external.xks_key_id.clone(),
            op,
            data,
            aad,
        }
    }
}

/// Why an external call failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExternalFailure {
    /// The manager could not authenticate the ciphertext (wrong key, altered
    /// data or AAD).
    Rejected,
    /// The manager does not know the external key.
    KeyNotFound,
    /// The manager could not be reached, or failed otherwise.
    Unavailable,
}

impl ExternalFailure {
    /// A failure named by the host: `InvalidCiphertextException`,
    /// `XksKeyNotFoundException`, anything else.
    pub fn from_name(name: &str) -> ExternalFailure {
        match name {
            "InvalidCiphertextException" => Self::Rejected,
            "XksKeyNotFoundException" => Self::KeyNotFound,
            _ => Self::Unavailable,
        }
    }
}

/// The external manager's answer: the bytes it produced, or its failure.
pub type ExternalAnswer = core::result::Result<Vec<u8>, ExternalFailure>;

/// The rest of an operation, given the external manager's answer.
type Rest<R> = dyn FnOnce(&mut Kms, ExternalAnswer) -> Result<Step<R>>;

/// How an operation carries on once the external manager has answered.
pub struct Resume<R>(Box<Rest<R>>);

impl<R> Resume<R> {
    /// Wraps the rest of an operation.
    pub(crate) fn new(f: impl FnOnce(&mut Kms, ExternalAnswer) -> Result<Step<R>> + 'static) -> Resume<R> {
        Resume(Box::new(f))
    }

    /// Carries on with the manager's answer.
    pub fn resume(self, kms: &mut Kms, answer: ExternalAnswer) -> Result<Step<R>> {
        (self.0)(kms, answer)
    }
}

impl<R> core::fmt::Debug for Resume<R> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("Resume")
    }
}

/// Where an operation stands: done, or waiting for an external manager.
#[derive(Debug)]
pub enum Step<R> {
    /// The operation ended with this response.
    Done(R),
    /// The operation waits for this call's answer.
    External(ExternalCall, Resume<R>),
}

impl<R: 'static> Step<R> {
    /// The response, once done, turned into another form (the bindings
    /// encode it for JS).
    pub fn try_map<S: 'static>(self, f: fn(R) -> Result<S>) -> Result<Step<S>> {
        Ok(match self {
            Step::Done(r) => Step::Done(f(r)?),
            Step::External(call, rest) => {
                Step::External(call, Resume::new(move |kms, answer| rest.resume(kms, answer)?.try_map(f)))
            }
        })
    }
}

/// A synchronous external key manager, for Rust hosts and tests.
pub trait ExternalKeyManager {
    /// Encrypts `plaintext` under the external key `key_id`, bound to `aad`.
    fn encrypt(&mut self, key_id: &str, plaintext: &[u8], aad: &[u8]) -> ExternalAnswer;
    /// Decrypts what `encrypt` returned.
    fn decrypt(&mut self, key_id: &str, ciphertext: &[u8], aad: &[u8]) -> ExternalAnswer;
}

impl Kms {
    /// Drives an operation's external calls with the managers attached in
    /// Rust; a store with no such manager answers `Unavailable`.
    pub(crate) fn drive<R>(&mut self, first: Result<Step<R>>) -> Result<R> {
        let mut step = first?;
        loop {
            match step {
                Step::Done(r) => return Ok(r),
                Step::External(call, rest) => {
                    let answer = match self.key_stores.manager(&call.store_id) {
                        Some(m) => match call.op {
                            ExternalOp::Encrypt => m.encrypt(&call.xks_key_id, &call.data, &call.aad),
                            ExternalOp::Decrypt => m.decrypt(&call.xks_key_id, &call.data, &call.aad),
                        },
                        None => Err(ExternalFailure::Unavailable),
                    };
                    step = rest.resume(self, answer)?;
                }
            }
        }
    }
}

/// The error for an external call that failed during a cryptographic
/// operation: AWS answers `KMSInvalidStateException`, except for a
/// ciphertext the manager rejected.
pub(crate) fn failure_error(
    external: &crate::custom_key_stores::ExternalKey,
    failure: ExternalFailure,
    op: ExternalOp,
) -> KmsError {
    let (store, key) = (&external.store_id, &external.xks_key_id);
    match (failure, op) {
        (ExternalFailure::Rejected, ExternalOp::Decrypt) => KmsError::invalid_ciphertext(),
        (ExternalFailure::KeyNotFound, _) => KmsError::KMSInvalidStateException(format!(
            "The external key store {store} cannot find external key '{key}'."
        )),
        _ => KmsError::KMSInvalidStateException(format!(
            "The external key store {store} could not {} with external key '{key}'.",
            op.name()
        )),
    }
}
