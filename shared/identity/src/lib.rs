//! Who is calling, and what they may do.
//!
//! Staff carry JWTs signed by the identity provider (Ed25519, `EdDSA`), whose keys come from
//! its published JSON Web Key Set ([`jwks`]) or, locally, a PEM file. The gateway verifies
//! them ([`TokenVerifier`]) and forwards the same bearer token to the services in the gRPC
//! `authorization` metadata; each service verifies it again and checks the role itself
//! ([`Caller::require`]), so a request that bypasses the gateway gains nothing.
//!
//! Recognition centers' integrations present API keys instead. The gateway trades a key for a
//! short-lived token of its own issuer ([`Issuer::Gateway`]), naming the center and the key,
//! and forwards that; the services trust the gateway's issuer for the recognition-center role
//! only, and for the gateway's own calls (subject [`GATEWAY_SUBJECT`]).
//!
//! [`TokenSigner`] mints tokens from a local key; the `nsk-dev-token` command uses it for
//! local runs and tests, the gateway for API keys.

pub mod jwks;
mod remembered;
mod verifier;

pub use verifier::TokenVerifier;

use std::fmt;
use std::path::Path;
use std::str::FromStr;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use nsk_errors::ApiError;
use serde::{Deserialize, Serialize};

/// The roles of ARCHITECTURE.md "Security".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// The authorized body (Ministry of Labour): keeps the registers, sees everything.
    AuthorizedBodyAdmin,
    /// A sectoral state body: develops and approves the standards of its sector (Art. 5.5);
    /// scoped to its sector.
    SectoralBody,
    /// A sectoral (industry) council: agrees the draft standards of its sector, a party of its
    /// own (Art. 5.5, 12); scoped to its sector.
    IndustryCouncil,
    /// An accreditation officer of the National Chamber of Entrepreneurs.
    NceOfficer,
    /// An employment office; scoped to its region.
    EmploymentOffice,
    /// A recognition center (machine client); scoped to its center number.
    RecognitionCenter,
    /// Read-only access to everything.
    Auditor,
    /// A person applying for recognition (Rules p. 4), acting for themselves only: the token's
    /// subject names them, `iin:<IIN>` or, for a foreigner or stateless person without an IIN
    /// (Art. 2.4), `doc:<country>:<document number>`.
    Candidate,
}

impl Role {
    pub const ALL: [Role; 8] = [
        Role::AuthorizedBodyAdmin,
        Role::SectoralBody,
        Role::IndustryCouncil,
        Role::NceOfficer,
        Role::EmploymentOffice,
        Role::RecognitionCenter,
        Role::Auditor,
        Role::Candidate,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            Role::AuthorizedBodyAdmin => "authorized-body-admin",
            Role::SectoralBody => "sectoral-body",
            Role::IndustryCouncil => "industry-council",
            Role::NceOfficer => "nce-officer",
            Role::EmploymentOffice => "employment-office",
            Role::RecognitionCenter => "recognition-center",
            Role::Auditor => "auditor",
            Role::Candidate => "candidate",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| format!("unknown role {s:?}; roles are {}", role_list()))
    }
}

fn role_list() -> String {
    Role::ALL
        .iter()
        .map(|r| r.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// Who signed a token the platform accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Issuer {
    /// The identity provider of staff (and, in development, of every test token).
    IdentityProvider,
    /// The gateway: for a center's API key, or for its own calls.
    Gateway,
}

/// The subject of the gateway's tokens for its own calls (trading an API key).
pub const GATEWAY_SUBJECT: &str = "nsk-gateway";

/// The longest a token may live, from `iat` to `exp`.
pub const MAX_TOKEN_LIFETIME: Duration = Duration::from_secs(12 * 3600);

/// The claims of an NSK token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    pub iss: String,
    pub aud: String,
    pub sub: String,
    pub exp: u64,
    pub iat: u64,
    /// Not before: a token minted for later is refused until then.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nbf: Option<u64>,
    #[serde(default)]
    pub roles: Vec<String>,
    /// Center number, for a recognition center's token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub center: Option<String>,
    /// Region code, for an employment office's token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// Sector, for a sectoral body's or an industry council's token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sector: Option<String>,
    /// The prefix of the API key a gateway token was minted for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
}

