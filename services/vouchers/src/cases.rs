//! One function per command: one transaction — load, let the domain decide, store, append the
//! event — returning the result or an [`ApiError`].

use chrono::{DateTime, NaiveDate, SubsecRound, Utc};
use nsk_db::requests::RequestKey;
use nsk_errors::{ApiError, FieldViolation};
use nsk_events::{Aggregate, EventContext, Outbox};
use nsk_identity::{Identity, Role};
use nsk_proto::nsk::vouchers::v1 as pb;
use sqlx::PgPool;
use uuid::Uuid;

use crate::convert::{terms_to_proto, voucher_to_proto};
use crate::domain::terms::{self, YearTerms};
use crate::domain::voucher::{SickLeave, Status, Voucher};
use crate::domain::Refused;
use crate::store::{self, Registration, StoredTerms, StoredVoucher};

/// The aggregate types in event envelopes.
pub const VOUCHER: &str = "voucher";
pub const TERMS: &str = "voucher_terms";

fn refused(r: Refused) -> ApiError {
    ApiError::failed_precondition(r.0)
}

fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(6)
}

fn context(identity: &Identity, key: Option<&RequestKey>) -> EventContext {
    EventContext {
        actor: identity.subject.clone(),
        request_id: key
            .map(|k| k.id().to_string())
            .unwrap_or_else(|| Uuid::now_v7().to_string()),
    }
}

/// The request key of `identity`'s call of `method` with `request`.
fn key_of<M: prost::Message>(
    identity: &Identity,
    method: &str,
    raw_id: &str,
    request: &M,
) -> Result<Option<RequestKey>, ApiError> {
    RequestKey::new(&identity.subject, method, raw_id, &request.encode_to_vec())
}

/// Records the request id; `Some(id)` when it was applied before (to `id`).
async fn first_time(
    tx: &mut sqlx::PgConnection,
    key: Option<&RequestKey>,
    resource: Uuid,
) -> Result<Option<Uuid>, ApiError> {
    Ok(match nsk_db::requests::once(tx, key, resource).await? {
        nsk_db::requests::Once::First => None,
        nsk_db::requests::Once::Applied(id) => Some(id),
    })
}

/// The office may act in `region` only if it is its own (the office-by-region design).
pub fn check_office_region(identity: &Identity, region: &str) -> Result<(), ApiError> {
    if identity.has(Role::EmploymentOffice) && identity.region.as_deref() != Some(region) {
        return Err(ApiError::permission_denied(format!(
            "an employment office acts for its own region: the token of {} is for {}, not {region}",
            identity.subject,
            identity.region.as_deref().unwrap_or("no region")
        )));
    }
    Ok(())
}

/// A candidate sees their own vouchers: those issued to the IIN their token names (a voucher
/// names its holder by IIN, Art. 1.11; a person known by a foreign document holds none, and
/// their subject matches no holder). `None` for anyone else.
pub fn own_vouchers(identity: &Identity) -> Result<Option<String>, ApiError> {
    let other_role = [
        Role::AuthorizedBodyAdmin,
        Role::Auditor,
        Role::EmploymentOffice,
        Role::RecognitionCenter,
    ]
    .iter()
    .any(|r| identity.has(*r));
    if other_role || !identity.has(Role::Candidate) {
        return Ok(None);
    }
    Ok(Some(match identity.person()? {
        nsk_identity::Person::Iin(iin) => iin.as_str().to_string(),
        other => other.subject(),
    }))
}

