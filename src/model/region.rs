//! Region names: what a region's name looks like, so that a typo is refused at the edge, and
//! the regions AWS has (for the simulator, which refuses the others as AWS does).

/// AWS's regions as of late 2026 (commercial, GovCloud, China). bosun itself never refuses a
/// region for missing here: a region launched later works; AWS's own answer decides.
pub const AWS_REGIONS: [&str; 41] = [
    "us-east-1",
    "us-east-2",
    "us-west-1",
    "us-west-2",
    "af-south-1",
    "ap-east-1",
    "ap-east-2",
    "ap-south-1",
    "ap-south-2",
    "ap-southeast-1",
    "ap-southeast-2",
    "ap-southeast-3",
    "ap-southeast-4",
    "ap-southeast-5",
    "ap-southeast-6",
    "ap-southeast-7",
    "ap-northeast-1",
    "ap-northeast-2",
    "ap-northeast-3",
    "ca-central-1",
    "ca-west-1",
    "eu-central-1",
    "eu-central-2",
    "eu-west-1",
    "eu-west-2",
    "eu-west-3",
    "eu-south-1",
    "eu-south-2",
    "eu-north-1",
    "il-central-1",
    "me-south-1",
    "me-central-1",
    "mx-central-1",
    "sa-east-1",
    "us-gov-east-1",
    "us-gov-west-1",
    "cn-north-1",
    "cn-northwest-1",
    "eusc-de-east-1",
    "us-isob-east-1",
    "us-iso-east-1",
];

/// For a region name AWS's list (as bosun knows it) lacks, the sentence that says so with the
/// nearest names; `None` for a known one. Said, never refused: a region launched after this
/// build works, and AWS's answer decides.
pub fn unknown_region_note(name: &str) -> Option<String> {
    if AWS_REGIONS.contains(&name) {
        return None;
    }
    let near = super::instance::closest_names(name, AWS_REGIONS.iter().copied(), 2);
    let hint = if near.is_empty() {
        String::new()
    } else {
        format!("; did you mean {}?", near.join(" or "))
    };
    Some(format!(
        "{name} is not a region bosun knows{hint} (trying it anyway: a newer region works)"
    ))
}

/// Whether `name` has the shape of an AWS region (`us-east-1`, `us-gov-west-1`,
/// `eu-central-2`): a typo is refused at once; a well-formed name AWS does not know fails at
/// its first call (DNS).
pub fn is_region_name(name: &str) -> bool {
    let parts: Vec<&str> = name.split('-').collect();
    let (Some(first), Some(last)) = (parts.first(), parts.last()) else {
        return false;
    };
    (3..=5).contains(&parts.len())
        && first.len() == 2
        && parts[..parts.len() - 1]
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_lowercase()))
        && !last.is_empty()
        && last.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn region_names_have_their_shape() {
        assert!(is_region_name("us-east-1") && is_region_name("us-gov-west-1"));
        assert!(is_region_name("ap-southeast-5") && is_region_name("us-isob-east-1"));
        for bad in ["us-east", "useast1", "US-EAST-1", "us--1", "eu-west-1a", ""] {
            assert!(!is_region_name(bad), "{bad}");
        }
    }
}

#[cfg(test)]
mod unknown_tests {
    use super::unknown_region_note;

    #[test]
    fn a_region_aws_does_not_have_is_said_with_the_nearest() {
        assert_eq!(unknown_region_note("us-east-1"), None);
        let note = unknown_region_note("us-east-7").expect("unknown");
        assert!(note.contains("did you mean us-east-1"), "{note}");
        assert!(note.contains("trying it anyway"), "{note}");
    }
}
