//! The wasm32-only adapter between JS and the core: decode the request,
//! call the core, encode the response or the error. It knows operation
//! names and shapes, nothing about keys or states.
//!
//! JS contract of this module (used only by `npm/`):
//! - `new WasmKms(accountId, region, grantPropagationMs)`,
//!   `WasmKms.restore(accountId, region, grantPropagationMs, snapshot)`
//! - `call(operation, caller, endpoint, service, nowMs, request)` → response
//!   object; throws an `Error` whose `name` is the AWS exception name. A call
//!   that needs an external key store returns `{ __externalCall: { customKeyStoreId,
//!   customKeyStoreName, xksKeyId, operation: 'encrypt' | 'decrypt', data, aad } }`
//!   instead; the caller makes that call and passes its answer to
//!   `resume(output?, failureName?)`, which returns what `call` would.
//!   `attachExternalKeyStore(idOrName)` / `detachExternalKeyStore(idOrName)`
//!   say which stores the host can answer for (not persisted).
//!   `endpoint` (a `vpce-` id) and `service` (e.g. `s3`) may be undefined.
//!   Binary members are `Uint8Array`; timestamps are numbers of milliseconds.
//! - `generation()` changes whenever the state changes; `snapshot()` is the
//!   whole state as bytes.
//! - `createEndpoint(caller, nowMs, request)`, `auditLog(filter)`,
//!   `verifyAuditLog()`, `WasmKms.verifyAuditRecords(records)`,
//!   `usage(nowMs, request)`, `takeEvents()` (events raised since the last take).
//! - Persistence: `snapshotSealed(rootKey)`, `WasmKms.restoreSealed(accountId,
//!   region, grantPropagationMs, rootKey, sealed)`, `exportBackup(passphrase)`,
//!   `WasmKms.restoreBackup(accountId, region, grantPropagationMs, backup,
//!   passphrase)`, `WasmKms.deriveKey(passphrase, salt16)` (Argon2id),
//!   `auditSince(index)` / `auditNextIndex()` (incremental audit
//!   persistence) and `loadAudit(records)`; record-level persistence:
//!   `takeChanges(rootKey?, generation)`, `allRecords(rootKey?, generation)`,
//!   `applyRecords(rootKey?, body)` → generation.

use crate::error::KmsError;
use crate::external::{ExternalCall, ExternalFailure, Resume, Step};
use crate::ids::Partition;
use crate::kms::{CallContext, Kms, Settings};
use crate::operation::Operation;
use crate::time::Timestamp;
use serde::de::DeserializeOwned;
use serde::Serialize;
use wasm_bindgen::prelude::*;

mod envelope;

/// The one conversion from a core error to a JS error.
fn to_js_error(err: KmsError) -> JsValue {
    let e = js_sys::Error::new(err.message());
    e.set_name(err.name());
    e.into()
}

/// Decodes a request. Serde's own messages can quote the offending value
/// (which may be plaintext), so only the member's path and the expected type
/// reach the caller.
fn decode<T: DeserializeOwned>(request: JsValue) -> Result<T, KmsError> {
    let request = if request.is_undefined() || request.is_null() { js_sys::Object::new().into() } else { request };
    let de = serde_wasm_bindgen::Deserializer::from(request);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner().to_string();
        let expected = inner.rsplit_once(", expected ").map(|(_, x)| x.to_owned());
        KmsError::validation(match expected {
            Some(x) => format!("1 validation error detected: value at '{path}' has the wrong type; expected {x}."),
            None if inner.starts_with("missing field") => format!("1 validation error detected: {inner}."),
            None => format!("1 validation error detected: value at '{path}' is not valid."),
        })
    })
}

fn encode<T: Serialize>(response: T) -> Result<JsValue, KmsError> {
    let serializer = serde_wasm_bindgen::Serializer::new().serialize_maps_as_objects(true);
    response
        .serialize(&serializer)
        .map_err(|_| KmsError::KMSInternalException("The response could not be encoded.".into()))
}

