//! API keys of centers: the NCE issues, rotates and revokes them; a center lists and revokes
//! its own; the gateway trades a presented key for the center it is bound to.

use chrono::{DateTime, Utc};
use nsk_db::requests::RequestKey;
use nsk_errors::ApiError;
use nsk_identity::{Identity, Role};
use nsk_kz::CenterNumber;
use uuid::Uuid;

use super::{now, refused, Accreditation, Actor};
use crate::convert::api_key_to_proto;
use crate::domain::keys::{ApiKey, CertificateFingerprint, NewSecret, NotAccepted, PresentedKey};
use crate::{events, store};

/// A key just made: the key, and its whole text, shown this once (`None` when a retried
/// request is answered again).
pub struct Issued {
    pub key: ApiKey,
    pub secret: Option<String>,
}

/// What a new key is to be.
pub struct KeyTerms {
    pub label: String,
    pub valid_days: i64,
}

/// Argon2 is slow on purpose: it runs off the threads that serve calls.
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> T + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(ApiError::internal)
}

async fn new_secret() -> Result<NewSecret, ApiError> {
    blocking(NewSecret::generate)
        .await?
        .map_err(ApiError::internal)
}

/// A center acts only on its own keys; the NCE on any.
fn may_act_on(identity: &Identity, center: CenterNumber) -> Result<(), ApiError> {
    if identity.has(Role::NceOfficer) || identity.has(Role::Auditor) {
        return Ok(());
    }
    let own = identity.own_center()?;
    if own == center {
        Ok(())
    } else {
        Err(ApiError::permission_denied(format!(
            "center {own} acts on its own API keys only, not on those of center {center}"
        )))
    }
}

impl Accreditation {
    async fn key(&self, id: Uuid) -> Result<ApiKey, ApiError> {
        let mut conn = self.pool().acquire().await?;
        store::keys::lock_key(&mut conn, id)
            .await?
            .ok_or_else(|| ApiError::not_found("API key", &id.to_string()))
    }

    /// The NCE issues `center` a key.
    pub async fn issue_key(
        &self,
        identity: &Identity,
        center: CenterNumber,
        request: Option<&RequestKey>,
        terms: KeyTerms,
    ) -> Result<Issued, ApiError> {
        if !store::keys::center_exists(self.pool(), center).await? {
            return Err(ApiError::not_found("center", &center.to_string()));
        }
        let secret = new_secret().await?;
        let key = ApiKey::issue(
            center,
            &secret,
            terms.label,
            &identity.subject,
            terms.valid_days,
            now(),
        );
        let mut tx = match self.begin(request, key.id()).await? {
            Ok(tx) => tx,
            Err(done) => {
                return Ok(Issued {
                    key: self.key(done).await?,
                    secret: None,
                })
            }
        };
        store::keys::insert_key(&mut tx, &key).await?;
        let event = nsk_proto::nsk::accreditation::v1::ApiKeyIssued {
            key: Some(api_key_to_proto(&key, now())),
            replaces: String::new(),
        };
        let actor = Actor::new(identity, request);
        events::key_event(self.outbox(), &mut tx, &actor.context(), &key, &event).await?;
        tx.commit().await?;
        tracing::info!(key = key.prefix(), %center, "API key issued");
        Ok(Issued {
            key,
            secret: Some(secret.whole),
        })
    }

    /// The NCE registers a client certificate of `center` for mutual TLS.
    pub async fn register_certificate(
        &self,
        identity: &Identity,
        center: CenterNumber,
        request: Option<&RequestKey>,
        certificate: CertificateFingerprint,
        terms: KeyTerms,
    ) -> Result<ApiKey, ApiError> {
        if !store::keys::center_exists(self.pool(), center).await? {
            return Err(ApiError::not_found("center", &center.to_string()));
        }
        let at = now();
        let credential = ApiKey::register_certificate(
            center,
            &certificate,
            terms.label,
            &identity.subject,
            terms.valid_days,
            at,
        );
        let mut tx = match self.begin(request, credential.id()).await? {
            Ok(tx) => tx,
            Err(done) => return self.key(done).await,
        };
        if let Some(known) = store::keys::lock_key_by_prefix(&mut tx, &certificate.prefix()).await?
        {
            let whose = if known.certificate_sha256() == Some(certificate.hex().as_str()) {
                format!(
                    "this certificate is already registered, for center {}, as {}",
                    known.center(),
                    known.id()
                )
            } else {
                format!(
                    "a credential with prefix {} is registered already; a certificate whose fingerprint begins differently is needed",
                    known.prefix()
                )
            };
            return Err(ApiError::already_exists(whose));
        }
        store::keys::insert_key(&mut tx, &credential).await?;
        let event = nsk_proto::nsk::accreditation::v1::ApiKeyIssued {
            key: Some(api_key_to_proto(&credential, at)),
            replaces: String::new(),
        };
        let actor = Actor::new(identity, request);
        events::key_event(
            self.outbox(),
            &mut tx,
            &actor.context(),
            &credential,
            &event,
        )
        .await?;
        tx.commit().await?;
        tracing::info!(credential = credential.prefix(), %center, "client certificate registered");
        Ok(credential)
    }

