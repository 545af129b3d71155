//! The gateway's own TLS, when it is configured (`NSK_TLS_CERT_FILE`, `NSK_TLS_KEY_FILE`), and
//! mutual TLS for centers (`NSK_TLS_CLIENT_CA_FILE`): a connection may present a client
//! certificate issued by that authority; the handshake proves the client holds its private key,
//! and the certificate's SHA-256 is traded, like an API key, for the center the NCE registered
//! it to. A connection without a certificate is served as over plain HTTP (token, API key, or
//! the public's reads).

use std::path::Path;
use std::sync::Arc;

use anyhow::Context;
use rustls::server::WebPkiClientVerifier;
use rustls::{RootCertStore, ServerConfig};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use sha2::{Digest, Sha256};
use tokio_rustls::TlsAcceptor;

/// Marks a request that came over the gateway's own TLS.
#[derive(Debug, Clone, Copy)]
pub struct Secure;

/// The client certificate a connection presented (and proved, in the handshake, to hold the
/// key of): the SHA-256 of its DER, 64 lowercase hex digits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientCertificate(pub String);

impl ClientCertificate {
    pub fn of(der: &[u8]) -> Self {
        Self(
            Sha256::digest(der)
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect(),
        )
    }
}

fn certificates(path: &Path) -> anyhow::Result<Vec<CertificateDer<'static>>> {
    let found = CertificateDer::pem_file_iter(path)
        .with_context(|| format!("cannot read {}", path.display()))?
        .collect::<Result<Vec<_>, _>>()
        .with_context(|| format!("{} is not PEM certificates", path.display()))?;
    anyhow::ensure!(!found.is_empty(), "{} holds no certificate", path.display());
    Ok(found)
}

/// The acceptor of `tls`: HTTP/2 (gRPC) and HTTP/1.1 by ALPN; client certificates asked for,
/// not required, when a client CA is given.
pub fn acceptor(tls: &nsk_config::Tls) -> anyhow::Result<TlsAcceptor> {
    // ring, the provider reqwest already brings: aws-lc-rs (post-quantum key exchange) would
    // add a large C build to every build of the platform.
    #[allow(deprecated)]
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let chain = certificates(&tls.cert_file)?;
    let key = PrivateKeyDer::from_pem_file(&tls.key_file)
        .with_context(|| format!("{} is not a PEM private key", tls.key_file.display()))?;
    let builder = ServerConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()?;
    let builder = match &tls.client_ca_file {
        Some(ca) => {
            let mut roots = RootCertStore::empty();
            for certificate in certificates(ca)? {
                roots
                    .add(certificate)
                    .with_context(|| format!("{} is not a usable CA certificate", ca.display()))?;
            }
            let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider)
                .allow_unauthenticated()
                .build()?;
            builder.with_client_cert_verifier(verifier)
        }
        None => builder.with_no_client_auth(),
    };
    let mut config = builder
        .with_single_cert(chain, key)
        .context("the TLS certificate and key do not go together")?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(TlsAcceptor::from(Arc::new(config)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_certificate_is_known_by_the_sha256_of_its_der_in_lowercase_hex() {
        // sha256("abc"), the FIPS 180-2 example.
        assert_eq!(
            ClientCertificate::of(b"abc").0,
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
