//! One-time vouchers as the law has them (Law Art. 1.11, 29), without I/O.
//!
//! - [`terms`]: the authorized body's rules by year (validity, reimbursement rate and budget of
//!   each region), versioned; a voucher keeps the terms it was issued under (Art. 29.4);
//! - [`voucher`]: the voucher's life — issued, redeemed by a center for a procedure, released,
//!   used (passed or failed), extended for temporary disability, expired, cancelled (Art. 29.2-29.3);
//! - [`claim`]: the center's reimbursement claim for the passage of the procedure (Art. 29.4).
//!
//! Every refusal is a [`Refused`] naming the state that forbids the act and the article.

pub mod claim;
pub mod terms;
pub mod voucher;

/// Why the law forbids an act now: the state that forbids it and the article, in words.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Refused(pub String);

impl Refused {
    pub(crate) fn new(message: impl Into<String>) -> Self {
        Self(message.into())
    }
}
