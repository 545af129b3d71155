//! A document issued after a procedure on the platform (Rules p. 18, 23): it must be that
//! procedure's — passed (or upheld on appeal) at this center, for this holder, profession,
//! level and day — and each procedure gives one document.

use chrono::NaiveDate;
use uuid::Uuid;

use super::holder::HolderId;

/// A passed procedure as the registry heard it from the recognition service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PassedProcedure {
    pub application_id: Uuid,
    pub center: nsk_kz::CenterNumber,
    pub profession_id: Uuid,
    pub nqf_level: i32,
    pub held_on: NaiveDate,
    pub holder_iin: String,
    pub holder_document: Option<(String, String)>,
    /// The document already registered after it.
    pub document_id: Option<Uuid>,
}

/// What the document says of itself, to hold against the procedure.
pub struct Claimed<'a> {
    pub center: nsk_kz::CenterNumber,
    pub holder: &'a HolderId,
    pub profession_id: Uuid,
    pub nqf_level: i32,
    pub procedure_date: NaiveDate,
}

/// Every reason the document cannot name procedure `id` (`known` as heard, if at all).
pub fn refusals(id: Uuid, known: Option<&PassedProcedure>, claimed: &Claimed<'_>) -> Vec<String> {
    let Some(p) = known else {
        return vec![format!(
            "procedure {id} is not a passed procedure the registry knows (a pass, or an appeal upheld, is published when its protocol is recorded)"
        )];
    };
    let mut out = Vec::new();
    if p.center != claimed.center {
        out.push(format!(
            "procedure {id} was held at center {}, not at center {}",
            p.center, claimed.center
        ));
    }
    let same_holder = match (claimed.holder, &p.holder_document) {
        (HolderId::Iin(iin), _) => iin.as_str() == p.holder_iin,
        (HolderId::Document { number, country }, Some((n, c))) => number == n && country == c,
        (HolderId::Document { .. }, None) => false,
    };
    if !same_holder {
        out.push(format!("procedure {id} was another person's"));
    }
    if p.profession_id != claimed.profession_id || p.nqf_level != claimed.nqf_level {
        out.push(format!(
            "procedure {id} recognised another profession or level (level {})",
            p.nqf_level
        ));
    }
    if p.held_on != claimed.procedure_date {
        out.push(format!(
            "procedure {id} was held on {}, not on {} (Appendix 2: the serial carries the day of the procedure)",
            p.held_on, claimed.procedure_date
        ));
    }
    if let Some(document) = p.document_id {
        out.push(format!(
            "procedure {id} already has its document ({document}); one procedure, one document"
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn a_document_names_only_its_own_passed_procedure_once_p18() {
        let id = Uuid::now_v7();
        let center = nsk_kz::CenterNumber::from_i32(42).unwrap();
        let profession_id = Uuid::now_v7();
        let holder = HolderId::Iin(nsk_kz::Iin::parse("900101300037").unwrap());
        let known = PassedProcedure {
            application_id: id,
            center,
            profession_id,
            nqf_level: 4,
            held_on: day("2026-12-22"),
            holder_iin: "900101300037".into(),
            holder_document: None,
            document_id: None,
        };
        let claimed = Claimed {
            center,
            holder: &holder,
            profession_id,
            nqf_level: 4,
            procedure_date: day("2026-12-22"),
        };
        assert!(refusals(id, Some(&known), &claimed).is_empty());
        assert_eq!(refusals(id, None, &claimed).len(), 1);
        let other = HolderId::Iin(nsk_kz::Iin::parse("880515400018").unwrap());
        let wrong = Claimed {
            center: nsk_kz::CenterNumber::from_i32(43).unwrap(),
            holder: &other,
            profession_id,
            nqf_level: 3,
            procedure_date: day("2026-12-23"),
        };
        assert_eq!(refusals(id, Some(&known), &wrong).len(), 4);
        let linked = PassedProcedure {
            document_id: Some(Uuid::now_v7()),
            ..known
        };
        let twice = refusals(id, Some(&linked), &claimed);
        assert!(
            twice[0].contains("one procedure, one document"),
            "{twice:?}"
        );
    }
}
