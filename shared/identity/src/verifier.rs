//! Checking bearer tokens: the issuers the platform trusts (the identity provider, by its
//! published keys or a PEM file, and the gateway), what their tokens must say, and what a
//! verified token proves — remembered until it expires ([`crate::remembered`]).

use std::fmt;
use std::path::Path;
use std::sync::Arc;

use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use nsk_errors::ApiError;
use serde::Deserialize;

use crate::{
    jwks, read, remembered, Caller, Claims, Identity, Issuer, KeyError, Role, MAX_TOKEN_LIFETIME,
};

/// Where an issuer's keys come from.
#[derive(Clone)]
enum AnchorKeys {
    /// One key, from a PEM file.
    Fixed(DecodingKey),
    /// The keys its JWKS publishes, by key id.
    Published(Arc<jwks::JwksKeys>),
}

/// One issuer the platform trusts: its keys and what its tokens must say.
#[derive(Clone)]
struct Anchor {
    issuer: Issuer,
    name: String,
    keys: AnchorKeys,
    validation: Validation,
}

/// Checks signature, issuer, audience and expiry of bearer tokens, and remembers what it
/// concluded until the token expires or its issuer's keys change ([`remembered`]).
#[derive(Clone)]
pub struct TokenVerifier {
    anchors: Vec<Anchor>,
    remembered: Arc<remembered::Remembered>,
}

impl fmt::Debug for TokenVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenVerifier").finish_non_exhaustive()
    }
}

fn pem_key(path: &Path) -> Result<AnchorKeys, KeyError> {
    let pem = read(path)?;
    let key = DecodingKey::from_ed_pem(&pem).map_err(|source| KeyError::Parse {
        path: path.display().to_string(),
        source,
    })?;
    Ok(AnchorKeys::Fixed(key))
}

fn anchor(issuer: Issuer, name: &str, audience: &str, keys: AnchorKeys) -> Anchor {
    let mut validation = Validation::new(Algorithm::EdDSA);
    validation.set_issuer(&[name]);
    validation.set_audience(&[audience]);
    validation.set_required_spec_claims(&["exp", "iat", "iss", "aud", "sub"]);
    validation.validate_nbf = true;
    Anchor {
        issuer,
        name: name.to_string(),
        keys,
        validation,
    }
}

/// The `iss` claim of a token, read before its signature is checked, to choose the key that
/// must have signed it (nothing else is taken from an unverified token).
fn claimed_issuer(token: &str) -> Option<String> {
    use base64::Engine as _;
    let payload = token.split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .ok()?;
    #[derive(Deserialize)]
    struct Iss {
        iss: Option<String>,
    }
    serde_json::from_slice::<Iss>(&bytes).ok()?.iss
}

impl TokenVerifier {
    /// The verifier `cfg` describes. With a JWKS URL, the identity provider's keys are fetched
    /// by a task of their own, so this must run inside a Tokio runtime.
    pub fn from_config(cfg: &nsk_config::AuthConfig) -> Result<Self, KeyError> {
        let provider = match &cfg.jwks_url {
            Some(url) => {
                if tokio::runtime::Handle::try_current().is_err() {
                    return Err(KeyError::NoRuntime);
                }
                AnchorKeys::Published(jwks::JwksKeys::spawn(url.clone(), cfg.jwks_refresh))
            }
            None => pem_key(&cfg.public_key_file)?,
        };
        Ok(Self {
            anchors: vec![
                anchor(
                    Issuer::IdentityProvider,
                    &cfg.issuer,
                    &cfg.audience,
                    provider,
                ),
                anchor(
                    Issuer::Gateway,
                    &cfg.gateway_issuer,
                    &cfg.audience,
                    pem_key(&cfg.gateway_public_key_file)?,
                ),
            ],
            remembered: Default::default(),
        })
    }

    /// The identity a token proves, or why it proves nothing. A token verified before is
    /// recalled while the check would still pass (see [`remembered`]); a refusal is never
    /// remembered.
    pub fn verify(&self, token: &str) -> Result<Identity, ApiError> {
        let now = jsonwebtoken::get_current_timestamp();
        let keys_now = |anchor: usize| {
            self.anchors
                .get(anchor)
                .map_or(u64::MAX, |a| match &a.keys {
                    AnchorKeys::Fixed(_) => 0,
                    AnchorKeys::Published(keys) => keys.generation(),
                })
        };
        if let Some(identity) = self.remembered.recall(token, now, keys_now) {
            return Ok(identity);
        }
        // The generation read before the check: a set that changes during it is not
        // mistaken for the one that verified.
        let (index, keys, identity, exp) = self.verify_now(token, &keys_now)?;
        let until = exp.saturating_add(self.anchors[index].validation.leeway);
        self.remembered
            .remember(token, &identity, index, keys, until, now);
        Ok(identity)
    }

