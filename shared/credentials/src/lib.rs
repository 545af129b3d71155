//! The document as a W3C Verifiable Credential 2.0 that anyone can check offline: secured as
//! JOSE (a compact JWS, `alg: EdDSA` over Ed25519, `typ: vc+jwt`), issued by the platform on
//! behalf of the center; its status in the center's Bitstring Status List (W3C
//! Recommendation: at least 131,072 entries, GZIP, multibase base64url), itself a signed
//! credential with its cache lifetime. The platform's keys are published as a JWK Set; the
//! first key signs, every key listed verifies — a rotation adds the new key first and keeps the
//! old ones, so what they signed keeps verifying.

use std::io::Write;

use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine as _;
use ring::signature::{Ed25519KeyPair, KeyPair, UnparsedPublicKey, ED25519};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

/// The fewest entries a status list has (Bitstring Status List, 2.1: "a minimum ... of 131,072").
pub const MIN_ENTRIES: u64 = 131_072;

/// How long a status list may be cached, in seconds: its `ttl` and `validUntil`.
pub const STATUS_TTL_SECS: i64 = 300;

struct Key {
    kid: String,
    pair: Ed25519KeyPair,
}

/// The platform's credential keys: the first signs; all verify.
pub struct SigningKeys {
    keys: Vec<Key>,
}

/// The RFC 7638 thumbprint of an Ed25519 public key: its `kid`.
fn thumbprint(public: &[u8]) -> String {
    let canonical = format!(
        r#"{{"crv":"Ed25519","kty":"OKP","x":"{}"}}"#,
        B64.encode(public)
    );
    B64.encode(Sha256::digest(canonical.as_bytes()))
}

fn pem_der(pem: &str) -> Result<Vec<u8>, String> {
    let body: String = pem
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .map(str::trim)
        .collect();
    base64::engine::general_purpose::STANDARD
        .decode(body)
        .map_err(|e| format!("not a PEM key: {e}"))
}

impl SigningKeys {
    /// From PKCS#8 PEM texts, the signing key first.
    pub fn from_pems(pems: &[String]) -> Result<Self, String> {
        if pems.is_empty() {
            return Err("no credential signing key".into());
        }
        let keys = pems
            .iter()
            .map(|pem| {
                let pair = Ed25519KeyPair::from_pkcs8_maybe_unchecked(&pem_der(pem)?)
                    .map_err(|e| format!("not an Ed25519 PKCS#8 key: {e}"))?;
                Ok(Key {
                    kid: thumbprint(pair.public_key().as_ref()),
                    pair,
                })
            })
            .collect::<Result<Vec<_>, String>>()?;
        Ok(Self { keys })
    }

    /// The JWK Set of every key, the signing one first.
    pub fn jwks(&self) -> Value {
        json!({
            "keys": self.keys.iter().map(|k| json!({
                "kty": "OKP",
                "crv": "Ed25519",
                "x": B64.encode(k.pair.public_key().as_ref()),
                "kid": k.kid,
                "alg": "EdDSA",
                "use": "sig",
            })).collect::<Vec<_>>()
        })
    }

    /// `payload` as a compact JWS of type `typ`, signed with the first key.
    pub fn sign(&self, typ: &str, payload: &Value) -> String {
        // `from_pems` refuses an empty list, so the first key exists.
        let key = &self.keys[0];
        let header = json!({"alg": "EdDSA", "kid": key.kid, "typ": typ});
        let input = format!(
            "{}.{}",
            B64.encode(header.to_string()),
            B64.encode(payload.to_string())
        );
        let signature = key.pair.sign(input.as_bytes());
        format!("{input}.{}", B64.encode(signature.as_ref()))
    }
}

/// The payload of `jws` if a key of `jwks` (by its `kid`) signed it, with its header.
pub fn verify(jws: &str, jwks: &Value) -> Result<(Value, Value), String> {
    let mut parts = jws.trim().split('.');
    let (Some(h), Some(p), Some(s), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err("not a compact JWS (three parts separated by dots)".into());
    };
    let decode = |part: &str, what: &str| {
        B64.decode(part)
            .map_err(|_| format!("the {what} is not base64url"))
    };
    let header: Value = serde_json::from_slice(&decode(h, "header")?)
        .map_err(|_| "the header is not JSON".to_string())?;
    if header["alg"] != "EdDSA" {
        return Err(format!("algorithm {} is not EdDSA", header["alg"]));
    }
    let kid = header["kid"].as_str().unwrap_or_default();
    let key = jwks["keys"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|k| k["kid"] == kid && k["kty"] == "OKP" && k["crv"] == "Ed25519")
        .ok_or_else(|| format!("no key {kid:?} among the platform's keys"))?;
    let public = B64
        .decode(key["x"].as_str().unwrap_or_default())
        .map_err(|_| format!("key {kid} is malformed"))?;
    UnparsedPublicKey::new(&ED25519, public)
        .verify(format!("{h}.{p}").as_bytes(), &decode(s, "signature")?)
        .map_err(|_| "the signature does not verify: the credential was altered or not signed by the platform".to_string())?;
    let payload = serde_json::from_slice(&decode(p, "payload")?)
        .map_err(|_| "the payload is not JSON".to_string())?;
    Ok((header, payload))
}

