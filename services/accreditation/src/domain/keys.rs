//! API keys of recognition centers: machine credentials, each bound to one center, issued,
//! rotated and revoked by the National Chamber of Entrepreneurs (the accrediting body acts on
//! centers, Art. 17, 23). A key is `nsk_<prefix>_<secret>`: the prefix (8 hex digits) finds it
//! and is shown in lists; the secret (48 hex digits, 192 random bits) is shown once and kept
//! only as an Argon2id hash.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use chrono::{DateTime, Duration, Utc};
use password_hash::rand_core::{OsRng, RngCore};
use uuid::Uuid;

use super::Refused;

/// A key lives at most a year and a day; 365 days unless the NCE says otherwise.
pub const MAX_VALID_DAYS: i32 = 366;
pub const DEFAULT_VALID_DAYS: i32 = 365;
/// A rotated key keeps working for up to 30 days, 7 unless the NCE says otherwise.
pub const MAX_OVERLAP_DAYS: i32 = 30;
pub const DEFAULT_OVERLAP_DAYS: i32 = 7;
/// A key's last use is written at most this often: a busy key does not write on every call.
pub const LAST_USED_RESOLUTION: Duration = Duration::minutes(1);

const PREFIX_HEX: usize = 8;
const SECRET_HEX: usize = 48;

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A freshly made key: the whole text for the center, once, and what the register keeps.
pub struct NewSecret {
    /// `nsk_<prefix>_<secret>`.
    pub whole: String,
    pub prefix: String,
    /// Argon2id, as a PHC string (algorithm, parameters, salt and hash).
    pub hash: String,
}

impl NewSecret {
    pub fn generate() -> Result<Self, Refused> {
        let mut prefix = [0u8; PREFIX_HEX / 2];
        let mut secret = [0u8; SECRET_HEX / 2];
        OsRng.fill_bytes(&mut prefix);
        OsRng.fill_bytes(&mut secret);
        let prefix = format!("nsk_{}", hex(&prefix));
        let whole = format!("{prefix}_{}", hex(&secret));
        let salt = SaltString::generate(&mut OsRng);
        let hash = Argon2::default()
            .hash_password(whole.as_bytes(), &salt)
            .map_err(|e| Refused::new(format!("the key could not be hashed: {e}")))?
            .to_string();
        Ok(Self {
            whole,
            prefix,
            hash,
        })
    }
}

/// A key as a caller presented it, its form checked (nothing about whether it exists).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PresentedKey {
    whole: String,
}

impl PresentedKey {
    pub fn parse(raw: &str) -> Option<Self> {
        let rest = raw.strip_prefix("nsk_")?;
        let (prefix, secret) = rest.split_once('_')?;
        let lower_hex = |s: &str, n: usize| {
            s.len() == n
                && s.bytes()
                    .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        };
        (lower_hex(prefix, PREFIX_HEX) && lower_hex(secret, SECRET_HEX)).then(|| Self {
            whole: raw.to_string(),
        })
    }

    /// `nsk_` and the eight digits that find the key.
    pub fn prefix(&self) -> &str {
        &self.whole[..4 + PREFIX_HEX]
    }

    /// Whether this is the key whose hash the register keeps (in constant time, by Argon2).
    pub fn matches(&self, stored_hash: &str) -> bool {
        PasswordHash::new(stored_hash)
            .map(|hash| {
                Argon2::default()
                    .verify_password(self.whole.as_bytes(), &hash)
                    .is_ok()
            })
            .unwrap_or(false)
    }
}

/// A TLS client certificate registered for a center (mutual TLS): known by the SHA-256 of its
/// DER, which is what the gateway sees of the certificate a connection presents. Registered as
/// a key of the center, with `crt_` and the fingerprint's first eight hex digits as its prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CertificateFingerprint([u8; 32]);

/// A certificate credential's prefix starts with this; a secret key's with `nsk_`.
pub const CERTIFICATE_PREFIX: &str = "crt_";
/// How a certificate credential keeps its fingerprint where a key keeps its hash.
const CERTIFICATE_STORED: &str = "sha256:";

