//! The reimbursement claim of a center (Art. 29.4: the center is reimbursed for "the passage
//! of the procedure" — passed or failed). Claimed when the voucher is used, at the rate its
//! region had when the voucher was issued; the authorized body approves and pays it, or rejects
//! it with a reason.

use super::Refused;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClaimStatus {
    Claimed,
    Approved,
    Paid,
    Rejected { reason: String },
}

impl ClaimStatus {
    pub fn code(&self) -> &'static str {
        match self {
            ClaimStatus::Claimed => "claimed",
            ClaimStatus::Approved => "approved",
            ClaimStatus::Paid => "paid",
            ClaimStatus::Rejected { .. } => "rejected",
        }
    }

    pub fn approve(&self) -> Result<ClaimStatus, Refused> {
        match self {
            ClaimStatus::Claimed => Ok(ClaimStatus::Approved),
            other => Err(Refused::new(format!(
                "the claim is {}: only a claimed one is approved",
                other.code()
            ))),
        }
    }

    pub fn pay(&self) -> Result<ClaimStatus, Refused> {
        match self {
            ClaimStatus::Approved => Ok(ClaimStatus::Paid),
            other => Err(Refused::new(format!(
                "the claim is {}: only an approved one is paid",
                other.code()
            ))),
        }
    }

    pub fn reject(&self, reason: &str) -> Result<ClaimStatus, Refused> {
        let reason = reason.trim();
        if reason.is_empty() {
            return Err(Refused::new("a rejection gives its reason"));
        }
        match self {
            ClaimStatus::Claimed | ClaimStatus::Approved => Ok(ClaimStatus::Rejected {
                reason: reason.to_string(),
            }),
            other => Err(Refused::new(format!(
                "the claim is {}: a paid or rejected claim is not rejected",
                other.code()
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_claim_moves_claimed_approved_paid_or_is_rejected_with_a_reason_art_29_4() {
        let claimed = ClaimStatus::Claimed;
        let approved = claimed.approve().unwrap();
        assert_eq!(approved.pay(), Ok(ClaimStatus::Paid));
        assert!(claimed.pay().is_err(), "paid only once approved");
        assert!(ClaimStatus::Paid.reject("late").is_err());
        assert!(approved.reject("  ").is_err());
        assert_eq!(
            approved.reject("no protocol attached"),
            Ok(ClaimStatus::Rejected {
                reason: "no protocol attached".into()
            })
        );
    }
}