    /// The full check of [`Self::verify`]: the anchor that verified, its keys' generation,
    /// the identity and the token's `exp`.
    fn verify_now(
        &self,
        token: &str,
        keys_now: &impl Fn(usize) -> u64,
    ) -> Result<(usize, u64, Identity, u64), ApiError> {
        let claimed = claimed_issuer(token);
        let (index, anchor) = self
            .anchors
            .iter()
            .enumerate()
            .find(|(_, a)| claimed.as_deref() == Some(a.name.as_str()))
            .ok_or_else(|| {
                ApiError::unauthenticated(if claimed.is_some() {
                    "the token was issued by an unknown issuer"
                } else {
                    "the token is malformed"
                })
            })?;
        let generation = keys_now(index);
        let published;
        let key = match &anchor.keys {
            AnchorKeys::Fixed(key) => key,
            AnchorKeys::Published(keys) => {
                let kid = jsonwebtoken::decode_header(token)
                    .ok()
                    .and_then(|h| h.kid)
                    .ok_or_else(|| {
                        ApiError::unauthenticated(
                            "the token names no key id (kid): the identity provider's keys are told apart by it",
                        )
                    })?;
                published = match keys.lookup(&kid) {
                    jwks::Lookup::Found(key) => key,
                    jwks::Lookup::Unknown => {
                        return Err(ApiError::unauthenticated(format!(
                            "the token's key id {kid:?} is not among the identity provider's published keys"
                        )))
                    }
                    jwks::Lookup::NotLoaded => {
                        return Err(ApiError::unavailable(
                            "the identity provider's keys are not loaded yet; retry shortly",
                        ))
                    }
                };
                &published
            }
        };
        let data = jsonwebtoken::decode::<Claims>(token, key, &anchor.validation).map_err(|e| {
            use jsonwebtoken::errors::ErrorKind as K;
            let why = match e.kind() {
                K::ExpiredSignature => "the token has expired",
                K::InvalidIssuer => "the token was issued by an unknown issuer",
                K::InvalidAudience => "the token is not meant for this platform (audience)",
                K::InvalidSignature => "the token's signature does not verify",
                K::MissingRequiredClaim(_) => {
                    "the token lacks a required claim (exp, iat, iss, aud, sub)"
                }
                K::ImmatureSignature => "the token is not valid yet (nbf)",
                _ => "the token is malformed",
            };
            ApiError::unauthenticated(why)
        })?;
        let claims = data.claims;
        // A token is a session's, not a standing credential: one that lives longer than a
        // working day is refused, whoever signed it (machine clients use API keys).
        if claims.exp.saturating_sub(claims.iat) > MAX_TOKEN_LIFETIME.as_secs() {
            return Err(ApiError::unauthenticated(format!(
                "the token lives longer than {} hours; ask the identity provider for a shorter one",
                MAX_TOKEN_LIFETIME.as_secs() / 3600
            )));
        }
        let mut roles = Vec::new();
        for raw in &claims.roles {
            // Unknown roles from a newer issuer are ignored rather than failing the whole token.
            if let Ok(role) = raw.parse() {
                roles.push(role);
            }
        }
        // The gateway vouches for centers' keys and for itself, nothing more: a gateway token
        // with any other role is refused, so its key cannot make an official.
        if anchor.issuer == Issuer::Gateway && roles.iter().any(|r| *r != Role::RecognitionCenter) {
            return Err(ApiError::unauthenticated(
                "the gateway's tokens carry no role but recognition-center",
            ));
        }
        let center = match claims.center.as_deref() {
            None | Some("") => None,
            Some(raw) => Some(nsk_kz::CenterNumber::parse(raw).map_err(|_| {
                ApiError::unauthenticated(
                    "the token's center claim is not a center number (four digits, 0001-9999)",
                )
            })?),
        };
        let identity = Identity {
            subject: claims.sub,
            roles,
            center,
            region: claims.region,
            sector: claims.sector.filter(|s| !s.trim().is_empty()),
            issuer: anchor.issuer,
            api_key: claims.key.filter(|_| anchor.issuer == Issuer::Gateway),
        };
        Ok((index, generation, identity, claims.exp))
    }

    /// The caller of a gRPC request, from its `authorization` metadata.
    pub fn caller<T>(&self, request: &tonic::Request<T>) -> Result<Caller, ApiError> {
        self.caller_from_header(
            request
                .metadata()
                .get("authorization")
                .and_then(|v| v.to_str().ok()),
        )
    }

    /// The caller of an HTTP request, from its `Authorization` header.
    pub fn caller_from_http(&self, headers: &http::HeaderMap) -> Result<Caller, ApiError> {
        self.caller_from_header(
            headers
                .get(http::header::AUTHORIZATION)
                .and_then(|v| v.to_str().ok()),
        )
    }

    fn caller_from_header(&self, header: Option<&str>) -> Result<Caller, ApiError> {
        let Some(value) = header else {
            return Ok(Caller::Anonymous);
        };
        let token = value
            .strip_prefix("Bearer ")
            .or_else(|| value.strip_prefix("bearer "))
            .ok_or_else(|| {
                ApiError::unauthenticated("the Authorization header must be \"Bearer <token>\"")
            })?;
        self.verify(token.trim()).map(Caller::Authenticated)
    }
}