/// Encodes JSON-shaped values (audit records, events, reports), in which
/// `null` must stay `null`.
fn encode_json<T: Serialize>(value: T) -> Result<JsValue, KmsError> {
    let serializer = serde_wasm_bindgen::Serializer::json_compatible();
    value
        .serialize(&serializer)
        .map_err(|_| KmsError::KMSInternalException("The response could not be encoded.".into()))
}

/// Which engine this build is: `"core"` or `"full"` (the cargo feature).
#[wasm_bindgen]
pub fn engine() -> String {
    if cfg!(feature = "full") { "full" } else { "core" }.to_owned()
}

/// One KMS instance, owned by the JS client.
#[wasm_bindgen]
pub struct WasmKms {
    kms: Kms,
    /// The rest of a call waiting for an external key store's answer.
    pending: Option<Resume<JsValue>>,
}

/// A call the host must make to an external key store, as JS sees it.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ExternalCallView {
    custom_key_store_id: String,
    custom_key_store_name: String,
    xks_key_id: String,
    operation: &'static str,
    #[serde(with = "serde_bytes")]
    data: Vec<u8>,
    #[serde(with = "serde_bytes")]
    aad: Vec<u8>,
}

#[derive(Serialize)]
struct Suspended {
    #[serde(rename = "__externalCall")]
    external_call: ExternalCallView,
}

fn external_view(call: ExternalCall) -> Suspended {
    Suspended {
        external_call: ExternalCallView {
            custom_key_store_id: call.store_id,
            custom_key_store_name: call.store_name,
            xks_key_id: call.xks_key_id,
            operation: call.op.name(),
            data: call.data,
            aad: call.aad,
        },
    }
}

#[wasm_bindgen]
impl WasmKms {
    /// An empty KMS.
    #[wasm_bindgen(constructor)]
    pub fn new(account_id: &str, region: &str, grant_propagation_ms: f64) -> Result<WasmKms, JsValue> {
        let partition = Partition::new(account_id, region).map_err(to_js_error)?;
        let kms = Kms::with_settings(partition, settings(grant_propagation_ms).map_err(to_js_error)?);
        Ok(WasmKms { kms, pending: None })
    }

    /// A KMS rebuilt from a snapshot.
    pub fn restore(
        account_id: &str,
        region: &str,
        grant_propagation_ms: f64,
        snapshot: &[u8],
    ) -> Result<WasmKms, JsValue> {
        let partition = Partition::new(account_id, region).map_err(to_js_error)?;
        let mut kms = Kms::restore(partition, snapshot).map_err(to_js_error)?;
        kms.settings = settings(grant_propagation_ms).map_err(to_js_error)?;
        Ok(WasmKms { kms, pending: None })
    }

    /// Runs one AWS operation.
    #[allow(clippy::too_many_arguments)] // the call context, member by member, as JS holds it
    pub fn call(
        &mut self,
        operation: &str,
        caller: &str,
        endpoint: Option<String>,
        service: Option<String>,
        region: Option<String>,
        request_id: Option<String>,
        now_ms: f64,
        request: JsValue,
    ) -> Result<JsValue, JsValue> {
        self.abandon_pending();
        let mut ctx = context(caller, endpoint, service, now_ms).map_err(to_js_error)?;
        ctx.region = region;
        ctx.request_id = request_id;
        let step = self.dispatch(operation, &ctx, request).map_err(to_js_error)?;
        self.settle(step)
    }

    /// Carries on the call waiting for an external key store with its
    /// answer: the bytes it returned, or the `name` of the error it threw.
    pub fn resume(&mut self, output: Option<Vec<u8>>, failure: Option<String>) -> Result<JsValue, JsValue> {
        let rest = self.pending.take().ok_or_else(|| {
            to_js_error(KmsError::KMSInternalException("No call is waiting for an external key store.".into()))
        })?;
        let answer = match (output, failure) {
            (Some(bytes), None) => Ok(bytes),
            (_, Some(name)) => Err(ExternalFailure::from_name(&name)),
            (None, None) => Err(ExternalFailure::Unavailable),
        };
        let step = rest.resume(&mut self.kms, answer).map_err(to_js_error)?;
        self.settle(step)
    }