/// A verified caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    pub subject: String,
    pub roles: Vec<Role>,
    /// A recognition center's number, as its token names it (checked when the token is read).
    pub center: Option<nsk_kz::CenterNumber>,
    pub region: Option<String>,
    /// The sector a sectoral body or an industry council acts for.
    pub sector: Option<String>,
    /// Who signed the token.
    pub issuer: Issuer,
    /// The prefix of the center's API key the call came with, if it came with one.
    pub api_key: Option<String>,
}

impl Identity {
    /// Whether this is the gateway acting for itself.
    pub fn is_gateway(&self) -> bool {
        self.issuer == Issuer::Gateway && self.subject == GATEWAY_SUBJECT
    }

    /// The center a recognition center's token acts for; a center acts only for itself.
    pub fn own_center(&self) -> Result<nsk_kz::CenterNumber, ApiError> {
        match self.center {
            Some(center) if self.has(Role::RecognitionCenter) => Ok(center),
            _ => Err(ApiError::permission_denied(
                "a recognition center's token that names its center number is needed",
            )),
        }
    }

    /// The person a candidate's token speaks for, from its subject; a candidate acts only for
    /// themselves.
    pub fn person(&self) -> Result<Person, ApiError> {
        let refused = || {
            ApiError::permission_denied(
                "a candidate's token whose subject names the person is needed: iin:<IIN>, or doc:<country>:<document number> (Art. 2.4)",
            )
        };
        if !self.has(Role::Candidate) {
            return Err(refused());
        }
        Person::from_subject(&self.subject).ok_or_else(refused)
    }

    pub fn has(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }

    /// The role to record in audit trails: the first one the token carries.
    pub fn primary_role(&self) -> &'static str {
        self.roles.first().map(|r| r.as_str()).unwrap_or("none")
    }
}

/// A candidate, as their token names them.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Person {
    Iin(nsk_kz::Iin),
    /// A foreigner's or a stateless person's identity document (Art. 2.4): the issuing
    /// country (ISO 3166-1 alpha-2) and its number.
    Document {
        country: String,
        number: String,
    },
}

impl Person {
    /// `iin:<12 digits with the check digit>` or `doc:<two letters>:<1-30 letters and digits>`.
    pub fn from_subject(subject: &str) -> Option<Self> {
        if let Some(iin) = subject.strip_prefix("iin:") {
            return nsk_kz::Iin::parse(iin).ok().map(Person::Iin);
        }
        let (country, number) = subject.strip_prefix("doc:")?.split_once(':')?;
        let country_ok = country.len() == 2 && country.bytes().all(|b| b.is_ascii_uppercase());
        let number_ok = (1..=30).contains(&number.len())
            && number
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-');
        (country_ok && number_ok).then(|| Person::Document {
            country: country.to_string(),
            number: number.to_string(),
        })
    }

    /// The subject that names this person.
    pub fn subject(&self) -> String {
        match self {
            Person::Iin(iin) => format!("iin:{}", iin.as_str()),
            Person::Document { country, number } => format!("doc:{country}:{number}"),
        }
    }
}

/// Who is on the other end of a call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Caller {
    /// No token: the public, allowed only on public reads.
    Anonymous,
    Authenticated(Identity),
}

