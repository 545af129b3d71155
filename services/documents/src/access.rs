//! Who sees which documents (least privilege): a recognition center its own; the authorized
//! body and auditors any center's, and a person's documents — by IIN or identity document —
//! which only they may ask for, and every such read is audited (by the cases).

use nsk_errors::{ApiError, FieldViolation};
use nsk_identity::{Identity, Role};
use nsk_kz::CenterNumber;
use nsk_proto::nsk::documents::v1 as pb;

use crate::convert::{center_number, page_size, page_token};
use crate::domain::holder::HolderId;
use crate::store::DocumentFilter;

/// The roles that read whole documents.
pub const READERS: [Role; 3] = [
    Role::RecognitionCenter,
    Role::AuthorizedBodyAdmin,
    Role::Auditor,
];

fn official(identity: &Identity) -> bool {
    identity.has(Role::AuthorizedBodyAdmin) || identity.has(Role::Auditor)
}

/// Whether `identity` may read a document of `center`.
pub fn may_read(identity: &Identity, center: CenterNumber) -> bool {
    official(identity) || identity.own_center().ok() == Some(center)
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
