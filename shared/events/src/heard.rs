//! What a service hears of the registers it does not keep, decoded once: the certificates of
//! recognition centers (accreditation's events: issued, reissued, renewed, revoked,
//! terminated) and the entries of the register of professions. Each service stores what it
//! hears in its own read model; the decoding, and what a certificate's scope says, are here.

use chrono::NaiveDate;
use nsk_proto::nsk::accreditation::v1 as accreditation;
use nsk_proto::nsk::professions::v1 as professions;
use uuid::Uuid;

use crate::{HandlerError, ReceivedEvent};

/// A center's certificate as it stands after an event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Certificate {
    pub id: Uuid,
    pub center: nsk_kz::CenterNumber,
    /// active, revoked, terminated, expired, replaced.
    pub status: &'static str,
    pub status_since: NaiveDate,
    pub valid_from: NaiveDate,
    pub valid_until: NaiveDate,
    pub scope: Vec<ScopeEntry>,
}

/// A profession of a certificate's scope, at its NQF levels.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ScopeEntry {
    pub profession_id: String,
    pub nqf_levels: Vec<i32>,
}

/// An entry of the register of professions as it stands after an event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Profession {
    pub id: Uuid,
    /// In the register, not excluded.
    pub active: bool,
    pub nqf_levels: Vec<i32>,
    pub version: i64,
}

/// What an event says of those registers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Heard {
    /// The certificate, and the one it replaces from the day it takes effect (re-accreditation
    /// or reissue).
    Certificate {
        certificate: Certificate,
        replaces: Option<(Uuid, NaiveDate)>,
    },
    Profession(Profession),
}

fn date(raw: &str, what: &str) -> Result<NaiveDate, HandlerError> {
    NaiveDate::parse_from_str(raw, "%Y-%m-%d")
        .map_err(|_| HandlerError::Permanent(format!("{what} {raw:?} is not a date")))
}

fn uuid(raw: &str, what: &str) -> Result<Uuid, HandlerError> {
    Uuid::parse_str(raw)
        .map_err(|_| HandlerError::Permanent(format!("{what} {raw:?} is not a UUID")))
}

fn status_code(status: i32) -> &'static str {
    use accreditation::CertificateStatus as S;
    match S::try_from(status) {
        Ok(S::Active) => "active",
        Ok(S::Revoked) => "revoked",
        Ok(S::Terminated) => "terminated",
        Ok(S::Expired) => "expired",
        Ok(S::Replaced) => "replaced",
        _ => "unknown",
    }
}

fn certificate(c: Option<accreditation::Certificate>) -> Result<Certificate, HandlerError> {
    let c = c.ok_or_else(|| HandlerError::Permanent("the event carries no certificate".into()))?;
    Ok(Certificate {
        id: uuid(&c.id, "certificate id")?,
        center: nsk_kz::CenterNumber::parse(&c.center_number)
            .map_err(|_| HandlerError::Permanent(format!("center number {:?}", c.center_number)))?,
        status: status_code(c.status),
        status_since: date(&c.status_since, "status_since")?,
        valid_from: date(&c.valid_from, "valid_from")?,
        valid_until: date(&c.valid_until, "valid_until")?,
        scope: c
            .scope
            .iter()
            .map(|s| ScopeEntry {
                profession_id: s.profession_id.clone(),
                nqf_levels: s.nqf_levels.clone(),
            })
            .collect(),
    })
}

fn replacing(
    c: &Certificate,
    replaced_id: &str,
) -> Result<Option<(Uuid, NaiveDate)>, HandlerError> {
    if replaced_id.is_empty() {
        return Ok(None);
    }
    Ok(Some((
        uuid(replaced_id, "replaced certificate id")?,
        c.valid_from,
    )))
}

/// What `event` says of centers' certificates or the register of professions; `None` for any
/// other event.
pub fn hear(event: &ReceivedEvent) -> Result<Option<Heard>, HandlerError> {
    let heard = if event.is::<accreditation::CertificateIssued>() {
        let e: accreditation::CertificateIssued = event.decode()?;
        let c = certificate(e.certificate)?;
        let replaces = replacing(&c, &e.replaced_certificate_id)?;
        Heard::Certificate {
            certificate: c,
            replaces,
        }
    } else if event.is::<accreditation::CertificateReissued>() {
        let e: accreditation::CertificateReissued = event.decode()?;
        let c = certificate(e.certificate)?;
        let replaces = replacing(&c, &e.previous_certificate_id)?;
        Heard::Certificate {
            certificate: c,
            replaces,
        }
    } else if event.is::<accreditation::CertificateRevoked>() {
        let e: accreditation::CertificateRevoked = event.decode()?;
        Heard::Certificate {
            certificate: certificate(e.certificate)?,
            replaces: None,
        }
    } else if event.is::<accreditation::CertificateRenewed>() {
        let e: accreditation::CertificateRenewed = event.decode()?;
        Heard::Certificate {
            certificate: certificate(e.certificate)?,
            replaces: None,
        }
    } else if event.is::<accreditation::CertificateTerminated>() {
        let e: accreditation::CertificateTerminated = event.decode()?;
        Heard::Certificate {
            certificate: certificate(e.certificate)?,
            replaces: None,
        }
    } else {
        let entry = if event.is::<professions::ProfessionRegistered>() {
            event
                .decode::<professions::ProfessionRegistered>()?
                .profession
        } else if event.is::<professions::ProfessionAmended>() {
            event.decode::<professions::ProfessionAmended>()?.profession
        } else if event.is::<professions::ProfessionExcluded>() {
            event
                .decode::<professions::ProfessionExcluded>()?
                .profession
        } else if event.is::<professions::ProfessionReinstated>() {
            event
                .decode::<professions::ProfessionReinstated>()?
                .profession
        } else {
            return Ok(None);
        };
        let p = entry
            .ok_or_else(|| HandlerError::Permanent("the event carries no profession".into()))?;
        Heard::Profession(Profession {
            id: uuid(&p.id, "profession id")?,
            active: p.status == professions::ProfessionStatus::Active as i32,
            nqf_levels: p.nqf_levels,
            version: p.version,
        })
    };
    Ok(Some(heard))
}

/// The NQF levels `profession` has in the scopes of a center's active certificates (each scope
/// as stored: `[{"profession_id", "nqf_levels"}]`); `None` when no scope names it.
pub fn levels_in_scopes(scopes: &[serde_json::Value], profession: Uuid) -> Option<Vec<u8>> {
    let wanted = profession.to_string();
    scopes.iter().find_map(|scope| {
        let entries: Vec<ScopeEntry> = serde_json::from_value(scope.clone()).ok()?;
        entries
            .into_iter()
            .find(|e| e.profession_id == wanted)
            .map(|e| {
                e.nqf_levels
                    .into_iter()
                    .filter_map(|n| u8::try_from(n).ok())
                    .collect()
            })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_levels_of_a_profession_are_read_from_any_active_scope_that_names_it() {
        let welder = Uuid::now_v7();
        let baker = Uuid::now_v7();
        let scopes = vec![
            serde_json::json!([{"profession_id": baker.to_string(), "nqf_levels": [2]}]),
            serde_json::json!([{"profession_id": welder.to_string(), "nqf_levels": [3, 4]}]),
        ];
        assert_eq!(levels_in_scopes(&scopes, welder), Some(vec![3, 4]));
        assert_eq!(levels_in_scopes(&scopes, baker), Some(vec![2]));
        assert_eq!(levels_in_scopes(&scopes, Uuid::now_v7()), None);
        assert_eq!(levels_in_scopes(&[], welder), None);
    }
}
