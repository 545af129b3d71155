//! Accreditation of recognition centers as the law has it (Art. 17, 23-26), without I/O.
//!
//! - [`application`]: the applicant, the criteria of Art. 24 and the stages of Art. 23.2;
//! - [`certificate`]: the three-year certificate, revocation (Art. 26.2), renewal (26.5),
//!   reissue (26.1), termination and expiry (26.6), the re-accreditation window (23.5);
//! - [`deadlines`]: the working-day deadlines of Art. 25.2, 25.4, 26.3, 26.4.
//!
//! Every refusal is a [`Refused`] that names the state forbidding the action and the article.

pub mod application;
pub mod certificate;
pub mod deadlines;
pub mod keys;
pub mod listing;
pub mod monitoring;

/// Why the law forbids an action now: the state that forbids it and the article, in words.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Refused(pub String);

impl Refused {
    pub(crate) fn new(message: impl Into<String>) -> Self {
        Self(message.into())
    }
}
