//! The registry's credentials (`nsk-credentials`): a document as a signed W3C Verifiable
//! Credential, the status list of each center — entry = the document's sequence number in its
//! center, set when the document is cancelled, read from the registry at each request so that a
//! cancellation shows in the next list fetched — and the platform's keys.

use nsk_credentials::{
    document_credential, encode_list, list_size, status_list_credential, SigningKeys, Subject,
};
use nsk_errors::ApiError;
use nsk_kz::CenterNumber;
use sqlx::PgPool;

use crate::store::{self, StoredDocument};

/// The keys, where the public reaches the platform, and the registry's database.
pub struct Credentials {
    keys: SigningKeys,
    public_url: String,
    pool: PgPool,
}

impl Credentials {
    pub fn new(keys: SigningKeys, public_url: String, pool: PgPool) -> Self {
        Self {
            keys,
            public_url,
            pool,
        }
    }

    /// The JWK Set.
    pub fn keys(&self) -> Vec<u8> {
        self.keys.jwks().to_string().into_bytes()
    }

    /// The document's credential, signed.
    pub fn of(&self, d: &StoredDocument) -> Result<String, ApiError> {
        let (number, procedure, issue, until) = (
            d.center_number.to_string(),
            d.procedure_date.to_string(),
            d.issue_date.to_string(),
            d.valid_until.to_string(),
        );
        let subject = Subject {
            id: d.id,
            serial: &d.serial_number,
            holder_name: &d.holder_name,
            profession: &d.profession_name,
            nqf_level: d.nqf_level,
            skills: &d.separate_skills,
            center_number: &number,
            center_name: &d.center_name,
            procedure_date: &procedure,
            issue_date: &issue,
            valid_until: &until,
            status_index: u64::try_from(d.sequence)
                .map_err(|_| ApiError::internal("a document's sequence is negative"))?,
        };
        Ok(self
            .keys
            .sign("vc+jwt", &document_credential(&subject, &self.public_url)))
    }

    /// The status list of `center`, signed; `None` for a center the registry does not know.
    pub async fn status_list(&self, center: CenterNumber) -> Result<Option<String>, ApiError> {
        if store::known_center(&self.pool, center).await?.is_none() {
            return Ok(None);
        }
        let (cancelled, max) = store::cancelled_in_center(&self.pool, center).await?;
        let set: Vec<u64> = cancelled
            .into_iter()
            .filter_map(|s| u64::try_from(s).ok())
            .collect();
        let size = list_size(u64::try_from(max).unwrap_or(0));
        let encoded = encode_list(&set, size).map_err(ApiError::internal)?;
        let list = status_list_credential(
            &self.public_url,
            &center.to_string(),
            &encoded,
            chrono::Utc::now(),
        );
        Ok(Some(self.keys.sign("vc+jwt", &list)))
    }
}
