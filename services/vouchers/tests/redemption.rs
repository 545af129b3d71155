//! A voucher redeemed by the center its holder chose and used by the procedure, against the
//! real PostgreSQL and broker: the register of professions and accreditation are heard from
//! their topics (events published here as those services publish them).

#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap is a failed test

use std::time::{Duration, Instant};

use nsk_identity::Role;
use nsk_proto::nsk::accreditation::v1 as accreditation;
use nsk_proto::nsk::common::v1::BasisDocument;
use nsk_proto::nsk::professions::v1 as professions;
use nsk_proto::nsk::vouchers::v1 as pb;
use nsk_proto::nsk::vouchers::v1::voucher_service_client::VoucherServiceClient;
use nsk_runtime::testing::{bearer, publish};
use tonic::{Code, Request};

const HOLDER: &str = "900101300037";

fn admin<T>(message: T) -> Request<T> {
    bearer(
        message,
        &nsk_runtime::testing::token("mlsp-1", &[Role::AuthorizedBodyAdmin], None),
    )
}

fn office<T>(message: T) -> Request<T> {
    bearer(
        message,
        &nsk_runtime::testing::office_token("office-karaganda", "karaganda"),
    )
}

fn center<T>(number: &str, message: T) -> Request<T> {
    bearer(
        message,
        &nsk_runtime::testing::token(
            &format!("center-{number}"),
            &[Role::RecognitionCenter],
            Some(number),
        ),
    )
}

fn today() -> chrono::NaiveDate {
    nsk_calendar::kazakhstan_date(chrono::Utc::now())
}

