//! Arbitrary UTF-8 → `redact_text`: nothing may panic, a second pass finds nothing, and
//! text without a replacement comes back unchanged.

#![no_main]

use std::sync::LazyLock;

use convolens_core::spec::RedactionSettings;
use convolens_transforms::redact::Redactor;
use libfuzzer_sys::fuzz_target;

static REDACTOR: LazyLock<Redactor> =
    LazyLock::new(|| Redactor::new(&RedactionSettings::default()).expect("built-in patterns compile"));

fuzz_target!(|text: &str| {
    let (once, count) = REDACTOR.redact_text(text);
    if count == 0 {
        assert_eq!(once, text, "nothing replaced but the text changed");
    }
    let (twice, again) = REDACTOR.redact_text(&once);
    assert_eq!(
        (twice.as_ref(), again),
        (once.as_ref(), 0),
        "redaction is not idempotent on {text:?}"
    );
});
