//! Recognition centers accredited under conformity-assessment law (Art. 17.1: "Recognition
//! centers include legal entities that have been accredited in accordance with the procedure
//! established by this Law or the legislation of the Republic of Kazakhstan on accreditation in
//! the field of conformity assessment"). The authorized body enters the accreditation body's
//! certificate; the center gets a number of Appendix 2 and registers documents like the others.

use chrono::{NaiveDate, SubsecRound, Utc};
use nsk_errors::{ApiError, FieldViolation};
use nsk_events::{EventContext, Outbox};
use nsk_identity::Identity;
use nsk_proto::nsk::accreditation::v1 as pb;
use sqlx::PgPool;
use uuid::Uuid;

use crate::cases::allocate_center_number;
use crate::convert::{certificate_for_event, scope_from_proto};
use crate::domain::application as app;
use crate::domain::certificate::{self as cert, Facts, Route};
use crate::store::{self, Center, Step, StoredCertificate};

/// Enters the certificate; returns its id (the one entered before, for a retried request).
pub async fn register(
    pool: &PgPool,
    outbox: &Outbox,
    identity: &Identity,
    request: pb::RegisterConformityCenterRequest,
    today: NaiveDate,
) -> Result<Uuid, ApiError> {
    let key = nsk_db::requests::RequestKey::new(
        &identity.subject,
        "RegisterConformityCenter",
        &request.request_id,
        &prost::Message::encode_to_vec(&request),
    )?;
    let request_id = key.as_ref().map(|k| k.id());
    let mut violations = Vec::new();
    let mut violate = |field: &str, description: String| {
        violations.push(FieldViolation {
            field: field.to_string(),
            description,
        })
    };
    let bin = nsk_kz::Bin::parse(&request.bin)
        .map_err(|rule| violate("bin", rule.to_string()))
        .ok();
    let name = request.name.trim().to_string();
    if name.is_empty() {
        violate("name", "is required: the legal entity's name".into());
    }
    let number = request.accreditation_certificate_number.trim().to_string();
    if number.is_empty() || number.chars().count() > 100 {
        violate(
            "accreditation_certificate_number",
            "is required: the accreditation body's certificate number as printed, at most 100 characters".into(),
        );
    }
    let date = |raw: &str| NaiveDate::parse_from_str(raw.trim(), "%Y-%m-%d").ok();
    let valid_from = date(&request.valid_from);
    let valid_until = date(&request.valid_until);
    if valid_from.is_none() {
        violate("valid_from", "is required, as YYYY-MM-DD".into());
    }
    if valid_until.is_none() {
        violate("valid_until", "is required, as YYYY-MM-DD".into());
    }
    if let (Some(from), Some(until)) = (valid_from, valid_until) {
        for (field, rule) in cert::check_conformity_dates(from, until, today) {
            violate(field, rule);
        }
    }
    let mut scope_violations = Vec::new();
    let scope = scope_from_proto(&request.scope, "scope", &mut scope_violations);
    violations.extend(scope_violations);
    if request.scope.is_empty() {
        violations.push(FieldViolation {
            field: "scope".into(),
            description: "is required: the professions and NQF levels the accreditation covers"
                .into(),
        });
    }
    let founders: Vec<String> = request
        .founders
        .iter()
        .map(|f| f.trim().to_string())
        .filter(|f| !f.is_empty())
        .collect();
    if !violations.is_empty() {
        return Err(ApiError::invalid_fields(violations));
    }
    let basis = request.basis.unwrap_or_default();
    let basis = nsk_errors::fields::document(&basis.number, &basis.date, &basis.title, "basis")?;
    let (Some(bin), Some(valid_from), Some(valid_until)) = (bin, valid_from, valid_until) else {
        return Err(ApiError::internal("validated fields missing"));
    };
    let id = Uuid::now_v7();
    let mut tx = pool.begin().await?;
    if let nsk_db::requests::Once::Applied(done) =
        nsk_db::requests::once(&mut tx, key.as_ref(), id).await?
    {
        tx.rollback().await?;
        return Ok(done);
    }
    // Art. 24.1.3 holds for them too: the professions are in the register, at those levels.
    let ids: Vec<Uuid> = scope.iter().map(|s| s.profession_id).collect();
    let known = store::registered_professions(&mut tx, &ids).await?;
    let violations = app::check_scope_in_register(&scope, "scope", |id| known.get(&id).cloned());
    if !violations.is_empty() {
        return Err(ApiError::invalid_fields(violations));
    }
    if let Some(center) = store::center_of_serial(&mut tx, &number).await? {
        return Err(ApiError::already_exists(format!(
            "certificate {number} is already entered, for center {center}"
        )));
    }
    let center_number = allocate_center_number(&mut tx).await?;
    let code = center_number.to_string();
    let at = Utc::now().trunc_subsecs(6);
    let certificate = StoredCertificate::issue(Facts {
        id,
        serial_number: number,
        center_number,
        center_bin: bin.to_string(),
        center_name: name.clone(),
        scope,
        issued_on: valid_from,
        valid_from,
        valid_until,
        previous_certificate_id: None,
        application_id: None,
        reorganisation: None,
        created_at: at,
        route: Route::ConformityAssessment,
    });
    let center = Center {
        number: center_number,
        bin: certificate.center_bin.clone(),
        name,
        founders,
        not_renewable_since: None,
        current_certificate_id: None,
        predecessor_number: None,
    };
    store::insert_center(&mut tx, &center, at).await?;
    store::insert_certificate(&mut tx, &certificate).await?;
    store::save_center(
        &mut tx,
        &Center {
            current_certificate_id: Some(id),
            ..center
        },
    )
    .await?;
    let step = Step {
        what: format!(
            "entered: certificate {} of the accreditation body under conformity-assessment law (Art. 17.1)",
            certificate.serial_number
        ),
        actor: identity.subject.clone(),
        actor_role: identity.primary_role().to_string(),
        at,
        request_id: request_id.unwrap_or_default().to_string(),
        document: Some(basis),
        remarks: String::new(),
        acted_on: today,
    };
    store::add_step(&mut tx, id, &step).await?;
    let context = EventContext {
        actor: identity.subject.clone(),
        request_id: request_id
            .map(str::to_string)
            .unwrap_or_else(|| id.to_string()),
    };
    let event = pb::CertificateIssued {
        certificate: Some(certificate_for_event(&certificate)),
        replaced_certificate_id: String::new(),
    };
    crate::events::center_event(outbox, &mut tx, &context, &code, &event).await?;
    tx.commit().await?;
    tracing::info!(center = %code, "center accredited under conformity-assessment law entered");
    Ok(id)
}
