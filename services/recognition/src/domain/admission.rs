//! Where an application may go (Art. 17, 21, 25.2): to a center accredited, on the day, for a
//! profession of the register at that level. Offers are held to the same.

use chrono::NaiveDate;

use super::Refused;

/// Whether an application for `level` of a profession may go to a center on `day`: the
/// profession is in the register with that level (Art. 21: documents are issued for professions
/// of the register), and the center holds an active accreditation certificate whose scope
/// covers them (Art. 17, 25.2: a center recognises within what it is accredited for).
/// `profession_levels` is `None` when the register does not hold the profession (or excluded
/// it); `center_levels` is `None` when the center has no active certificate that day.
pub fn admissible(
    center: nsk_kz::CenterNumber,
    day: NaiveDate,
    level: i32,
    profession_levels: Option<&[i32]>,
    center_levels: Option<&[u8]>,
) -> std::result::Result<(), Refused> {
    let Some(levels) = profession_levels else {
        return Err(Refused::field(
            "profession_id",
            "is not a profession in the register (or it was excluded): recognition is for the professions of the register (Art. 21)",
        ));
    };
    if !levels.contains(&level) {
        return Err(Refused::field(
            "nqf_level",
            format!(
                "is {level}, not a level of the profession in the register ({})",
                levels
                    .iter()
                    .map(i32::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        ));
    }
    let Some(scope) = center_levels else {
        return Err(Refused::new(format!(
            "center {center} holds no active accreditation certificate on {day}: it cannot take applications (Art. 17, 25.2)"
        )));
    };
    if !scope.iter().any(|l| i32::from(*l) == level) {
        return Err(Refused::new(format!(
            "center {center} is not accredited for this profession at level {level}{} (Art. 17, 25.2)",
            if scope.is_empty() {
                String::new()
            } else {
                format!(
                    "; its scope has levels {}",
                    scope.iter().map(u8::to_string).collect::<Vec<_>>().join(", ")
                )
            }
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_application_goes_to_a_center_accredited_for_the_profession_and_level_art_17() {
        let center = nsk_kz::CenterNumber::from_i32(42).unwrap();
        let day = NaiveDate::from_ymd_opt(2026, 11, 20).unwrap();
        assert_eq!(
            admissible(center, day, 4, Some(&[3, 4]), Some(&[4])),
            Ok(())
        );
        let not_registered = admissible(center, day, 4, None, Some(&[4])).unwrap_err();
        assert_eq!(not_registered.field, Some("profession_id"));
        let no_level = admissible(center, day, 5, Some(&[3, 4]), Some(&[4, 5])).unwrap_err();
        assert_eq!(no_level.field, Some("nqf_level"));
        let no_certificate = admissible(center, day, 4, Some(&[3, 4]), None).unwrap_err();
        assert!(no_certificate
            .message
            .contains("no active accreditation certificate on 2026-11-20"));
        let outside = admissible(center, day, 4, Some(&[3, 4]), Some(&[3])).unwrap_err();
        assert!(
            outside.message.contains("its scope has levels 3"),
            "{outside}"
        );
        let other_profession = admissible(center, day, 4, Some(&[3, 4]), Some(&[])).unwrap_err();
        assert!(other_profession
            .message
            .contains("not accredited for this profession"));
    }
}
