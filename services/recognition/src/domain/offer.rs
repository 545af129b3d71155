//! What a center offers (Law Art. 17.2.1: a center publishes its structure and activities on
//! the platform; Art. 17.2.7: its prices): a profession and level of its accredited scope, the
//! price, the languages (Rules p. 9: Kazakh or Russian at the candidate's choice), offline or
//! online, where, the documents it asks for (p. 4), the retake terms (p. 19), and how soon.

use chrono::NaiveDate;
use uuid::Uuid;

use super::procedure::{Language, Mode};
use super::Refused;

/// Rules p. 6: a procedure is at least ten working days after its notice; a center cannot
/// promise sooner. Four months of working days is the most an offer may state.
pub const MIN_LEAD_WORKING_DAYS: i32 = 10;
pub const MAX_LEAD_WORKING_DAYS: i32 = 120;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OfferStatus {
    Active,
    Withdrawn,
}

impl OfferStatus {
    pub fn code(self) -> &'static str {
        match self {
            OfferStatus::Active => "active",
            OfferStatus::Withdrawn => "withdrawn",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        match code {
            "active" => Some(OfferStatus::Active),
            "withdrawn" => Some(OfferStatus::Withdrawn),
            _ => None,
        }
    }
}

/// The terms of an offer, as the center states them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Terms {
    pub profession_id: Uuid,
    pub nqf_level: i32,
    pub price_tenge: i32,
    pub languages: Vec<Language>,
    pub modes: Vec<Mode>,
    pub region: String,
    pub venue: String,
    pub documents_required: Vec<String>,
    pub retake_terms: String,
    pub lead_working_days: i32,
}

impl Terms {
    /// Every broken rule of the terms, by field (as the contract names it).
    pub fn check(&self) -> Vec<(String, String)> {
        let mut out = Vec::new();
        let mut violate = |field: &str, rule: &str| out.push((field.to_string(), rule.to_string()));
        if self.price_tenge <= 0 {
            violate(
                "price_tenge",
                "must be the price of one procedure in tenge, more than 0 (Art. 17.2.7)",
            );
        }
        if self.languages.is_empty() {
            violate(
                "languages",
                "is required: LANGUAGE_KAZAKH and/or LANGUAGE_RUSSIAN (Rules p. 9)",
            );
        }
        if self.modes.is_empty() {
            violate(
                "modes",
                "is required: MODE_OFFLINE and/or MODE_ONLINE (Rules p. 9)",
            );
        }
        if !nsk_kz::regions::is_region(&self.region) {
            violate(
                "region",
                "must be the region code where the procedure is held offline, or the center's",
            );
        }
        if self.venue.trim().is_empty() {
            violate(
                "venue",
                "is required: the address, or how the online procedure is held",
            );
        }
        if !(MIN_LEAD_WORKING_DAYS..=MAX_LEAD_WORKING_DAYS).contains(&self.lead_working_days) {
            violate(
                "lead_working_days",
                "must be 10-120 working days: a procedure is held no sooner than 10 working days after its notice (Rules p. 6)",
            );
        }
        if self.documents_required.len() > 20 {
            violate("documents_required", "at most 20 documents");
        }
        out
    }
}

/// An offer: its terms, and whether it stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Offer {
    pub id: Uuid,
    pub center: nsk_kz::CenterNumber,
    pub terms: Terms,
    pub status: OfferStatus,
    pub published_on: NaiveDate,
    pub version: i64,
}

impl Offer {
    /// A new offer of `center`; its scope is checked by [`super::procedure::admissible`].
    pub fn publish(center: nsk_kz::CenterNumber, terms: Terms, on: NaiveDate) -> Self {
        Self {
            id: Uuid::now_v7(),
            center,
            terms,
            status: OfferStatus::Active,
            published_on: on,
            version: 1,
        }
    }

    pub fn withdraw(&mut self) -> Result<(), Refused> {
        match self.status {
            OfferStatus::Withdrawn => Err(Refused::new("the offer is already withdrawn")),
            OfferStatus::Active => {
                self.status = OfferStatus::Withdrawn;
                self.version += 1;
                Ok(())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn terms() -> Terms {
        Terms {
            profession_id: Uuid::now_v7(),
            nqf_level: 4,
            price_tenge: 45_000,
            languages: vec![Language::Kazakh, Language::Russian],
            modes: vec![Mode::Offline],
            region: "almaty".into(),
            venue: "Almaty, Tole bi 100".into(),
            documents_required: vec!["work record".into()],
            retake_terms: "a retake of either stage within 3 months at half price".into(),
            lead_working_days: 15,
        }
    }

    #[test]
    fn an_offer_states_a_price_languages_modes_a_region_and_a_lead_of_10_days_at_least_p6_p9() {
        assert!(terms().check().is_empty());
        let mut bad = terms();
        bad.price_tenge = 0;
        bad.languages.clear();
        bad.modes.clear();
        bad.region = "Almaty".into();
        bad.lead_working_days = 9;
        let fields: Vec<String> = bad.check().into_iter().map(|(f, _)| f).collect();
        assert_eq!(
            fields,
            [
                "price_tenge",
                "languages",
                "modes",
                "region",
                "lead_working_days"
            ]
        );
    }

    #[test]
    fn a_withdrawn_offer_stays_withdrawn() {
        let mut offer = Offer::publish(
            nsk_kz::CenterNumber::from_i32(42).unwrap(),
            terms(),
            NaiveDate::from_ymd_opt(2026, 12, 7).unwrap(),
        );
        offer.withdraw().unwrap();
        assert_eq!(offer.status, OfferStatus::Withdrawn);
        assert_eq!(offer.version, 2);
        assert!(offer.withdraw().is_err());
    }
}
