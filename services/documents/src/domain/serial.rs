//! The serial number of a document (Rules, Appendix 2), parsed and printed where the gateway
//! checks it too: `nsk_kz::serial`.

pub use nsk_kz::serial::{MalformedSerial, SerialNumber};