    /// Says the host answers for this custom key store (by id or name) in
    /// this session. Returns the store's id, or `undefined` if there is none.
    #[wasm_bindgen(js_name = attachExternalKeyStore)]
    pub fn attach_external_key_store(&mut self, id_or_name: &str) -> Option<String> {
        self.kms.attach_external_key_store(id_or_name)
    }

    /// Says the host no longer answers for this custom key store.
    #[wasm_bindgen(js_name = detachExternalKeyStore)]
    pub fn detach_external_key_store(&mut self, id_or_name: &str) {
        self.kms.detach_external_key_store(id_or_name);
    }

    /// Registers a private endpoint (`{ VpcEndpointId, VpcId, Policy }`).
    #[wasm_bindgen(js_name = createEndpoint)]
    pub fn create_endpoint(
        &mut self,
        caller: &str,
        region: Option<String>,
        now_ms: f64,
        request: JsValue,
    ) -> Result<JsValue, JsValue> {
        let run = || {
            let ctx = context(caller, None, None, now_ms)?;
            let request = decode(request)?;
            encode(self.kms.in_region(region.as_deref(), |kms| kms.create_endpoint(&ctx, request))?)
        };
        run().map_err(to_js_error)
    }

    /// CloudTrail-style records of one region (the home region when
    /// `region` is undefined), oldest first (`{ KeyId?, StartTime?, EndTime? }`).
    #[wasm_bindgen(js_name = auditLog)]
    pub fn audit_log(&mut self, filter: JsValue, region: Option<String>) -> Result<JsValue, JsValue> {
        let run = || {
            let filter = decode(filter)?;
            encode_json(self.kms.audit_log_in(filter, region.as_deref())?)
        };
        run().map_err(to_js_error)
    }

    /// `{ valid, firstInvalidIndex }` for the whole log.
    #[wasm_bindgen(js_name = verifyAuditLog)]
    pub fn verify_audit_log(&mut self) -> Result<JsValue, JsValue> {
        encode_json(verification(self.kms.verify_audit_log())).map_err(to_js_error)
    }

    /// `{ valid, firstInvalidIndex }` for records exported from a log.
    #[wasm_bindgen(js_name = verifyAuditRecords)]
    pub fn verify_audit_records(records: JsValue) -> Result<JsValue, JsValue> {
        let run = || {
            let records: Vec<serde_json::Value> = serde_wasm_bindgen::from_value(records)
                .map_err(|_| KmsError::validation("The records must be an array of audit records."))?;
            encode_json(verification(crate::audit::verify(&records)))
        };
        run().map_err(to_js_error)
    }

    /// Usage and an estimated bill for a month (`{ month: 'YYYY-MM', prices? }`),
    /// counting key time up to the caller's clock.
    pub fn usage(&mut self, region: Option<String>, now_ms: f64, request: JsValue) -> Result<JsValue, JsValue> {
        let run = || {
            let (now, request) = (Timestamp::from_js_millis(now_ms)?, decode(request)?);
            encode_json(self.kms.in_region(region.as_deref(), |kms| kms.usage(now, request))?)
        };
        run().map_err(to_js_error)
    }

    /// The snapshot sealed under a 32-byte root key (file stores).
    #[wasm_bindgen(js_name = snapshotSealed)]
    pub fn snapshot_sealed(&self, root_key: &[u8]) -> Result<Vec<u8>, JsValue> {
        self.kms.sealed_snapshot(root_key).map_err(to_js_error)
    }

