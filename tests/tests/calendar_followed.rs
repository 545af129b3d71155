//! The working-day calendar as run-time data, through real processes and the gateway: the
//! authorized body loads a year the platform did not ship (2028) and amends it; accreditation,
//! which counts its deadlines in working days, follows both from the register's events.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap is a failed test

use std::time::Duration;

use chrono::NaiveDate;
use nsk_calendar::{WorkingCalendar, YearData};
use nsk_e2e::walk::{application, call, nce, register_welder, today};
use nsk_e2e::Platform;
use nsk_identity::Role;
use serde_json::{json, Value};

fn day(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

#[tokio::test]
async fn a_year_loaded_and_amended_by_the_authorized_body_reaches_the_deadlines_of_accreditation() {
    let platform = Platform::start("calendar").await;
    let profession_id = register_welder(&platform, "72120021").await;

    // A refusal opens the 5-working-day deadline of Art. 25.4 for its reasons.
    let filed = platform
        .eventually(
            Duration::from_secs(30),
            "accreditation hearing of the profession",
            || async {
                let (status, reply) = call(
                    &platform,
                    Some(Role::NceOfficer),
                    "/v1/applications",
                    Some(&application(&profession_id)),
                )
                .await;
                (status == 200).then_some(reply)
            },
        )
        .await;
    let id = filed["id"].as_str().unwrap();
    nce(
        &platform,
        &format!("/v1/applications/{id}:recordExamination"),
        json!({"examiner": "B. Nurlanov"}),
    )
    .await;
    let report: Vec<Value> = [
        "legal_entity",
        "premises_and_equipment",
        "professions_in_register",
        "qualification_programmes",
        "qualified_staff",
    ]
    .iter()
    .map(|c| json!({"criterion": c, "met": *c != "premises_and_equipment", "reasoning": "seen on site"}))
    .collect();
    nce(
        &platform,
        &format!("/v1/applications/{id}:recordExamination"),
        json!({"onSite": true, "examiner": "B. Nurlanov", "assessments": report}),
    )
    .await;
    let refused = nce(
        &platform,
        &format!("/v1/applications/{id}:decide"),
        json!({"accredit": false, "reasons": "Premises not shown",
               "authorizedBodyCoordination": {"number": "MLSP-77", "date": today()}}),
    )
    .await;
    let due = day(refused["dueDate"].as_str().unwrap());

    // How late it would be on 1 February 2028: a year nobody has loaded.
    let overdue = "/v1/accreditation/overdue?asOf=2028-02-01";
    let (status, unknown) = call(&platform, Some(Role::NceOfficer), overdue, None).await;
    assert_eq!(status, 409, "{unknown}");
    assert!(
        unknown.to_string().contains("PUT /v1/calendar/years/2028"),
        "the error says how to load the year: {unknown}"
    );

    // The authorized body loads 2028.
    let year = json!({
        "kurbanAit": "2028-05-05",
        "source": "Decree on the transfer of days off in 2028",
        "basis": {"number": "GOV-2028-1", "date": "2027-12-01", "title": "Decree"}
    });
    let (status, denied) = platform
        .http
        .put(platform.url("/v1/calendar/years/2028"))
        .bearer_auth(platform.token(&[Role::NceOfficer]))
        .json(&year)
        .send()
        .await
        .map(|r| (r.status().as_u16(), ()))
        .unwrap();
    assert_eq!(status, 403, "{denied:?}");
    let loaded: Value = platform
        .http
        .put(platform.url("/v1/calendar/years/2028"))
        .bearer_auth(platform.token(&[Role::AuthorizedBodyAdmin]))
        .json(&year)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        loaded["version"], "1",
        "int64 travels as a JSON string: {loaded}"
    );
    assert!(
        loaded["weekdaysOff"]
            .as_array()
            .unwrap()
            .contains(&json!("2028-01-03")),
        "1 January 2028 is a Saturday: its day off moves to Monday 3 January: {loaded}"
    );
    let (_, years) = call(&platform, None, "/v1/calendar/years", None).await;
    let listed: Vec<i64> = years["years"]
        .as_array()
        .unwrap()
        .iter()
        .map(|y| y["year"].as_i64().unwrap())
        .collect();
    assert_eq!(listed, [2023, 2024, 2025, 2026, 2027, 2028]);

    // The same count, by the calendar the test builds from the same data.
    let mut local = WorkingCalendar::kazakhstan().unwrap();
    let mut data = YearData {
        year: 2028,
        source: String::new(),
        kurban_ait: day("2028-05-05"),
        extra_days_off: vec![],
        extra_working_days: vec![],
    };
    local.load_year(&data).unwrap();
    let expected = local.working_days_between(due, day("2028-02-01")).unwrap();
    let counted = platform
        .eventually(
            Duration::from_secs(30),
            "accreditation following the year",
            || async {
                let (status, reply) = call(&platform, Some(Role::NceOfficer), overdue, None).await;
                (status == 200).then_some(reply)
            },
        )
        .await;
    assert_eq!(counted["cases"][0]["daysOverdue"], expected, "{counted}");

    // An amendment: Monday 31 January 2028 becomes a day off by decree.
    let mut amended = year.clone();
    amended["extraDaysOff"] = json!(["2028-01-31"]);
    amended["expectedVersion"] = json!(1);
    let reply = platform
        .http
        .put(platform.url("/v1/calendar/years/2028"))
        .bearer_auth(platform.token(&[Role::AuthorizedBodyAdmin]))
        .json(&amended)
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), 200);
    let stale = platform
        .http
        .put(platform.url("/v1/calendar/years/2028"))
        .bearer_auth(platform.token(&[Role::AuthorizedBodyAdmin]))
        .json(&amended)
        .send()
        .await
        .unwrap();
    assert_eq!(stale.status(), 409, "expected version 1 is stale now");
    data.extra_days_off = vec![day("2028-01-31")];
    local.load_year(&data).unwrap();
    let fewer = local.working_days_between(due, day("2028-02-01")).unwrap();
    assert_eq!(fewer, expected - 1);
    platform
        .eventually(
            Duration::from_secs(30),
            "accreditation following the amendment",
            || async {
                let (_, reply) = call(&platform, Some(Role::NceOfficer), overdue, None).await;
                (reply["cases"][0]["daysOverdue"] == fewer).then_some(())
            },
        )
        .await;

    // Bad data is refused, naming the field.
    let (status, bad) = {
        let reply = platform
            .http
            .put(platform.url("/v1/calendar/years/2029"))
            .bearer_auth(platform.token(&[Role::AuthorizedBodyAdmin]))
            .json(&json!({"kurbanAit": "2028-04-24",
                          "basis": {"number": "GOV-2029-1", "date": "2028-12-01"}}))
            .send()
            .await
            .unwrap();
        (
            reply.status().as_u16(),
            reply.json::<Value>().await.unwrap(),
        )
    };
    assert_eq!(status, 400, "{bad}");
    assert!(bad.to_string().contains("is not in 2029"), "{bad}");
}