impl CertificateFingerprint {
    /// The fingerprint of the one X.509 certificate in `pem`; the rule it breaks otherwise.
    pub fn from_pem(pem: &str) -> Result<Self, String> {
        use rustls_pki_types::pem::PemObject;
        use rustls_pki_types::CertificateDer;
        let mut found = CertificateDer::pem_slice_iter(pem.as_bytes());
        let der = match found.next() {
            Some(Ok(der)) => der,
            Some(Err(_)) | None => {
                return Err(
                    "must be one X.509 certificate in PEM (-----BEGIN CERTIFICATE-----)".into(),
                )
            }
        };
        if found.next().is_some() {
            return Err("must be one certificate: the center's own, without its chain".into());
        }
        webpki::EndEntityCert::try_from(&der)
            .map_err(|e| format!("is not a certificate that can be used for TLS: {e:?}"))?;
        Ok(Self::of_der(&der))
    }

    pub fn of_der(der: &[u8]) -> Self {
        use sha2::{Digest, Sha256};
        Self(Sha256::digest(der).into())
    }

    /// From 64 hex digits (either case), as the gateway sends it.
    pub fn from_hex(raw: &str) -> Option<Self> {
        if raw.len() != 64 || !raw.is_ascii() {
            return None;
        }
        let mut bytes = [0u8; 32];
        for (i, byte) in bytes.iter_mut().enumerate() {
            *byte = u8::from_str_radix(&raw[2 * i..2 * i + 2], 16).ok()?;
        }
        Some(Self(bytes))
    }

    pub fn hex(&self) -> String {
        hex(&self.0)
    }

    /// `crt_` and the first eight hex digits: finds the credential.
    pub fn prefix(&self) -> String {
        format!("{CERTIFICATE_PREFIX}{}", &self.hex()[..PREFIX_HEX])
    }

    fn stored(&self) -> String {
        format!("{CERTIFICATE_STORED}{}", self.hex())
    }
}

/// What a center's credential is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Secret,
    ClientCertificate,
}

/// What a key's label may be: what the center uses it for.
pub fn label(raw: &str) -> Result<String, String> {
    let label = raw.trim();
    match label.chars().count() {
        0 => Err("is required: what the key is for, e.g. \"exam system\"".into()),
        n if n > 100 => Err(format!("is {n} characters; at most 100")),
        _ if label.chars().any(char::is_control) => Err("must not hold control characters".into()),
        _ => Ok(label.to_string()),
    }
}

/// How long a new key lives: 1-366 days; 0 means the default 365.
pub fn valid_days(raw: i32) -> Result<i64, String> {
    match raw {
        0 => Ok(i64::from(DEFAULT_VALID_DAYS)),
        1..=MAX_VALID_DAYS => Ok(i64::from(raw)),
        _ => Err(format!(
            "must be 1-{MAX_VALID_DAYS} days (0 or absent: {DEFAULT_VALID_DAYS}); {raw} given"
        )),
    }
}

/// How long a rotated key keeps working: 0-30 days; absent means 7.
pub fn overlap_days(raw: Option<i32>) -> Result<i64, String> {
    match raw {
        None => Ok(i64::from(DEFAULT_OVERLAP_DAYS)),
        Some(days @ 0..=MAX_OVERLAP_DAYS) => Ok(i64::from(days)),
        Some(days) => Err(format!(
            "must be 0-{MAX_OVERLAP_DAYS} days (absent: {DEFAULT_OVERLAP_DAYS}); {days} given"
        )),
    }
}

/// Where a key stands at a moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyStatus {
    Active,
    /// Replaced in a rotation, still accepted until it expires.
    Rotating,
    Revoked,
    Expired,
}

/// Who revoked a key, when and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Revocation {
    pub at: DateTime<Utc>,
    pub by: String,
    pub reason: String,
}