impl Caller {
    /// The identity, if it holds one of `roles`. Anonymous callers are unauthenticated;
    /// callers without the role are denied, with the roles that would do.
    pub fn require(&self, roles: &[Role]) -> Result<&Identity, ApiError> {
        let wanted = roles
            .iter()
            .map(|r| r.as_str())
            .collect::<Vec<_>>()
            .join(" or ");
        match self {
            Caller::Anonymous => Err(ApiError::unauthenticated(format!(
                "this call needs a bearer token with role {wanted}"
            ))),
            Caller::Authenticated(identity) if roles.iter().any(|r| identity.has(*r)) => {
                Ok(identity)
            }
            Caller::Authenticated(identity) => Err(ApiError::permission_denied(format!(
                "this call needs role {wanted}; the token of {} has {}",
                identity.subject,
                if identity.roles.is_empty() {
                    "no roles".to_string()
                } else {
                    identity
                        .roles
                        .iter()
                        .map(|r| r.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                }
            ))),
        }
    }

    /// The subject for audit trails: `anonymous` for the public.
    pub fn subject(&self) -> &str {
        match self {
            Caller::Anonymous => "anonymous",
            Caller::Authenticated(identity) => &identity.subject,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("the identity provider's JWKS is fetched by a task: start the verifier inside a Tokio runtime")]
    NoRuntime,
    #[error("cannot read key file {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("key file {path} does not hold an Ed25519 PEM key: {source}")]
    Parse {
        path: String,
        source: jsonwebtoken::errors::Error,
    },
}

/// Mints tokens from a local private key (development and tests).
pub struct TokenSigner {
    key: EncodingKey,
    issuer: String,
    audience: String,
    key_id: Option<String>,
}

/// What a minted token says.
#[derive(Debug, Clone, Default)]
pub struct TokenRequest {
    pub subject: String,
    pub roles: Vec<Role>,
    pub center: Option<String>,
    pub region: Option<String>,
    pub sector: Option<String>,
    /// For the gateway's token of an API key: the key's prefix.
    pub key: Option<String>,
    pub ttl: Duration,
}

impl TokenSigner {
    pub fn from_pem_file(path: &Path, issuer: &str, audience: &str) -> Result<Self, KeyError> {
        let pem = read(path)?;
        let key = EncodingKey::from_ed_pem(&pem).map_err(|source| KeyError::Parse {
            path: path.display().to_string(),
            source,
        })?;
        Ok(Self {
            key,
            issuer: issuer.into(),
            audience: audience.into(),
            key_id: None,
        })
    }

    /// Names the key in each token's header (`kid`), as an issuer with a JWKS does.
    pub fn with_key_id(mut self, kid: impl Into<String>) -> Self {
        self.key_id = Some(kid.into());
        self
    }

    pub fn mint(&self, request: &TokenRequest) -> Result<String, jsonwebtoken::errors::Error> {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        let claims = Claims {
            iss: self.issuer.clone(),
            aud: self.audience.clone(),
            sub: request.subject.clone(),
            iat: now,
            exp: now + request.ttl.as_secs(),
            nbf: None,
            roles: request
                .roles
                .iter()
                .map(|r| r.as_str().to_string())
                .collect(),
            center: request.center.clone(),
            region: request.region.clone(),
            sector: request.sector.clone(),
            key: request.key.clone(),
        };
        let mut header = Header::new(Algorithm::EdDSA);
        header.kid = self.key_id.clone();
        jsonwebtoken::encode(&header, &claims, &self.key)
    }
}

fn read(path: &Path) -> Result<Vec<u8>, KeyError> {
    std::fs::read(path).map_err(|source| KeyError::Read {
        path: path.display().to_string(),
        source,
    })
}

/// Paths of the development key pair shipped in `deploy/dev-keys/`, from the workspace root.
pub mod dev {
    pub const PRIVATE_KEY: &str = "deploy/dev-keys/dev-jwt.key.pem";
    pub const PUBLIC_KEY: &str = "deploy/dev-keys/dev-jwt.pub.pem";
    pub const ISSUER: &str = "nsk-dev";
    pub const AUDIENCE: &str = "nsk-registry";
    /// The gateway's development key pair, for the tokens it mints for API keys.
    pub const GATEWAY_PRIVATE_KEY: &str = "deploy/dev-keys/dev-gateway.key.pem";
    pub const GATEWAY_PUBLIC_KEY: &str = "deploy/dev-keys/dev-gateway.pub.pem";
    pub const GATEWAY_ISSUER: &str = "nsk-gateway";
}

#[cfg(test)]
mod tests {
    use super::*;
    use nsk_errors::ErrorKind;
    use std::path::PathBuf;

    #[test]
    fn a_candidates_subject_names_an_iin_with_its_check_digit_or_a_foreign_document_art_2_4() {
        let iin = Person::from_subject("iin:900101300037").expect("an IIN");
        assert_eq!(iin.subject(), "iin:900101300037");
        assert_eq!(
            Person::from_subject("iin:900101300038"),
            None,
            "check digit"
        );
        let doc = Person::from_subject("doc:UZ:AA1234567").expect("a passport");
        assert_eq!(
            doc,
            Person::Document {
                country: "UZ".into(),
                number: "AA1234567".into()
            }
        );
        for bad in [
            "900101300037",
            "doc:uz:AA1",
            "doc:UZ:",
            "doc:UZB:1",
            "doc:UZ:a b",
        ] {
            assert_eq!(Person::from_subject(bad), None, "{bad:?}");
        }
        let candidate = |subject: &str, roles: Vec<Role>| Identity {
            subject: subject.into(),
            roles,
            center: None,
            region: None,
            sector: None,
            issuer: Issuer::IdentityProvider,
            api_key: None,
        };
        assert_eq!(
            candidate("iin:900101300037", vec![Role::Candidate])
                .person()
                .unwrap(),
            iin
        );
        // The role is needed, and a subject that names a person.
        let no_role = candidate("iin:900101300037", vec![Role::Auditor])
            .person()
            .unwrap_err();
        assert_eq!(no_role.kind, ErrorKind::PermissionDenied);
        assert!(candidate("someone", vec![Role::Candidate])
            .person()
            .is_err());
    }

    fn root() -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
    }

    fn signer(issuer: &str, audience: &str) -> TokenSigner {
        TokenSigner::from_pem_file(&root().join(dev::PRIVATE_KEY), issuer, audience).unwrap()
    }

    fn verifier() -> TokenVerifier {
        TokenVerifier::from_config(&nsk_config::AuthConfig {
            public_key_file: root().join(dev::PUBLIC_KEY),
            issuer: dev::ISSUER.into(),
            audience: dev::AUDIENCE.into(),
            jwks_url: None,
            jwks_refresh: Duration::from_secs(300),
            gateway_public_key_file: root().join(dev::GATEWAY_PUBLIC_KEY),
            gateway_issuer: dev::GATEWAY_ISSUER.into(),
        })
        .unwrap()
    }

    fn request(roles: Vec<Role>, ttl_secs: u64) -> TokenRequest {
        TokenRequest {
            subject: "admin-1".into(),
            roles,
            center: Some("0042".into()),
            region: None,
            sector: None,
            key: None,
            ttl: Duration::from_secs(ttl_secs),
        }
    }

    #[test]
    fn a_minted_token_verifies_with_its_roles_and_scope() {
        let token = signer(dev::ISSUER, dev::AUDIENCE)
            .mint(&request(vec![Role::RecognitionCenter], 60))
            .unwrap();
        let identity = verifier().verify(&token).unwrap();
        assert_eq!(identity.subject, "admin-1");
        assert_eq!(identity.roles, vec![Role::RecognitionCenter]);
        assert_eq!(
            identity.center.map(|c| c.to_string()).as_deref(),
            Some("0042")
        );
    }

    #[test]
    fn a_center_acts_only_as_the_center_its_token_names_with_a_valid_number() {
        let signer = signer(dev::ISSUER, dev::AUDIENCE);
        let center = verifier()
            .verify(
                &signer
                    .mint(&request(vec![Role::RecognitionCenter], 60))
                    .unwrap(),
            )
            .unwrap();
        assert_eq!(center.own_center().unwrap().to_string(), "0042");
        // The same number on an official's token does not make the official a center.
        let official = verifier()
            .verify(
                &signer
                    .mint(&request(vec![Role::AuthorizedBodyAdmin], 60))
                    .unwrap(),
            )
            .unwrap();
        assert_eq!(
            official.own_center().unwrap_err().kind,
            nsk_errors::ErrorKind::PermissionDenied
        );
        let mut bad = request(vec![Role::RecognitionCenter], 60);
        bad.center = Some("42a".into());
        let err = verifier().verify(&signer.mint(&bad).unwrap()).unwrap_err();
        assert_eq!(err.kind, nsk_errors::ErrorKind::Unauthenticated);
        assert!(err.message.contains("center claim"), "{err:?}");
    }

    #[test]
    fn wrong_issuer_audience_expiry_and_tampering_are_refused() {
        let v = verifier();
        let other_issuer = signer("someone-else", dev::AUDIENCE)
            .mint(&request(vec![], 60))
            .unwrap();
        assert!(v
            .verify(&other_issuer)
            .unwrap_err()
            .message
            .contains("issuer"));
        let other_audience = signer(dev::ISSUER, "other-app")
            .mint(&request(vec![], 60))
            .unwrap();
        assert!(v
            .verify(&other_audience)
            .unwrap_err()
            .message
            .contains("audience"));
        // Expired beyond the default 60 s leeway: mint, then verify a token whose exp is in the past.
        let token = {
            let s = signer(dev::ISSUER, dev::AUDIENCE);
            let now = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .unwrap()
                .as_secs();
            let claims = Claims {
                iss: dev::ISSUER.into(),
                aud: dev::AUDIENCE.into(),
                sub: "x".into(),
                iat: now - 7200,
                exp: now - 3600,
                nbf: None,
                roles: vec![],
                center: None,
                region: None,
                sector: None,
                key: None,
            };
            jsonwebtoken::encode(&Header::new(Algorithm::EdDSA), &claims, &s.key).unwrap()
        };
        assert!(v.verify(&token).unwrap_err().message.contains("expired"));
        // Minted for later (nbf an hour ahead), and minted to live a month: both refused.
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs();
        let claims = |iat: u64, exp: u64, nbf: Option<u64>| Claims {
            iss: dev::ISSUER.into(),
            aud: dev::AUDIENCE.into(),
            sub: "x".into(),
            iat,
            exp,
            nbf,
            roles: vec![],
            center: None,
            region: None,
            sector: None,
            key: None,
        };
        let s = signer(dev::ISSUER, dev::AUDIENCE);
        let early = jsonwebtoken::encode(
            &Header::new(Algorithm::EdDSA),
            &claims(now, now + 7200, Some(now + 3600)),
            &s.key,
        )
        .unwrap();
        assert!(v
            .verify(&early)
            .unwrap_err()
            .message
            .contains("not valid yet"));
        let standing = jsonwebtoken::encode(
            &Header::new(Algorithm::EdDSA),
            &claims(now, now + 30 * 24 * 3600, None),
            &s.key,
        )
        .unwrap();
        assert!(v
            .verify(&standing)
            .unwrap_err()
            .message
            .contains("longer than 12 hours"));
        let good = signer(dev::ISSUER, dev::AUDIENCE)
            .mint(&request(vec![Role::Auditor], 60))
            .unwrap();
        let mut tampered = good.clone();
        tampered.replace_range(good.len() - 4.., "AAAA");
        assert_eq!(
            v.verify(&tampered).unwrap_err().kind,
            ErrorKind::Unauthenticated
        );
    }

    #[test]
    fn require_distinguishes_anonymous_from_the_wrong_role() {
        let anonymous = Caller::Anonymous
            .require(&[Role::AuthorizedBodyAdmin])
            .unwrap_err();
        assert_eq!(anonymous.kind, ErrorKind::Unauthenticated);
        let officer = Caller::Authenticated(Identity {
            subject: "officer-7".into(),
            roles: vec![Role::NceOfficer],
            center: None,
            region: None,
            sector: None,
            issuer: Issuer::IdentityProvider,
            api_key: None,
        });
        let denied = officer.require(&[Role::AuthorizedBodyAdmin]).unwrap_err();
        assert_eq!(denied.kind, ErrorKind::PermissionDenied);
        assert!(
            denied.message.contains("authorized-body-admin"),
            "{}",
            denied.message
        );
        assert!(denied.message.contains("nce-officer"), "{}", denied.message);
        assert!(officer
            .require(&[Role::AuthorizedBodyAdmin, Role::NceOfficer])
            .is_ok());
    }

    #[test]
    fn a_header_without_bearer_is_refused() {
        let mut headers = http::HeaderMap::new();
        headers.insert(
            http::header::AUTHORIZATION,
            "Basic dXNlcjpwYXNz".parse().unwrap(),
        );
        let err = verifier().caller_from_http(&headers).unwrap_err();
        assert_eq!(err.kind, ErrorKind::Unauthenticated);
        assert_eq!(
            verifier()
                .caller_from_http(&http::HeaderMap::new())
                .unwrap(),
            Caller::Anonymous
        );
    }

    #[test]
    fn the_gateway_vouches_for_centers_keys_and_nothing_more() {
        let v = verifier();
        let gateway = TokenSigner::from_pem_file(
            &root().join(dev::GATEWAY_PRIVATE_KEY),
            dev::GATEWAY_ISSUER,
            dev::AUDIENCE,
        )
        .unwrap();
        let center = TokenRequest {
            subject: "api-key:nsk_0123abcd".into(),
            roles: vec![Role::RecognitionCenter],
            center: Some("0042".into()),
            key: Some("nsk_0123abcd".into()),
            ttl: Duration::from_secs(300),
            ..Default::default()
        };
        let identity = v.verify(&gateway.mint(&center).unwrap()).unwrap();
        assert_eq!(identity.issuer, Issuer::Gateway);
        assert_eq!(identity.api_key.as_deref(), Some("nsk_0123abcd"));
        assert_eq!(identity.own_center().unwrap().to_string(), "0042");
        assert!(!identity.is_gateway());
        // Its own calls.
        let own = TokenRequest {
            subject: GATEWAY_SUBJECT.into(),
            ttl: Duration::from_secs(60),
            ..Default::default()
        };
        assert!(v.verify(&gateway.mint(&own).unwrap()).unwrap().is_gateway());
        // An official's role from the gateway's key is refused.
        let officer = TokenRequest {
            roles: vec![Role::NceOfficer],
            ..center.clone()
        };
        let refused = v.verify(&gateway.mint(&officer).unwrap()).unwrap_err();
        assert!(
            refused.message.contains("recognition-center"),
            "{refused:?}"
        );
        // The identity provider's key cannot pass for the gateway, nor the gateway's for it.
        let forged = TokenSigner::from_pem_file(
            &root().join(dev::PRIVATE_KEY),
            dev::GATEWAY_ISSUER,
            dev::AUDIENCE,
        )
        .unwrap();
        let refused = v.verify(&forged.mint(&center).unwrap()).unwrap_err();
        assert!(refused.message.contains("signature"), "{refused:?}");
        let forged = TokenSigner::from_pem_file(
            &root().join(dev::GATEWAY_PRIVATE_KEY),
            dev::ISSUER,
            dev::AUDIENCE,
        )
        .unwrap();
        let refused = v.verify(&forged.mint(&center).unwrap()).unwrap_err();
        assert!(refused.message.contains("signature"), "{refused:?}");
        // A key claim in an identity provider's token means nothing.
        let staff = signer(dev::ISSUER, dev::AUDIENCE);
        let identity = v.verify(&staff.mint(&center).unwrap()).unwrap();
        assert_eq!(identity.api_key, None);
    }
}
