//! The regions of Kazakhstan by the codes the platform uses: 17 regions and the three cities of
//! republican significance. An employment office acts for one of them; vouchers are budgeted per
//! region (Art. 29.4); centers' offers are searched by them.

/// Every region's code.
pub const REGIONS: [&str; 20] = [
    "abai",
    "akmola",
    "aktobe",
    "almaty-region",
    "atyrau",
    "east-kazakhstan",
    "jambyl",
    "jetisu",
    "west-kazakhstan",
    "karaganda",
    "kostanay",
    "kyzylorda",
    "mangystau",
    "pavlodar",
    "north-kazakhstan",
    "turkistan",
    "ulytau",
    "astana",
    "almaty",
    "shymkent",
];

/// Whether `code` names a region.
pub fn is_region(code: &str) -> bool {
    REGIONS.contains(&code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn twenty_regions_each_named_once_and_only_they_are_regions() {
        let mut codes = REGIONS.to_vec();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), 20);
        assert!(is_region("almaty") && is_region("almaty-region"));
        assert!(!is_region("Almaty") && !is_region("") && !is_region("alma"));
    }
}