/// A center's API key: the aggregate. Its fields change only through its methods.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiKey {
    id: Uuid,
    center: nsk_kz::CenterNumber,
    prefix: String,
    secret_hash: String,
    label: String,
    created_at: DateTime<Utc>,
    created_by: String,
    expires_at: DateTime<Utc>,
    last_used_at: Option<DateTime<Utc>>,
    revocation: Option<Revocation>,
    replaced_by: Option<Uuid>,
    version: i64,
}

/// The fields of a stored key, to restore it from the register.
pub struct StoredKey {
    pub id: Uuid,
    pub center: nsk_kz::CenterNumber,
    pub prefix: String,
    pub secret_hash: String,
    pub label: String,
    pub created_at: DateTime<Utc>,
    pub created_by: String,
    pub expires_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revocation: Option<Revocation>,
    pub replaced_by: Option<Uuid>,
    pub version: i64,
}

/// Why a presented key is not accepted; said to the caller only as "not accepted".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotAccepted {
    WrongSecret,
    Revoked,
    Expired,
}

impl ApiKey {
    /// A new key for `center`, made by `by`, living `days` from `now`.
    pub fn issue(
        center: nsk_kz::CenterNumber,
        secret: &NewSecret,
        label: String,
        by: &str,
        days: i64,
        now: DateTime<Utc>,
    ) -> Self {
        Self {
            id: Uuid::now_v7(),
            center,
            prefix: secret.prefix.clone(),
            secret_hash: secret.hash.clone(),
            label,
            created_at: now,
            created_by: by.to_string(),
            expires_at: now + Duration::days(days),
            last_used_at: None,
            revocation: None,
            replaced_by: None,
            version: 1,
        }
    }

    /// A client certificate registered for `center` by `by`, accepted `days` from `now`.
    pub fn register_certificate(
        center: nsk_kz::CenterNumber,
        certificate: &CertificateFingerprint,
        label: String,
        by: &str,
        days: i64,
        now: DateTime<Utc>,
    ) -> Self {
        Self {
            id: Uuid::now_v7(),
            center,
            prefix: certificate.prefix(),
            secret_hash: certificate.stored(),
            label,
            created_at: now,
            created_by: by.to_string(),
            expires_at: now + Duration::days(days),
            last_used_at: None,
            revocation: None,
            replaced_by: None,
            version: 1,
        }
    }

    pub fn kind(&self) -> Kind {
        if self.prefix.starts_with(CERTIFICATE_PREFIX) {
            Kind::ClientCertificate
        } else {
            Kind::Secret
        }
    }

    /// A client certificate's fingerprint, as 64 hex digits.
    pub fn certificate_sha256(&self) -> Option<&str> {
        self.secret_hash.strip_prefix(CERTIFICATE_STORED)
    }

    /// Whether `presented` is this registered certificate and may act now.
    pub fn accept_certificate(
        &self,
        presented: &CertificateFingerprint,
        now: DateTime<Utc>,
    ) -> Result<(), NotAccepted> {
        if self.kind() != Kind::ClientCertificate || self.secret_hash != presented.stored() {
            return Err(NotAccepted::WrongSecret);
        }
        self.live(now)
    }

    fn live(&self, now: DateTime<Utc>) -> Result<(), NotAccepted> {
        match self.status(now) {
            KeyStatus::Revoked => Err(NotAccepted::Revoked),
            KeyStatus::Expired => Err(NotAccepted::Expired),
            KeyStatus::Active | KeyStatus::Rotating => Ok(()),
        }
    }

    pub fn restore(stored: StoredKey) -> Self {
        Self {
            id: stored.id,
            center: stored.center,
            prefix: stored.prefix,
            secret_hash: stored.secret_hash,
            label: stored.label,
            created_at: stored.created_at,
            created_by: stored.created_by,
            expires_at: stored.expires_at,
            last_used_at: stored.last_used_at,
            revocation: stored.revocation,
            replaced_by: stored.replaced_by,
            version: stored.version,
        }
    }

    pub fn status(&self, now: DateTime<Utc>) -> KeyStatus {
        if self.revocation.is_some() {
            KeyStatus::Revoked
        } else if now >= self.expires_at {
            KeyStatus::Expired
        } else if self.replaced_by.is_some() {
            KeyStatus::Rotating
        } else {
            KeyStatus::Active
        }
    }

