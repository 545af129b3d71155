//! The NSK contract, generated from `proto/`.
//!
//! - `nsk::<area>::v1` — messages, gRPC clients and servers of each service, and its events;
//! - `nsk::events::v1::EventEnvelope` — the envelope every event travels in;
//! - [`FILE_DESCRIPTOR_SET`] — the encoded descriptors, custom options included, for gRPC
//!   reflection and for the gateway's REST transcoding and OpenAPI document.

#![allow(clippy::all, missing_docs)]

/// Encoded `google.protobuf.FileDescriptorSet` of every file under `proto/`, with imports.
pub const FILE_DESCRIPTOR_SET: &[u8] =
    include_bytes!(concat!(env!("OUT_DIR"), "/nsk_descriptor.bin"));

pub mod google {
    pub mod api {
        tonic::include_proto!("google.api");
    }
}

pub mod nsk {
    pub mod common {
        pub mod v1 {
            tonic::include_proto!("nsk.common.v1");
        }
    }
    pub mod audit {
        pub mod v1 {
            tonic::include_proto!("nsk.audit.v1");
        }
    }
    pub mod events {
        pub mod v1 {
            tonic::include_proto!("nsk.events.v1");
        }
    }
    pub mod professions {
        pub mod v1 {
            tonic::include_proto!("nsk.professions.v1");
        }
    }
    pub mod standards {
        pub mod v1 {
            tonic::include_proto!("nsk.standards.v1");
        }
    }
    pub mod accreditation {
        pub mod v1 {
            tonic::include_proto!("nsk.accreditation.v1");
        }
    }
    pub mod vouchers {
        pub mod v1 {
            tonic::include_proto!("nsk.vouchers.v1");
        }
    }
    pub mod recognition {
        pub mod v1 {
            tonic::include_proto!("nsk.recognition.v1");
        }
    }
    pub mod documents {
        pub mod v1 {
            tonic::include_proto!("nsk.documents.v1");
        }
    }
}

#[cfg(test)]
mod tests {
    use prost::Message;

    #[test]
    fn descriptor_set_holds_every_service() {
        let set = prost_types::FileDescriptorSet::decode(super::FILE_DESCRIPTOR_SET)
            .expect("descriptor set decodes");
        let services: Vec<String> = set
            .file
            .iter()
            .flat_map(|f| {
                let package = f.package().to_string();
                f.service
                    .iter()
                    .map(move |s| format!("{package}.{}", s.name()))
            })
            .collect();
        for expected in [
            "nsk.professions.v1.ProfessionRegistry",
            "nsk.standards.v1.StandardsService",
            "nsk.accreditation.v1.AccreditationService",
            "nsk.vouchers.v1.VoucherService",
            "nsk.documents.v1.DocumentRegistry",
        ] {
            assert!(
                services.iter().any(|s| s == expected),
                "missing {expected} in {services:?}"
            );
        }
    }
}
