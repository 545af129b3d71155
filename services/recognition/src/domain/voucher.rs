//! The voucher a candidate applies with (Law Art. 29). "The person alone chooses the profession
//! and the recognition center" (Art. 29.2): applying to a center with the voucher is that
//! choice, and the register of vouchers redeems it for the application — or says why not. The
//! procedure then uses it: "the passage of the procedure" is paid, passed or failed (Art.
//! 29.4); a refused application gives it back. Only a person with an IIN holds one: it is
//! given to a registered unemployed person (Art. 1.11), registered by IIN.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::deadlines::Party;
use super::procedure::{Notice, NoticeKind};
use super::Refused;

/// Where the voucher applied with stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Standing {
    /// Sent with the application; the register of vouchers has not answered yet.
    Presented,
    Redeemed,
    NotRedeemed {
        reason: String,
    },
    /// Given back: the application was refused.
    Released,
    /// Used by the procedure's outcome.
    Used,
}

/// What the register of vouchers answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    Redeemed,
    NotRedeemed(String),
    Released,
    Used,
}

/// Art. 1.11: a voucher names its holder by IIN; a candidate without one (Art. 2.4) holds none.
pub fn may_present(has_iin: bool) -> Result<(), Refused> {
    if has_iin {
        Ok(())
    } else {
        Err(Refused::field(
            "voucher_id",
            "a voucher is given to a registered unemployed person by IIN (Art. 1.11): an application with a voucher names the candidate's IIN",
        ))
    }
}

/// How the standing moves on an answer, and what the candidate and the center are told;
/// `None` when it does not move (no voucher, heard twice, or an answer that no longer fits).
pub fn hear(
    current: Option<&Standing>,
    answer: Answer,
    on: NaiveDate,
) -> Option<(Standing, Vec<Notice>)> {
    let notice = |to: Party, text: String| Notice {
        kind: NoticeKind::Voucher,
        to,
        text,
        sent_on: on,
    };
    match (current?, answer) {
        (Standing::Presented, Answer::Redeemed) => Some((
            Standing::Redeemed,
            vec![notice(
                Party::Candidate,
                "your voucher is redeemed for this application: the procedure is free of charge to you (Art. 1.11, 29.2)".into(),
            )],
        )),
        (Standing::Presented, Answer::NotRedeemed(reason)) => {
            let text = format!(
                "the voucher was not redeemed: {reason}. The application goes on without it, at the center's price"
            );
            Some((
                Standing::NotRedeemed { reason },
                vec![
                    notice(Party::Candidate, text.clone()),
                    notice(Party::Center, text),
                ],
            ))
        }
        (Standing::Redeemed, Answer::Released) => Some((
            Standing::Released,
            vec![notice(
                Party::Candidate,
                "your voucher is yours again: the application was refused, and the voucher may go with another application while it is valid (Art. 29.3)".into(),
            )],
        )),
        (Standing::Presented | Standing::Redeemed, Answer::Used) => Some((Standing::Used, vec![])),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d() -> NaiveDate {
        NaiveDate::from_ymd_opt(2027, 3, 24).unwrap()
    }

    #[test]
    fn only_a_candidate_with_an_iin_applies_with_a_voucher_art_1_11() {
        assert!(may_present(true).is_ok());
        let refused = may_present(false).unwrap_err();
        assert_eq!(refused.field, Some("voucher_id"));
        assert!(refused.message.contains("Art. 1.11"));
    }

    #[test]
    fn redeemed_then_used_and_each_answer_heard_once() {
        let (s, notices) = hear(Some(&Standing::Presented), Answer::Redeemed, d()).unwrap();
        assert_eq!(s, Standing::Redeemed);
        assert_eq!(notices.len(), 1);
        assert_eq!(notices[0].to, Party::Candidate);
        assert_eq!(notices[0].sent_on, d());
        assert!(
            hear(Some(&s), Answer::Redeemed, d()).is_none(),
            "heard twice"
        );
        let (s, notices) = hear(Some(&s), Answer::Used, d()).unwrap();
        assert_eq!((s.clone(), notices.len()), (Standing::Used, 0));
        assert!(hear(Some(&s), Answer::Used, d()).is_none());
        assert!(
            hear(Some(&s), Answer::Released, d()).is_none(),
            "a used voucher stays used"
        );
    }

    #[test]
    fn a_voucher_not_redeemed_tells_both_sides_why() {
        let (s, notices) = hear(
            Some(&Standing::Presented),
            Answer::NotRedeemed("the voucher was valid until 2027-01-31 (Art. 29.3)".into()),
            d(),
        )
        .unwrap();
        assert!(matches!(&s, Standing::NotRedeemed { reason } if reason.contains("2027-01-31")));
        let to: Vec<_> = notices.iter().map(|n| n.to).collect();
        assert_eq!(to, vec![Party::Candidate, Party::Center]);
        assert!(notices
            .iter()
            .all(|n| n.text.contains("valid until 2027-01-31")));
        assert!(
            hear(Some(&s), Answer::Used, d()).is_none(),
            "never redeemed, never used"
        );
    }

    #[test]
    fn a_refused_application_gives_the_voucher_back() {
        let (s, notices) = hear(Some(&Standing::Redeemed), Answer::Released, d()).unwrap();
        assert_eq!(s, Standing::Released);
        assert_eq!(notices[0].to, Party::Candidate);
        assert!(
            hear(None, Answer::Released, d()).is_none(),
            "no voucher applied with"
        );
    }
}
