//! The keys the registry of documents signs credentials with (`NSK_CREDENTIAL_KEY_FILES`).

use std::path::PathBuf;

use super::{development, Reader};

/// The committed development pair, the current key and the one it replaced: what a service in
/// development signs with when no files are named.
pub(crate) const DEV_KEYS: [&str; 2] = [
    include_str!("../../../deploy/dev-keys/dev-credential-2026.key.pem"),
    include_str!("../../../deploy/dev-keys/dev-credential-2025.key.pem"),
];

/// `NSK_CREDENTIAL_KEY_FILES`, comma-separated: Ed25519 PKCS#8 PEM files, the signing key first;
/// the keys rotated out follow it, so that what they signed keeps verifying. Required in
/// production, where the committed development keys are refused; in development, none named
/// means the committed pair (embedded: no path to get wrong).
pub(crate) fn read(r: &mut Reader<'_>) -> Vec<PathBuf> {
    let development = development(r);
    let var = "NSK_CREDENTIAL_KEY_FILES";
    let raw = r.string(var, "");
    let files: Vec<PathBuf> = raw
        .split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(PathBuf::from)
        .collect();
    if files.is_empty() && !development {
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
            Ok(pem) if !development && DEV_KEYS.iter().any(|d| d.trim() == pem.trim()) => r
                .problem(
                var,
                &shown,
                "is a development key, published with the project: production signs with its own",
            ),
            Ok(_) => {}
        }
    }
    files
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use crate::{Env, ServiceConfig};

    fn load(vars: &[(&str, &str)]) -> Result<ServiceConfig, crate::ConfigError> {
        let root = env!("CARGO_MANIFEST_DIR").to_string() + "/../../deploy/dev-keys/";
        let mut pairs: Vec<(String, String)> = vec![
            (
                "NSK_JWT_PUBLIC_KEY_FILE".into(),
                root.clone() + "dev-jwt.pub.pem",
            ),
            (
                "NSK_GATEWAY_PUBLIC_KEY_FILE".into(),
                root + "dev-gateway.pub.pem",
            ),
        ];
        pairs.extend(vars.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        ServiceConfig::load("documents", &Env::from_pairs(pairs))
    }

    #[test]
    fn production_needs_its_own_keys_and_development_uses_the_committed_pair() {
        let keys = env!("CARGO_MANIFEST_DIR").to_string() + "/../../deploy/dev-keys/";
        let problems = |e: crate::ConfigError| {
            e.problems
                .into_iter()
                .filter(|p| p.variable == "NSK_CREDENTIAL_KEY_FILES")
                .map(|p| p.rule)
                .collect::<Vec<_>>()
        };
        let missing = problems(load(&[]).unwrap_err());
        assert!(
            missing[0].contains("is required in production"),
            "{missing:?}"
        );
        let dev = format!("{keys}dev-credential-2026.key.pem");
        let refused = problems(load(&[("NSK_CREDENTIAL_KEY_FILES", &dev)]).unwrap_err());
        assert!(refused[0].contains("development key"), "{refused:?}");
        let absent = problems(
            load(&[
                ("NSK_PROFILE", "development"),
                ("NSK_CREDENTIAL_KEY_FILES", "/nowhere.pem"),
            ])
            .unwrap_err(),
        );
        assert!(absent[0].contains("readable"), "{absent:?}");
        let both = format!("{dev},{keys}dev-credential-2025.key.pem");
        let loaded = load(&[
            ("NSK_PROFILE", "development"),
            ("NSK_CREDENTIAL_KEY_FILES", &both),
        ])
        .unwrap();
        assert_eq!(loaded.credential_key_files.len(), 2);
        assert_eq!(loaded.credential_key_pems().unwrap().len(), 2);
        // In development, none named: the committed pair, embedded.
        let dev_default = load(&[("NSK_PROFILE", "development")]).unwrap();
        assert!(dev_default.credential_key_files.is_empty());
        assert_eq!(
            dev_default.credential_key_pems().unwrap()[0].trim(),
            super::DEV_KEYS[0].trim()
        );
        // Another service does not need them.
        let root = env!("CARGO_MANIFEST_DIR").to_string() + "/../../deploy/dev-keys/";
        let other = ServiceConfig::load(
            "vouchers",
            &Env::from_pairs([
                ("NSK_JWT_PUBLIC_KEY_FILE", root.clone() + "dev-jwt.pub.pem"),
                ("NSK_GATEWAY_PUBLIC_KEY_FILE", root + "dev-gateway.pub.pem"),
                ("NSK_PROFILE", "development".into()),
            ]),
        );
        assert!(other.is_ok_and(|c| c.credential_key_files.is_empty()));
    }
}
