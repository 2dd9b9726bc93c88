//! # kms-wasm
//!
//! A key management service with AWS KMS semantics that runs inside the
//! caller's process. This crate is the synchronous core: keys and their
//! state machine, backing keys and rotation, the ciphertext format, the
//! encryption context, aliases and tags. It knows nothing about JavaScript;
//! the `bindings` module (wasm32 only) adapts it to the npm package.
//!
//! Every operation is a method of [`Kms`] taking a [`CallContext`] (who
//! calls, and the caller's clock) and an AWS-shaped request, and returning
//! the AWS-shaped response or a [`KmsError`] named as the AWS exception.

#![forbid(unsafe_code)]
#![cfg_attr(not(test), warn(clippy::unwrap_used, clippy::expect_used, clippy::panic))]
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic))]

pub mod access;
pub mod aliases;
pub mod audit;
pub mod ciphertext;
pub mod context;
pub mod crypto;
pub mod custom_key_stores;
pub mod envelope;
pub mod error;
pub mod events;
pub mod external;
pub mod grants;
pub mod ids;
pub mod keys;
pub mod kms;
pub mod last_usage;
pub mod multi_region;
pub mod operation;
pub mod ops;
pub mod persist;
pub mod policy;
pub(crate) mod regions;
pub(crate) mod retiring;
pub mod time;
pub(crate) mod tracked;

#[cfg(all(target_arch = "wasm32", target_os = "unknown"))]
mod bindings;

pub use error::{KmsError, Result};
pub use external::{ExternalAnswer, ExternalCall, ExternalFailure, ExternalKeyManager, ExternalOp, Step};
pub use ids::Partition;
pub use kms::{CallContext, Kms};
pub use operation::Operation;
pub use regions::KNOWN_REGIONS;
pub use time::Timestamp;