/// Sets a year's terms (authorized body).
pub async fn set_terms(
    pool: &PgPool,
    outbox: &Outbox,
    identity: &Identity,
    request: pb::SetVoucherTermsRequest,
) -> Result<StoredTerms, ApiError> {
    let key = key_of(identity, "SetVoucherTerms", &request.request_id, &request)?;
    let basis = request.basis.clone().unwrap_or_default();
    let basis = nsk_errors::fields::document(&basis.number, &basis.date, &basis.title, "basis")?;
    let mut regions = std::collections::BTreeMap::new();
    let mut violations = Vec::new();
    for (i, r) in request.regions.iter().enumerate() {
        let region = r.region.trim().to_string();
        if regions
            .insert(
                region.clone(),
                terms::RegionTerms {
                    rate_tiyn: r.rate_tiyn,
                    budget_count: r.budget_count,
                    budget_tiyn: r.budget_tiyn,
                },
            )
            .is_some()
        {
            violations.push(FieldViolation {
                field: format!("regions[{i}].region"),
                description: format!("{region} is given twice"),
            });
        }
    }
    let year_terms = YearTerms {
        year: request.year,
        validity_days: u32::try_from(request.validity_days).unwrap_or(0),
        regions,
    };
    violations.extend(
        year_terms
            .check()
            .into_iter()
            .map(|(field, description)| FieldViolation { field, description }),
    );
    if !violations.is_empty() {
        return Err(ApiError::invalid_fields(violations));
    }
    let year = request.year;
    let mut tx = pool.begin().await?;
    let resource = Uuid::from_u128(u128::from(year.unsigned_abs()));
    if first_time(&mut tx, key.as_ref(), resource).await?.is_some() {
        tx.rollback().await?;
        let mut conn = pool.acquire().await?;
        return store::terms(&mut conn, year)
            .await?
            .ok_or_else(|| ApiError::internal("applied terms vanished"));
    }
    let current = store::lock_terms_version(&mut tx, year).await?.unwrap_or(0);
    if request.expected_version != 0 && request.expected_version != current {
        return Err(ApiError::aborted(format!(
            "the terms of {year} are at version {current}, not {}: they changed since you read them; read them again",
            request.expected_version
        )));
    }
    store::save_terms(
        &mut tx,
        &year_terms,
        current + 1,
        &basis,
        &identity.subject,
        key.as_ref().map(RequestKey::id).unwrap_or_default(),
        now(),
    )
    .await
    .map_err(|err| match &err {
        // A budget lowered below what the region has committed.
        sqlx::Error::Database(db) if db.constraint().is_some_and(|c| c.starts_with("budget_")) => {
            ApiError::failed_precondition(format!(
                "a region's budget for {year} would be below what it has already committed; read the terms and set at least that"
            ))
        }
        _ => ApiError::from(err),
    })?;
    let stored = store::terms(&mut tx, year)
        .await?
        .ok_or_else(|| ApiError::internal("terms vanished"))?;
    let aggregate = format!("terms-{year}");
    let event = pb::VoucherTermsSet {
        terms: Some(terms_to_proto(&stored)),
    };
    outbox
        .append(
            &mut tx,
            Aggregate {
                kind: TERMS,
                id: &aggregate,
                version: stored.version,
            },
            &context(identity, key.as_ref()),
            &event,
        )
        .await?;
    tx.commit().await?;
    tracing::info!(year, version = stored.version, "voucher terms set");
    Ok(stored)
}

/// What an office sends to issue a voucher, read.
#[derive(Debug, Clone)]
pub struct IssueFields {
    pub holder_iin: nsk_kz::Iin,
    pub holder_name: String,
    pub region: String,
    pub registration: Registration,
}

pub fn issue_fields(
    request: &pb::IssueVoucherRequest,
    today: NaiveDate,
) -> Result<IssueFields, ApiError> {
    let mut violations = Vec::new();
    let mut violate = |field: &str, description: String| {
        violations.push(FieldViolation {
            field: field.to_string(),
            description,
        })
    };
    let iin = nsk_kz::Iin::parse(&request.holder_iin)
        .map_err(|rule| violate("holder_iin", rule.to_string()))
        .ok();
    let name = request
        .holder_name
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    if name.is_empty() || name.chars().count() > 300 {
        violate(
            "holder_name",
            "is required: the person's full name, at most 300 characters".into(),
        );
    }
    let region = request.region.trim().to_string();
    if !terms::is_region(&region) {
        violate(
            "region",
            format!(
                "must be a region code: one of {}",
                terms::REGIONS.join(", ")
            ),
        );
    }
    let r = request.registration.clone().unwrap_or_default();
    let number = r.number.trim().to_string();
    if number.is_empty() {
        violate(
            "registration.number",
            "is required: the number of the person's registration as unemployed (Art. 1.11)".into(),
        );
    }
    let date = match NaiveDate::parse_from_str(r.date.trim(), "%Y-%m-%d") {
        Ok(d) if d > today => {
            violate(
                "registration.date",
                format!("must not be in the future (today is {today})"),
            );
            None
        }
        Ok(d) => Some(d),
        Err(_) => {
            violate("registration.date", "is required, as YYYY-MM-DD".into());
            None
        }
    };
    let office = r.office.trim().to_string();
    if office.is_empty() {
        violate(
            "registration.office",
            "is required: the office that registered the person".into(),
        );
    }
    match (iin, date) {
        (Some(holder_iin), Some(date)) if violations.is_empty() => Ok(IssueFields {
            holder_iin,
            holder_name: name,
            region,
            registration: Registration {
                number,
                date,
                office,
            },
        }),
        _ => Err(ApiError::invalid_fields(violations)),
    }
}

