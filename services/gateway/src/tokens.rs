//! The gateway's one signing key: the tokens it mints for centers that present an API key or a
//! client certificate, and its own token for its own calls (an API key's check, the registry's
//! feed, the verification counts).

use std::time::Duration;

use nsk_errors::ApiError;
use nsk_identity::{TokenRequest, TokenSigner, GATEWAY_SUBJECT};
use tonic::metadata::MetadataValue;

/// How long the gateway's own token lives: each call mints one.
const OWN_TOKEN_TTL: Duration = Duration::from_secs(60);

pub struct GatewayTokens {
    signer: TokenSigner,
}

impl GatewayTokens {
    pub fn new(signer: TokenSigner) -> Self {
        Self { signer }
    }

    /// A token for a caller the gateway vouches for.
    pub fn mint(&self, request: &TokenRequest) -> Result<String, ApiError> {
        self.signer.mint(request).map_err(ApiError::internal)
    }

    /// `request`, carrying the gateway's own token.
    pub fn own_request<T>(&self, message: T) -> Result<tonic::Request<T>, ApiError> {
        let token = self.mint(&TokenRequest {
            subject: GATEWAY_SUBJECT.into(),
            ttl: OWN_TOKEN_TTL,
            ..Default::default()
        })?;
        let value: MetadataValue<_> = format!("Bearer {token}")
            .parse()
            .map_err(|_| ApiError::internal("a minted token that is not a header value"))?;
        let mut request = tonic::Request::new(message);
        request.metadata_mut().insert("authorization", value);
        Ok(request)
    }
}
