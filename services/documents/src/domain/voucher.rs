//! A document that names a voucher (Art. 29.2, 29.4): the voucher is the holder's, its center
//! redeemed it for the procedure in this profession, and the registry knows it so.

use nsk_kz::CenterNumber;

/// The voucher as the registry heard of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KnownVoucher {
    pub number: String,
    pub holder_iin: String,
    /// issued, redeemed, used, expired, cancelled.
    pub status: String,
    pub center_number: Option<CenterNumber>,
    pub profession_id: Option<uuid::Uuid>,
}

/// Every reason the document may not name the voucher; empty when it may.
pub fn refusals(
    named: &str,
    voucher: Option<&KnownVoucher>,
    center: CenterNumber,
    holder_iin: Option<&str>,
    profession: uuid::Uuid,
) -> Vec<String> {
    let Some(v) = voucher else {
        return vec![format!(
            "voucher {named} is not known to the registry: a document names a voucher its center redeemed (Art. 29.2)"
        )];
    };
    let mut reasons = Vec::new();
    if v.status != "redeemed" {
        reasons.push(format!(
            "voucher {} is {}: a document names a voucher redeemed for its procedure",
            v.number, v.status
        ));
    } else if v.center_number != Some(center) {
        reasons.push(format!(
            "voucher {} was redeemed by center {}, not {center}",
            v.number,
            v.center_number
                .map_or_else(|| "none".to_string(), |c| c.to_string())
        ));
    }
    if holder_iin != Some(v.holder_iin.as_str()) {
        reasons.push(format!("voucher {} belongs to another person", v.number));
    }
    if v.status == "redeemed" && v.profession_id != Some(profession) {
        reasons.push(format!(
            "voucher {} was redeemed for another profession",
            v.number
        ));
    }
    reasons
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOLDER: &str = "900101300037";

    fn c(n: u16) -> CenterNumber {
        CenterNumber::new(n).unwrap()
    }

    fn redeemed(center: u16) -> KnownVoucher {
        KnownVoucher {
            number: "VC-2026-00000001".into(),
            holder_iin: HOLDER.into(),
            status: "redeemed".into(),
            center_number: CenterNumber::new(center),
            profession_id: Some(uuid::Uuid::from_u128(7)),
        }
    }

    #[test]
    fn a_document_names_only_a_voucher_its_center_redeemed_for_that_holder_and_profession_art_29() {
        let welder = uuid::Uuid::from_u128(7);
        let v = redeemed(42);
        assert!(refusals("x", Some(&v), c(42), Some(HOLDER), welder).is_empty());
        assert!(refusals("x", None, c(42), Some(HOLDER), welder)[0].contains("not known"));
        assert!(refusals("x", Some(&v), c(43), Some(HOLDER), welder)[0]
            .contains("center 0042, not 0043"));
        assert!(
            refusals("x", Some(&v), c(42), Some("900101300047"), welder)[0]
                .contains("another person")
        );
        assert!(refusals("x", Some(&v), c(42), None, welder)[0].contains("another person"));
        assert!(
            refusals("x", Some(&v), c(42), Some(HOLDER), uuid::Uuid::from_u128(8))[0]
                .contains("another profession")
        );
        let issued = KnownVoucher {
            status: "issued".into(),
            center_number: None,
            ..redeemed(42)
        };
        assert!(refusals("x", Some(&issued), c(42), Some(HOLDER), welder)[0].contains("is issued"));
    }
}
