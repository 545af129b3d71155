//! Who sees which documents (least privilege): a recognition center its own; the authorized
//! body and auditors any center's, and a person's documents — by IIN or identity document —
//! which only they may ask for; a candidate their own (the person their token names, Art.
//! 2.4). Every such read is audited (by the cases).

use nsk_errors::{ApiError, FieldViolation};
use nsk_identity::{Identity, Role};
use nsk_kz::CenterNumber;
use nsk_proto::nsk::documents::v1 as pb;

use crate::convert::{center_number, page_size, page_token};
use crate::domain::holder::HolderId;
use crate::store::DocumentFilter;

/// The roles that read whole documents.
pub const READERS: [Role; 4] = [
    Role::RecognitionCenter,
    Role::AuthorizedBodyAdmin,
    Role::Auditor,
    Role::Candidate,
];

fn official(identity: &Identity) -> bool {
    identity.has(Role::AuthorizedBodyAdmin) || identity.has(Role::Auditor)
}

/// Whether `identity` may read a document of `center` issued to `holder`.
pub fn may_read(identity: &Identity, center: CenterNumber, holder: &HolderId) -> bool {
    official(identity)
        || identity.own_center().ok() == Some(center)
        || (identity.has(Role::Candidate) && identity.person().is_ok_and(|p| is_person(holder, &p)))
}

/// Whether the document's holder is the person a candidate's token names.
fn is_person(holder: &HolderId, person: &nsk_identity::Person) -> bool {
    match (holder, person) {
        (HolderId::Iin(a), nsk_identity::Person::Iin(b)) => a.as_str() == b.as_str(),
        (
            HolderId::Document { number, country },
            nsk_identity::Person::Document {
                country: c,
                number: n,
            },
        ) => number == n && country == c,
        _ => false,
    }
}

/// A candidate lists their own documents, whoever else the request names.
fn own_documents(
    identity: &Identity,
    request: &pb::ListDocumentsRequest,
    mut filter: DocumentFilter,
) -> Result<DocumentFilter, ApiError> {
    let person = identity.person()?;
    let named_other = !request.center_number.trim().is_empty()
        || !request.holder_iin.trim().is_empty()
        || !request.holder_document_number.trim().is_empty()
        || !request.holder_document_country.trim().is_empty();
    if named_other {
        return Err(ApiError::permission_denied(
            "a candidate lists their own documents: leave center_number and the holder's fields empty",
        ));
    }
    match person {
        nsk_identity::Person::Iin(iin) => filter.holder_iin = Some(iin.as_str().to_string()),
        nsk_identity::Person::Document { country, number } => {
            filter.holder_document = Some((number, country))
        }
    }
    Ok(filter)
}

/// The list `identity` asked for, scoped to what it may see.
pub fn list_scope(
    identity: &Identity,
    request: &pb::ListDocumentsRequest,
) -> Result<DocumentFilter, ApiError> {
    let official = official(identity);
    let mut filter = DocumentFilter {
        after: page_token(&request.page_token)?,
        limit: page_size(request.page_size)?,
        ..Default::default()
    };
    if !official && !identity.has(Role::RecognitionCenter) {
        return own_documents(identity, request, filter);
    }
    let iin = request.holder_iin.trim();
    if !iin.is_empty() {
        if !official {
            return Err(ApiError::permission_denied(
                "a person's documents by IIN are for the authorized body and auditors",
            ));
        }
        let iin =
            nsk_kz::Iin::parse(iin).map_err(|rule| ApiError::invalid_field("holder_iin", rule))?;
        filter.holder_iin = Some(iin.to_string());
    }
    let (number, country) = (
        request.holder_document_number.trim(),
        request.holder_document_country.trim(),
    );
    if !number.is_empty() || !country.is_empty() {
        if !official {
            return Err(ApiError::permission_denied(
                "a person's documents by identity document are for the authorized body and auditors",
            ));
        }
        let holder = HolderId::parse("", number, country).map_err(|problems| {
            ApiError::invalid_fields(
                problems
                    .into_iter()
                    .map(|(field, rule)| FieldViolation {
                        field: format!("holder_{}", field.trim_start_matches("identity_")),
                        description: rule,
                    })
                    .collect(),
            )
        })?;
        filter.holder_document = holder
            .document()
            .map(|(n, c)| (n.to_string(), c.to_string()));
    }
    let by_person = filter.holder_iin.is_some() || filter.holder_document.is_some();
    match (request.center_number.trim(), official) {
        ("", false) => filter.center_number = Some(identity.own_center()?),
        ("", true) if !by_person => {
            return Err(ApiError::invalid_field(
                "center_number",
                "name a center (center_number) or a person (holder_iin, or holder_document_number with holder_document_country)",
            ))
        }
        ("", true) => {}
        (raw, _) => {
            let wanted = center_number(raw, "center_number")?;
            if !official && wanted != identity.own_center()? {
                return Err(ApiError::permission_denied(
                    "a recognition center lists its own documents only",
                ));
            }
            filter.center_number = Some(wanted);
        }
    }
    Ok(filter)
}
