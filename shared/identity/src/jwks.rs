//! The identity provider's keys from its JSON Web Key Set (OpenID Connect `jwks_uri`): fetched
//! at start, refreshed on a schedule and soon after a token names a key id the set does not
//! hold — so the provider can rotate keys without the platform restarting — and each key kept
//! while the provider still publishes it, so tokens signed before a rotation keep verifying.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock, Weak};
use std::time::Duration;

use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, JwkSet};
use jsonwebtoken::DecodingKey;
use tokio::sync::Notify;

/// The least time between two fetches: a flood of unknown key ids costs one fetch in this.
const MIN_REFETCH: Duration = Duration::from_secs(10);

/// The keys of one JWKS, by key id, kept fresh by a task of their own.
pub struct JwksKeys {
    url: String,
    keys: RwLock<Option<HashMap<String, DecodingKey>>>,
    /// Raised whenever the set's keys change (one added, withdrawn or replaced): what was
    /// verified with an earlier generation is verified again.
    generation: AtomicU64,
    /// The key ids and public keys of the set held, to tell a change from a refresh.
    fingerprint: Mutex<Vec<(String, String)>>,
    wake: Arc<Notify>,
}

/// What a lookup of a key id found.
pub enum Lookup {
    Found(DecodingKey),
    /// The set is loaded and does not hold this id (a refresh is asked for).
    Unknown,
    /// No set could be fetched yet.
    NotLoaded,
}

impl JwksKeys {
    /// Starts keeping the set at `url`: the first fetch now, then every `refresh`. Needs a
    /// Tokio runtime; the task ends when the last handle is dropped.
    pub fn spawn(url: String, refresh: Duration) -> Arc<Self> {
        let wake = Arc::new(Notify::new());
        let keys = Arc::new(Self {
            url,
            keys: RwLock::new(None),
            generation: AtomicU64::new(0),
            fingerprint: Mutex::new(Vec::new()),
            wake: wake.clone(),
        });
        tokio::spawn(keep_fresh(Arc::downgrade(&keys), wake, refresh));
        keys
    }

    pub fn lookup(&self, kid: &str) -> Lookup {
        let Ok(keys) = self.keys.read() else {
            return Lookup::NotLoaded;
        };
        match keys.as_ref() {
            None => Lookup::NotLoaded,
            Some(keys) => match keys.get(kid) {
                Some(key) => Lookup::Found(key.clone()),
                None => {
                    self.wake.notify_one();
                    Lookup::Unknown
                }
            },
        }
    }

    /// The generation of the keys held: it changes whenever they do.
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// Whether a set has been fetched.
    pub fn loaded(&self) -> bool {
        self.keys.read().map(|k| k.is_some()).unwrap_or(false)
    }

    async fn fetch(&self) -> Result<usize, String> {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .build()
            .map_err(|e| e.to_string())?;
        let reply = client
            .get(&self.url)
            .send()
            .await
            .map_err(|e| format!("cannot fetch {}: {e}", self.url))?;
        if !reply.status().is_success() {
            return Err(format!("{} answered {}", self.url, reply.status()));
        }
        let set: JwkSet = reply
            .json()
            .await
            .map_err(|e| format!("{} is not a JSON Web Key Set: {e}", self.url))?;
        let keys = usable(&set);
        if keys.is_empty() {
            return Err(format!(
                "{} publishes no Ed25519 key with a key id",
                self.url
            ));
        }
        let n = keys.len();
        let mut fingerprint: Vec<(String, String)> = set
            .keys
            .iter()
            .filter_map(|jwk| match &jwk.algorithm {
                AlgorithmParameters::OctetKeyPair(p) => {
                    Some((jwk.common.key_id.clone()?, p.x.clone()))
                }
                _ => None,
            })
            .filter(|(kid, _)| keys.contains_key(kid))
            .collect();
        fingerprint.sort();
        if let Ok(mut held) = self.keys.write() {
            *held = Some(keys);
            // Raised after the keys are replaced, under their lock: a check that read the old
            // generation and then found the new keys is remembered under the old one, and so
            // verified again.
            if let Ok(mut last) = self.fingerprint.lock() {
                if *last != fingerprint {
                    *last = fingerprint;
                    self.generation.fetch_add(1, Ordering::AcqRel);
                }
            }
        }
        Ok(n)
    }
}

/// The Ed25519 keys of a set that carry a key id; others cannot sign the platform's tokens.
fn usable(set: &JwkSet) -> HashMap<String, DecodingKey> {
    set.keys
        .iter()
        .filter_map(|jwk| {
            let kid = jwk.common.key_id.clone()?;
            match &jwk.algorithm {
                AlgorithmParameters::OctetKeyPair(p) if p.curve == EllipticCurve::Ed25519 => {
                    DecodingKey::from_jwk(jwk).ok().map(|key| (kid, key))
                }
                _ => None,
            }
        })
        .collect()
}

async fn keep_fresh(keys: Weak<JwksKeys>, wake: Arc<Notify>, refresh: Duration) {
    let mut failures = 0u32;
    loop {
        let Some(held) = keys.upgrade() else { return };
        match held.fetch().await {
            Ok(n) => {
                failures = 0;
                tracing::info!(url = %held.url, keys = n, "identity provider's keys fetched");
            }
            Err(why) => {
                failures += 1;
                tracing::warn!(url = %held.url, %why, "identity provider's keys not fetched");
            }
        }
        // Until a first set arrives, try again soon; then on schedule or when woken.
        let wait = if held.loaded() {
            refresh
        } else {
            Duration::from_secs(u64::from(failures.min(5)))
        };
        drop(held);
        let woken = wake.notified();
        tokio::select! {
            () = tokio::time::sleep(wait) => {}
            () = woken => tokio::time::sleep(MIN_REFETCH.min(refresh)).await,
        }
    }
}
