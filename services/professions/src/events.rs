//! Events the register publishes (topic `nsk.professions.v1`). It consumes none.

use nsk_proto::nsk::professions::v1 as pb;

use crate::grpc::to_proto;
use crate::store::StoredProfession;

/// The aggregate type of register entries in event envelopes.
pub const AGGREGATE: &str = "profession";

pub fn registered(
    profession: &StoredProfession,
    effective_from: chrono::NaiveDate,
) -> pb::ProfessionRegistered {
    pb::ProfessionRegistered {
        profession: Some(to_proto(profession)),
        effective_from: effective_from.to_string(),
    }
}
