//! Any text given as an IIN, a BIN or a center number: no parser panics, and what one accepts
//! prints back to itself and is accepted again.
#![no_main]

use libfuzzer_sys::fuzz_target;
use nsk_kz::{Bin, CenterNumber, Iin};

fuzz_target!(|raw: &str| {
    if let Ok(iin) = Iin::parse(raw) {
        assert_eq!(Iin::parse(iin.as_str()), Ok(iin.clone()));
        assert_eq!(iin.as_str(), raw.trim());
    }
    if let Ok(bin) = Bin::parse(raw) {
        assert_eq!(Bin::parse(bin.as_str()), Ok(bin.clone()));
        assert_eq!(bin.as_str(), raw.trim());
    }
    if let Ok(center) = CenterNumber::parse(raw) {
        assert_eq!(CenterNumber::parse(&center.to_string()), Ok(center));
    }
});
