//! Who may call each method of the contract, as data: `proto/nsk/access.json`, beside the
//! contract. The gateway refuses every other caller before forwarding; each service checks
//! again, with the scope the law draws. A method of the contract without an entry — or an
//! entry for no method — stops the gateway at start: nobody adds a method and forgets who
//! may call it.

use std::collections::HashMap;

use nsk_errors::ApiError;
use nsk_identity::{Caller, Role};
use prost_reflect::DescriptorPool;

/// The table, as committed.
pub const MATRIX: &str = include_str!("../../../proto/nsk/access.json");

/// Who may call one method.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Allowed {
    /// Anyone, without a token.
    Public,
    /// The gateway's own calls (trading a center's API key): never routed from outside.
    Internal,
    /// A caller with one of these roles.
    Roles(Vec<Role>),
}

pub struct Access {
    /// By gRPC path, `/nsk.x.v1.Service/Method`.
    methods: HashMap<String, Allowed>,
}

impl Access {
    /// Reads `json` and checks it against every service of the contract in `pool`.
    pub fn load(json: &str, pool: &DescriptorPool) -> Result<Self, String> {
        let table: serde_json::Map<String, serde_json::Value> =
            serde_json::from_str(json).map_err(|e| format!("access.json: {e}"))?;
        let mut methods = HashMap::new();
        for (service, entries) in table.iter().filter(|(k, _)| !k.starts_with("//")) {
            let entries = entries
                .as_object()
                .ok_or_else(|| format!("access.json: {service} must map methods to roles"))?;
            for (method, allowed) in entries {
                let allowed = match allowed {
                    serde_json::Value::String(s) if s == "public" => Allowed::Public,
                    serde_json::Value::String(s) if s == "internal" => Allowed::Internal,
                    serde_json::Value::Array(roles) => Allowed::Roles(
                        roles
                            .iter()
                            .map(|r| {
                                r.as_str()
                                    .ok_or_else(|| {
                                        format!("{service}/{method}: a role is a string")
                                    })?
                                    .parse::<Role>()
                                    .map_err(|e| format!("{service}/{method}: {e}"))
                            })
                            .collect::<Result<_, _>>()?,
                    ),
                    other => {
                        return Err(format!(
                            "{service}/{method}: {other} is not \"public\", \"internal\" or a list of roles"
                        ))
                    }
                };
                methods.insert(format!("/{service}/{method}"), allowed);
            }
        }
        let mut contract = Vec::new();
        for service in pool.services() {
            if !service.package_name().starts_with("nsk.") {
                continue;
            }
            for method in service.methods() {
                contract.push(format!("/{}/{}", service.full_name(), method.name()));
            }
        }
        let missing: Vec<&String> = contract
            .iter()
            .filter(|p| !methods.contains_key(*p))
            .collect();
        if !missing.is_empty() {
            return Err(format!(
                "proto/nsk/access.json says nothing of {}: say who may call each",
                missing
                    .iter()
                    .map(|s| s.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        let unknown: Vec<&String> = methods.keys().filter(|p| !contract.contains(p)).collect();
        if !unknown.is_empty() {
            return Err(format!(
                "proto/nsk/access.json names methods the contract does not have: {}",
                unknown
                    .iter()
                    .map(|s| s.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        Ok(Self { methods })
    }

    /// Who may call the method at `grpc_path`; `None` for a path that is no method.
    pub fn allowed(&self, grpc_path: &str) -> Option<&Allowed> {
        self.methods.get(grpc_path)
    }

    /// Whether `caller` may call the method at `grpc_path`: 401 without a token where one is
    /// needed, 403 naming the roles where the caller has none of them.
    pub fn check(&self, grpc_path: &str, caller: &Caller) -> Result<(), ApiError> {
        match (self.methods.get(grpc_path), caller) {
            (Some(Allowed::Public), _) => Ok(()),
            // As if it did not exist: outside callers learn nothing of it.
            (Some(Allowed::Internal), _) => Err(ApiError::not_found("method", grpc_path)),
            (Some(Allowed::Roles(_)), Caller::Anonymous) => Err(ApiError::unauthenticated(
                "this call needs a token: send Authorization: Bearer <token>",
            )),
            (Some(Allowed::Roles(roles)), Caller::Authenticated(identity)) => {
                if roles.iter().any(|r| identity.has(*r)) {
                    Ok(())
                } else {
                    Err(ApiError::permission_denied(format!(
                        "this call is for {}; the token of {} has {}",
                        roles
                            .iter()
                            .map(|r| r.as_str())
                            .collect::<Vec<_>>()
                            .join(" or "),
                        identity.subject,
                        if identity.roles.is_empty() {
                            "no role".to_string()
                        } else {
                            identity
                                .roles
                                .iter()
                                .map(|r| r.as_str())
                                .collect::<Vec<_>>()
                                .join(", ")
                        }
                    )))
                }
            }
            (None, _) => Err(ApiError::not_found("method", grpc_path)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pool() -> DescriptorPool {
        DescriptorPool::decode(nsk_proto::FILE_DESCRIPTOR_SET).unwrap()
    }

    #[test]
    fn the_committed_table_covers_the_whole_contract() {
        let access = Access::load(MATRIX, &pool()).unwrap();
        assert_eq!(
            access.allowed("/nsk.documents.v1.DocumentRegistry/VerifyDocument"),
            Some(&Allowed::Public)
        );
        assert_eq!(
            access.allowed("/nsk.documents.v1.DocumentRegistry/IssueDocument"),
            Some(&Allowed::Roles(vec![Role::RecognitionCenter]))
        );
    }

    #[test]
    fn a_method_left_out_or_made_up_stops_the_gateway() {
        let mut table: serde_json::Value = serde_json::from_str(MATRIX).unwrap();
        table["nsk.vouchers.v1.VoucherService"]
            .as_object_mut()
            .unwrap()
            .remove("DecideClaim");
        let err = Access::load(&table.to_string(), &pool()).err().unwrap();
        assert!(err.contains("VoucherService/DecideClaim"), "{err}");
        table["nsk.vouchers.v1.VoucherService"]["DecideClaim"] = serde_json::json!(["auditor"]);
        table["nsk.vouchers.v1.VoucherService"]["Invented"] = serde_json::json!("public");
        let err = Access::load(&table.to_string(), &pool()).err().unwrap();
        assert!(err.contains("Invented"), "{err}");
        table["nsk.vouchers.v1.VoucherService"]
            .as_object_mut()
            .unwrap()
            .remove("Invented");
        table["nsk.vouchers.v1.VoucherService"]["DecideClaim"] = serde_json::json!(["boss"]);
        let err = Access::load(&table.to_string(), &pool()).err().unwrap();
        assert!(err.contains("boss"), "{err}");
    }
}
