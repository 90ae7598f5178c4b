//! Canary first: how many targets a command runs on before the rest (`--canary N` or `N%`),
//! which ones — spread across regions and availability zones, online instances first, so one
//! zone's trouble shows before the whole fleet has it — and the request split in two stages.

use std::collections::BTreeMap;

use super::run::{RunRequest, RunTarget};

/// How many of `total` targets the canary takes: `N` instances or `N%` of them (rounded up,
/// at least one). Empty means no canary. A canary as big as the run is refused: it would be
/// the whole run with nothing held back.
pub fn canary_count(spec: &str, total: usize) -> Result<Option<usize>, String> {
    let spec = spec.trim();
    if spec.is_empty() {
        return Ok(None);
    }
    let (digits, percent) = match spec.strip_suffix('%') {
        Some(digits) => (digits, true),
        None => (spec, false),
    };
    let number: usize = digits
        .parse()
        .ok()
        .filter(|&n| n > 0 && (!percent || n <= 100))
        .ok_or_else(|| {
            format!("canary: {spec:?} is not a count (like 2) or a percentage (like 5%)")
        })?;
    let count = if percent {
        total.saturating_mul(number).div_ceil(100).max(1)
    } else {
        number
    };
    if count >= total {
        return Err(format!(
            "canary: {count} would be every target ({total}): name fewer, or run without one"
        ));
    }
    Ok(Some(count))
}

/// The ids of `count` targets of `request` to run first: one from each (region, zone) in turn,
/// online instances before offline ones (an offline canary could only fail), by name within.
pub fn pick_canary(request: &RunRequest, count: usize) -> Vec<String> {
    let mut buckets: BTreeMap<(&str, &str), Vec<&RunTarget>> = BTreeMap::new();
    for group in &request.groups {
        for target in &group.targets {
            buckets
                .entry((group.region.as_str(), target.az.as_str()))
                .or_default()
                .push(target);
        }
    }
    for targets in buckets.values_mut() {
        targets.sort_by(|a, b| (!a.online, &a.name, &a.id).cmp(&(!b.online, &b.name, &b.id)));
    }
    // Online targets of every zone before any offline one.
    let mut picked = Vec::with_capacity(count);
    for online_round in [true, false] {
        let mut depth = 0;
        while picked.len() < count {
            let mut took = false;
            for targets in buckets.values() {
                if let Some(target) = targets.get(depth)
                    && target.online == online_round
                    && picked.len() < count
                {
                    picked.push(target.id.clone());
                    took = true;
                }
            }
            if !took && buckets.values().all(|t| t.len() <= depth) {
                break;
            }
            depth += 1;
        }
    }
    picked
}

/// The request in two stages: the canary's targets, and the rest. Without a canary, the first
/// stage is the whole request and the second is empty.
pub fn split(request: &RunRequest) -> (RunRequest, Option<RunRequest>) {
    if request.canary.is_empty() {
        return (request.clone(), None);
    }
    let only = |keep: bool| {
        let mut stage = request.clone();
        stage.canary.clear();
        for group in &mut stage.groups {
            group
                .targets
                .retain(|t| request.canary.contains(&t.id) == keep);
        }
        stage.groups.retain(|g| !g.targets.is_empty());
        stage
    };
    let (first, rest) = (only(true), only(false));
    // A canary none of whose ids is a target is no canary: everything goes at once.
    if first.groups.is_empty() {
        return (rest, None);
    }
    (first, (!rest.groups.is_empty()).then_some(rest))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::run::RunGroup;

    fn target(id: &str, az: &str, online: bool) -> RunTarget {
        RunTarget {
            id: id.to_owned(),
            name: id.to_owned(),
            az: az.to_owned(),
            online,
            ..RunTarget::default()
        }
    }

    fn request(groups: Vec<(&str, Vec<RunTarget>)>) -> RunRequest {
        RunRequest {
            groups: groups
                .into_iter()
                .map(|(region, targets)| RunGroup {
                    profile: String::new(),
                    region: region.to_owned(),
                    targets,
                })
                .collect(),
            ..RunRequest::default()
        }
    }

    #[test]
    fn counts_are_instances_or_a_percentage_never_everything() {
        assert_eq!(canary_count("", 10), Ok(None));
        assert_eq!(canary_count("2", 10), Ok(Some(2)));
        assert_eq!(canary_count("5%", 200), Ok(Some(10)));
        assert_eq!(canary_count("1%", 30), Ok(Some(1)), "rounded up");
        for bad in ["0", "x", "-1", "101%", "%", "10", "100%"] {
            assert!(canary_count(bad, 10).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_canary_spreads_over_regions_and_zones_online_first() {
        let request = request(vec![
            (
                "us-east-1",
                vec![
                    target("a1", "us-east-1a", true),
                    target("a2", "us-east-1a", true),
                    target("b1", "us-east-1b", false),
                    target("b2", "us-east-1b", true),
                ],
            ),
            ("eu-west-1", vec![target("e1", "eu-west-1a", true)]),
        ]);
        assert_eq!(pick_canary(&request, 3), ["e1", "a1", "b2"]);
        assert_eq!(pick_canary(&request, 4), ["e1", "a1", "b2", "a2"]);
        assert_eq!(pick_canary(&request, 5), ["e1", "a1", "b2", "a2", "b1"]);

        let mut staged = request.clone();
        staged.canary = pick_canary(&request, 2);
        let (first, rest) = split(&staged);
        let ids = |r: &RunRequest| r.targets().into_iter().map(|t| t.id).collect::<Vec<_>>();
        assert_eq!(ids(&first), ["a1", "e1"]);
        let rest = rest.expect("a second stage");
        assert_eq!(ids(&rest), ["a2", "b1", "b2"]);
        assert!(first.canary.is_empty() && rest.canary.is_empty());
        assert_eq!(split(&request).1, None);
    }
}
