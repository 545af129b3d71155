//! Centers' offers through real processes (Art. 17.2.1, 17.2.7): two centers publish what they
//! offer within their accredited scope (an offer outside it is refused); the public finds "who
//! recognises welders at level 4 in Almaty, in Kazakh, at what price, how soon", cheapest
//! first; when a center's certificate is revoked its offers leave the search.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap is a failed test

use std::time::Duration;

use nsk_calendar::WorkingCalendar;
use nsk_e2e::walk::{accredit_center, application, call, call_as, center_token, nce, today};
use nsk_e2e::{walk::register_welder, Platform};
use serde_json::{json, Value};

fn offer(profession_id: &str, level: i32, price: i32, region: &str, lead: i32) -> Value {
    json!({
        "professionId": profession_id,
        "nqfLevel": level,
        "priceTenge": price,
        "languages": ["LANGUAGE_KAZAKH", "LANGUAGE_RUSSIAN"],
        "modes": ["MODE_OFFLINE"],
        "region": region,
        "venue": "Tole bi 100",
        "documentsRequired": ["work record", "diploma"],
        "retakeTerms": "either stage again within three months, half price",
        "leadWorkingDays": lead
    })
}

#[tokio::test]
async fn the_public_finds_who_recognises_a_profession_where_at_what_price_and_how_soon() {
    let platform = Platform::start("offers").await;
    let profession_id = register_welder(&platform, "72120061").await;
    let first = accredit_center(&platform, application(&profession_id)).await;
    // The second center is accredited for level 3 only.
    let mut narrow = application(&profession_id);
    narrow["applicantBin"] = json!("050440001239");
    narrow["applicantName"] = json!("Second Welding Center LLP");
    narrow["requestedScope"] = json!([{"professionId": profession_id, "nqfLevels": [3]}]);
    let second = accredit_center(&platform, narrow).await;
    let (a, b) = (
        first["centerNumber"].as_str().unwrap().to_string(),
        second["centerNumber"].as_str().unwrap().to_string(),
    );

    // Each publishes once recognition has heard its certificate.
    let publish = |center: String, body: Value| {
        let platform = &platform;
        async move {
            platform
                .eventually(
                    Duration::from_secs(30),
                    "recognition hearing the certificate",
                    || {
                        let body = body.clone();
                        let token = center_token(&center);
                        async move {
                            let (status, reply) = call_as(
                                platform,
                                Some(&token),
                                "/v1/recognition/offers",
                                Some(&body),
                            )
                            .await;
                            assert!(
                                status == 200 || status == 409 || status == 400,
                                "{status}: {reply}"
                            );
                            (status == 200).then_some(reply)
                        }
                    },
                )
                .await
        }
    };
    let in_almaty = publish(a.clone(), offer(&profession_id, 4, 45_000, "almaty", 15)).await;
    assert_eq!(in_almaty["status"], "active");
    let mut online = offer(&profession_id, 3, 30_000, "astana", 12);
    online["modes"] = json!(["MODE_ONLINE"]);
    online["languages"] = json!(["LANGUAGE_RUSSIAN"]);
    publish(b.clone(), online).await;
    // Outside the second center's scope: refused, naming the scope.
    let (status, refused) = call_as(
        &platform,
        Some(&center_token(&b)),
        "/v1/recognition/offers",
        Some(&offer(&profession_id, 4, 20_000, "astana", 10)),
    )
    .await;
    assert_eq!(status, 409, "{refused}");
    assert!(
        refused["detail"]
            .as_str()
            .unwrap()
            .contains("its scope has levels 3"),
        "{refused}"
    );
    // A lead shorter than the 10 working days of Rules p. 6 is no offer.
    let (status, refused) = call_as(
        &platform,
        Some(&center_token(&a)),
        "/v1/recognition/offers",
        Some(&offer(&profession_id, 3, 20_000, "almaty", 5)),
    )
    .await;
    assert_eq!(status, 400, "{refused}");
    assert_eq!(
        refused["violations"][0]["field"], "leadWorkingDays",
        "{refused}"
    );

    // Welders at level 4 in Almaty, in Kazakh: the first center, and how soon.
    let search = format!(
        "/v1/recognition/offers?professionId={profession_id}&nqfLevel=4&region=almaty&language=LANGUAGE_KAZAKH"
    );
    let (status, found) = call(&platform, None, &search, None).await;
    assert_eq!(status, 200, "{found}");
    let offers = found["offers"].as_array().unwrap();
    assert_eq!(offers.len(), 1, "{found}");
    assert_eq!(offers[0]["centerNumber"], a.as_str());
    assert_eq!(offers[0]["priceTenge"], 45_000);
    let calendar = WorkingCalendar::kazakhstan().unwrap();
    let earliest = calendar
        .add_working_days(nsk_calendar::today(), 15)
        .unwrap();
    assert_eq!(offers[0]["earliestDate"], earliest.to_string());
    // Every welder offer, cheapest first.
    let (_, all) = call(
        &platform,
        None,
        &format!("/v1/recognition/offers?professionId={profession_id}"),
        None,
    )
    .await;
    let prices: Vec<i64> = all["offers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["priceTenge"].as_i64().unwrap())
        .collect();
    assert_eq!(prices, [30_000, 45_000], "{all}");

    // The first center's certificate revoked at its own request: its offer leaves the search.
    let certificate_id = first["id"].as_str().unwrap();
    nce(
        &platform,
        &format!("/v1/certificates/{certificate_id}:revoke"),
        json!({
            "ground": "REVOCATION_GROUND_OWN_REQUEST",
            "basis": {"number": "L-15", "date": today(), "title": "The center's letter"},
            "eventDetectedOn": today()
        }),
    )
    .await;
    platform
        .eventually(
            Duration::from_secs(30),
            "the revoked center's offer gone",
            || async {
                let (_, all) = call(
                    &platform,
                    None,
                    &format!("/v1/recognition/offers?professionId={profession_id}"),
                    None,
                )
                .await;
                let centers: Vec<String> = all["offers"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|o| o["centerNumber"].as_str().unwrap().to_string())
                    .collect();
                (centers == [b.clone()]).then_some(())
            },
        )
        .await;
}
