//! Centers' API keys (and client certificates) at the door: a key in `X-API-Key`, or the
//! client certificate of a mutual-TLS connection, is traded — through accreditation,
//! which keeps the keys' hashes — for a short-lived token of the gateway's own issuer naming
//! the center and the key, and that token is what the services receive. A traded key is
//! remembered (by the SHA-256 of the key, never the key) for `NSK_API_KEY_CACHE_MS`: the most
//! a revocation takes to stop a key at the door.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use nsk_errors::ApiError;
use nsk_identity::{Identity, Role, TokenRequest, TokenVerifier};
use nsk_proto::nsk::accreditation::v1 as pb;
use nsk_proto::nsk::accreditation::v1::center_keys_client::CenterKeysClient;
use sha2::{Digest, Sha256};
use tonic::transport::Channel;

use crate::tokens::GatewayTokens;

/// The header a center's integration sends its key in.
pub const HEADER: &str = "x-api-key";

/// How long a token traded for a key lives (never past the key's own expiry).
const TOKEN_LIFETIME: Duration = Duration::from_secs(300);
/// The most keys remembered at once; past it, the expired are dropped, then all.
const MAX_REMEMBERED: usize = 10_000;

/// A credential a caller presented: a key from `X-API-Key`, or the SHA-256 of the client
/// certificate its TLS connection presented.
#[derive(Debug, Clone, Copy)]
pub enum Presented<'a> {
    Key(&'a str),
    Certificate(&'a str),
}

impl Presented<'_> {
    /// What the credential is remembered by: a digest, never the key itself.
    fn digest(&self) -> [u8; 32] {
        let mut hasher = Sha256::new();
        match self {
            Presented::Key(raw) => hasher.update([b"key:".as_slice(), raw.as_bytes()].concat()),
            Presented::Certificate(sha) => {
                hasher.update([b"crt:".as_slice(), sha.as_bytes()].concat())
            }
        }
        hasher.finalize().into()
    }

    /// The part shown in lists and logs: `nsk_` or `crt_` and eight hex digits.
    fn prefix(&self) -> String {
        match self {
            Presented::Key(raw) => raw.chars().take(12).collect(),
            Presented::Certificate(sha) => {
                format!("crt_{}", sha.chars().take(8).collect::<String>())
            }
        }
    }

    fn subject(&self) -> String {
        match self {
            Presented::Key(_) => format!("api-key:{}", self.prefix()),
            Presented::Certificate(_) => format!("client-certificate:{}", self.prefix()),
        }
    }

    fn refused(&self) -> ApiError {
        match self {
            Presented::Key(_) => ApiError::unauthenticated("the API key is not accepted"),
            Presented::Certificate(_) => ApiError::unauthenticated(
                "the client certificate is not registered to a center, or no longer accepted; send a token or an API key instead",
            ),
        }
    }
}

struct Remembered {
    identity: Identity,
    token: String,
    until: Instant,
}

pub struct KeyExchange {
    tokens: Arc<GatewayTokens>,
    accreditation: Option<Channel>,
    remember_for: Duration,
    timeout: Duration,
    remembered: Mutex<HashMap<[u8; 32], Remembered>>,
}

impl KeyExchange {
    pub fn new(
        tokens: Arc<GatewayTokens>,
        accreditation: Option<Channel>,
        remember_for: Duration,
        timeout: Duration,
    ) -> Self {
        Self {
            tokens,
            accreditation,
            remember_for,
            timeout,
            remembered: Mutex::new(HashMap::new()),
        }
    }

    /// The identity and token of a credential traded a moment ago, if it was.
    pub fn known(&self, presented: Presented<'_>) -> Option<(Identity, String)> {
        self.recall(&presented.digest(), Instant::now())
    }

    /// The center's identity and the token to forward, for a credential a caller presented.
    pub async fn trade(
        &self,
        verifier: &TokenVerifier,
        presented: Presented<'_>,
    ) -> Result<(Identity, String), ApiError> {
        let digest = presented.digest();
        let now = Instant::now();
        if let Some(known) = self.recall(&digest, now) {
            return Ok(known);
        }
        let checked = self.check(presented).await?;
        let left = chrono::DateTime::parse_from_rfc3339(&checked.expires_at)
            .ok()
            .and_then(|at| {
                (at.with_timezone(&chrono::Utc) - chrono::Utc::now())
                    .to_std()
                    .ok()
            })
            .unwrap_or_default();
        let lifetime = TOKEN_LIFETIME.min(left);
        if lifetime < Duration::from_secs(1) {
            return Err(presented.refused());
        }
        let prefix = presented.prefix();
        let token = self.tokens.mint(&TokenRequest {
            subject: presented.subject(),
            roles: vec![Role::RecognitionCenter],
            center: Some(checked.center_number),
            key: Some(prefix),
            ttl: lifetime,
            ..Default::default()
        })?;
        let identity = verifier.verify(&token)?;
        // Remembered no longer than the token lives, less a margin for the call in flight.
        let remember = self
            .remember_for
            .min(lifetime.saturating_sub(Duration::from_secs(30)));
        if !remember.is_zero() {
            self.keep(digest, &identity, &token, now + remember);
        }
        Ok((identity, token))
    }

    fn recall(&self, digest: &[u8; 32], now: Instant) -> Option<(Identity, String)> {
        let remembered = self.remembered.lock().ok()?;
        remembered
            .get(digest)
            .filter(|r| r.until > now)
            .map(|r| (r.identity.clone(), r.token.clone()))
    }

    fn keep(&self, digest: [u8; 32], identity: &Identity, token: &str, until: Instant) {
        let Ok(mut remembered) = self.remembered.lock() else {
            return;
        };
        if remembered.len() >= MAX_REMEMBERED {
            let now = Instant::now();
            remembered.retain(|_, r| r.until > now);
            if remembered.len() >= MAX_REMEMBERED {
                remembered.clear();
            }
        }
        remembered.insert(
            digest,
            Remembered {
                identity: identity.clone(),
                token: token.to_string(),
                until,
            },
        );
    }

    /// Asks accreditation, as the gateway itself, which center the credential belongs to.
    async fn check(&self, presented: Presented<'_>) -> Result<pb::AuthenticatedApiKey, ApiError> {
        let unavailable =
            || ApiError::unavailable("API keys cannot be checked right now; retry later");
        let Some(channel) = self.accreditation.clone() else {
            return Err(unavailable());
        };
        let mut request = self.tokens.own_request(match presented {
            Presented::Key(raw) => pb::AuthenticateApiKeyRequest {
                key: raw.to_string(),
                ..Default::default()
            },
            Presented::Certificate(sha) => pb::AuthenticateApiKeyRequest {
                certificate_sha256: sha.to_string(),
                ..Default::default()
            },
        })?;
        request.set_timeout(self.timeout);
        match CenterKeysClient::new(channel)
            .authenticate_api_key(request)
            .await
        {
            Ok(reply) => Ok(reply.into_inner()),
            Err(status) if status.code() == tonic::Code::Unauthenticated => Err(match presented {
                Presented::Key(_) => ApiError::unauthenticated(status.message().to_string()),
                Presented::Certificate(_) => presented.refused(),
            }),
            Err(status) => {
                tracing::warn!(code = ?status.code(), message = status.message(), "API key check failed");
                Err(unavailable())
            }
        }
    }
}
