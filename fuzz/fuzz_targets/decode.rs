//! Arbitrary bytes → `decode`; whatever it accepts goes through `redact_event`. Nothing may
//! panic, and redacting an event a second time must change nothing.

#![no_main]

use std::sync::LazyLock;

use convolens_core::spec::RedactionSettings;
use convolens_transforms::decode::{DecodeLimits, decode};
use convolens_transforms::redact::Redactor;
use libfuzzer_sys::fuzz_target;

static REDACTOR: LazyLock<Redactor> =
    LazyLock::new(|| Redactor::new(&RedactionSettings::default()).expect("built-in patterns compile"));

fuzz_target!(|data: &[u8]| {
    if let Ok(mut event) = decode(data, &DecodeLimits::default()) {
        REDACTOR.redact_event(&mut event);
        let mut again = event.clone();
        REDACTOR.redact_event(&mut again);
        assert_eq!(again, event, "redaction is not idempotent");
    }
});
