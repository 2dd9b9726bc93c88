//! The JS side's lists of operations and of request/response members are
//! generated from the operations table (`src/operation.rs`), so they cannot
//! drift: this test renders `npm/src/api.js` and fails if the committed file
//! differs. `KMS_WASM_BLESS=1 cargo test --test api_table` rewrites it.
//! It also checks that `npm/index.d.ts` declares a method for every
//! operation.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use kms_wasm::operation::{Engine, Operation, NOT_IMPLEMENTED, REQUEST_TIMESTAMPS, RESPONSE_TIMESTAMPS};
use std::collections::BTreeSet;
use std::path::PathBuf;

fn js_list(items: &[&str]) -> String {
    let mut out = String::from("Object.freeze([");
    let mut line_len = 0;
    for (i, item) in items.iter().enumerate() {
        let quoted = format!("'{item}'");
        if i > 0 {
            out.push(',');
        }
        if i == 0 || line_len + quoted.len() > 96 {
            out.push_str("\n  ");
            line_len = 2;
        } else {
            out.push(' ');
            line_len += 1;
        }
        out.push_str(&quoted);
        line_len += quoted.len() + 1;
    }
    out.push_str(",\n])");
    out
}

fn render() -> String {
    let ops: Vec<&str> = Operation::ALL.iter().map(|op| op.name()).collect();
    let full: Vec<&str> = Operation::ALL.iter().filter(|op| op.engine() == Engine::Full).map(|op| op.name()).collect();
    let other: Vec<&str> = NOT_IMPLEMENTED.iter().map(|(name, _)| *name).collect();
    let blobs: BTreeSet<&str> = Operation::ALL
        .iter()
        .flat_map(|op| op.request_blobs().iter().copied())
        .chain(NOT_IMPLEMENTED.iter().flat_map(|(_, blobs)| blobs.iter().copied()))
        .collect();
    let blobs: Vec<&str> = blobs.into_iter().collect();
    format!(
        "// Generated from the operations table in src/operation.rs by tests/api_table.rs\n\
         // (`KMS_WASM_BLESS=1 cargo test --test api_table` rewrites it). Do not edit.\n\
         \n\
         /** The AWS KMS operations kms-wasm implements, by AWS name, in the API contract's order. */\n\
         export const OPERATIONS = {};\n\
         \n\
         /** The operations only the full engine has: the core engine hands them over to it. */\n\
         export const FULL_ENGINE_OPERATIONS = {};\n\
         \n\
         /** The other operations of the AWS KMS API ({} in all): `serve` answers them with UnsupportedOperationException. */\n\
         export const OTHER_KMS_OPERATIONS = {};\n\
         \n\
         /** Top-level blob members of AWS KMS requests (every operation's, from the AWS service model). */\n\
         export const REQUEST_BLOBS = {};\n\
         \n\
         /** Timestamp members of AWS KMS requests. */\n\
         export const REQUEST_TIMESTAMPS = {};\n\
         \n\
         /** Timestamp members of responses, at any depth (milliseconds from the wasm, Dates for callers). */\n\
         export const RESPONSE_TIMESTAMPS = {};\n\
         \n\
         /** The regions a call may act in (src/regions.rs), besides a KMS's home region. */\n\
         export const REGIONS = {};\n",
        js_list(&ops),
        js_list(&full),
        ops.len() + other.len(),
        js_list(&other),
        js_list(&blobs),
        js_list(&REQUEST_TIMESTAMPS),
        js_list(&RESPONSE_TIMESTAMPS),
        js_list(kms_wasm::KNOWN_REGIONS),
    )
}

fn repo(path: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(path)
}

#[test]
fn npm_api_js_is_generated_from_the_operations_table() {
    let path = repo("npm/src/api.js");
    let expected = render();
    if std::env::var_os("KMS_WASM_BLESS").is_some() {
        std::fs::write(&path, &expected).unwrap();
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == expected,
        "npm/src/api.js is not what the operations table gives; run KMS_WASM_BLESS=1 cargo test --test api_table"
    );
}

#[test]
fn the_table_covers_the_56_operations_of_the_aws_kms_api_once_each() {
    let mut names: Vec<&str> = Operation::ALL.iter().map(|op| op.name()).collect();
    names.extend(NOT_IMPLEMENTED.iter().map(|(name, _)| *name));
    let unique: BTreeSet<&str> = names.iter().copied().collect();
    assert_eq!(names.len(), 56);
    assert_eq!(unique.len(), 56);
}

#[test]
fn index_d_ts_declares_a_method_for_every_operation() {
    let dts = std::fs::read_to_string(repo("npm/index.d.ts")).unwrap();
    let start = dts.find("export interface Kms ").expect("index.d.ts declares the Kms interface");
    let body = &dts[start..];
    let body = &body[..body.find("\n}").expect("the Kms interface ends")];
    for op in Operation::ALL {
        let name = op.name();
        let method = format!("{}{}", name[..1].to_ascii_lowercase(), &name[1..]);
        let declared = [":", "(", "<"].iter().any(|end| body.contains(&format!("\n  {method}{end}")));
        assert!(declared, "the Kms interface of npm/index.d.ts declares no {method} for {name}");
    }
}
