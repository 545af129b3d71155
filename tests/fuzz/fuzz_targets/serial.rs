//! Any text given as a serial number: the parser never panics, and what it accepts prints back
//! to the same serial (with a lone "0" for the NKZ code printed as eight zeros).
#![no_main]

use std::str::FromStr;

use libfuzzer_sys::fuzz_target;
use nsk_kz::serial::SerialNumber;

fuzz_target!(|raw: &str| {
    if let Ok(serial) = SerialNumber::from_str(raw) {
        let printed = serial.to_string();
        let again = SerialNumber::from_str(&printed).expect("a printed serial parses");
        assert_eq!(again, serial);
        assert_eq!(again.to_string(), printed);
    }
});
