//! A document issued after a procedure on the platform (Rules p. 18, 23): it must be that
//! procedure's — passed (or upheld on appeal) at this center, for this holder, profession,
//! level and day, on its protocol, with its voucher — and each procedure gives one document.

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
    /// The commission's protocol (Rules p. 17), or the appeal commission's (p. 22).
    pub protocol_number: String,
    pub protocol_date: NaiveDate,
    /// The voucher the candidate applied with, if any (Art. 29.2): the document carries it.
    pub voucher_id: Option<Uuid>,
    /// The document already registered after it.
    pub document_id: Option<Uuid>,
}

/// What the document says of itself, to hold against the procedure.
#[derive(Clone, Copy)]
pub struct Claimed<'a> {
    pub center: nsk_kz::CenterNumber,
    pub holder: &'a HolderId,
    pub profession_id: Uuid,
    pub nqf_level: i32,
    pub procedure_date: NaiveDate,
    pub protocol_number: &'a str,
    pub protocol_date: NaiveDate,
    /// The voucher the center named, as it wrote it ("" for none).
    pub voucher_id: &'a str,
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
    // Rules p. 17-18: the document rests on the protocol the procedure was recorded with.
    if p.protocol_number != claimed.protocol_number || p.protocol_date != claimed.protocol_date {
        out.push(format!(
            "procedure {id} was recorded with protocol {} of {}, not {} of {} (Rules p. 17)",
            p.protocol_number, p.protocol_date, claimed.protocol_number, claimed.protocol_date
        ));
    }
    // Art. 29.2: the voucher is the one the candidate applied with; the document carries it
    // whether the center names it or not.
    match (p.voucher_id, claimed.voucher_id.trim()) {
        (_, "") => {}
        (Some(v), named) if Uuid::parse_str(named).ok() == Some(v) => {}
        (Some(v), named) => out.push(format!(
            "procedure {id} was applied for with voucher {v}, not {named}"
        )),
        (None, named) => out.push(format!(
            "procedure {id} was applied for without a voucher: it cannot name voucher {named}"
        )),
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
            protocol_number: "P-17".into(),
            protocol_date: day("2026-12-23"),
            voucher_id: None,
            document_id: None,
        };
        let claimed = Claimed {
            center,
            holder: &holder,
            profession_id,
            nqf_level: 4,
            procedure_date: day("2026-12-22"),
            protocol_number: "P-17",
            protocol_date: day("2026-12-23"),
            voucher_id: "",
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
            protocol_number: "P-17",
            protocol_date: day("2026-12-24"),
            voucher_id: "0195f000-0000-7000-8000-000000000001",
        };
        let reasons = refusals(id, Some(&known), &wrong);
        assert_eq!(reasons.len(), 6, "{reasons:?}");
        assert!(reasons[4].contains("protocol P-17 of 2026-12-23, not P-17 of 2026-12-24"));
        assert!(reasons[5].contains("without a voucher"));
        let linked = PassedProcedure {
            document_id: Some(Uuid::now_v7()),
            ..known
        };
        let voucher = Uuid::now_v7();
        let with_voucher = PassedProcedure {
            voucher_id: Some(voucher),
            ..linked.clone()
        };
        let named_other = Claimed {
            voucher_id: "0195f000-0000-7000-8000-000000000001",
            ..claimed
        };
        let other_voucher = refusals(id, Some(&with_voucher), &named_other);
        assert!(
            other_voucher[0].contains(&format!("with voucher {voucher}")),
            "{other_voucher:?}"
        );
        let own = voucher.to_string();
        let named_own = Claimed {
            voucher_id: &own,
            ..claimed
        };
        assert_eq!(
            refusals(id, Some(&with_voucher), &named_own).len(),
            1,
            "only the link"
        );
        let twice = refusals(id, Some(&linked), &claimed);
        assert!(
            twice[0].contains("one procedure, one document"),
            "{twice:?}"
        );
    }
}
