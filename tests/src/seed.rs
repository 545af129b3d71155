//! What the public pages are tested on, made through the API as its users make it: a welder in
//! the register, an accredited center with an offer, and three documents — one valid, one
//! cancelled by a court decision, one migrated from before the platform whose validity has
//! ended.

use std::time::Duration;

use nsk_identity::Role;
use serde_json::{json, Value};

use crate::walk::{
    accredit_center, application, call, call_as, center_token, register_welder, today,
};
use crate::Platform;

/// The serials and names the pages should show.
pub struct PublicData {
    pub profession_id: String,
    pub center: String,
    pub valid: String,
    pub cancelled: String,
    pub expired: String,
    /// The ids of the valid and the cancelled documents (the holder: [`HOLDER_IIN`]).
    pub valid_id: String,
    pub cancelled_id: String,
}

/// The holder of the valid and the cancelled documents.
pub const HOLDER_IIN: &str = "900101300037";

fn document(profession_id: &str, protocol: &str) -> Value {
    json!({
        "holder": {"iin": "900101300037", "fullName": "Сейткали Айгерим Нурлановна"},
        "professionId": profession_id,
        "nqfLevel": 3,
        "procedureDate": today(),
        "protocolNumber": protocol,
        "protocolDate": today(),
        "headOfCenter": "D. Omarov"
    })
}

/// Makes it all; returns once every page can show it.
pub async fn public_data(platform: &Platform) -> PublicData {
    let profession_id = register_welder(platform, "72120051").await;
    let center = accredit_center(platform, application(&profession_id)).await["centerNumber"]
        .as_str()
        .expect("a center number")
        .to_string();
    let by_center = center_token(&center);
    let valid = platform
        .eventually(
            Duration::from_secs(30),
            "the registry hearing of the center",
            || async {
                let (status, reply) = call_as(
                    platform,
                    Some(&by_center),
                    "/v1/documents",
                    Some(&document(&profession_id, "P-1")),
                )
                .await;
                (status == 200).then_some(reply)
            },
        )
        .await;
    let (status, second) = call_as(
        platform,
        Some(&by_center),
        "/v1/documents",
        Some(&document(&profession_id, "P-2")),
    )
    .await;
    assert_eq!(status, 200, "{second}");
    let (status, cancelled) = call(
        platform,
        Some(Role::AuthorizedBodyAdmin),
        &format!("/v1/documents/{}:cancel", second["id"].as_str().expect("an id")),
        Some(&json!({
            "reason": "the court found the procedure void",
            "ground": "CANCELLATION_GROUND_COURT_DECISION",
            "basis": {"number": "2-1187/2026", "date": today(), "title": "Decision of the Almaty district court"}
        })),
    )
    .await;
    assert_eq!(status, 200, "{cancelled}");
    let expired = format!("25110-72120051-3-150923-{center}-90000001");
    let (status, migrated) = call(
        platform,
        Some(Role::AuthorizedBodyAdmin),
        "/v1/documents:migrate",
        Some(&json!({
            "basis": {"number": "MLSP-M-1", "date": today(), "title": "Order on the migration of the 2023 register"},
            "documents": [{
                "serialNumber": expired,
                "holder": {"iin": "880515400018", "fullName": "Абенов Марат"},
                "professionId": profession_id, "nqfLevel": 3,
                "procedureDate": "2023-09-15", "protocolNumber": "P-2023-9", "protocolDate": "2023-09-18",
                "issueDate": "2023-09-20", "validUntil": "2024-09-20",
                "centerNumber": center, "centerName": "Welding Center of Almaty LLP",
                "headOfCenter": "S. Nurpeisov"
            }]
        })),
    )
    .await;
    assert_eq!(status, 200, "{migrated}");
    platform
        .eventually(Duration::from_secs(30), "recognition hearing of the center", || async {
            let (status, reply) = call_as(
                platform,
                Some(&by_center),
                "/v1/recognition/offers",
                Some(&json!({
                    "professionId": profession_id, "nqfLevel": 3, "priceTenge": 45000,
                    "languages": ["LANGUAGE_KAZAKH", "LANGUAGE_RUSSIAN"], "modes": ["MODE_OFFLINE"],
                    "region": "almaty", "venue": "Tole bi 100",
                    "documentsRequired": ["work record"], "retakeTerms": "within three months, half price",
                    "leadWorkingDays": 15
                })),
            )
            .await;
            (status == 200).then_some(reply)
        })
        .await;
    PublicData {
        profession_id,
        center,
        valid: valid["serialNumber"]
            .as_str()
            .expect("a serial")
            .to_string(),
        cancelled: cancelled["serialNumber"]
            .as_str()
            .expect("a serial")
            .to_string(),
        valid_id: valid["id"].as_str().expect("an id").to_string(),
        cancelled_id: cancelled["id"].as_str().expect("an id").to_string(),
        expired,
    }
}
