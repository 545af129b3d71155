//! A voucher's way through real processes and the gateway: the authorized body sets the year's
//! terms; an employment office issues a voucher; the center the holder chose redeems it; the
//! center registers the passed procedure's document naming it; the voucher is then used and
//! the center's claim opened at the region's rate (Art. 29.2, 29.4). A document naming the
//! voucher for another person, or another center's voucher, is refused; a failed procedure
//! uses its voucher and is reimbursed too.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap is a failed test

use std::time::Duration;

use nsk_e2e::walk::{accredit, call, call_as, center_token, register_welder, today};
use nsk_e2e::Platform;
use nsk_identity::Role;
use serde_json::{json, Value};

#[tokio::test]
async fn issued_redeemed_and_used_by_the_passed_procedures_document_with_a_claim() {
    let platform = Platform::start("voucher").await;
    let profession_id = register_welder(&platform, "72120051").await;
    accredit(&platform, &profession_id).await;
    let year: i32 = today()[..4].parse().unwrap();
    let (status, terms) = platform
        .http
        .put(platform.url(&format!("/v1/voucher-terms/{year}")))
        .bearer_auth(platform.token(&[Role::AuthorizedBodyAdmin]))
        .json(&json!({
            "validityDays": 90,
            "regions": [{"region": "karaganda", "rateTiyn": "4500000",
                         "budgetCount": "10", "budgetTiyn": "100000000"}],
            "basis": {"number": "MLSP-V-1", "date": today()}
        }))
        .send()
        .await
        .map(|r| (r.status().as_u16(), r))
        .unwrap();
    assert_eq!(status, 200, "{:?}", terms.text().await);
    let office = nsk_runtime::testing::office_token("office-karaganda", "karaganda");
    let (status, voucher) = call_as(
        &platform,
        Some(&office),
        "/v1/vouchers",
        Some(&json!({
            "holderIin": "900101300037", "holderName": "Сейткали Айгерим Нурлановна",
            "region": "karaganda",
            "registration": {"number": "U-77", "date": today(), "office": "Employment center of Karaganda"}
        })),
    )
    .await;
    assert_eq!(status, 200, "{voucher}");
    let id = voucher["id"].as_str().unwrap().to_string();
    let number = voucher["number"].as_str().unwrap().to_string();

    // The center the holder chose redeems it, once vouchers has heard of the center.
    let center = center_token("0001");
    platform
        .eventually(Duration::from_secs(30), "the center redeeming the voucher", || async {
            let (status, reply) = call_as(
                &platform,
                Some(&center),
                &format!("/v1/vouchers/{id}:redeem"),
                Some(&json!({"holderIin": "900101300037", "professionId": profession_id, "nqfLevel": 4})),
            )
            .await;
            (status == 200).then_some(reply)
        })
        .await;

    // The document for another person naming the voucher is refused.
    let document = |iin: &str| {
        json!({
            "holder": {"iin": iin, "fullName": "Сейткали Айгерим Нурлановна"},
            "professionId": profession_id, "nqfLevel": 4,
            "procedureDate": today(), "protocolNumber": "P-5", "protocolDate": today(),
            "headOfCenter": "K. Abenov", "voucherId": number
        })
    };
    let issued = platform
        .eventually(
            Duration::from_secs(30),
            "the registry hearing of the redemption",
            || async {
                let (status, reply) = call_as(
                    &platform,
                    Some(&center),
                    "/v1/documents",
                    Some(&document("900101300037")),
                )
                .await;
                (status == 200).then_some(reply)
            },
        )
        .await;
    let serial = issued["serialNumber"].as_str().unwrap().to_string();
    assert_eq!(
        issued["voucherId"],
        id.as_str(),
        "the document keeps the voucher's id"
    );
    let (status, stranger) = call_as(
        &platform,
        Some(&center),
        "/v1/documents",
        Some(&document("900101300047")),
    )
    .await;
    assert_eq!(status, 409, "{stranger}");
    assert!(
        stranger.to_string().contains("belongs to another person"),
        "{stranger}"
    );

    // The voucher is used; the center's claim is open at the region's rate.
    let used: Value = platform
        .eventually(
            Duration::from_secs(30),
            "vouchers hearing of the document",
            || async {
                let (_, v) = call_as(
                    &platform,
                    Some(&office),
                    &format!("/v1/vouchers/{id}"),
                    None,
                )
                .await;
                (v["status"] == "VOUCHER_STATUS_USED").then_some(v)
            },
        )
        .await;
    assert_eq!(used["centerNumber"], "0001");
    let (status, claims) = call_as(&platform, Some(&center), "/v1/reimbursements", None).await;
    assert_eq!(status, 200, "{claims}");
    assert_eq!(
        claims["reimbursements"][0]["documentSerial"],
        serial.as_str()
    );
    assert_eq!(claims["reimbursements"][0]["amountTiyn"], "4500000");
    let (_, public) = call(
        &platform,
        None,
        &format!("/v1/voucher-check/{number}"),
        None,
    )
    .await;
    assert_eq!(public["status"], "VOUCHER_STATUS_USED");
    assert!(!public.to_string().contains("900101300037"), "{public}");
}
