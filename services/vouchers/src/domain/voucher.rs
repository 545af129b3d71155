//! The voucher (Law Art. 1.11: "an electronic document ... entitling a registered unemployed
//! person to undergo the procedure of recognition of professional qualifications free of
//! charge"; Art. 29). Issued by an employment office; the holder alone chooses the profession
//! and the center, which redeems it for the procedure (Art. 29.2); used when the procedure ends,
//! passed or failed — either way the center is reimbursed for its passage (Art. 29.4); extended
//! for the holder's temporary disability, cancelled if not used within its validity (Art. 29.3).

use chrono::{Days, NaiveDate};
use nsk_kz::CenterNumber;
use uuid::Uuid;

use super::Refused;

/// How a procedure ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Passed: the document registered names the voucher.
    Passed {
        document_serial: String,
    },
    Failed,
}

/// Where the voucher stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Status {
    Issued,
    /// A center took it for a procedure in a profession at a level.
    Redeemed {
        center: CenterNumber,
        profession: Uuid,
        level: u8,
        on: NaiveDate,
    },
    Used {
        center: CenterNumber,
        outcome: Outcome,
        on: NaiveDate,
    },
    Expired {
        on: NaiveDate,
    },
    Cancelled {
        on: NaiveDate,
        reason: String,
    },
}

impl Status {
    pub fn code(&self) -> &'static str {
        match self {
            Status::Issued => "issued",
            Status::Redeemed { .. } => "redeemed",
            Status::Used { .. } => "used",
            Status::Expired { .. } => "expired",
            Status::Cancelled { .. } => "cancelled",
        }
    }
}

/// A sheet of temporary disability (sick leave), from and to inclusive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SickLeave {
    pub number: String,
    pub from: NaiveDate,
    pub to: NaiveDate,
}

/// What a center is, for the voucher, on the day it acts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CenterToday {
    pub number: CenterNumber,
    /// Its certificate is active today.
    pub active: bool,
    /// The levels at which its scope covers the profession; `None` if not at all.
    pub levels: Option<Vec<u8>>,
}

/// What happened, for the event and the budget.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Happened {
    Redeemed,
    Released,
    /// Used: a reimbursement claim for the center.
    Used,
    Extended {
        days: u32,
    },
    /// Expired or cancelled unused: the region's budget is released.
    Ended,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Voucher {
    pub id: Uuid,
    pub holder_iin: String,
    pub region: String,
    pub issued_on: NaiveDate,
    /// The last day before any extension.
    pub base_until: NaiveDate,
    pub valid_until: NaiveDate,
    pub status: Status,
    pub sick_leaves: Vec<SickLeave>,
    /// The reimbursement rate of its region and year when issued (tiyn).
    pub rate_tiyn: i64,
}

impl Voucher {
    /// Art. 29.2: a center redeems it for a procedure chosen by the holder — only with an
    /// active certificate whose scope covers the profession at that level, only while the
    /// voucher is valid, only for its holder.
    pub fn redeem(
        &mut self,
        center: &CenterToday,
        holder_iin: &str,
        profession: Uuid,
        profession_in_register: bool,
        level: u8,
        today: NaiveDate,
    ) -> Result<Happened, Refused> {
        // Another person learns nothing of the voucher: not its state, not its center.
        if holder_iin != self.holder_iin {
            return Err(Refused::new(
                "the voucher is its holder's alone: the IIN does not match (Art. 1.11)",
            ));
        }
        match &self.status {
            Status::Issued => {}
            Status::Redeemed { center: c, .. } if *c == center.number => {
                return Err(Refused::new(format!(
                    "center {c} has already redeemed this voucher"
                )))
            }
            Status::Redeemed { center: c, .. } => {
                return Err(Refused::new(format!(
                    "the voucher is redeemed by center {c}: it is redeemed elsewhere only after that center releases it (Art. 29.2)"
                )))
            }
            other => {
                return Err(Refused::new(format!(
                    "the voucher is {}: only an issued voucher is redeemed",
                    other.code()
                )))
            }
        }
        let mut reasons = Vec::new();
        if today > self.valid_until {
            reasons.push(format!(
                "the voucher was valid until {} (Art. 29.3)",
                self.valid_until
            ));
        }
        if !profession_in_register {
            reasons.push(
                "the profession is not in the register of professions (Art. 29.2)".to_string(),
            );
        }
        if !center.active {
            reasons.push(format!(
                "center {} has no active accreditation certificate today",
                center.number
            ));
        }
        match &center.levels {
            None => reasons.push(format!(
                "the accreditation of center {} does not cover this profession",
                center.number
            )),
            Some(levels) if !levels.contains(&level) => reasons.push(format!(
                "the accreditation of center {} covers this profession at levels {:?}, not {level}",
                center.number, levels
            )),
            Some(_) => {}
        }
        if !reasons.is_empty() {
            return Err(Refused::new(reasons.join("; ")));
        }
        self.status = Status::Redeemed {
            center: center.number,
            profession,
            level,
            on: today,
        };
        Ok(Happened::Redeemed)
    }

