//! Once a year, and within the budget, through real processes and the gateway: two employment
//! offices race to issue a voucher to the same person, 50 requests at once — exactly one
//! voucher; and a region whose budget runs out refuses the next one, naming what is exhausted.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap is a failed test

use nsk_e2e::walk::{call_as, today};
use nsk_e2e::Platform;
use nsk_identity::Role;
use serde_json::{json, Value};

fn voucher(iin: &str, region: &str) -> Value {
    json!({
        "holderIin": iin, "holderName": "Жумабаев Ерлан", "region": region,
        "registration": {"number": "U-1", "date": today(), "office": format!("Employment center of {region}")}
    })
}

#[tokio::test]
async fn two_offices_racing_for_one_person_give_one_voucher_and_a_spent_budget_refuses() {
    let platform = Platform::start("vrace").await;
    let year: i32 = today()[..4].parse().unwrap();
    let reply = platform
        .http
        .put(platform.url(&format!("/v1/voucher-terms/{year}")))
        .bearer_auth(platform.token(&[Role::AuthorizedBodyAdmin]))
        .json(&json!({
            "validityDays": 90,
            "regions": [
                {"region": "karaganda", "rateTiyn": "4500000", "budgetCount": "100", "budgetTiyn": "1000000000"},
                {"region": "astana", "rateTiyn": "5000000", "budgetCount": "100", "budgetTiyn": "1000000000"},
                {"region": "ulytau", "rateTiyn": "4000000", "budgetCount": "1", "budgetTiyn": "8000000"}
            ],
            "basis": {"number": "MLSP-V-1", "date": today()}
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), 200);

    let mut tasks = Vec::new();
    for attempt in 0..50 {
        let region = if attempt % 2 == 0 {
            "karaganda"
        } else {
            "astana"
        };
        let token = nsk_runtime::testing::office_token(&format!("office-{region}"), region);
        let http = platform.http.clone();
        let url = platform.url("/v1/vouchers");
        tasks.push(tokio::spawn(async move {
            let reply = http
                .post(url)
                .bearer_auth(token)
                .json(&voucher("900101300037", region))
                .send()
                .await
                .unwrap();
            let status = reply.status().as_u16();
            (status, reply.json::<Value>().await.unwrap())
        }));
    }
    let mut won = Vec::new();
    for task in tasks {
        let (status, body) = task.await.unwrap();
        match status {
            200 => won.push(body),
            409 => assert!(body.to_string().contains("already has a voucher"), "{body}"),
            other => panic!("{other}: {body}"),
        }
    }
    assert_eq!(won.len(), 1, "exactly one voucher for the person's year");

    // Ulytau's budget is one voucher: the second is refused, naming the region and the count.
    let office = nsk_runtime::testing::office_token("office-ulytau", "ulytau");
    let (status, first) = call_as(
        &platform,
        Some(&office),
        "/v1/vouchers",
        Some(&voucher("900101300047", "ulytau")),
    )
    .await;
    assert_eq!(status, 200, "{first}");
    let (status, refused) = call_as(
        &platform,
        Some(&office),
        "/v1/vouchers",
        Some(&voucher("900101300057", "ulytau")),
    )
    .await;
    assert_eq!(status, 409, "{refused}");
    assert!(
        refused.to_string().contains("region ulytau")
            && refused.to_string().contains("1 of 1 vouchers"),
        "{refused}"
    );
}