    /// A KMS rebuilt from a sealed snapshot.
    #[wasm_bindgen(js_name = restoreSealed)]
    pub fn restore_sealed(
        account_id: &str,
        region: &str,
        grant_propagation_ms: f64,
        root_key: &[u8],
        sealed: &[u8],
    ) -> Result<WasmKms, JsValue> {
        reserve_for(sealed.len());
        let run = || {
            let partition = Partition::new(account_id, region)?;
            let mut kms = Kms::restore_sealed(partition, root_key, sealed)?;
            kms.settings = settings(grant_propagation_ms)?;
            Ok(WasmKms { kms, pending: None })
        };
        run().map_err(to_js_error)
    }

    /// The whole state sealed under a passphrase.
    #[wasm_bindgen(js_name = exportBackup)]
    pub fn export_backup(&mut self, passphrase: &str) -> Result<Vec<u8>, JsValue> {
        self.kms.export_backup(passphrase).map_err(to_js_error)
    }

    /// A KMS rebuilt from a backup.
    #[wasm_bindgen(js_name = restoreBackup)]
    pub fn restore_backup(
        account_id: &str,
        region: &str,
        grant_propagation_ms: f64,
        backup: &[u8],
        passphrase: &str,
    ) -> Result<WasmKms, JsValue> {
        let run = || {
            let partition = Partition::new(account_id, region)?;
            let mut kms = Kms::restore_backup(partition, backup, passphrase)?;
            kms.settings = settings(grant_propagation_ms)?;
            Ok(WasmKms { kms, pending: None })
        };
        run().map_err(to_js_error)
    }

    /// A 32-byte key from a passphrase and a 16-byte salt (Argon2id).
    #[wasm_bindgen(js_name = deriveKey)]
    pub fn derive_key(passphrase: &str, salt: &[u8]) -> Result<Vec<u8>, JsValue> {
        let run = || {
            let salt: [u8; 16] = salt.try_into().map_err(|_| KmsError::validation("The salt must be 16 bytes."))?;
            let key = crate::crypto::kdf::derive(passphrase.as_bytes(), &salt, crate::crypto::kdf::DEFAULT_PARAMS)?;
            Ok(key.to_vec())
        };
        run().map_err(to_js_error)
    }

    /// Audit records from absolute index `from` on, sealed (for stores).
    #[wasm_bindgen(js_name = auditSince)]
    pub fn audit_since(&mut self, from: f64) -> Result<JsValue, JsValue> {
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let from = if from.is_finite() && from > 0.0 { from as u64 } else { 0 };
        let partition = self.kms.partition().clone();
        encode_json(self.kms.audit.since(&partition, from)).map_err(to_js_error)
    }

    /// `auditSince` as `{ json, count }`: the records as JSON text, built
    /// without JS objects (stores write text), and how many there are.
    #[wasm_bindgen(js_name = auditSinceJson)]
    pub fn audit_since_json(&mut self, from: f64) -> Result<JsValue, JsValue> {
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let from = if from.is_finite() && from > 0.0 { from as u64 } else { 0 };
        let partition = self.kms.partition().clone();
        let (json, count) = self.kms.audit.since_json(&partition, from);
        encode_json(serde_json::json!({ "json": json, "count": count })).map_err(to_js_error)
    }

    /// Loads audit records persisted earlier, given as JSON text.
    #[wasm_bindgen(js_name = loadAuditJson)]
    pub fn load_audit_json(&mut self, text: &str) -> Result<(), JsValue> {
        let records: Vec<serde_json::Value> = serde_json::from_str(text).map_err(|_| {
            to_js_error(KmsError::KMSInvalidStoreException("The stored audit records are not valid JSON.".into()))
        })?;
        let partition = self.kms.partition().clone();
        self.kms.audit.load(records, &partition);
        Ok(())
    }

    /// Replaces the audit log with records persisted by the store (a
    /// reader catching up with other writers keeps its state and takes the
    /// log's newest records).
    #[wasm_bindgen(js_name = replaceAudit)]
    pub fn replace_audit(&mut self, records: JsValue) -> Result<(), JsValue> {
        let records: Vec<serde_json::Value> = serde_wasm_bindgen::from_value(records)
            .map_err(|_| to_js_error(KmsError::validation("The records must be an array of audit records.")))?;
        let partition = self.kms.partition().clone();
        self.kms.audit = crate::audit::AuditLog::default();
        self.kms.audit.load(records, &partition);
        Ok(())
    }