    /// Whether `presented` is this key and may act now.
    pub fn accept(&self, presented: &PresentedKey, now: DateTime<Utc>) -> Result<(), NotAccepted> {
        if self.kind() != Kind::Secret || !presented.matches(&self.secret_hash) {
            return Err(NotAccepted::WrongSecret);
        }
        self.live(now)
    }

    /// Records a use; true when the register should write it (once a minute at most).
    pub fn used(&mut self, now: DateTime<Utc>) -> bool {
        let due = self
            .last_used_at
            .is_none_or(|last| now - last >= LAST_USED_RESOLUTION);
        if due {
            self.last_used_at = Some(now);
        }
        due
    }

    /// Stops the key now. A revoked key stays revoked; an expired one needs no revocation.
    pub fn revoke(&mut self, by: &str, reason: String, now: DateTime<Utc>) -> Result<(), Refused> {
        match self.status(now) {
            KeyStatus::Revoked => Err(Refused::new(format!(
                "key {} is already revoked; nothing accepts it",
                self.prefix
            ))),
            KeyStatus::Expired => Err(Refused::new(format!(
                "key {} expired on {}; nothing accepts it",
                self.prefix,
                self.expires_at.to_rfc3339()
            ))),
            KeyStatus::Active | KeyStatus::Rotating => {
                self.revocation = Some(Revocation {
                    at: now,
                    by: by.to_string(),
                    reason,
                });
                self.version += 1;
                Ok(())
            }
        }
    }

    /// Hands over to `successor`: this key keeps working for `overlap_days`, no longer than it
    /// would have anyway. Only an active key rotates (one already rotated has its successor).
    pub fn rotate_to(
        &mut self,
        successor: Uuid,
        overlap_days: i64,
        now: DateTime<Utc>,
    ) -> Result<(), Refused> {
        if self.kind() == Kind::ClientCertificate {
            return Err(Refused::new(format!(
                "{} is a client certificate, which is not rotated: register the new certificate, then revoke this one",
                self.prefix
            )));
        }
        match self.status(now) {
            KeyStatus::Active => {
                self.replaced_by = Some(successor);
                self.expires_at = self.expires_at.min(now + Duration::days(overlap_days));
                self.version += 1;
                Ok(())
            }
            KeyStatus::Rotating => Err(Refused::new(format!(
                "key {} was already rotated; rotate its successor instead",
                self.prefix
            ))),
            KeyStatus::Revoked | KeyStatus::Expired => Err(Refused::new(format!(
                "key {} no longer works; issue a new key instead of rotating it",
                self.prefix
            ))),
        }
    }

