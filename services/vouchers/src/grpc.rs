//! The gRPC face of the service. Its methods answer UNIMPLEMENTED until the service's issue
//! lands; the contract in `proto/nsk/vouchers/v1` is already public.

use nsk_identity::TokenVerifier;
use nsk_proto::nsk::vouchers::v1::voucher_service_server::VoucherService;

pub struct VouchersApi {
    // Held now so that every method, once written, checks its caller's role.
    #[allow(dead_code)]
    verifier: TokenVerifier,
}

impl VouchersApi {
    pub fn new(verifier: TokenVerifier) -> Self {
        Self { verifier }
    }
}

#[tonic::async_trait]
impl VoucherService for VouchersApi {}
