//! The gRPC face of the service. Its methods answer UNIMPLEMENTED until the service's issue
//! lands; the contract in `proto/nsk/accreditation/v1` is already public.

use nsk_identity::TokenVerifier;
use nsk_proto::nsk::accreditation::v1::accreditation_service_server::AccreditationService;

pub struct AccreditationApi {
    // Held now so that every method, once written, checks its caller's role.
    #[allow(dead_code)]
    verifier: TokenVerifier,
}

impl AccreditationApi {
    pub fn new(verifier: TokenVerifier) -> Self {
        Self { verifier }
    }
}

#[tonic::async_trait]
impl AccreditationService for AccreditationApi {}