    /// How many keys the KMS holds in all its regions (for "restore into
    /// an empty store").
    #[wasm_bindgen(js_name = keyCount)]
    pub fn key_count(&self) -> f64 {
        #[allow(clippy::cast_precision_loss)]
        let n = self.kms.key_count() as f64;
        n
    }

    /// The absolute index the next audit record will have.
    #[wasm_bindgen(js_name = auditNextIndex)]
    pub fn audit_next_index(&self) -> f64 {
        #[allow(clippy::cast_precision_loss)]
        let n = self.kms.audit.next_index() as f64;
        n
    }

    /// Loads audit records persisted earlier, before any new record.
    #[wasm_bindgen(js_name = loadAudit)]
    pub fn load_audit(&mut self, records: JsValue) -> Result<(), JsValue> {
        let records: Vec<serde_json::Value> = serde_wasm_bindgen::from_value(records)
            .map_err(|_| to_js_error(KmsError::validation("The records must be an array of audit records.")))?;
        let partition = self.kms.partition().clone();
        self.kms.audit.load(records, &partition);
        Ok(())
    }

    /// Events raised since the last call to this, oldest first.
    #[wasm_bindgen(js_name = takeEvents)]
    pub fn take_events(&mut self) -> Result<JsValue, JsValue> {
        let bodies: Vec<serde_json::Value> = self.kms.take_events().into_iter().map(|e| e.body).collect();
        encode_json(bodies).map_err(to_js_error)
    }

    /// Changes whenever the state changes.
    pub fn generation(&self) -> f64 {
        // exact below 2^53, and wrapping past that is harmless for "changed?"
        #[allow(clippy::cast_precision_loss)]
        let g = (self.kms.generation() & ((1u64 << 53) - 1)) as f64;
        g
    }

    /// The whole state (including key material) as bytes.
    pub fn snapshot(&self) -> Result<Vec<u8>, JsValue> {
        let snap = self.kms.snapshot().map_err(to_js_error)?;
        Ok(snap.expose().to_vec())
    }

    /// The records written since the last take (and the clock), as one
    /// body tagged `generation`, sealed under `rootKey` when given
    /// (record-level persistence: `persist::records`).
    #[wasm_bindgen(js_name = takeChanges)]
    pub fn take_changes(&mut self, root_key: Option<Vec<u8>>, generation: f64) -> Result<Vec<u8>, JsValue> {
        let body = self.kms.take_changes(root_key.as_deref(), generation_of(generation)?).map_err(to_js_error)?;
        Ok(body.expose().to_vec())
    }

    /// Whether the next write must be a full body (records of the form
    /// before regions were read).
    #[wasm_bindgen(js_name = wantsFullRecords)]
    pub fn wants_full_records(&self) -> bool {
        self.kms.wants_full_records()
    }

    /// Every record, as a full body (a store's base).
    #[wasm_bindgen(js_name = allRecords)]
    pub fn all_records(&mut self, root_key: Option<Vec<u8>>, generation: f64) -> Result<Vec<u8>, JsValue> {
        let body = self.kms.all_records(root_key.as_deref(), generation_of(generation)?).map_err(to_js_error)?;
        Ok(body.expose().to_vec())
    }

    /// Applies a body a store kept (all or nothing); returns its generation.
    #[wasm_bindgen(js_name = applyRecords)]
    pub fn apply_records(&mut self, root_key: Option<Vec<u8>>, body: &[u8]) -> Result<f64, JsValue> {
        reserve_for(body.len());
        let g = self.kms.apply_records(root_key.as_deref(), body).map_err(to_js_error)?;
        #[allow(clippy::cast_precision_loss)]
        Ok((g & ((1u64 << 53) - 1)) as f64)
    }

