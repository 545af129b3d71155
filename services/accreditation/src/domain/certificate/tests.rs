//! The rules of certificates, revocation and termination, day by day.
//! (`unwrap` here: a failed unwrap is a failed test; clippy.toml allows it in tests.)

use super::*;

fn day(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

fn revocation(ground: RevocationGround, safety: bool) -> Revocation {
    let documents = if ground == RevocationGround::ConfirmedComplaints {
        vec!["25110-72120001-4-201126-0042-00000001".to_string()]
    } else {
        vec![]
    };
    Revocation::new(ground, documents, safety).unwrap()
}

#[test]
fn a_certificate_is_valid_three_years_through_the_corresponding_day_art_23_2_5() {
    assert_eq!(
        validity(day("2026-11-20")),
        Some((day("2026-11-20"), day("2029-11-20")))
    );
    // Issued on 29 February: the third year has no 29 February, so its last day of February.
    assert_eq!(validity(day("2028-02-29")).unwrap().1, day("2031-02-28"));
    assert!(!expired_on(day("2029-11-20"), day("2029-11-20")));
    assert!(expired_on(day("2029-11-20"), day("2029-11-21")));
}

#[test]
fn the_six_months_before_expiry_count_back_to_the_corresponding_day_art_23_5() {
    // Issued 31.08.2026: valid through 31.08.2029; six months before is 28.02.2029.
    let (_, until) = validity(day("2026-08-31")).unwrap();
    assert_eq!(until, day("2029-08-31"));
    assert_eq!(reaccreditation_deadline(until), Some(day("2029-02-28")));
    assert!(check_reaccreditation(Status::Active, until, day("2029-02-28")).is_ok());
    assert!(check_reaccreditation(Status::Active, until, day("2029-03-01")).is_err());
}

#[test]
fn re_accreditation_is_accepted_until_six_months_before_expiry_art_23_5() {
    let until = day("2027-05-31");
    assert_eq!(reaccreditation_deadline(until), Some(day("2026-11-30")));
    assert!(check_reaccreditation(Status::Active, until, day("2026-11-30")).is_ok());
    let late = check_reaccreditation(Status::Active, until, day("2026-12-01")).unwrap_err();
    assert!(late.0.contains("until 2026-11-30"), "{late}");
    assert!(late.0.contains("Art. 23.5"), "{late}");
    assert!(check_reaccreditation(Status::Revoked, until, day("2026-01-01")).is_err());
}

#[test]
fn a_center_accredited_under_conformity_assessment_law_is_a_recognition_center_art_17_1() {
    assert!(Route::Nce.check_nce_act("revoke").is_ok());
    let err = Route::ConformityAssessment
        .check_nce_act("revoke")
        .unwrap_err();
    assert!(err.0.contains("Art. 17.1"), "{err}");
    assert_eq!(
        Route::from_code("conformity_assessment"),
        Some(Route::ConformityAssessment)
    );
    let today = day("2026-11-23");
    assert!(check_conformity_dates(day("2025-03-01"), day("2030-02-28"), today).is_empty());
    let fields = |p: Vec<(&'static str, String)>| p.into_iter().map(|(f, _)| f).collect::<Vec<_>>();
    assert_eq!(
        fields(check_conformity_dates(
            day("2026-12-01"),
            day("2030-02-28"),
            today
        )),
        ["valid_from"]
    );
    assert_eq!(
        fields(check_conformity_dates(
            day("2021-03-01"),
            day("2026-02-28"),
            today
        )),
        ["valid_until"]
    );
    assert_eq!(
        fields(check_conformity_dates(
            day("2026-03-01"),
            day("2026-02-28"),
            today
        )),
        ["valid_until"]
    );
}

#[test]
fn a_division_or_separation_has_further_successors_with_parts_of_the_scope_art_26_1() {
    assert!(check_successors(Reorganisation::Division, 0).is_err());
    assert!(check_successors(Reorganisation::Division, 2).is_ok());
    assert!(check_successors(Reorganisation::Separation, 1).is_ok());
    assert!(check_successors(Reorganisation::Transformation, 0).is_ok());
    assert!(check_successors(Reorganisation::Merger, 1)
        .unwrap_err()
        .0
        .contains("one successor"));
    use super::super::application::ScopeEntry;
    let welder = uuid::Uuid::from_u128(1);
    let baker = uuid::Uuid::from_u128(2);
    let old = vec![ScopeEntry {
        profession_id: welder,
        nqf_levels: vec![3, 4],
    }];
    let part = vec![ScopeEntry {
        profession_id: welder,
        nqf_levels: vec![4],
    }];
    assert!(scope_within(&old, &part).is_empty());
    let wider = vec![
        ScopeEntry {
            profession_id: welder,
            nqf_levels: vec![4, 5],
        },
        ScopeEntry {
            profession_id: baker,
            nqf_levels: vec![3],
        },
    ];
    let problems = scope_within(&old, &wider);
    assert_eq!(problems.len(), 2);
    assert!(problems[0].1.contains("levels 5"), "{problems:?}");
    assert_eq!(problems[1].0, 1);
}

#[test]
fn ground_4_cancels_only_documents_the_revoked_center_issued_art_26_2_4() {
    let own = "25110-72120001-4-201126-0042-00000001";
    let foreign = "25110-72120001-4-201126-0043-00000001";
    let unknown = "25110-72120001-4-201126-0042-00000099";
    let held = [
        IssuedDocument {
            serial_number: own.into(),
            center_number: nsk_kz::CenterNumber::new(42).unwrap(),
        },
        IssuedDocument {
            serial_number: foreign.into(),
            center_number: nsk_kz::CenterNumber::new(43).unwrap(),
        },
    ];
    let revocation = Revocation::new(
        RevocationGround::ConfirmedComplaints,
        vec![own.into(), foreign.into(), unknown.into()],
        false,
    )
    .unwrap();
    let problems = revocation
        .check_documents_of(nsk_kz::CenterNumber::new(42).unwrap(), &held)
        .unwrap_err();
    assert_eq!(problems.len(), 2);
    assert_eq!(problems[0].0, 1);
    assert!(
        problems[0].1.contains("issued at center 0043"),
        "{problems:?}"
    );
    assert_eq!(problems[1].0, 2);
    assert!(problems[1].1.contains("not a document in the registry"));
    let only_own = Revocation::new(
        RevocationGround::ConfirmedComplaints,
        vec![own.into()],
        false,
    )
    .unwrap();
    assert_eq!(
        only_own.check_documents_of(nsk_kz::CenterNumber::new(42).unwrap(), &held),
        Ok(())
    );
    // The same document named against its own center's neighbour is refused.
    assert!(only_own
        .check_documents_of(nsk_kz::CenterNumber::new(43).unwrap(), &held)
        .is_err());
}

#[test]
fn ground_4_names_the_documents_and_only_ground_4_does_art_26_2() {
    let missing = Revocation::new(
        RevocationGround::ConfirmedComplaints,
        vec![" ".into()],
        false,
    )
    .unwrap_err();
    assert_eq!(missing.0, "document_serial_numbers");
    let stray = Revocation::new(
        RevocationGround::ProcedureViolation,
        vec!["X".into()],
        false,
    )
    .unwrap_err();
    assert!(stray.1.contains("ground 4"));
    let own = Revocation::new(RevocationGround::OwnRequest, vec![], true).unwrap_err();
    assert_eq!(own.0, "concerns_health_or_safety");
    assert_eq!(
        revocation(RevocationGround::ConfirmedComplaints, false)
            .documents
            .len(),
        1
    );
}

#[test]
fn only_an_active_certificate_is_revoked() {
    assert_eq!(revoke(Status::Active), Ok(Status::Revoked));
    for status in [
        Status::Revoked,
        Status::Terminated,
        Status::Expired,
        Status::Replaced,
    ] {
        let refused = revoke(status).unwrap_err();
        assert!(refused.0.contains(status.code()), "{refused}");
        assert!(refused.0.contains("Art. 26.2"), "{refused}");
    }
}

#[test]
fn renewal_follows_elimination_except_for_health_and_safety_art_26_5() {
    let until = day("2028-01-31");
    let today = day("2026-11-20");
    for ground in [
        RevocationGround::ProcedureViolation,
        RevocationGround::MonitoringViolation,
        RevocationGround::ConfirmedComplaints,
    ] {
        assert_eq!(
            renew(Status::Revoked, &revocation(ground, false), until, today),
            Ok(Status::Active)
        );
        let refused = renew(Status::Revoked, &revocation(ground, true), until, today).unwrap_err();
        assert!(refused.0.contains("safety"), "{refused}");
        assert!(refused.0.contains("not subject to renewal"), "{refused}");
    }
    let own = revocation(RevocationGround::OwnRequest, false);
    assert!(renew(Status::Revoked, &own, until, today).is_err());
    let ran_out = renew(
        Status::Revoked,
        &revocation(RevocationGround::ProcedureViolation, false),
        day("2026-11-19"),
        today,
    )
    .unwrap_err();
    assert!(ran_out.0.contains("2026-11-19"), "{ran_out}");
    assert!(renew(
        Status::Active,
        &revocation(RevocationGround::ProcedureViolation, false),
        until,
        today
    )
    .is_err());
}

#[test]
fn reissue_replaces_an_active_certificate_only() {
    assert_eq!(reissue(Status::Active), Ok(Status::Replaced));
    assert!(reissue(Status::Revoked)
        .unwrap_err()
        .0
        .contains("Art. 26.1"));
}

#[test]
fn termination_on_each_ground_of_art_26_6() {
    let until = day("2027-01-10");
    let before = day("2026-11-20");
    let after = day("2027-01-11");
    use TerminationGround as G;
    assert!(terminate(Status::Active, G::Revocation, until, before).is_err());
    assert_eq!(
        terminate(Status::Revoked, G::Revocation, until, before),
        Ok(Status::Terminated)
    );
    assert_eq!(
        terminate(Status::Active, G::Liquidation, until, before),
        Ok(Status::Terminated)
    );
    assert_eq!(
        terminate(Status::Revoked, G::CourtDecision, until, before),
        Ok(Status::Terminated)
    );
    let early = terminate(Status::Active, G::Expiry, until, until).unwrap_err();
    assert!(early.0.contains("has not expired"), "{early}");
    assert_eq!(
        terminate(Status::Active, G::Expiry, until, after),
        Ok(Status::Expired)
    );
    assert_eq!(
        terminate(Status::Revoked, G::Expiry, until, after),
        Ok(Status::Expired)
    );
    for done in [Status::Terminated, Status::Expired, Status::Replaced] {
        for ground in [G::Revocation, G::Expiry, G::Liquidation, G::CourtDecision] {
            assert!(
                terminate(done, ground, until, after).is_err(),
                "{done} {ground:?}"
            );
        }
    }
}

#[test]
fn every_status_is_stored_under_a_code_that_reads_back() {
    for status in Status::ALL {
        assert_eq!(Status::from_code(status.code()), Some(status));
    }
}

fn certificate(valid_until: &str) -> Certificate {
    let at = chrono::DateTime::parse_from_rfc3339("2026-01-15T09:00:00Z")
        .unwrap()
        .with_timezone(&chrono::Utc);
    Certificate::issue(Facts {
        id: uuid::Uuid::now_v7(),
        serial_number: "0042-2026-001".into(),
        center_number: nsk_kz::CenterNumber::from_i32(42).unwrap(),
        center_bin: "971240001315".into(),
        center_name: "Welding Center LLP".into(),
        scope: vec![],
        issued_on: day("2026-01-15"),
        valid_from: day("2026-01-15"),
        valid_until: day(valid_until),
        previous_certificate_id: None,
        application_id: None,
        reorganisation: None,
        created_at: at,
        route: Route::Nce,
    })
}

fn record(ground: RevocationGround, health: bool, decided: &str) -> RevocationRecord {
    RevocationRecord {
        revocation: Revocation::new(ground, vec![], health).unwrap(),
        basis: nsk_errors::fields::Document {
            number: "NCE-9".into(),
            date: day(decided),
            title: String::new(),
        },
        detected_on: day("2026-03-02"),
        decided_on: day(decided),
    }
}

#[test]
fn the_certificate_changes_only_as_its_methods_allow() {
    let now = chrono::Utc::now();
    let mut c = certificate("2029-01-14");
    assert_eq!(
        (c.status(), c.status_since()),
        (Status::Active, day("2026-01-15"))
    );
    // Art. 26.5: renewal needs a revocation first.
    assert!(c.renew(day("2026-03-20"), now).is_err());
    // Art. 26.2: revoked from the decision's day; the record kept.
    let ground = RevocationGround::MonitoringViolation;
    c.revoke(record(ground, false, "2026-03-13"), now).unwrap();
    assert_eq!(
        (c.status(), c.status_since()),
        (Status::Revoked, day("2026-03-13"))
    );
    assert_eq!(c.revocation().unwrap().detected_on, day("2026-03-02"));
    assert!(c.revoke(record(ground, false, "2026-03-14"), now).is_err());
    assert_eq!(
        c.status_since(),
        day("2026-03-13"),
        "a refused act changed nothing"
    );
    // Art. 26.5: renewed on the day the elimination is accepted.
    c.renew(day("2026-04-01"), now).unwrap();
    assert_eq!(
        (c.status(), c.status_since()),
        (Status::Active, day("2026-04-01"))
    );
    // Art. 26.1: reissue replaces it.
    c.reissue(day("2026-05-04"), now).unwrap();
    assert_eq!(
        (c.status(), c.status_since()),
        (Status::Replaced, day("2026-05-04"))
    );
    assert!(c
        .terminate(TerminationGround::Liquidation, day("2026-05-05"), now)
        .is_err());
}

#[test]
fn health_and_safety_revocations_are_not_renewed_and_expiry_dates_from_the_day_after() {
    let now = chrono::Utc::now();
    let mut c = certificate("2026-02-28");
    c.revoke(
        record(RevocationGround::MonitoringViolation, true, "2026-02-02"),
        now,
    )
    .unwrap();
    let refused = c.renew(day("2026-02-10"), now).unwrap_err();
    assert!(refused.0.contains("health"), "{refused}");
    assert_eq!(c.status(), Status::Revoked);
    // Art. 26.6.2: noticed days late, it ceased at the end of its last day (a month end).
    c.terminate(TerminationGround::Expiry, day("2026-03-05"), now)
        .unwrap();
    assert_eq!(c.status(), Status::Expired);
    assert_eq!(c.status_since(), day("2026-03-01"));
    assert_eq!(c.termination_ground(), Some(TerminationGround::Expiry));
}