/// An employment office issues a voucher: once a calendar year per person nationwide (the
/// database decides a race), within its region's budget, which the voucher commits.
pub async fn issue(
    pool: &PgPool,
    outbox: &Outbox,
    identity: &Identity,
    fields: IssueFields,
    key: Option<&RequestKey>,
    today: NaiveDate,
) -> Result<StoredVoucher, ApiError> {
    check_office_region(identity, &fields.region)?;
    let year = terms::year_of(today);
    let id = Uuid::now_v7();
    let mut tx = pool.begin().await?;
    if let Some(done) = first_time(&mut tx, key, id).await? {
        tx.rollback().await?;
        let mut conn = pool.acquire().await?;
        return store::get_voucher(&mut conn, done)
            .await?
            .ok_or_else(|| ApiError::internal("an issued voucher vanished"));
    }
    let iin = fields.holder_iin.as_str().to_string();
    if let Some((region, on)) = store::voucher_of_year(&mut tx, &iin, year).await? {
        return Err(once_a_year(year, &region, on));
    }
    let Some(year_terms) = store::terms(&mut tx, year).await? else {
        return Err(ApiError::failed_precondition(format!(
            "no voucher terms are set for {year}: the authorized body sets them first (Art. 29.4)"
        )));
    };
    let committed = year_terms
        .committed
        .get(&fields.region)
        .copied()
        .unwrap_or_default();
    let region_terms =
        terms::check_budget(&year_terms.terms, &fields.region, committed).map_err(refused)?;
    if !store::commit_budget(&mut tx, year, &fields.region, region_terms.rate_tiyn).await? {
        // Another issuance took the last of it meanwhile.
        return Err(ApiError::failed_precondition(format!(
            "the budget of region {} for {year} is exhausted (Art. 29.4)",
            fields.region
        )));
    }
    let valid_until = year_terms
        .terms
        .valid_until(today)
        .ok_or_else(|| ApiError::internal("validity out of range"))?;
    let at = now();
    let stored = StoredVoucher {
        voucher: Voucher {
            id,
            holder_iin: iin.clone(),
            region: fields.region,
            issued_on: today,
            base_until: valid_until,
            valid_until,
            status: Status::Issued,
            sick_leaves: Vec::new(),
            rate_tiyn: region_terms.rate_tiyn,
        },
        number: store::next_number(&mut tx, year).await?,
        holder_name: fields.holder_name,
        year,
        registration: fields.registration,
        status_since: today,
        terms_version: year_terms.version,
        application_id: None,
        issued_by: identity.subject.clone(),
        created_at: at,
        updated_at: at,
    };
    if let Err(err) = store::insert_voucher(&mut tx, &stored).await {
        if matches!(&err, sqlx::Error::Database(db) if db.constraint() == Some("vouchers_once_a_year"))
        {
            // Another office won the race for this person's year.
            tx.rollback().await?;
            let mut conn = pool.acquire().await?;
            if let Some((region, on)) = store::voucher_of_year(&mut conn, &iin, year).await? {
                return Err(once_a_year(year, &region, on));
            }
        }
        return Err(err.into());
    }
    append(
        outbox,
        &mut tx,
        identity,
        key,
        &stored,
        &pb::VoucherIssued {
            voucher: Some(voucher_to_proto(&stored)),
        },
    )
    .await?;
    tx.commit().await?;
    tracing::info!(voucher = %stored.number, region = %stored.voucher.region, "voucher issued");
    Ok(stored)
}

/// Art. 29: once a year. The refusal names the other voucher's region and day, nothing of the
/// person.
fn once_a_year(year: i32, region: &str, on: NaiveDate) -> ApiError {
    ApiError::already_exists(format!(
        "the person already has a voucher for {year}, issued in region {region} on {on}: a voucher is provided once a year (Art. 29)"
    ))
}

async fn append<M: prost::Name>(
    outbox: &Outbox,
    tx: &mut sqlx::PgConnection,
    identity: &Identity,
    key: Option<&RequestKey>,
    voucher: &StoredVoucher,
    event: &M,
) -> Result<(), ApiError> {
    let id = voucher.voucher.id.to_string();
    outbox
        .append_next(tx, VOUCHER, &id, &context(identity, key), event)
        .await?;
    Ok(())
}

