//! A fleet's answer at a glance: invocations grouped by what they came to — status, exit code
//! and output (trailing whitespace trimmed) — one group per distinct result, biggest first,
//! so that the three instances that answered differently stand out from the 197 that agree.

use serde::Serialize;

/// One invocation's result, as grouped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunResult {
    pub instance_id: String,
    pub name: String,
    /// AWS's status, or its StatusDetails where they say more (Undeliverable, TimedOut…).
    pub status: String,
    pub exit_code: Option<i32>,
    pub output: String,
    /// AWS cut the output (24,000 / 8,000 characters): the group is made on what it returned.
    pub truncated: bool,
}

/// Instances that came to the same result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ResultGroup {
    pub count: usize,
    pub status: String,
    pub exit_code: Option<i32>,
    /// Instance ids, in the order they settled.
    pub instances: Vec<String>,
    #[serde(skip)]
    pub names: Vec<String>,
    pub output: String,
    /// Some member's output was cut by AWS.
    pub truncated: bool,
}

/// Groups `results` by (status, exit code, output without trailing whitespace): biggest group
/// first; groups of the same size in the order their first member settled.
pub fn group_exact(results: &[RunResult]) -> Vec<ResultGroup> {
    let mut groups: Vec<ResultGroup> = Vec::new();
    for result in results {
        let output = result.output.trim_end();
        let found = groups.iter_mut().find(|g| {
            g.status == result.status && g.exit_code == result.exit_code && g.output == output
        });
        match found {
            Some(group) => {
                group.count += 1;
                group.instances.push(result.instance_id.clone());
                group.names.push(result.name.clone());
                group.truncated |= result.truncated;
            }
            None => groups.push(ResultGroup {
                count: 1,
                status: result.status.clone(),
                exit_code: result.exit_code,
                instances: vec![result.instance_id.clone()],
                names: vec![result.name.clone()],
                output: output.to_owned(),
                truncated: result.truncated,
            }),
        }
    }
    // Stable: equal counts keep the order their first members settled in.
    groups.sort_by_key(|group| std::cmp::Reverse(group.count));
    groups
}

/// A group's members as a person reads them: names (ids where there is no name), the first
/// `shown` of them, then how many more.
pub fn members_line(group: &ResultGroup, shown: usize) -> String {
    let label = |i: usize| {
        let name = &group.names[i];
        if name.is_empty() {
            group.instances[i].clone()
        } else {
            name.clone()
        }
    };
    let mut line: Vec<String> = (0..group.count.min(shown)).map(label).collect();
    if group.count > shown {
        line.push(format!("… (+{})", group.count - shown));
    }
    line.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn result(id: &str, status: &str, exit: Option<i32>, output: &str) -> RunResult {
        RunResult {
            instance_id: id.to_owned(),
            name: format!("web-{id}"),
            status: status.to_owned(),
            exit_code: exit,
            output: output.to_owned(),
            truncated: false,
        }
    }

    /// 200 instances where three answer differently: two groups, 197 and 3, the odd ones out
    /// second; trailing whitespace does not split a group; status and exit code do.
    #[test]
    fn the_odd_ones_out_stand_apart() {
        let mut results: Vec<RunResult> = (0..200)
            .map(|n| result(&n.to_string(), "Success", Some(0), "active\n"))
            .collect();
        for odd in [17, 88, 150] {
            results[odd] = result(&odd.to_string(), "Failed", Some(3), "inactive");
        }
        results[5].output = "active   \n\n".to_owned();
        let groups = group_exact(&results);
        assert_eq!(groups.len(), 2);
        assert_eq!(
            (groups[0].count, groups[0].output.as_str()),
            (197, "active")
        );
        assert_eq!(groups[1].count, 3);
        assert_eq!(groups[1].instances, ["17", "88", "150"]);
        assert_eq!(groups[1].exit_code, Some(3));
        assert_eq!(members_line(&groups[1], 10), "web-17, web-88, web-150");
        assert_eq!(members_line(&groups[0], 2), "web-0, web-1, … (+195)");

        let split = group_exact(&[
            result("a", "Success", Some(0), "x"),
            result("b", "Failed", Some(0), "x"),
            result("c", "Success", Some(1), "x"),
            result("d", "Undeliverable", None, ""),
        ]);
        assert_eq!(
            split.len(),
            4,
            "status and exit code each make their own group"
        );
    }

    #[test]
    fn truncation_is_carried_to_the_group() {
        let mut cut = result("a", "Success", Some(0), "long");
        cut.truncated = true;
        let groups = group_exact(&[cut, result("b", "Success", Some(0), "long")]);
        assert_eq!(groups.len(), 1);
        assert!(groups[0].truncated);
    }
}