    /// The redeeming center gives the voucher back (the holder chose another center).
    pub fn release(&mut self, center: CenterNumber) -> Result<Happened, Refused> {
        match &self.status {
            Status::Redeemed { center: c, .. } if *c == center => {
                self.status = Status::Issued;
                Ok(Happened::Released)
            }
            Status::Redeemed { center: c, .. } => Err(Refused::new(format!(
                "the voucher is redeemed by center {c}, not {center}: only that center releases it"
            ))),
            other => Err(Refused::new(format!(
                "the voucher is {}: only a redeemed voucher is released",
                other.code()
            ))),
        }
    }

    /// The procedure ended: the voucher is used, and the center is reimbursed for its passage
    /// whatever the outcome (Art. 29.4). A document naming the voucher must be the redeeming
    /// center's, for the holder and the profession it was redeemed for.
    pub fn use_for(
        &mut self,
        center: CenterNumber,
        holder_iin: &str,
        profession: Uuid,
        outcome: Outcome,
        today: NaiveDate,
    ) -> Result<Happened, Refused> {
        let Status::Redeemed {
            center: by,
            profession: for_profession,
            ..
        } = &self.status
        else {
            return Err(Refused::new(format!(
                "the voucher is {}: a procedure uses only a voucher its center redeemed (Art. 29.2)",
                self.status.code()
            )));
        };
        let mut reasons = Vec::new();
        if *by != center {
            reasons.push(format!(
                "the voucher was redeemed by center {by}, not {center}"
            ));
        }
        if holder_iin != self.holder_iin {
            reasons
                .push("the document is for another person than the voucher's holder".to_string());
        }
        if *for_profession != profession {
            reasons.push("the voucher was redeemed for another profession".to_string());
        }
        if !reasons.is_empty() {
            return Err(Refused::new(reasons.join("; ")));
        }
        self.status = Status::Used {
            center,
            outcome,
            on: today,
        };
        Ok(Happened::Used)
    }

    /// A voucher already used by a procedure on the platform learns how that procedure stands
    /// last: an appeal upheld after a fail (Rules p. 23), or the document registered after a
    /// pass (p. 18), makes the outcome a pass; the reimbursement is the same either way (Art.
    /// 29.4). `Ok(false)` when nothing changes (heard before).
    pub fn revise_to_pass(&mut self, document_serial: Option<&str>) -> Result<bool, Refused> {
        let Status::Used { outcome, .. } = &mut self.status else {
            return Err(Refused::new(format!(
                "the voucher is {}: only a used voucher's outcome is revised",
                self.status.code()
            )));
        };
        match (outcome.clone(), document_serial) {
            (Outcome::Passed { document_serial: known }, Some(serial))
                if !known.is_empty() && known != serial =>
            {
                Err(Refused::new(format!(
                    "the voucher's procedure already has its document {known}, not {serial}: one procedure, one document"
                )))
            }
            (Outcome::Passed { document_serial: known }, serial)
                if serial.is_none_or(|s| s == known) =>
            {
                Ok(false)
            }
            (_, serial) => {
                *outcome = Outcome::Passed {
                    document_serial: serial.unwrap_or_default().to_string(),
                };
                Ok(true)
            }
        }
    }