    /// A new key for the center of key `id`; the old one works for `overlap_days` more.
    pub async fn rotate_key(
        &self,
        identity: &Identity,
        id: Uuid,
        request: Option<&RequestKey>,
        overlap_days: i64,
        terms: KeyTerms,
    ) -> Result<Issued, ApiError> {
        let secret = new_secret().await?;
        let at = now();
        let mut old = self.key(id).await?;
        let label = if terms.label.is_empty() {
            old.label().to_string()
        } else {
            terms.label
        };
        let new = ApiKey::issue(
            old.center(),
            &secret,
            label,
            &identity.subject,
            terms.valid_days,
            at,
        );
        let mut tx = match self.begin(request, new.id()).await? {
            Ok(tx) => tx,
            Err(done) => {
                return Ok(Issued {
                    key: self.key(done).await?,
                    secret: None,
                })
            }
        };
        old = store::keys::lock_key(&mut tx, id)
            .await?
            .ok_or_else(|| ApiError::not_found("API key", &id.to_string()))?;
        old.rotate_to(new.id(), overlap_days, at).map_err(refused)?;
        store::keys::insert_key(&mut tx, &new).await?;
        store::keys::save_key(&mut tx, &old).await?;
        let event = nsk_proto::nsk::accreditation::v1::ApiKeyIssued {
            key: Some(api_key_to_proto(&new, at)),
            replaces: old.id().to_string(),
        };
        let actor = Actor::new(identity, request);
        events::key_event(self.outbox(), &mut tx, &actor.context(), &new, &event).await?;
        tx.commit().await?;
        tracing::info!(old = old.prefix(), new = new.prefix(), "API key rotated");
        Ok(Issued {
            key: new,
            secret: Some(secret.whole),
        })
    }

    /// Stops key `id` now: the NCE for any center, a center for its own.
    pub async fn revoke_key(
        &self,
        identity: &Identity,
        id: Uuid,
        request: Option<&RequestKey>,
        reason: String,
    ) -> Result<ApiKey, ApiError> {
        let mut tx = match self.begin(request, id).await? {
            Ok(tx) => tx,
            Err(done) => return self.key(done).await,
        };
        let mut key = store::keys::lock_key(&mut tx, id)
            .await?
            .ok_or_else(|| ApiError::not_found("API key", &id.to_string()))?;
        if identity.has(Role::Auditor) && !identity.has(Role::NceOfficer) {
            return Err(ApiError::permission_denied(
                "auditors read keys; they do not revoke them",
            ));
        }
        may_act_on(identity, key.center())?;
        key.revoke(&identity.subject, reason, now())
            .map_err(refused)?;
        store::keys::save_key(&mut tx, &key).await?;
        let event = nsk_proto::nsk::accreditation::v1::ApiKeyRevoked {
            key: Some(api_key_to_proto(&key, now())),
        };
        let actor = Actor::new(identity, request);
        events::key_event(self.outbox(), &mut tx, &actor.context(), &key, &event).await?;
        tx.commit().await?;
        tracing::info!(key = key.prefix(), "API key revoked");
        Ok(key)
    }

    /// The keys of `center`, newest first.
    pub async fn keys_of(
        &self,
        identity: &Identity,
        center: CenterNumber,
    ) -> Result<Vec<ApiKey>, ApiError> {
        may_act_on(identity, center)?;
        Ok(store::keys::keys_of_center(self.pool(), center).await?)
    }

    /// The registered client certificate with fingerprint `sha256`, if it is live: what the
    /// gateway acts on for a connection that presented it.
    pub async fn authenticate_certificate(&self, sha256: &str) -> Result<ApiKey, ApiError> {
        let refusal = || ApiError::unauthenticated("the client certificate is not accepted");
        let presented = CertificateFingerprint::from_hex(sha256).ok_or_else(|| {
            ApiError::invalid_field("certificate_sha256", "must be 64 hex digits")
        })?;
        let Some(mut credential) =
            store::keys::key_by_prefix(self.pool(), &presented.prefix()).await?
        else {
            tracing::info!(
                prefix = presented.prefix(),
                "unknown client certificate presented"
            );
            return Err(refusal());
        };
        let at: DateTime<Utc> = now();
        if let Err(why) = credential.accept_certificate(&presented, at) {
            tracing::info!(prefix = credential.prefix(), why = ?why, "client certificate refused");
            return Err(refusal());
        }
        if credential.used(at) {
            store::keys::touch_key(self.pool(), credential.id(), at).await?;
        }
        Ok(credential)
    }

    /// The key `raw` is, if it is a live key: what the gateway acts on. Every refusal reads
    /// the same to the caller; the log says which it was.
    pub async fn authenticate_key(&self, raw: &str) -> Result<ApiKey, ApiError> {
        let refusal = || ApiError::unauthenticated("the API key is not accepted");
        let presented = PresentedKey::parse(raw).ok_or_else(|| {
            ApiError::unauthenticated("not an API key of this platform (nsk_<prefix>_<secret>)")
        })?;
        let Some(mut key) = store::keys::key_by_prefix(self.pool(), presented.prefix()).await?
        else {
            tracing::info!(prefix = presented.prefix(), "unknown API key presented");
            return Err(refusal());
        };
        let at: DateTime<Utc> = now();
        let checked = key.clone();
        let verdict = blocking(move || checked.accept(&presented, at)).await?;
        if let Err(why) = verdict {
            let why = match why {
                NotAccepted::WrongSecret => "wrong secret",
                NotAccepted::Revoked => "revoked",
                NotAccepted::Expired => "expired",
            };
            tracing::info!(prefix = key.prefix(), why, "API key refused");
            return Err(refusal());
        }
        if key.used(at) {
            store::keys::touch_key(self.pool(), key.id(), at).await?;
        }
        Ok(key)
    }
}
