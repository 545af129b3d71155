//! The list of centers whose certificates are not subject to renewal (Art. 26.5: "The validity
//! of the accreditation certificate is not renewed in case of violations related to the
//! health, life support and safety of citizens. The list of recognition centers whose
//! accreditation certificates are not subject to renewal, as well as information about their
//! founders (participants) are posted on the digital platform"). The list is consulted: a center
//! on it gets no new certificate under its BIN, and an officer sees when an applicant's
//! founders appear on it.

use chrono::NaiveDate;

use super::Refused;

/// A center on the list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listed {
    pub center_number: nsk_kz::CenterNumber,
    pub name: String,
    pub bin: String,
    pub founders: Vec<String>,
    pub since: NaiveDate,
}

/// An applicant's founder who is also a founder of a listed center.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FounderMatch {
    pub founder: String,
    pub center_number: nsk_kz::CenterNumber,
    pub center_name: String,
    pub since: NaiveDate,
}

/// A legal entity whose center is on the list gets no certificate: not by a new application,
/// not by a re-accreditation pending when it was listed.
pub fn check_not_listed(bin: &str, listed: &[Listed]) -> Result<(), Refused> {
    match listed.iter().find(|l| l.bin == bin) {
        Some(l) => Err(Refused::new(format!(
            "the legal entity with BIN {bin} holds center {}, listed since {} as not subject to renewal for violations concerning the health, life support and safety of citizens (Art. 26.5): it receives no new certificate",
            l.center_number, l.since
        ))),
        None => Ok(()),
    }
}

/// Founders compare by their words, case and spacing aside: "ТОО  Альфа" is "тоо альфа".
fn key(founder: &str) -> String {
    founder
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// Every founder of the applicant who is a founder of a listed center.
pub fn founder_matches(founders: &[String], listed: &[Listed]) -> Vec<FounderMatch> {
    let mut out = Vec::new();
    for founder in founders {
        let k = key(founder);
        if k.is_empty() {
            continue;
        }
        for l in listed {
            if l.founders.iter().any(|f| key(f) == k) {
                out.push(FounderMatch {
                    founder: founder.clone(),
                    center_number: l.center_number,
                    center_name: l.name.clone(),
                    since: l.since,
                });
            }
        }
    }
    out
}

/// Art. 23.5 counts the day the applicant submitted the application, which the officer records:
/// not after `today`, and for re-accreditation not before the previous certificate was issued.
pub fn check_submission_date(
    submitted_on: NaiveDate,
    today: NaiveDate,
    previous_issued_on: Option<NaiveDate>,
) -> Result<(), String> {
    if submitted_on > today {
        return Err(format!(
            "must not be in the future (today is {today}): the day the applicant submitted the application"
        ));
    }
    if let Some(issued) = previous_issued_on {
        if submitted_on < issued {
            return Err(format!(
                "must not be before the previous certificate was issued ({issued})"
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn listed() -> Vec<Listed> {
        vec![Listed {
            center_number: nsk_kz::CenterNumber::new(42).unwrap(),
            name: "Unsafe Welding LLP".into(),
            bin: "971240001315".into(),
            founders: vec!["Серикбаев Нурлан".into(), "Alfa Holding LLP".into()],
            since: d("2026-10-01"),
        }]
    }

    #[test]
    fn a_listed_bin_gets_no_new_certificate_art_26_5() {
        let err = check_not_listed("971240001315", &listed()).unwrap_err();
        assert!(err.0.contains("center 0042"), "{err}");
        assert!(err.0.contains("Art. 26.5"), "{err}");
        assert!(check_not_listed("940140000385", &listed()).is_ok());
    }

    #[test]
    fn founders_on_the_list_are_shown_to_the_officer_art_26_5() {
        let found = founder_matches(
            &[
                "  alfa   holding llp ".into(),
                "Someone Else".into(),
                "".into(),
            ],
            &listed(),
        );
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].center_number.get(), 42);
        assert_eq!(found[0].founder, "  alfa   holding llp ");
        assert!(founder_matches(&["Серикбаев Нурлан".into()], &[]).is_empty());
    }

    #[test]
    fn the_submission_date_is_the_applicants_not_in_the_future_nor_before_the_certificate_art_23_5()
    {
        let today = d("2026-11-23");
        assert!(check_submission_date(d("2026-11-02"), today, Some(d("2023-12-01"))).is_ok());
        assert!(check_submission_date(d("2026-11-24"), today, None)
            .unwrap_err()
            .contains("future"));
        assert!(
            check_submission_date(d("2023-11-30"), today, Some(d("2023-12-01")))
                .unwrap_err()
                .contains("previous certificate")
        );
    }
}