    /// Traps the instance on purpose, so tests can prove the client
    /// recovers from a panic. Not part of the public API.
    #[wasm_bindgen(js_name = "__trapForTesting")]
    #[allow(clippy::panic)]
    pub fn trap_for_testing(&self) {
        panic!("trap requested by a test");
    }
}

fn settings(grant_propagation_ms: f64) -> Result<Settings, KmsError> {
    if !grant_propagation_ms.is_finite() || !(0.0..=8.64e15).contains(&grant_propagation_ms) {
        return Err(KmsError::validation("grantPropagationSeconds must be a non-negative number."));
    }
    #[allow(clippy::cast_possible_truncation)] // range checked above
    Ok(Settings { grant_propagation_ms: grant_propagation_ms as i64 })
}

fn context(
    caller: &str,
    endpoint: Option<String>,
    service: Option<String>,
    now_ms: f64,
) -> Result<CallContext, KmsError> {
    let mut ctx = CallContext::new(caller, Timestamp::from_js_millis(now_ms)?);
    ctx.endpoint = endpoint;
    ctx.service = service;
    Ok(ctx)
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct VerificationView {
    valid: bool,
    first_invalid_index: Option<usize>,
}

fn verification(v: crate::audit::Verification) -> VerificationView {
    VerificationView { valid: v.valid, first_invalid_index: v.first_invalid_index }
}

impl WasmKms {
    /// Returns a finished call's response, or keeps the rest of a paused one
    /// and returns the external call it waits for.
    fn settle(&mut self, step: Step<JsValue>) -> Result<JsValue, JsValue> {
        match step {
            Step::Done(response) => Ok(response),
            Step::External(call, rest) => {
                self.pending = Some(rest);
                encode(external_view(call)).map_err(to_js_error)
            }
        }
    }

    /// Ends a paused call that was never resumed (its external store never
    /// answered): it fails as if the store were unreachable, and is audited.
    fn abandon_pending(&mut self) {
        while let Some(rest) = self.pending.take() {
            if let Ok(Step::External(_, next)) = rest.resume(&mut self.kms, Err(ExternalFailure::Unavailable)) {
                self.pending = Some(next);
            }
        }
    }

    fn dispatch(&mut self, operation: &str, ctx: &CallContext, req: JsValue) -> Result<Step<JsValue>, KmsError> {
        let op = Operation::from_name(operation).ok_or_else(|| {
            KmsError::UnsupportedOperationException(format!("{operation} is not a supported operation."))
        })?;
        // The core engine: nothing is decoded, read or recorded for a call
        // only the full engine can make; the client replays it there.
        if !op.in_this_engine() {
            return Err(KmsError::needs_full_engine(op.name()));
        }
        dispatch(&mut self.kms, op, ctx, req)
    }
}

/// One call's work: decode the request, run the core, encode the response.
macro_rules! call_op {
    (steps, $kms:ident, $method:ident, $ctx:ident, $req:ident) => {
        $kms.$method($ctx, decode($req)?)?.try_map(encode)
    };
    (plain, $kms:ident, $method:ident, $ctx:ident, $req:ident) => {
        encode($kms.$method($ctx, decode($req)?)?).map(Step::Done)
    };
}

/// One row of the dispatch. The full engine's operations are compiled out of
/// the core (so none of their code is in the core's wasm).
macro_rules! dispatch_row {
    (core, $name:ident, $call:ident, $method:ident, $kms:ident, $ctx:ident, $req:ident) => {{
        #[inline(never)]
        fn run(kms: &mut Kms, ctx: &CallContext, req: JsValue) -> Result<Step<JsValue>, KmsError> {
            call_op!($call, kms, $method, ctx, req)
        }
        run($kms, $ctx, $req)
    }};
    (full, $name:ident, $call:ident, $method:ident, $kms:ident, $ctx:ident, $req:ident) => {{
        #[cfg(feature = "full")]
        {
            dispatch_row!(core, $name, $call, $method, $kms, $ctx, $req)
        }
        #[cfg(not(feature = "full"))]
        {
            let _ = ($kms, $ctx, $req);
            Err(KmsError::needs_full_engine(stringify!($name)))
        }
    }};
}

/// The dispatch, from the operations table: one small function per
/// operation (not inlined, so the request path is not one huge function),
/// each instantiating only its own request and response types.
macro_rules! define_dispatch {
    ($( $name:ident => $method:ident, $call:ident, $engine:ident, $access:ident, [$($flag:ident),*], [$($blob:ident),*]; )*) => {
        fn dispatch(kms: &mut Kms, op: Operation, ctx: &CallContext, req: JsValue) -> Result<Step<JsValue>, KmsError> {
            match op {
                $(Operation::$name => dispatch_row!($engine, $name, $call, $method, kms, ctx, req),)*
            }
        }
    };
}

crate::operation::for_each_operation!(define_dispatch);

/// The crate's AES-256-GCM called directly, with no KMS around it: the
/// baseline `make bench` measures the KMS's overhead against. Not part of
/// the public API.
#[wasm_bindgen(js_name = "__BenchCipher")]
pub struct BenchCipher {
    key: crate::crypto::AeadKey,
}

#[wasm_bindgen(js_class = "__BenchCipher")]
impl BenchCipher {
    /// A cipher with fresh random material.
    #[wasm_bindgen(constructor)]
    pub fn new() -> Result<BenchCipher, JsValue> {
        Ok(BenchCipher { key: crate::crypto::AeadKey::generate().map_err(to_js_error)? })
    }

    /// Encrypts with a fresh random nonce, returning `nonce || ciphertext || tag`,
    /// i.e. the same work as Encrypt minus the KMS.
    pub fn seal(&self, aad: &[u8], plaintext: &[u8]) -> Result<Vec<u8>, JsValue> {
        use crate::crypto::{random_array, NONCE_LEN, TAG_LEN};
        let nonce = random_array::<NONCE_LEN>().map_err(to_js_error)?;
        let mut out = vec![0u8; NONCE_LEN + plaintext.len() + TAG_LEN];
        let (n, body) = out.split_at_mut(NONCE_LEN);
        n.copy_from_slice(&nonce);
        self.key.seal_into(&nonce, aad, plaintext, body).map_err(to_js_error)?;
        Ok(out)
    }

    /// Decrypts `nonce || ciphertext || tag`.
    pub fn open(&self, aad: &[u8], sealed: &[u8]) -> Result<Vec<u8>, JsValue> {
        use crate::crypto::NONCE_LEN;
        let (nonce, body) =
            sealed.split_at_checked(NONCE_LEN).ok_or_else(|| to_js_error(KmsError::invalid_ciphertext()))?;
        let nonce: [u8; NONCE_LEN] = nonce.try_into().map_err(|_| to_js_error(KmsError::invalid_ciphertext()))?;
        Ok(self.key.open(&nonce, aad, body).map_err(to_js_error)?.expose().to_vec())
    }
}

/// A generation from JS: a whole number below 2^53.
fn generation_of(g: f64) -> Result<u64, JsValue> {
    if g.is_finite() && g >= 0.0 && g.fract() == 0.0 && g < 9_007_199_254_740_992.0 {
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        Ok(g as u64)
    } else {
        Err(to_js_error(KmsError::validation("A generation must be a whole number from 0 to 2^53.")))
    }
}

/// Grows the wasm memory at once for what decoding `len` bytes of state
/// allocates (about eight times as much), instead of in thousands of small
/// steps: each step detaches the memory's ArrayBuffer in the JS engine, and
/// at 100,000 keys those steps and the garbage collection they caused were
/// half of the open time. The block goes back to the allocator at once,
/// which then carves the decoded state out of it.
fn reserve_for(len: usize) {
    let mut block: Vec<u8> = Vec::new();
    let _ = block.try_reserve_exact(len.saturating_mul(8));
}