    pub fn id(&self) -> Uuid {
        self.id
    }
    pub fn center(&self) -> nsk_kz::CenterNumber {
        self.center
    }
    pub fn prefix(&self) -> &str {
        &self.prefix
    }
    pub fn secret_hash(&self) -> &str {
        &self.secret_hash
    }
    pub fn label(&self) -> &str {
        &self.label
    }
    pub fn created_at(&self) -> DateTime<Utc> {
        self.created_at
    }
    pub fn created_by(&self) -> &str {
        &self.created_by
    }
    pub fn expires_at(&self) -> DateTime<Utc> {
        self.expires_at
    }
    pub fn last_used_at(&self) -> Option<DateTime<Utc>> {
        self.last_used_at
    }
    pub fn revocation(&self) -> Option<&Revocation> {
        self.revocation.as_ref()
    }
    pub fn replaced_by(&self) -> Option<Uuid> {
        self.replaced_by
    }
    pub fn version(&self) -> i64 {
        self.version
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn center(n: i32) -> nsk_kz::CenterNumber {
        nsk_kz::CenterNumber::from_i32(n).expect("a center number")
    }

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s)
            .expect("a time")
            .with_timezone(&Utc)
    }

    fn key(days: i64, now: DateTime<Utc>) -> (ApiKey, PresentedKey) {
        let secret = NewSecret::generate().expect("a secret");
        let presented = PresentedKey::parse(&secret.whole).expect("its own form");
        let key = ApiKey::issue(
            center(42),
            &secret,
            "exam system".into(),
            "nce-1",
            days,
            now,
        );
        (key, presented)
    }

    /// Two self-signed certificates (openssl req -x509 -newkey ed25519), with the SHA-256
    /// fingerprints `openssl x509 -fingerprint -sha256` prints for them.
    const CERT_A: &str = "-----BEGIN CERTIFICATE-----\nMIIBbTCCAR+gAwIBAgIUK+ccCLgsfap6dN7HJ0Iac3GO9R0wBQYDK2VwMCwxFDAS\nBgNVBAoMC0NlbnRlciAwMDQyMRQwEgYDVQQDDAtleGFtLXN5c3RlbTAeFw0yNjEy\nMDYwNDM2NTlaFw0zNjEyMDMwNDM2NTlaMCwxFDASBgNVBAoMC0NlbnRlciAwMDQy\nMRQwEgYDVQQDDAtleGFtLXN5c3RlbTAqMAUGAytlcAMhANhnOvbdzRsEAuVSn7WZ\nlacf3KjuLPnKXHHj3jg1dqhYo1MwUTAdBgNVHQ4EFgQUeVz6mKQp26n3NB13ndGL\n/vk8XhowHwYDVR0jBBgwFoAUeVz6mKQp26n3NB13ndGL/vk8XhowDwYDVR0TAQH/\nBAUwAwEB/zAFBgMrZXADQQBWvLnSis+kXnNvTDqF4lYGPbAlahLzCR5E1D9k2ZGC\nbFMF7YsylcxRj8UC3/64Zjr8szUZ7UGz7YMpfPXBC6MI\n-----END CERTIFICATE-----\n";
    const CERT_A_SHA256: &str = "f1fc01113db3d8a52763e1632f57528a6a80ced71f7343f781b7616441ac6d36";
    const CERT_B: &str = "-----BEGIN CERTIFICATE-----\nMIIBbTCCAR+gAwIBAgIUZcDw9vMRRsMBtp4aE66HCT2fjswwBQYDK2VwMCwxFDAS\nBgNVBAoMC0NlbnRlciAwMDQzMRQwEgYDVQQDDAtleGFtLXN5c3RlbTAeFw0yNjEy\nMDYwNDM2NTlaFw0zNjEyMDMwNDM2NTlaMCwxFDASBgNVBAoMC0NlbnRlciAwMDQz\nMRQwEgYDVQQDDAtleGFtLXN5c3RlbTAqMAUGAytlcAMhAFAs/W3vjDevrc0+90Dt\nFC6uM+QcVtuQZu961Z9xAW9Jo1MwUTAdBgNVHQ4EFgQUq6O0ibYAKZOgFLN3GmTl\nb6evRXEwHwYDVR0jBBgwFoAUq6O0ibYAKZOgFLN3GmTlb6evRXEwDwYDVR0TAQH/\nBAUwAwEB/zAFBgMrZXADQQBMonPSBBqWenIPkEG16mND/0qbaPExI5uUDK4E8+vx\nmArl3Io/vDkNXk/NFPn6oZWWLfVjOAk72UOdNq4L3EgH\n-----END CERTIFICATE-----\n";
    const CERT_B_SHA256: &str = "af86b5e43b2e699d4122652378f090c0a8c7e99c370438ea2a5c2e9bb2c47a2e";

    #[test]
    fn a_client_certificate_is_known_by_the_sha256_of_its_der() {
        let a = CertificateFingerprint::from_pem(CERT_A).expect("a certificate");
        assert_eq!(a.hex(), CERT_A_SHA256);
        assert_eq!(a.prefix(), "crt_f1fc0111");
        assert_eq!(CertificateFingerprint::from_hex(CERT_A_SHA256), Some(a));
        assert_eq!(
            CertificateFingerprint::from_hex(&CERT_A_SHA256.to_uppercase()),
            Some(a)
        );
        let b = CertificateFingerprint::from_pem(CERT_B).expect("a certificate");
        assert_eq!(b.hex(), CERT_B_SHA256);
        for bad in [
            "",
            "f1fc",
            &CERT_A_SHA256[1..],
            &format!("{}g", &CERT_A_SHA256[1..]),
        ] {
            assert_eq!(CertificateFingerprint::from_hex(bad), None, "{bad:?}");
        }
        let two = format!("{CERT_A}{CERT_B}");
        let refused = |pem: &str| CertificateFingerprint::from_pem(pem).unwrap_err();
        assert!(refused(&two).contains("must be one certificate"));
        assert!(refused("not a certificate").contains("PEM"));
        let broken = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
        assert!(
            refused(broken).contains("is not a certificate"),
            "{}",
            refused(broken)
        );
    }

    #[test]
    fn only_the_registered_certificate_of_a_live_credential_is_accepted_and_it_is_not_rotated() {
        let now = at("2026-12-07T09:00:00Z");
        let a = CertificateFingerprint::from_pem(CERT_A).expect("a certificate");
        let b = CertificateFingerprint::from_pem(CERT_B).expect("a certificate");
        let mut credential =
            ApiKey::register_certificate(center(42), &a, "exam system".into(), "nce-1", 30, now);
        assert_eq!(credential.kind(), Kind::ClientCertificate);
        assert_eq!(credential.certificate_sha256(), Some(CERT_A_SHA256));
        assert_eq!(credential.accept_certificate(&a, now), Ok(()));
        assert_eq!(
            credential.accept_certificate(&b, now),
            Err(NotAccepted::WrongSecret)
        );
        assert_eq!(
            credential.accept_certificate(&a, now + Duration::days(30)),
            Err(NotAccepted::Expired)
        );
        // A key's secret is never checked against a certificate, nor a certificate against a key.
        let (key, presented) = key(30, now);
        assert_eq!(
            credential.accept(&presented, now),
            Err(NotAccepted::WrongSecret)
        );
        assert_eq!(
            key.accept_certificate(&a, now),
            Err(NotAccepted::WrongSecret)
        );
        assert_eq!(key.kind(), Kind::Secret);
        assert_eq!(key.certificate_sha256(), None);
        let refused = credential.rotate_to(Uuid::now_v7(), 7, now).unwrap_err();
        assert!(refused.0.contains("not rotated"), "{}", refused.0);
        credential
            .revoke("nce-1", "the private key leaked".into(), now)
            .expect("revoked");
        assert_eq!(
            credential.accept_certificate(&a, now),
            Err(NotAccepted::Revoked)
        );
    }

    #[test]
    fn a_new_key_has_the_documented_form_and_only_its_hash_is_kept() {
        let secret = NewSecret::generate().expect("a secret");
        assert_eq!(secret.whole.len(), 4 + 8 + 1 + 48);
        assert!(secret.whole.starts_with(&secret.prefix));
        assert!(secret.hash.starts_with("$argon2id$"), "{}", secret.hash);
        assert!(!secret.hash.contains(&secret.whole[13..]));
        let other = NewSecret::generate().expect("a secret");
        assert_ne!(secret.whole, other.whole);
    }

    #[test]
    fn the_form_of_a_presented_key_is_checked_before_anything_is_looked_up() {
        let secret = NewSecret::generate().expect("a secret");
        let parsed = PresentedKey::parse(&secret.whole).expect("valid");
        assert_eq!(parsed.prefix(), secret.prefix);
        for bad in [
            "",
            "nsk_",
            "nsk_0123abcd",
            "nsk_0123abcd_",
            "NSK_0123abcd_0123456789abcdef0123456789abcdef0123456789abcdef",
            "nsk_0123ABCD_0123456789abcdef0123456789abcdef0123456789abcdef",
            "nsk_0123abcd_0123456789abcdef0123456789abcdef0123456789abcde",
            "nsk_0123abc_0123456789abcdef0123456789abcdef0123456789abcdef0",
            "nsk_0123abcd_0123456789abcdef0123456789abcdef0123456789abcdeg",
        ] {
            assert_eq!(PresentedKey::parse(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn only_the_right_secret_of_a_live_key_is_accepted() {
        let now = at("2026-12-07T09:00:00Z");
        let (key, presented) = key(30, now);
        assert_eq!(key.accept(&presented, now), Ok(()));
        let (_, someone_else) = self::key(30, now);
        assert_eq!(
            key.accept(&someone_else, now),
            Err(NotAccepted::WrongSecret)
        );
        // The last moment before expiry is accepted, the moment of expiry is not.
        let end = now + Duration::days(30);
        assert_eq!(key.accept(&presented, end - Duration::seconds(1)), Ok(()));
        assert_eq!(key.accept(&presented, end), Err(NotAccepted::Expired));
    }

    #[test]
    fn a_revoked_key_is_refused_and_cannot_be_revoked_twice() {
        let now = at("2026-12-07T09:00:00Z");
        let (mut key, presented) = key(365, now);
        let later = now + Duration::hours(2);
        key.revoke("nce-2", "leaked in a log".into(), later)
            .expect("revoked");
        assert_eq!(key.version(), 2);
        assert_eq!(key.accept(&presented, later), Err(NotAccepted::Revoked));
        assert_eq!(key.status(later), KeyStatus::Revoked);
        let again = key.revoke("nce-2", "again".into(), later);
        assert!(again.is_err_and(|r| r.0.contains("already revoked")));
    }

    #[test]
    fn a_rotated_key_works_for_the_overlap_and_no_longer_than_it_would_have() {
        let now = at("2026-12-07T09:00:00Z");
        let (mut key, presented) = key(365, now);
        key.rotate_to(Uuid::now_v7(), 7, now).expect("rotated");
        assert_eq!(key.status(now), KeyStatus::Rotating);
        assert_eq!(key.expires_at(), now + Duration::days(7));
        assert_eq!(key.accept(&presented, now + Duration::days(6)), Ok(()));
        assert_eq!(
            key.accept(&presented, now + Duration::days(7)),
            Err(NotAccepted::Expired)
        );
        assert!(key.rotate_to(Uuid::now_v7(), 7, now).is_err());
        // A key with two days left keeps two days, not seven.
        let (mut short, _) = self::key(2, now);
        short.rotate_to(Uuid::now_v7(), 7, now).expect("rotated");
        assert_eq!(short.expires_at(), now + Duration::days(2));
        // Overlap 0: the old key stops at once.
        let (mut immediate, p) = self::key(365, now);
        immediate
            .rotate_to(Uuid::now_v7(), 0, now)
            .expect("rotated");
        assert_eq!(immediate.accept(&p, now), Err(NotAccepted::Expired));
    }

    #[test]
    fn use_is_recorded_at_most_once_a_minute() {
        let now = at("2026-12-07T09:00:00Z");
        let (mut key, _) = key(30, now);
        assert!(key.used(now));
        assert!(!key.used(now + Duration::seconds(59)));
        assert!(key.used(now + Duration::seconds(60)));
        assert_eq!(key.last_used_at(), Some(now + Duration::seconds(60)));
    }

    #[test]
    fn lifetimes_labels_and_overlaps_have_their_bounds() {
        assert_eq!(valid_days(0), Ok(365));
        assert_eq!(valid_days(1), Ok(1));
        assert_eq!(valid_days(366), Ok(366));
        assert!(valid_days(367).is_err());
        assert!(valid_days(-1).is_err());
        assert_eq!(overlap_days(None), Ok(7));
        assert_eq!(overlap_days(Some(0)), Ok(0));
        assert_eq!(overlap_days(Some(30)), Ok(30));
        assert!(overlap_days(Some(31)).is_err());
        assert_eq!(label("  exam system "), Ok("exam system".into()));
        assert!(label(" ").is_err());
        assert!(label(&"x".repeat(101)).is_err());
        assert!(label("a\u{0}b").is_err());
    }
}