/// What a change decided: its event, whether the region's budget comes back (unused and
/// ended), and the center's claim when the voucher was used.
pub struct Decision<E> {
    pub event: E,
    pub release_budget: bool,
    pub claim: Option<store::ClaimRow>,
}

impl<E> Decision<E> {
    fn event(event: E) -> Self {
        Self {
            event,
            release_budget: false,
            claim: None,
        }
    }
}

/// A change of one voucher: lock, let `decide` check the caller and apply the rule, store,
/// append the event, release the budget or open the claim it names.
pub async fn change_voucher<E: prost::Name>(
    pool: &PgPool,
    outbox: &Outbox,
    identity: &Identity,
    id: Uuid,
    key: Option<&RequestKey>,
    decide: impl FnOnce(&mut StoredVoucher) -> Result<Decision<E>, ApiError>,
) -> Result<StoredVoucher, ApiError> {
    let mut tx = pool.begin().await?;
    if let Some(done) = first_time(&mut tx, key, id).await? {
        tx.rollback().await?;
        let mut conn = pool.acquire().await?;
        return store::get_voucher(&mut conn, done)
            .await?
            .ok_or_else(|| ApiError::not_found("voucher", &done.to_string()));
    }
    let mut stored = store::lock_voucher(&mut tx, id)
        .await?
        .ok_or_else(|| ApiError::not_found("voucher", &id.to_string()))?;
    let decision = decide(&mut stored)?;
    stored.updated_at = now();
    store::save_voucher(&mut tx, &stored).await?;
    if decision.release_budget {
        // Art. 29.4: an unused voucher gives its budget back to its region.
        store::release_budget(
            &mut tx,
            stored.year,
            &stored.voucher.region,
            stored.voucher.rate_tiyn,
        )
        .await?;
    }
    if let Some(claim) = &decision.claim {
        store::insert_claim(&mut tx, claim).await?;
    }
    append(outbox, &mut tx, identity, key, &stored, &decision.event).await?;
    tx.commit().await?;
    tracing::info!(voucher = %stored.number, event = E::NAME, "voucher changed");
    Ok(stored)
}

/// The center acting: its number from its token.
pub fn own_center(identity: &Identity) -> Result<nsk_kz::CenterNumber, ApiError> {
    identity.own_center()
}

/// Art. 29.2: a center redeems the voucher for the procedure its holder chose.
pub async fn redeem(
    pool: &PgPool,
    outbox: &Outbox,
    identity: &Identity,
    request: pb::RedeemVoucherRequest,
    today: NaiveDate,
) -> Result<StoredVoucher, ApiError> {
    let center = own_center(identity)?;
    let id = nsk_errors::fields::uuid(&request.id, "id")?;
    let key = key_of(identity, "RedeemVoucher", &request.request_id, &request)?;
    let profession = nsk_errors::fields::uuid(&request.profession_id, "profession_id")?;
    let level = u8::try_from(request.nqf_level)
        .ok()
        .filter(|l| (1..=8).contains(l))
        .ok_or_else(|| {
            ApiError::invalid_field("nqf_level", "must be the NQF level of the procedure, 1-8")
        })?;
    let holder = nsk_kz::Iin::parse(&request.holder_iin)
        .map_err(|rule| ApiError::invalid_field("holder_iin", rule))?;
    let mut conn = pool.acquire().await?;
    let center_today = store::center_today(&mut conn, center, profession, today).await?;
    let in_register = store::profession_in_register(&mut conn, profession).await?;
    drop(conn);
    change_voucher(pool, outbox, identity, id, key.as_ref(), |s| {
        s.voucher
            .redeem(
                &center_today,
                holder.as_str(),
                profession,
                in_register,
                level,
                today,
            )
            .map_err(refused)?;
        s.status_since = today;
        Ok(Decision::event(pb::VoucherRedeemed {
            voucher: Some(voucher_to_proto(s)),
        }))
    })
    .await
}

/// The redeeming center gives the voucher back.
pub async fn release(
    pool: &PgPool,
    outbox: &Outbox,
    identity: &Identity,
    request: pb::ReleaseVoucherRequest,
    today: NaiveDate,
) -> Result<StoredVoucher, ApiError> {
    let center = own_center(identity)?;
    let id = nsk_errors::fields::uuid(&request.id, "id")?;
    let key = key_of(identity, "ReleaseVoucher", &request.request_id, &request)?;
    change_voucher(pool, outbox, identity, id, key.as_ref(), |s| {
        off_the_platform(s, "released")?;
        s.voucher.release(center).map_err(refused)?;
        s.status_since = today;
        Ok(Decision::event(pb::VoucherReleased {
            voucher: Some(voucher_to_proto(s)),
            application_id: String::new(),
        }))
    })
    .await
}

