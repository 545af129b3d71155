//! The recognition procedure as the Rules of recognition have it (Law Art. 15-22; Rules,
//! chapters 2-3, Appendix 1), without I/O.
//!
//! - [`admission`]: an application or an offer goes only to a center accredited for the
//!   profession and level (Art. 17, 25.2);
//! - [`applicant`]: the form of Appendix 1 — who applies (an IIN, or a foreign document, Art.
//!   2.4), contacts, attachments by reference and digest, the consent and its version;
//! - [`deadlines`]: every deadline of the procedure in working days, with its paragraph;
//! - [`monitoring`]: one center's period for the NCE (Art. 25.3): outcomes, appeals, missed
//!   deadlines, what is overdue;
//! - [`offer`]: what a center offers within its accredited scope (Art. 17.2.1, 17.2.7);
//! - [`procedure`]: one application's way — registered, checked for completeness, remarks and
//!   their fixing or a reasoned refusal, the contract, the notice of the date (10-20 working days
//!   ahead), rescheduling, the result and its protocol, the document or the notice of failure,
//!   the appeal and its decision; every act dated, every deadline met or late by so many
//!   working days, every message between candidate and center a notice;
//! - [`voucher`]: the voucher applied with (Art. 29), as the register of vouchers answers.
//!
//! Every refusal is a [`Refused`] naming the state or the rule that forbids the act.

pub mod admission;
pub mod applicant;
pub mod deadlines;
pub mod monitoring;
pub mod offer;
pub mod procedure;
pub mod voucher;

/// Why the Rules forbid an act now: the field it concerns (as the contract names it), if one,
/// and the rule, in words.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct Refused {
    pub field: Option<&'static str>,
    pub message: String,
}

impl Refused {
    pub(crate) fn new(message: impl Into<String>) -> Self {
        Self {
            field: None,
            message: message.into(),
        }
    }

    pub(crate) fn field(field: &'static str, message: impl Into<String>) -> Self {
        Self {
            field: Some(field),
            message: message.into(),
        }
    }
}
