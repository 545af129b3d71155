//! Any path or query text: percent-decoding never panics, never splits a character, and leaves
//! a text without '%' as it was; an escaped text decodes back to the original.
#![no_main]

use libfuzzer_sys::fuzz_target;
use nsk_gateway::routes::percent_decode;

fuzz_target!(|raw: &str| {
    let decoded = percent_decode(raw);
    if !raw.contains('%') {
        assert_eq!(decoded, raw);
    }
    let escaped: String = raw.bytes().map(|b| format!("%{b:02X}")).collect();
    assert_eq!(percent_decode(&escaped), raw);
});