#[tokio::test]
async fn the_center_the_holder_chose_redeems_and_a_failed_procedure_is_reimbursed_art_29_2_29_4() {
    let (config, channel) =
        nsk_runtime::testing::spawn("vouchers", "vredeem", nsk_vouchers::build).await;
    let mut client = VoucherServiceClient::new(channel);
    let profession = uuid::Uuid::now_v7().to_string();
    publish(
        &config,
        "professions",
        &profession,
        &professions::ProfessionRegistered {
            profession: Some(professions::Profession {
                id: profession.clone(),
                nqf_levels: vec![3, 4],
                status: professions::ProfessionStatus::Active as i32,
                version: 1,
                ..Default::default()
            }),
            effective_from: today().to_string(),
        },
    )
    .await;
    publish(
        &config,
        "accreditation",
        "0042",
        &accreditation::CertificateIssued {
            certificate: Some(accreditation::Certificate {
                id: uuid::Uuid::now_v7().to_string(),
                serial_number: "0042-2026-001".into(),
                center_number: "0042".into(),
                scope: vec![accreditation::ScopeEntry {
                    profession_id: profession.clone(),
                    nqf_levels: vec![3, 4],
                }],
                valid_from: "2026-01-05".into(),
                valid_until: "2029-01-05".into(),
                status: accreditation::CertificateStatus::Active as i32,
                status_since: "2026-01-05".into(),
                ..Default::default()
            }),
            replaced_certificate_id: String::new(),
        },
    )
    .await;
    let year = chrono::Datelike::year(&today());
    client
        .set_voucher_terms(admin(pb::SetVoucherTermsRequest {
            year,
            validity_days: 90,
            regions: vec![pb::RegionTerms {
                region: "karaganda".into(),
                rate_tiyn: 4_500_000,
                budget_count: 10,
                budget_tiyn: 100_000_000,
                ..Default::default()
            }],
            basis: Some(BasisDocument {
                number: "MLSP-V-1".into(),
                date: today().to_string(),
                title: String::new(),
            }),
            ..Default::default()
        }))
        .await
        .unwrap();
    let voucher = client
        .issue_voucher(office(pb::IssueVoucherRequest {
            holder_iin: HOLDER.into(),
            holder_name: "Жумабаев Ерлан".into(),
            region: "karaganda".into(),
            registration: Some(pb::UnemploymentRegistration {
                number: "U-1".into(),
                date: today().to_string(),
                office: "Employment center of Karaganda".into(),
            }),
            ..Default::default()
        }))
        .await
        .unwrap()
        .into_inner();
    let redeem = |holder: &str, level: i32| pb::RedeemVoucherRequest {
        id: voucher.id.clone(),
        request_id: String::new(),
        holder_iin: holder.into(),
        profession_id: profession.clone(),
        nqf_level: level,
    };

    // Once the service has heard of the profession and the center, 0042 redeems it.
    let deadline = Instant::now() + Duration::from_secs(30);
    let redeemed = loop {
        match client
            .redeem_voucher(center("0042", redeem(HOLDER, 4)))
            .await
        {
            Ok(reply) => break reply.into_inner(),
            Err(status)
                if Instant::now() < deadline && status.code() == Code::FailedPrecondition =>
            {
                tokio::time::sleep(Duration::from_millis(100)).await
            }
            Err(status) => panic!("never redeemed: {status:?}"),
        }
    };
    assert_eq!(redeemed.status, pb::VoucherStatus::Redeemed as i32);
    assert_eq!(redeemed.center_number, "0042");
    let mine = client
        .list_vouchers(center("0042", pb::ListVouchersRequest::default()))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        mine.vouchers.len(),
        1,
        "a center sees the vouchers it redeemed"
    );
    let theirs = client
        .list_vouchers(center("0043", pb::ListVouchersRequest::default()))
        .await
        .unwrap()
        .into_inner();
    assert!(theirs.vouchers.is_empty());
    // The office filters its region's vouchers by center and by profession.
    let by = |center_number: &str, profession_id: &str| pb::ListVouchersRequest {
        center_number: center_number.into(),
        profession_id: profession_id.into(),
        ..Default::default()
    };
    let found = client
        .list_vouchers(office(by("0042", &profession)))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(found.vouchers.len(), 1);
    let none = client
        .list_vouchers(office(by("0043", "")))
        .await
        .unwrap()
        .into_inner();
    assert!(none.vouchers.is_empty());
    let bad = client
        .list_vouchers(office(by("43", "")))
        .await
        .unwrap_err();
    assert!(bad.message().contains("center_number"), "{bad:?}");
    assert_eq!(redeemed.nqf_level, 4);

    // Another center, not accredited, cannot take it; the redeeming center releases it only.
    let elsewhere = client
        .redeem_voucher(center("0043", redeem(HOLDER, 4)))
        .await
        .unwrap_err();
    assert!(
        elsewhere.message().contains("redeemed by center 0042"),
        "{elsewhere:?}"
    );
    let not_yours = client
        .release_voucher(center(
            "0043",
            pb::ReleaseVoucherRequest {
                id: voucher.id.clone(),
                request_id: String::new(),
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(not_yours.code(), Code::FailedPrecondition);
    let released = client
        .release_voucher(center(
            "0042",
            pb::ReleaseVoucherRequest {
                id: voucher.id.clone(),
                request_id: String::new(),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(released.status, pb::VoucherStatus::Issued as i32);
    let stranger = client
        .redeem_voucher(center("0043", redeem("900101300047", 5)))
        .await
        .unwrap_err();
    assert_eq!(stranger.code(), Code::FailedPrecondition);
    assert!(
        stranger.message().contains("IIN does not match") && !stranger.message().contains("0043"),
        "for another person's IIN, that alone: {stranger:?}"
    );
    let refused = client
        .redeem_voucher(center("0043", redeem(HOLDER, 5)))
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::FailedPrecondition);
    for part in ["center 0043 has no active", "does not cover"] {
        assert!(refused.message().contains(part), "{part}: {refused:?}");
    }

    // Redeemed again; the procedure fails; the center is reimbursed all the same (Art. 29.4).
    client
        .redeem_voucher(center("0042", redeem(HOLDER, 3)))
        .await
        .unwrap();
    let used = client
        .report_failed_procedure(center(
            "0042",
            pb::ReportFailedProcedureRequest {
                id: voucher.id.clone(),
                request_id: "failed-1".into(),
                protocol_number: "P-9".into(),
                protocol_date: today().to_string(),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(used.status, pb::VoucherStatus::Used as i32);
    let claims = client
        .list_reimbursements(center("0042", pb::ListReimbursementsRequest::default()))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(claims.reimbursements.len(), 1);
    assert_eq!(claims.reimbursements[0].amount_tiyn, 4_500_000);
    assert_eq!(claims.reimbursements[0].center_number, "0042");
    let none = client
        .list_reimbursements(center("0043", pb::ListReimbursementsRequest::default()))
        .await
        .unwrap()
        .into_inner();
    assert!(
        none.reimbursements.is_empty(),
        "a center sees its own claims"
    );
    // The authorized body approves and pays the claim; the finance export lists it.
    let claim_id = claims.reimbursements[0].id.clone();
    assert_eq!(claims.reimbursements[0].outcome, "failed");
    let decide = |decision: pb::ClaimDecision, reason: &str| pb::DecideClaimRequest {
        id: claim_id.clone(),
        request_id: String::new(),
        decision: decision as i32,
        reason: reason.into(),
    };
    let early = client
        .decide_claim(admin(decide(pb::ClaimDecision::Pay, "")))
        .await
        .unwrap_err();
    assert_eq!(
        early.code(),
        Code::FailedPrecondition,
        "paid only once approved"
    );
    let denied = client
        .decide_claim(center("0042", decide(pb::ClaimDecision::Approve, "")))
        .await
        .unwrap_err();
    assert_eq!(denied.code(), Code::PermissionDenied);
    client
        .decide_claim(admin(decide(pb::ClaimDecision::Approve, "")))
        .await
        .unwrap();
    let paid = client
        .decide_claim(admin(decide(pb::ClaimDecision::Pay, "")))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(paid.status, "paid");
    let late = client
        .decide_claim(admin(decide(pb::ClaimDecision::Reject, "no protocol")))
        .await
        .unwrap_err();
    assert_eq!(late.code(), Code::FailedPrecondition);
    let csv = client
        .export_reimbursements(admin(pb::ExportReimbursementsRequest {
            region: "karaganda".into(),
            from: today().to_string(),
            to: today().to_string(),
        }))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(csv.content_type, "text/csv; charset=utf-8");
    let text = String::from_utf8(csv.data).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2, "{text}");
    assert!(lines[0].starts_with("claim_id,claimed_on,region"), "{text}");
    assert!(
        lines[1].contains(",karaganda,0042,") && lines[1].ends_with(",failed,paid,4500000"),
        "{text}"
    );
    assert!(!text.contains(HOLDER), "no personal data in the export");

    // The year's figures: one voucher, used by a failed procedure, its claim paid.
    let figures = client
        .get_voucher_statistics(admin(pb::GetVoucherStatisticsRequest { year }))
        .await
        .unwrap()
        .into_inner();
    let k = &figures.regions[0];
    assert_eq!(k.region, "karaganda");
    assert_eq!(
        (
            k.issued,
            k.failed,
            k.passed,
            k.committed_count,
            k.spent_tiyn,
            k.budget_count
        ),
        (1, 1, 0, 1, 4_500_000, 10)
    );
    let office_view = client
        .get_voucher_statistics(bearer(
            pb::GetVoucherStatisticsRequest { year },
            &nsk_runtime::testing::office_token("office-astana", "astana"),
        ))
        .await
        .unwrap()
        .into_inner();
    assert!(
        office_view.regions.is_empty(),
        "an office sees its own region only"
    );

    let cancel = client
        .cancel_voucher(office(pb::CancelVoucherRequest {
            id: voucher.id.clone(),
            request_id: String::new(),
            reason: "found work".into(),
        }))
        .await
        .unwrap_err();
    assert_eq!(cancel.code(), Code::FailedPrecondition);
}
