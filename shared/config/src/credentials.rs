//! The keys the registry of documents signs credentials with (`NSK_CREDENTIAL_KEY_FILES`).

use std::path::PathBuf;

use super::{development, ConfigError, Env, Reader};

/// The committed development pair: the current key and the one it replaced.
const DEV_FILES: &str =
    "deploy/dev-keys/dev-credential-2026.key.pem,deploy/dev-keys/dev-credential-2025.key.pem";
const DEV_KEYS: [&str; 2] = [
    include_str!("../../../deploy/dev-keys/dev-credential-2026.key.pem"),
    include_str!("../../../deploy/dev-keys/dev-credential-2025.key.pem"),
];

/// Ed25519 PKCS#8 PEM files, the signing key first; the keys rotated out follow it, so that
/// what they signed keeps verifying.
#[derive(Debug, Clone)]
pub struct CredentialKeysConfig {
    pub files: Vec<PathBuf>,
}

impl CredentialKeysConfig {
    /// `NSK_CREDENTIAL_KEY_FILES`, comma-separated: required in production, where the committed
    /// development keys are refused; in development it defaults to them.
    pub fn load(env: &Env) -> Result<Self, ConfigError> {
        let mut r = Reader::new(env);
        let development = development(&mut r);
        let var = "NSK_CREDENTIAL_KEY_FILES";
        let raw = r.string(var, if development { DEV_FILES } else { "" });
        let files: Vec<PathBuf> = raw
            .split(',')
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(PathBuf::from)
            .collect();
        if files.is_empty() {
            r.problem(
                var,
                "",
                "is required in production: the PEM files of the keys credentials are signed with, the current one first",
            );
        }
        for file in &files {
            let shown = file.display().to_string();
            match std::fs::read_to_string(file) {
                Err(_) => r.problem(var, &shown, "must name readable PEM files"),
                Ok(pem) if !development && DEV_KEYS.iter().any(|d| d.trim() == pem.trim()) => {
                    r.problem(
                        var,
                        &shown,
                        "is a development key, published with the project: production signs with its own",
                    )
                }
                Ok(_) => {}
            }
        }
        r.finish(Self { files })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn env(vars: &[(&str, &str)]) -> Env {
        Env::from_pairs(vars.iter().map(|(k, v)| (k.to_string(), v.to_string())))
    }

    #[test]
    fn production_needs_its_own_keys_and_development_uses_the_committed_pair() {
        let root = env!("CARGO_MANIFEST_DIR").to_string() + "/../../";
        let missing = CredentialKeysConfig::load(&env(&[])).unwrap_err();
        assert_eq!(missing.problems[0].variable, "NSK_CREDENTIAL_KEY_FILES");
        let dev = format!("{root}deploy/dev-keys/dev-credential-2026.key.pem");
        let refused =
            CredentialKeysConfig::load(&env(&[("NSK_CREDENTIAL_KEY_FILES", &dev)])).unwrap_err();
        assert!(
            refused.problems[0].rule.contains("development key"),
            "{refused}"
        );
        let absent = CredentialKeysConfig::load(&env(&[
            ("NSK_PROFILE", "development"),
            ("NSK_CREDENTIAL_KEY_FILES", "/nowhere.pem"),
        ]))
        .unwrap_err();
        assert!(absent.problems[0].rule.contains("readable"), "{absent}");
        let both = format!("{dev},{root}deploy/dev-keys/dev-credential-2025.key.pem");
        let loaded = CredentialKeysConfig::load(&env(&[
            ("NSK_PROFILE", "development"),
            ("NSK_CREDENTIAL_KEY_FILES", &both),
        ]))
        .unwrap();
        assert_eq!(loaded.files.len(), 2);
    }
}