    /// Art. 29.3: extended for the period of the holder's temporary disability — by the days
    /// of disability that fall within the validity, each day counted once however many sheets
    /// cover it; a day of an extension covered by a sheet extends it further.
    pub fn extend(&mut self, sheet: SickLeave) -> Result<Happened, Refused> {
        if !matches!(self.status, Status::Issued | Status::Redeemed { .. }) {
            return Err(Refused::new(format!(
                "the voucher is {}: only a voucher still to be used is extended (Art. 29.3)",
                self.status.code()
            )));
        }
        if sheet.to < sheet.from {
            return Err(Refused::new("the sheet ends before it begins"));
        }
        if self.sick_leaves.iter().any(|s| s.number == sheet.number) {
            return Err(Refused::new(format!(
                "sheet {} is already recorded",
                sheet.number
            )));
        }
        let before = self.valid_until;
        self.sick_leaves.push(sheet);
        self.valid_until = extended_until(self.issued_on, self.base_until, &self.sick_leaves);
        let days = u32::try_from((self.valid_until - before).num_days()).unwrap_or(0);
        Ok(Happened::Extended { days })
    }

    /// Art. 29.3: "cancelled if not used within its validity period". An issued voucher not
    /// redeemed by the end of its last day ends; one redeemed is in use by a procedure.
    pub fn expire(&mut self, today: NaiveDate) -> Result<Happened, Refused> {
        if self.status != Status::Issued {
            return Err(Refused::new(format!(
                "the voucher is {}: only an issued, unredeemed voucher expires",
                self.status.code()
            )));
        }
        if today <= self.valid_until {
            return Err(Refused::new(format!(
                "the voucher is valid until {}",
                self.valid_until
            )));
        }
        self.status = Status::Expired { on: today };
        Ok(Happened::Ended)
    }

    /// The office cancels a voucher not yet used (e.g. the holder found work).
    pub fn cancel(&mut self, reason: &str, today: NaiveDate) -> Result<Happened, Refused> {
        match &self.status {
            Status::Issued => {
                self.status = Status::Cancelled {
                    on: today,
                    reason: reason.to_string(),
                };
                Ok(Happened::Ended)
            }
            Status::Redeemed { center, .. } => Err(Refused::new(format!(
                "the voucher is redeemed by center {center} for a procedure: the center releases it before it is cancelled"
            ))),
            other => Err(Refused::new(format!(
                "the voucher is {}: a used, expired or cancelled voucher is not cancelled",
                other.code()
            ))),
        }
    }
}

/// The last day of validity after the sheets: the base, moved by each day of disability that
/// falls within the validity as it stands, until no further day does.
pub fn extended_until(
    issued_on: NaiveDate,
    base_until: NaiveDate,
    sheets: &[SickLeave],
) -> NaiveDate {
    let mut until = base_until;
    loop {
        let covered = days_covered(sheets, issued_on, until);
        let next = base_until
            .checked_add_days(Days::new(covered))
            .unwrap_or(base_until);
        if next == until {
            return until;
        }
        until = next;
    }
}