/// A voucher presented with an application on the platform follows that procedure: the
/// refusal releases it, the result uses it (Art. 29.2, 29.4); the center does not act on it
/// beside the procedure.
fn off_the_platform(s: &StoredVoucher, act: &str) -> Result<(), ApiError> {
    match s.application_id {
        Some(application) if matches!(s.voucher.status, Status::Redeemed { .. }) => {
            Err(ApiError::failed_precondition(format!(
                "the voucher was redeemed for application {application} on the platform: it is {act} by that procedure's steps, not directly"
            )))
        }
        _ => Ok(()),
    }
}

/// Art. 29.4: a failed procedure uses the voucher, and the center is reimbursed all the same.
pub async fn report_failed(
    pool: &PgPool,
    outbox: &Outbox,
    identity: &Identity,
    request: pb::ReportFailedProcedureRequest,
    today: NaiveDate,
) -> Result<StoredVoucher, ApiError> {
    let center = own_center(identity)?;
    let id = nsk_errors::fields::uuid(&request.id, "id")?;
    let key = key_of(
        identity,
        "ReportFailedProcedure",
        &request.request_id,
        &request,
    )?;
    nsk_errors::fields::required(
        &request.protocol_number,
        "protocol_number",
        "the examination commission's protocol of the failed procedure (Rules p. 17)",
    )?;
    let protocol_date = nsk_errors::fields::optional_date(&request.protocol_date, "protocol_date")?
        .ok_or_else(|| ApiError::invalid_field("protocol_date", "is required, as YYYY-MM-DD"))?;
    if protocol_date > today {
        return Err(ApiError::invalid_field(
            "protocol_date",
            format!("must not be in the future (today is {today})"),
        ));
    }
    change_voucher(pool, outbox, identity, id, key.as_ref(), |s| {
        off_the_platform(s, "reported failed")?;
        let Status::Redeemed { profession, .. } = s.voucher.status.clone() else {
            return Err(ApiError::failed_precondition(format!(
                "the voucher is {}: a procedure uses only a voucher its center redeemed (Art. 29.2)",
                s.voucher.status.code()
            )));
        };
        let holder = s.voucher.holder_iin.clone();
        s.voucher
            .use_for(center, &holder, profession, crate::domain::voucher::Outcome::Failed, today)
            .map_err(refused)?;
        s.status_since = today;
        let claim = store::ClaimRow::for_used(s, center, today);
        Ok(Decision {
            event: pb::VoucherUsed {
                voucher: Some(voucher_to_proto(s)),
                document_serial: String::new(),
            },
            release_budget: false,
            claim: Some(claim),
        })
    })
    .await
}

/// Art. 29.3: extension for a sheet of temporary disability.
pub async fn extend(
    pool: &PgPool,
    outbox: &Outbox,
    identity: &Identity,
    request: pb::ExtendVoucherRequest,
) -> Result<StoredVoucher, ApiError> {
    let id = nsk_errors::fields::uuid(&request.id, "id")?;
    let key = key_of(identity, "ExtendVoucher", &request.request_id, &request)?;
    let sheet = request.sick_leave.unwrap_or_default();
    let number = nsk_errors::fields::required(
        &sheet.number,
        "sick_leave.number",
        "the number of the sheet of temporary disability",
    )?;
    let date = |raw: &str, field: &str| {
        NaiveDate::parse_from_str(raw.trim(), "%Y-%m-%d")
            .map_err(|_| ApiError::invalid_field(field, "is required, as YYYY-MM-DD"))
    };
    let from = date(&sheet.from, "sick_leave.from")?;
    let to = date(&sheet.to, "sick_leave.to")?;
    if to < from {
        return Err(ApiError::invalid_field(
            "sick_leave.to",
            format!("must not be before sick_leave.from ({from})"),
        ));
    }
    change_voucher(pool, outbox, identity, id, key.as_ref(), |s| {
        check_office_region(identity, &s.voucher.region)?;
        let previous = s.voucher.valid_until;
        s.voucher
            .extend(SickLeave { number, from, to })
            .map_err(refused)?;
        Ok(Decision::event(pb::VoucherExtended {
            voucher: Some(voucher_to_proto(s)),
            previous_valid_until: previous.to_string(),
        }))
    })
    .await
}