/// The entries a list needs for `max_index`: at least [`MIN_ENTRIES`], in whole multiples.
pub fn list_size(max_index: u64) -> u64 {
    (max_index / MIN_ENTRIES + 1) * MIN_ENTRIES
}

/// The bitstring with `set` indices on (index 0 is the first byte's highest bit), GZIP-ed and
/// multibase-encoded (`u` + base64url without padding), as `encodedList` says.
pub fn encode_list(set: &[u64], size: u64) -> Result<String, String> {
    let bytes = usize::try_from(size / 8).map_err(|_| "the list is too large".to_string())?;
    let mut bits = vec![0u8; bytes];
    for index in set {
        let i = usize::try_from(*index).map_err(|_| "index out of range".to_string())?;
        let byte = bits
            .get_mut(i / 8)
            .ok_or_else(|| format!("index {index} is beyond the list of {size}"))?;
        *byte |= 0x80 >> (i % 8);
    }
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&bits).map_err(|e| e.to_string())?;
    let zipped = gz.finish().map_err(|e| e.to_string())?;
    Ok(format!("u{}", B64.encode(zipped)))
}

/// Whether entry `index` of an `encodedList` is on.
pub fn bit_at(encoded: &str, index: u64) -> Result<bool, String> {
    use std::io::Read;
    let raw = encoded
        .strip_prefix('u')
        .ok_or("the list is not multibase base64url ('u')")?;
    let zipped = B64.decode(raw).map_err(|_| "the list is not base64url")?;
    let mut bits = Vec::new();
    flate2::read::GzDecoder::new(zipped.as_slice())
        .read_to_end(&mut bits)
        .map_err(|_| "the list is not GZIP")?;
    if (bits.len() as u64) * 8 < MIN_ENTRIES {
        return Err(format!(
            "the list has {} entries, fewer than {MIN_ENTRIES}",
            bits.len() * 8
        ));
    }
    let i = usize::try_from(index).map_err(|_| "index out of range")?;
    let byte = bits
        .get(i / 8)
        .ok_or_else(|| format!("index {index} is beyond the list"))?;
    Ok(byte & (0x80 >> (i % 8)) != 0)
}

/// What the credential says of a document.
pub struct Subject<'a> {
    pub id: uuid::Uuid,
    pub serial: &'a str,
    pub holder_name: &'a str,
    pub profession: &'a str,
    pub nqf_level: i32,
    pub skills: &'a [String],
    pub center_number: &'a str,
    pub center_name: &'a str,
    pub procedure_date: &'a str,
    pub issue_date: &'a str,
    pub valid_until: &'a str,
    /// Its entry in the center's status list.
    pub status_index: u64,
}

/// The address of `center`'s status list.
pub fn status_list_url(public_url: &str, center: &str) -> String {
    format!("{public_url}/v1/status-lists/{center}")
}

/// The credential of a document (VC Data Model 2.0), to be signed as `vc+jwt`.
pub fn document_credential(s: &Subject<'_>, public_url: &str) -> Value {
    let list = status_list_url(public_url, s.center_number);
    json!({
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "id": format!("urn:uuid:{}", s.id),
        "type": ["VerifiableCredential", "ProfessionalQualificationCredential"],
        "issuer": {"id": public_url, "name": "NSK Registry"},
        "validFrom": format!("{}T00:00:00+05:00", s.issue_date),
        "validUntil": format!("{}T23:59:59+05:00", s.valid_until),
        "credentialSubject": {
            "name": s.holder_name,
            "qualification": {
                "serialNumber": s.serial,
                "profession": s.profession,
                "nqfLevel": s.nqf_level,
                "separateSkills": s.skills,
                "procedureDate": s.procedure_date,
                "verification": format!("{public_url}/v1/verify/{}", s.serial),
            },
            "recognitionCenter": {"number": s.center_number, "name": s.center_name},
        },
        "credentialStatus": {
            "id": format!("{list}#{}", s.status_index),
            "type": "BitstringStatusListEntry",
            "statusPurpose": "revocation",
            "statusListIndex": s.status_index.to_string(),
            "statusListCredential": list,
        },
    })
}

