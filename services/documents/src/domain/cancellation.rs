//! Why a document may be cancelled. The Law names one case itself: the documents confirmed in
//! complaints when a center's accreditation is revoked on ground 4 (Art. 26.2.4). Beyond it the
//! authorized body, which keeps the registry (Art. 6.1.8), cancels only on a legal ground from a
//! closed list, with the basis document — never on free text alone.

use std::fmt;

/// The legal ground of a cancellation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ground {
    /// A court decision that the document is void (the basis is the decision).
    CourtDecision,
    /// The document was registered in error; another document replaces it.
    RegisteredInError,
    /// Art. 26.2.4: the center's accreditation was revoked on confirmed complaints against the
    /// persons who received documents there. Only the revocation gives this ground.
    RevocationOnComplaints,
}

impl Ground {
    pub const fn code(self) -> &'static str {
        match self {
            Self::CourtDecision => "court_decision",
            Self::RegisteredInError => "registered_in_error",
            Self::RevocationOnComplaints => "revocation_on_complaints",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        [
            Self::CourtDecision,
            Self::RegisteredInError,
            Self::RevocationOnComplaints,
        ]
        .into_iter()
        .find(|g| g.code() == code)
    }
}

impl fmt::Display for Ground {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::CourtDecision => "a court decision",
            Self::RegisteredInError => "registered in error",
            Self::RevocationOnComplaints => {
                "the center's accreditation revoked on confirmed complaints (Art. 26.2.4)"
            }
        })
    }
}

/// The document named as replacing one registered in error, as the registry holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Replacement {
    pub serial_number: String,
    pub holder: String,
    pub cancelled: bool,
}

/// Why an official's cancellation is refused: the field (as the caller wrote it) and the rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused {
    pub field: &'static str,
    pub rule: String,
}

/// An official's cancellation of the document `serial` of `holder` on `ground`, naming
/// `replacement` (looked up by the serial the official gave, `None` when none was given or the
/// registry has no such document).
pub fn official_cancellation(
    ground: Option<Ground>,
    serial: &str,
    holder: &str,
    replacement_given: bool,
    replacement: Option<&Replacement>,
) -> Result<Ground, Refused> {
    let refuse = |field, rule: String| Err(Refused { field, rule });
    let Some(ground) = ground else {
        return refuse(
            "ground",
            "is required: COURT_DECISION or REGISTERED_IN_ERROR, the legal ground of the cancellation".into(),
        );
    };
    match ground {
        Ground::RevocationOnComplaints => refuse(
            "ground",
            "REVOCATION_ON_COMPLAINTS follows only from the NCE's revocation of the center's accreditation on ground 4 (Art. 26.2.4), which names the documents; an official cancels on COURT_DECISION or REGISTERED_IN_ERROR".into(),
        ),
        Ground::CourtDecision if replacement_given => refuse(
            "replaced_by_serial_number",
            "is only for REGISTERED_IN_ERROR: a court decision names no replacing document".into(),
        ),
        Ground::CourtDecision => Ok(ground),
        Ground::RegisteredInError => match (replacement_given, replacement) {
            (false, _) => refuse(
                "replaced_by_serial_number",
                "is required for REGISTERED_IN_ERROR: the serial number of the document registered in its place".into(),
            ),
            (true, None) => refuse(
                "replaced_by_serial_number",
                "names no document in the registry".into(),
            ),
            (true, Some(r)) if r.serial_number == serial => refuse(
                "replaced_by_serial_number",
                "is the document being cancelled; name the document registered in its place".into(),
            ),
            (true, Some(r)) if r.holder != holder => refuse(
                "replaced_by_serial_number",
                format!("{} was issued to another person; the replacing document is the same holder's", r.serial_number),
            ),
            (true, Some(r)) if r.cancelled => refuse(
                "replaced_by_serial_number",
                format!("{} is cancelled itself and cannot replace another document", r.serial_number),
            ),
            (true, Some(_)) => Ok(ground),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SERIAL: &str = "25110-72120001-4-020326-0042-00000001";
    const HOLDER: &str = "900101300038";

    fn replacement(serial: &str, holder: &str, cancelled: bool) -> Replacement {
        Replacement {
            serial_number: serial.into(),
            holder: holder.into(),
            cancelled,
        }
    }

    #[test]
    fn an_official_cancellation_names_a_ground_from_the_closed_list() {
        let err = official_cancellation(None, SERIAL, HOLDER, false, None).unwrap_err();
        assert_eq!(err.field, "ground");
        assert_eq!(
            official_cancellation(Some(Ground::CourtDecision), SERIAL, HOLDER, false, None),
            Ok(Ground::CourtDecision)
        );
        let err = official_cancellation(
            Some(Ground::RevocationOnComplaints),
            SERIAL,
            HOLDER,
            false,
            None,
        )
        .unwrap_err();
        assert!(err.rule.contains("Art. 26.2.4"), "{err:?}");
    }

    #[test]
    fn registered_in_error_names_the_same_holders_live_replacing_document() {
        let other = "25110-72120001-4-020326-0042-00000002";
        let ok = replacement(other, HOLDER, false);
        assert_eq!(
            official_cancellation(
                Some(Ground::RegisteredInError),
                SERIAL,
                HOLDER,
                true,
                Some(&ok)
            ),
            Ok(Ground::RegisteredInError)
        );
        let cases = [
            (false, None, "is required"),
            (true, None, "names no document"),
            (
                true,
                Some(replacement(SERIAL, HOLDER, false)),
                "being cancelled",
            ),
            (
                true,
                Some(replacement(other, "040101600011", false)),
                "another person",
            ),
            (
                true,
                Some(replacement(other, HOLDER, true)),
                "cancelled itself",
            ),
        ];
        for (given, found, rule) in cases {
            let err = official_cancellation(
                Some(Ground::RegisteredInError),
                SERIAL,
                HOLDER,
                given,
                found.as_ref(),
            )
            .unwrap_err();
            assert_eq!(err.field, "replaced_by_serial_number");
            assert!(err.rule.contains(rule), "{rule}: {err:?}");
        }
        let err =
            official_cancellation(Some(Ground::CourtDecision), SERIAL, HOLDER, true, Some(&ok))
                .unwrap_err();
        assert_eq!(err.field, "replaced_by_serial_number");
    }

    #[test]
    fn grounds_read_back_from_their_codes() {
        for g in [
            Ground::CourtDecision,
            Ground::RegisteredInError,
            Ground::RevocationOnComplaints,
        ] {
            assert_eq!(Ground::from_code(g.code()), Some(g));
        }
        assert_eq!(Ground::from_code("whim"), None);
    }
}