/// Distinct days from `from` to `to` (inclusive) that some sheet covers.
fn days_covered(sheets: &[SickLeave], from: NaiveDate, to: NaiveDate) -> u64 {
    let mut spans: Vec<(NaiveDate, NaiveDate)> = sheets
        .iter()
        .map(|s| (s.from.max(from), s.to.min(to)))
        .filter(|(a, b)| a <= b)
        .collect();
    spans.sort();
    let mut days = 0u64;
    let mut reached: Option<NaiveDate> = None;
    for (a, b) in spans {
        let start = match reached {
            Some(r) if r >= a => match r.succ_opt() {
                Some(next) => next,
                None => continue,
            },
            _ => a,
        };
        if start <= b {
            days += u64::try_from((b - start).num_days() + 1).unwrap_or(0);
        }
        reached = Some(reached.map_or(b, |r| r.max(b)));
    }
    days
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    const HOLDER: &str = "900101300037";

    fn voucher() -> Voucher {
        Voucher {
            id: Uuid::from_u128(1),
            holder_iin: HOLDER.into(),
            region: "karaganda".into(),
            issued_on: d("2026-11-02"),
            base_until: d("2027-01-31"),
            valid_until: d("2027-01-31"),
            status: Status::Issued,
            sick_leaves: vec![],
            rate_tiyn: 4_500_000,
        }
    }

    fn n(number: u16) -> CenterNumber {
        CenterNumber::new(number).unwrap()
    }

    fn center(number: u16) -> CenterToday {
        CenterToday {
            number: n(number),
            active: true,
            levels: Some(vec![3, 4]),
        }
    }

    fn sheet(number: &str, from: &str, to: &str) -> SickLeave {
        SickLeave {
            number: number.into(),
            from: d(from),
            to: d(to),
        }
    }

    const WELDER: Uuid = Uuid::from_u128(7);

    #[test]
    fn a_center_redeems_it_for_its_holder_in_its_scope_while_valid_art_29_2() {
        let mut v = voucher();
        assert_eq!(
            v.redeem(&center(42), HOLDER, WELDER, true, 4, d("2026-11-23")),
            Ok(Happened::Redeemed)
        );
        // Elsewhere only after a release, and only the redeeming center releases.
        let elsewhere = v
            .redeem(&center(43), HOLDER, WELDER, true, 4, d("2026-11-23"))
            .unwrap_err();
        assert!(
            elsewhere.0.contains("redeemed by center 0042"),
            "{elsewhere}"
        );
        assert!(v.release(n(43)).is_err());
        assert_eq!(v.release(n(42)), Ok(Happened::Released));
        assert!(v
            .redeem(&center(43), HOLDER, WELDER, true, 3, d("2026-11-23"))
            .is_ok());
    }

    #[test]
    fn every_reason_a_redemption_is_refused_is_given() {
        let mut v = voucher();
        let inactive = CenterToday {
            number: n(42),
            active: false,
            levels: Some(vec![3]),
        };
        let stranger = v
            .redeem(&inactive, "040101600011", WELDER, false, 4, d("2027-02-01"))
            .unwrap_err();
        assert_eq!(
            stranger.0, "the voucher is its holder's alone: the IIN does not match (Art. 1.11)",
            "another person learns nothing else of it"
        );
        let err = v
            .redeem(&inactive, HOLDER, WELDER, false, 4, d("2027-02-01"))
            .unwrap_err();
        for part in [
            "valid until 2027-01-31",
            "not in the register",
            "no active",
            "not 4",
        ] {
            assert!(err.0.contains(part), "{part}: {err}");
        }
        assert_eq!(v.status, Status::Issued);
    }

    #[test]
    fn the_procedure_uses_it_passed_or_failed_for_the_redeeming_center_only_art_29_4() {
        let mut v = voucher();
        v.redeem(&center(42), HOLDER, WELDER, true, 4, d("2026-11-23"))
            .unwrap();
        let other = v
            .use_for(n(43), HOLDER, WELDER, Outcome::Failed, d("2026-12-10"))
            .unwrap_err();
        assert!(other.0.contains("not 0043"), "{other}");
        let stranger = v
            .use_for(
                n(42),
                "040101600011",
                Uuid::from_u128(8),
                Outcome::Failed,
                d("2026-12-10"),
            )
            .unwrap_err();
        assert!(stranger.0.contains("another person") && stranger.0.contains("another profession"));
        assert_eq!(
            v.use_for(n(42), HOLDER, WELDER, Outcome::Failed, d("2026-12-10")),
            Ok(Happened::Used)
        );
        assert!(
            v.cancel("found work", d("2026-12-11")).is_err(),
            "a used voucher stays used"
        );
    }

    #[test]
    fn an_appeal_upheld_or_the_document_revises_a_used_voucher_to_a_pass_rules_p_18_23() {
        let mut v = voucher();
        assert!(
            v.revise_to_pass(None).is_err(),
            "an issued voucher has no outcome"
        );
        v.redeem(&center(42), HOLDER, WELDER, true, 4, d("2026-11-23"))
            .unwrap();
        v.use_for(n(42), HOLDER, WELDER, Outcome::Failed, d("2026-12-10"))
            .unwrap();
        // The appeal upheld: a pass, its document still to come.
        assert_eq!(v.revise_to_pass(None), Ok(true));
        assert!(matches!(
            &v.status,
            Status::Used { outcome: Outcome::Passed { document_serial }, on, .. }
                if document_serial.is_empty() && *on == d("2026-12-10")
        ));
        assert_eq!(v.revise_to_pass(None), Ok(false), "heard twice");
        let serial = "41221-72120000-4-101226-0042-00000001";
        assert_eq!(v.revise_to_pass(Some(serial)), Ok(true));
        assert_eq!(v.revise_to_pass(Some(serial)), Ok(false));
        assert_eq!(
            v.revise_to_pass(None),
            Ok(false),
            "a late upheld changes nothing"
        );
        let second = v
            .revise_to_pass(Some("41221-72120000-4-101226-0042-00000002"))
            .unwrap_err();
        assert!(second.0.contains("one procedure, one document"), "{second}");
    }

    #[test]
    fn disability_extends_it_by_the_days_within_its_validity_counted_once_art_29_3() {
        let mut v = voucher();
        // 10-19 January (10 days) and 15-24 January overlapping: 15 distinct days.
        assert_eq!(
            v.extend(sheet("SL-1", "2027-01-10", "2027-01-19")),
            Ok(Happened::Extended { days: 10 })
        );
        assert_eq!(v.valid_until, d("2027-02-10"));
        assert_eq!(
            v.extend(sheet("SL-2", "2027-01-15", "2027-01-24")),
            Ok(Happened::Extended { days: 5 })
        );
        assert_eq!(v.valid_until, d("2027-02-15"));
        // A sheet before the voucher counts only from the day of issue.
        let mut early = voucher();
        early
            .extend(sheet("SL-3", "2026-10-25", "2026-11-03"))
            .unwrap();
        assert_eq!(early.valid_until, d("2027-02-02"));
        // A sheet entirely after the end extends nothing; one in the extension extends further.
        let mut late = voucher();
        assert_eq!(
            late.extend(sheet("SL-4", "2027-03-01", "2027-03-05")),
            Ok(Happened::Extended { days: 0 })
        );
        late.extend(sheet("SL-5", "2027-01-30", "2027-02-02"))
            .unwrap();
        // 30-31 January inside: +2 → 2 February; 1-2 February then inside: +2 → 4 February.
        assert_eq!(late.valid_until, d("2027-02-04"));
        assert!(late
            .extend(sheet("SL-5", "2027-01-01", "2027-01-02"))
            .is_err());
        assert!(late
            .extend(sheet("SL-6", "2027-01-05", "2027-01-02"))
            .is_err());
    }

    #[test]
    fn an_unredeemed_voucher_expires_after_its_last_day_and_is_cancelled_only_unused() {
        let mut v = voucher();
        assert!(
            v.expire(d("2027-01-31")).is_err(),
            "valid through its last day"
        );
        assert_eq!(v.expire(d("2027-02-01")), Ok(Happened::Ended));
        let mut redeemed = voucher();
        redeemed
            .redeem(&center(42), HOLDER, WELDER, true, 4, d("2026-11-23"))
            .unwrap();
        assert!(
            redeemed.expire(d("2027-02-01")).is_err(),
            "in use by a procedure"
        );
        assert!(redeemed
            .cancel("found work", d("2026-11-24"))
            .unwrap_err()
            .0
            .contains("releases it"));
        let mut issued = voucher();
        assert_eq!(
            issued.cancel("found work", d("2026-11-24")),
            Ok(Happened::Ended)
        );
    }
}