/// The status list credential of `center` at `now` (RFC 3339), to be signed as `vc+jwt`.
pub fn status_list_credential(
    public_url: &str,
    center: &str,
    encoded: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> Value {
    let list = status_list_url(public_url, center);
    let until = now + chrono::Duration::seconds(STATUS_TTL_SECS);
    let stamp =
        |t: chrono::DateTime<chrono::Utc>| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    json!({
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "id": list,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": {"id": public_url, "name": "NSK Registry"},
        "validFrom": stamp(now),
        "validUntil": stamp(until),
        "credentialSubject": {
            "id": format!("{list}#list"),
            "type": "BitstringStatusList",
            "statusPurpose": "revocation",
            "encodedList": encoded,
            "ttl": STATUS_TTL_SECS * 1000,
        },
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn key(name: &str) -> String {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../deploy/dev-keys");
        std::fs::read_to_string(root.join(name)).unwrap()
    }

    #[test]
    fn a_credential_signed_by_an_old_key_still_verifies_after_a_rotation() {
        let old = SigningKeys::from_pems(&[key("dev-credential-2025.key.pem")]).unwrap();
        let signed = old.sign("vc+jwt", &json!({"id": "urn:uuid:1"}));
        let rotated = SigningKeys::from_pems(&[
            key("dev-credential-2026.key.pem"),
            key("dev-credential-2025.key.pem"),
        ])
        .unwrap();
        let jwks = rotated.jwks();
        assert_eq!(jwks["keys"].as_array().unwrap().len(), 2);
        let (header, payload) = verify(&signed, &jwks).unwrap();
        assert_eq!(payload["id"], "urn:uuid:1");
        assert_eq!(header["typ"], "vc+jwt");
        assert_eq!(
            header["kid"], jwks["keys"][1]["kid"],
            "signed by the old key"
        );
        // The new one signs now; a set without it does not verify its work.
        let fresh = rotated.sign("vc+jwt", &json!({"id": "urn:uuid:2"}));
        assert!(verify(&fresh, &old.jwks()).unwrap_err().contains("no key"));
        // One byte changed, anywhere: refused.
        let mut altered = signed.clone().into_bytes();
        let at = altered.len() / 2;
        altered[at] = if altered[at] == b'A' { b'B' } else { b'A' };
        assert!(verify(&String::from_utf8(altered).unwrap(), &jwks).is_err());
    }

    #[test]
    fn the_status_list_has_at_least_131072_entries_and_flips_exactly_the_bits_set() {
        assert_eq!(list_size(0), MIN_ENTRIES);
        assert_eq!(list_size(MIN_ENTRIES - 1), MIN_ENTRIES);
        assert_eq!(list_size(MIN_ENTRIES), 2 * MIN_ENTRIES);
        let encoded = encode_list(&[1, 7, 8, 131_071], MIN_ENTRIES).unwrap();
        assert!(encoded.starts_with('u'));
        for (index, on) in [
            (0, false),
            (1, true),
            (2, false),
            (7, true),
            (8, true),
            (9, false),
            (131_071, true),
        ] {
            assert_eq!(bit_at(&encoded, index).unwrap(), on, "entry {index}");
        }
        // Index 0 is the first byte's highest bit (the Recommendation's order).
        let first = encode_list(&[0], MIN_ENTRIES).unwrap();
        assert!(bit_at(&first, 0).unwrap() && !bit_at(&first, 7).unwrap());
        assert!(encode_list(&[MIN_ENTRIES], MIN_ENTRIES).is_err());
        // Mostly zeros: small.
        assert!(encoded.len() < 400, "{}", encoded.len());
    }

    #[test]
    fn the_credential_names_its_status_entry_in_its_centers_list() {
        let skills: Vec<String> = vec![];
        let vc = document_credential(
            &Subject {
                id: uuid::Uuid::nil(),
                serial: "25110-72120051-3-061226-0001-00000017",
                holder_name: "Сейткали Айгерим Нурлановна",
                profession: "Сварщик",
                nqf_level: 3,
                skills: &skills,
                center_number: "0001",
                center_name: "Welding Qualification Center LLP",
                procedure_date: "2026-12-06",
                issue_date: "2026-12-07",
                valid_until: "2031-12-07",
                status_index: 17,
            },
            "https://nsk.example.kz",
        );
        assert_eq!(vc["@context"][0], "https://www.w3.org/ns/credentials/v2");
        assert_eq!(vc["credentialStatus"]["statusListIndex"], "17");
        assert_eq!(
            vc["credentialStatus"]["statusListCredential"],
            "https://nsk.example.kz/v1/status-lists/0001"
        );
        assert_eq!(vc["validUntil"], "2031-12-07T23:59:59+05:00");
    }
}
