//! Tokens verified before, remembered until they expire. Checking an Ed25519 signature costs
//! more than the rest of a small call, and a caller sends the same token for its whole life
//! (a center's integration, an official's session), so the same check need not run on every
//! call. What is remembered is exactly what the check concluded: the identity, until the
//! moment the token would be refused as expired, and only while the keys that verified it are
//! the ones the issuer still publishes — a JWKS that changes forgets its tokens.

use std::collections::HashMap;
use std::sync::Mutex;

use crate::Identity;

/// Tokens remembered at most; more callers than this at once cost each a check now and then.
/// A token with its identity takes under a kilobyte.
pub const CAPACITY: usize = 4_096;

/// One verified token.
struct Entry {
    identity: Identity,
    /// The anchor (issuer) whose keys verified it.
    anchor: usize,
    /// The generation of those keys then.
    keys: u64,
    /// The last second (Unix time) at which the check would still pass: `exp` plus leeway.
    until: u64,
}

#[derive(Default)]
pub(crate) struct Remembered {
    entries: Mutex<HashMap<Box<str>, Entry>>,
}

impl Remembered {
    /// The identity `token` proved when verified, if it still would at `now` with the keys of
    /// its anchor at generation `keys_now(anchor)`.
    pub(crate) fn recall(
        &self,
        token: &str,
        now: u64,
        keys_now: impl Fn(usize) -> u64,
    ) -> Option<Identity> {
        let entries = self.entries.lock().ok()?;
        let entry = entries.get(token)?;
        (now <= entry.until && keys_now(entry.anchor) == entry.keys).then(|| entry.identity.clone())
    }

    /// Remembers what verifying `token` proved. When full, the expired go first; if none has,
    /// everything is forgotten (each caller's next call verifies again).
    pub(crate) fn remember(
        &self,
        token: &str,
        identity: &Identity,
        anchor: usize,
        keys: u64,
        until: u64,
        now: u64,
    ) {
        let Ok(mut entries) = self.entries.lock() else {
            return;
        };
        if entries.len() >= CAPACITY && !entries.contains_key(token) {
            entries.retain(|_, entry| entry.until >= now);
            if entries.len() >= CAPACITY {
                entries.clear();
            }
        }
        entries.insert(
            token.into(),
            Entry {
                identity: identity.clone(),
                anchor,
                keys,
                until,
            },
        );
    }

    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.entries.lock().map(|e| e.len()).unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Issuer, Role};

    fn identity(subject: &str) -> Identity {
        Identity {
            subject: subject.into(),
            roles: vec![Role::RecognitionCenter],
            center: None,
            region: None,
            sector: None,
            issuer: Issuer::Gateway,
            api_key: None,
        }
    }

    #[test]
    fn a_token_is_recalled_until_its_last_second_and_only_with_the_same_keys() {
        let r = Remembered::default();
        r.remember("t1", &identity("a"), 1, 7, 1_000, 900);
        assert_eq!(
            r.recall("t1", 1_000, |_| 7).map(|i| i.subject),
            Some("a".into())
        );
        assert!(
            r.recall("t1", 1_001, |_| 7).is_none(),
            "past its last second"
        );
        assert!(
            r.recall("t1", 950, |_| 8).is_none(),
            "its issuer's keys changed"
        );
        assert!(r
            .recall("t1", 950, |a| if a == 1 { 7 } else { 8 })
            .is_some());
        assert!(r.recall("t2", 950, |_| 7).is_none(), "never verified");
    }

    #[test]
    fn a_full_memory_drops_the_expired_first_then_everything() {
        let r = Remembered::default();
        for n in 0..CAPACITY {
            // Half of them expired at 500.
            let until = if n % 2 == 0 { 500 } else { 2_000 };
            r.remember(&format!("t{n}"), &identity("a"), 0, 0, until, 100);
        }
        assert_eq!(r.len(), CAPACITY);
        r.remember("new", &identity("b"), 0, 0, 2_000, 1_000);
        assert_eq!(r.len(), CAPACITY / 2 + 1);
        assert!(r.recall("t1", 1_000, |_| 0).is_some(), "a live one stays");
        for n in 0..CAPACITY / 2 - 1 {
            r.remember(&format!("u{n}"), &identity("c"), 0, 0, 2_000, 1_000);
        }
        assert_eq!(r.len(), CAPACITY);
        r.remember("last", &identity("d"), 0, 0, 2_000, 1_000);
        assert_eq!(
            r.len(),
            1,
            "nothing expired: all forgotten, the newest kept"
        );
        assert!(r.recall("last", 1_000, |_| 0).is_some());
    }
}