/// The office cancels a voucher not used, with its reason; the budget is released.
pub async fn cancel(
    pool: &PgPool,
    outbox: &Outbox,
    identity: &Identity,
    request: pb::CancelVoucherRequest,
    today: NaiveDate,
) -> Result<StoredVoucher, ApiError> {
    let id = nsk_errors::fields::uuid(&request.id, "id")?;
    let key = key_of(identity, "CancelVoucher", &request.request_id, &request)?;
    let reason = nsk_errors::fields::required(
        &request.reason,
        "reason",
        "why the voucher is cancelled (e.g. the holder found work)",
    )?;
    change_voucher(pool, outbox, identity, id, key.as_ref(), |s| {
        check_office_region(identity, &s.voucher.region)?;
        s.voucher.cancel(&reason, today).map_err(refused)?;
        s.status_since = today;
        Ok(Decision {
            event: pb::VoucherCancelled {
                voucher: Some(voucher_to_proto(s)),
                reason: reason.clone(),
            },
            release_budget: true,
            claim: None,
        })
    })
    .await
}

/// Art. 29.4: the authorized body approves, pays or rejects a center's claim.
pub async fn decide_claim(
    pool: &PgPool,
    outbox: &Outbox,
    identity: &Identity,
    request: pb::DecideClaimRequest,
) -> Result<store::ClaimRow, ApiError> {
    use crate::domain::claim::ClaimStatus;
    let id = nsk_errors::fields::uuid(&request.id, "id")?;
    let key = key_of(identity, "DecideClaim", &request.request_id, &request)?;
    let decision = pb::ClaimDecision::try_from(request.decision)
        .ok()
        .filter(|d| *d != pb::ClaimDecision::Unspecified)
        .ok_or_else(|| {
            ApiError::invalid_field(
                "decision",
                "is required: CLAIM_DECISION_APPROVE, CLAIM_DECISION_PAY or CLAIM_DECISION_REJECT",
            )
        })?;
    if decision == pb::ClaimDecision::Reject && request.reason.trim().is_empty() {
        return Err(ApiError::invalid_field(
            "reason",
            "is required to reject a claim",
        ));
    }
    let mut tx = pool.begin().await?;
    if let Some(done) = first_time(&mut tx, key.as_ref(), id).await? {
        tx.rollback().await?;
        let mut conn = pool.acquire().await?;
        return store::get_claim(&mut conn, done)
            .await?
            .ok_or_else(|| ApiError::not_found("claim", &done.to_string()));
    }
    let mut claim = store::lock_claim(&mut tx, id)
        .await?
        .ok_or_else(|| ApiError::not_found("claim", &id.to_string()))?;
    let current = match claim.status.as_str() {
        "claimed" => ClaimStatus::Claimed,
        "approved" => ClaimStatus::Approved,
        "paid" => ClaimStatus::Paid,
        _ => ClaimStatus::Rejected {
            reason: claim.reason.clone().unwrap_or_default(),
        },
    };
    let next = match decision {
        pb::ClaimDecision::Approve => current.approve(),
        pb::ClaimDecision::Pay => current.pay(),
        _ => current.reject(&request.reason),
    }
    .map_err(refused)?;
    claim.status = next.code().to_string();
    if let ClaimStatus::Rejected { reason } = &next {
        claim.reason = Some(reason.clone());
    }
    claim.updated_at = now();
    store::save_claim(&mut tx, &claim).await?;
    let aggregate = claim.voucher_id.to_string();
    let event = pb::ClaimDecided {
        claim: Some(crate::convert::claim_to_proto(&claim)),
    };
    outbox
        .append_next(
            &mut tx,
            VOUCHER,
            &aggregate,
            &context(identity, key.as_ref()),
            &event,
        )
        .await?;
    tx.commit().await?;
    tracing::info!(claim = %claim.id, status = %claim.status, "claim decided");
    Ok(claim)
}

/// A page of vouchers within the caller's scope; each read of a holder's voucher is recorded.
pub async fn list_vouchers(
    pool: &PgPool,
    identity: &Identity,
    filter: &store::VoucherFilter,
) -> Result<Vec<StoredVoucher>, ApiError> {
    let found = store::list_vouchers(pool, filter).await?;
    let ids: Vec<Uuid> = found.iter().map(|s| s.voucher.id).collect();
    store::audit_reads(pool, &identity.subject, identity.primary_role(), &ids).await?;
    Ok(found)
}
