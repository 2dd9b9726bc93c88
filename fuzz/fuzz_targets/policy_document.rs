//! Any text as a key policy: parsing answers Ok or a reason; a parsed
//! policy evaluates without panicking or running away.
#![no_main]
use kms_wasm::policy::{Facts, KeyPolicy, Request};
use libfuzzer_sys::fuzz_target;

struct Echo<'a>(&'a str);

impl Facts for Echo<'_> {
    fn get(&self, key: &str) -> Option<Vec<String>> {
        (!key.is_empty()).then(|| vec![self.0.to_owned(), key.to_owned()])
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(policy) = KeyPolicy::parse(text) {
        let facts = Echo(text.get(..text.len().min(64)).unwrap_or_default());
        for action in ["kms:Encrypt", "kms:PutKeyPolicy", "kms:ReEncryptFrom"] {
            let _ = policy.evaluate(&Request {
                principal: "arn:aws:iam::111122223333:role/x",
                principal_account: Some("111122223333"),
                action,
                resource: "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
                facts: &facts,
            });
        }
    }
});
