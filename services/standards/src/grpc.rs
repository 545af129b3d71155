//! The gRPC face of the service. Its methods answer UNIMPLEMENTED until the service's issue
//! lands; the contract in `proto/nsk/standards/v1` is already public.

use nsk_identity::TokenVerifier;
use nsk_proto::nsk::standards::v1::standards_service_server::StandardsService;

pub struct StandardsApi {
    // Held now so that every method, once written, checks its caller's role.
    #[allow(dead_code)]
    verifier: TokenVerifier,
}

impl StandardsApi {
    pub fn new(verifier: TokenVerifier) -> Self {
        Self { verifier }
    }
}

#[tonic::async_trait]
impl StandardsService for StandardsApi {}
