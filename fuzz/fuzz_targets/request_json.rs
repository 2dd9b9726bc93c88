//! Any JSON as an AWS request (the first byte picks the operation): every
//! operation validates it and answers Ok or an AWS error, never a panic.
#![no_main]
use kms_wasm::{CallContext, Kms, Partition, Timestamp};
use libfuzzer_sys::fuzz_target;
use std::cell::RefCell;

fn fresh() -> Kms {
    let mut kms = Kms::new(Partition::new("111122223333", "us-east-1").unwrap());
    let ctx = CallContext::new("arn:aws:iam::111122223333:root", Timestamp(0));
    kms.create_key(&ctx, Default::default()).unwrap();
    kms
}

// libFuzzer calls the target on one thread; a thread-local needs no `Send`.
thread_local! {
    static KMS: RefCell<Kms> = RefCell::new(fresh());
}

macro_rules! call {
    ($kms:expr, $ctx:expr, $json:expr, $method:ident) => {
        if let Ok(req) = serde_json::from_slice($json) {
            let _ = $kms.$method($ctx, req);
        }
    };
}

fuzz_target!(|data: &[u8]| {
    let Some((op, json)) = data.split_first() else { return };
    KMS.with_borrow_mut(|kms| run(kms, *op, json));
});

fn run(kms: &mut Kms, op: u8, json: &[u8]) {
    // a fresh KMS now and then, so state built by inputs cannot grow forever
    if kms.generation() > 5_000 {
        *kms = fresh();
    }
    let ctx = CallContext::new("arn:aws:iam::111122223333:root", Timestamp(i64::from(op) * 86_400_000));
    let k = kms;
    match op % 16 {
        0 => call!(k, &ctx, json, create_key),
        1 => call!(k, &ctx, json, describe_key),
        2 => call!(k, &ctx, json, create_grant),
        3 => call!(k, &ctx, json, put_key_policy),
        4 => call!(k, &ctx, json, create_alias),
        5 => call!(k, &ctx, json, tag_resource),
        6 => call!(k, &ctx, json, enable_key_rotation),
        7 => call!(k, &ctx, json, schedule_key_deletion),
        8 => call!(k, &ctx, json, list_keys),
        9 => call!(k, &ctx, json, list_grants),
        10 => call!(k, &ctx, json, retire_grant),
        11 => call!(k, &ctx, json, generate_data_key),
        12 => call!(k, &ctx, json, update_alias),
        13 => call!(k, &ctx, json, list_aliases),
        14 => call!(k, &ctx, json, get_key_policy),
        _ => call!(k, &ctx, json, list_resource_tags),
    }
}
