//! Conversions between the contract and the domain: a leaf module the handlers, the cases and
//! the events share.

use chrono::NaiveDate;
use nsk_proto::nsk::common::v1 as common;
use nsk_proto::nsk::vouchers::v1 as pb;

use crate::domain::voucher::{Outcome, Status};
use crate::store::{Basis, ClaimRow, StoredTerms, StoredVoucher};

pub fn basis_to_proto(b: &Basis) -> common::BasisDocument {
    common::BasisDocument {
        number: b.number.clone(),
        date: b.date.to_string(),
        title: b.title.clone(),
    }
}

pub fn terms_to_proto(t: &StoredTerms) -> pb::VoucherTerms {
    pb::VoucherTerms {
        year: t.terms.year,
        validity_days: i32::try_from(t.terms.validity_days).unwrap_or(i32::MAX),
        regions: t
            .terms
            .regions
            .iter()
            .map(|(region, r)| {
                let committed = t.committed.get(region).copied().unwrap_or_default();
                pb::RegionTerms {
                    region: region.clone(),
                    rate_tiyn: r.rate_tiyn,
                    budget_count: r.budget_count,
                    budget_tiyn: r.budget_tiyn,
                    committed_count: committed.count,
                    committed_tiyn: committed.tiyn,
                }
            })
            .collect(),
        version: t.version,
        basis: Some(basis_to_proto(&t.basis)),
        stamp: Some(common::ChangeStamp {
            actor: t.actor.clone(),
            at: t
                .updated_at
                .to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
            ..Default::default()
        }),
    }
}

pub fn status_to_proto(s: &Status) -> pb::VoucherStatus {
    match s {
        Status::Issued => pb::VoucherStatus::Issued,
        Status::Redeemed { .. } => pb::VoucherStatus::Redeemed,
        Status::Used { .. } => pb::VoucherStatus::Used,
        Status::Expired { .. } => pb::VoucherStatus::Expired,
        Status::Cancelled { .. } => pb::VoucherStatus::Cancelled,
    }
}

/// The status codes a proto status stands for in the store (a used voucher has two).
pub fn status_codes(raw: i32) -> Option<Vec<String>> {
    let codes: &[&str] = match pb::VoucherStatus::try_from(raw).ok()? {
        pb::VoucherStatus::Unspecified => &[],
        pb::VoucherStatus::Issued => &["issued"],
        pb::VoucherStatus::Redeemed => &["redeemed"],
        pb::VoucherStatus::Used => &["used_passed", "used_failed"],
        pb::VoucherStatus::Expired => &["expired"],
        pb::VoucherStatus::Cancelled => &["cancelled"],
    };
    Some(codes.iter().map(|c| c.to_string()).collect())
}

fn day(d: NaiveDate) -> String {
    d.to_string()
}

/// The whole voucher, for those who may read its holder.
pub fn voucher_to_proto(s: &StoredVoucher) -> pb::Voucher {
    let v = &s.voucher;
    let (center, profession, level, reason) = match &v.status {
        Status::Redeemed {
            center,
            profession,
            level,
            ..
        } => (
            center.to_string(),
            profession.to_string(),
            i32::from(*level),
            String::new(),
        ),
        Status::Used {
            center, outcome, ..
        } => (
            center.to_string(),
            String::new(),
            0,
            match outcome {
                Outcome::Passed { document_serial } => document_serial.clone(),
                Outcome::Failed => String::new(),
            },
        ),
        Status::Cancelled { reason, .. } => (String::new(), String::new(), 0, reason.clone()),
        _ => (String::new(), String::new(), 0, String::new()),
    };
    pb::Voucher {
        id: v.id.to_string(),
        number: s.number.clone(),
        holder_iin: v.holder_iin.clone(),
        holder_name: s.holder_name.clone(),
        region: v.region.clone(),
        registration: Some(pb::UnemploymentRegistration {
            number: s.registration.number.clone(),
            date: day(s.registration.date),
            office: s.registration.office.clone(),
        }),
        issued_on: day(v.issued_on),
        valid_until: day(v.valid_until),
        status: status_to_proto(&v.status) as i32,
        status_since: day(s.status_since),
        rate_tiyn: v.rate_tiyn,
        terms_version: s.terms_version,
        sick_leaves: v
            .sick_leaves
            .iter()
            .map(|l| pb::SickLeave {
                number: l.number.clone(),
                from: day(l.from),
                to: day(l.to),
            })
            .collect(),
        center_number: center,
        profession_id: profession,
        nqf_level: level,
        cancel_reason: reason,
        application_id: s.application_id.map(|a| a.to_string()).unwrap_or_default(),
    }
}

/// What anyone sees by the voucher's number: nothing of its holder.
pub fn check_to_proto(s: &StoredVoucher) -> pb::VoucherCheck {
    pb::VoucherCheck {
        number: s.number.clone(),
        status: status_to_proto(&s.voucher.status) as i32,
        valid_until: day(s.voucher.valid_until),
        region: s.voucher.region.clone(),
    }
}

pub fn claim_to_proto(c: &ClaimRow) -> pb::Reimbursement {
    pb::Reimbursement {
        id: c.id.to_string(),
        voucher_id: c.voucher_id.to_string(),
        center_number: c.center_number.to_string(),
        document_serial: c.document_serial.clone().unwrap_or_default(),
        amount_tiyn: c.amount_tiyn,
        due_since: c.claimed_on.to_string(),
        region: c.region.clone(),
        outcome: c.outcome.clone(),
        status: c.status.clone(),
        reason: c.reason.clone().unwrap_or_default(),
    }
}

/// One line of the finance export; the header is [`CLAIMS_CSV_HEADER`].
pub fn claim_csv_line(c: &ClaimRow) -> String {
    let quote = |s: &str| {
        if s.contains([',', '"', '\n']) {
            format!("\"{}\"", s.replace('"', "\"\""))
        } else {
            s.to_string()
        }
    };
    format!(
        "{},{},{},{},{},{},{},{},{}\n",
        c.id,
        c.claimed_on,
        quote(&c.region),
        c.center_number,
        c.voucher_id,
        quote(c.document_serial.as_deref().unwrap_or("")),
        c.outcome,
        c.status,
        c.amount_tiyn
    )
}

pub const CLAIMS_CSV_HEADER: &str =
    "claim_id,claimed_on,region,center_number,voucher_id,document_serial,outcome,status,amount_tiyn\n";
