//! A fleet's answer at a glance: invocations grouped by what they came to — status, exit code
//! and output (trailing whitespace trimmed), or the output's shape (`run_shape.rs`) — one
//! group per distinct result, biggest first, so that the three instances that answered
//! differently stand out from the 197 that agree.

use std::collections::HashMap;
use std::hash::{Hash, Hasher};

use serde::Serialize;

use super::run::InvocationView;
use super::run_shape::{numbers_set_aside, repeats_folded, without_identities};
use super::status::InvocationStatus;

/// One invocation's result, as grouped.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RunResult {
    pub instance_id: String,
    pub name: String,
    /// AWS's status, or its StatusDetails where they say more (Undeliverable, TimedOut…).
    pub status: InvocationStatus,
    pub exit_code: Option<i32>,
    pub output: String,
    /// AWS cut the output (2,500 in a listing, 24,000 / 8,000 in full): the group is made on
    /// what it returned.
    pub truncated: bool,
    /// What the instance calls itself in its output (`run_shape::identities_of`), for
    /// grouping by shape.
    pub identities: Vec<String>,
}

impl RunResult {
    /// A settled invocation's result, with the output shown for it (`truncated` when AWS cut
    /// it); no identities yet.
    pub fn settled(invocation: &InvocationView, output: String, truncated: bool) -> RunResult {
        RunResult {
            instance_id: invocation.instance_id.clone(),
            name: invocation.name.clone(),
            status: invocation.summary_status().clone(),
            exit_code: invocation.shown_exit_code(),
            output,
            truncated,
            identities: Vec::new(),
        }
    }
}

/// What makes two results one group.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum GroupBy {
    /// The same output, trailing whitespace aside.
    #[default]
    Exact,
    /// The same output once numbers, hex ids, timestamps and the instance's own names are
    /// set aside (`run_shape::shape_of`).
    Shape,
}

impl GroupBy {
    pub fn parse(text: &str) -> Result<GroupBy, String> {
        match text {
            "exact" => Ok(GroupBy::Exact),
            "shape" => Ok(GroupBy::Shape),
            other => Err(format!("--group-by takes exact or shape, not {other:?}")),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            GroupBy::Exact => "exact",
            GroupBy::Shape => "shape",
        }
    }

    pub fn toggled(self) -> GroupBy {
        match self {
            GroupBy::Exact => GroupBy::Shape,
            GroupBy::Shape => GroupBy::Exact,
        }
    }
}

/// Instances that came to the same result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ResultGroup {
    pub count: usize,
    pub status: InvocationStatus,
    pub exit_code: Option<i32>,
    /// Instance ids, in the order they settled.
    pub instances: Vec<String>,
    #[serde(skip)]
    pub names: Vec<String>,
    /// The output (in a group made by shape, the most common one, with each member's own id,
    /// name and address as `<self>`).
    pub output: String,
    /// Some member's output was cut by AWS.
    pub truncated: bool,
    /// In a group made by shape, the members whose output is not the most common one, by
    /// output, most common first.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub variants: Vec<Variant>,
}

/// Members of a shape group that share an output other than the group's most common one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Variant {
    pub instances: Vec<String>,
    #[serde(skip)]
    pub names: Vec<String>,
    pub output: String,
}

impl ResultGroup {
    /// A small group beside a big one: at most a tenth of the biggest group's size.
    pub fn is_outlier(&self, biggest: usize) -> bool {
        self.count < biggest && self.count * 10 <= biggest
    }

    /// A member's display name (its id where it has no Name).
    pub fn label(&self, member: usize) -> &str {
        match self.names.get(member) {
            Some(name) if !name.is_empty() => name,
            _ => &self.instances[member],
        }
    }
}

/// Groups `results` by (status, exit code, output without trailing whitespace) or by
/// (status, exit code, shape): biggest group first; groups of the same size in the order their
/// first member settled.
pub fn group_results(results: &[RunResult], by: GroupBy) -> Vec<ResultGroup> {
    let mut grouper = Grouper::new(by);
    for result in results {
        grouper.add(result);
    }
    grouper.groups()
}

/// Groups results as they come: adding one costs its own output (hashed, or shaped), not the
/// results before it, so a watch of 1,000 instances can regroup at each one that settles.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Grouper {
    by: GroupBy,
    building: Vec<Building>,
    /// Hash of (status, exit code, key) → groups with that hash (equal keys compared in full).
    by_hash: HashMap<u64, Vec<usize>>,
}

/// A group being built: while building, `group.output` is its key (the shape, or the output).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Building {
    group: ResultGroup,
    /// Distinct outputs of the group: (output, member indexes).
    outputs: Vec<(String, Vec<usize>)>,
    /// By shape: the hash of each distinct output → where outputs with that hash are in
    /// `outputs` (an exact group has one output, so it needs none).
    output_index: HashMap<u64, Vec<usize>>,
}

impl Grouper {
    pub fn new(by: GroupBy) -> Grouper {
        Grouper {
            by,
            ..Grouper::default()
        }
    }

    pub fn add(&mut self, result: &RunResult) {
        let output = result.output.trim_end();
        // Members that say the same of themselves (their own id, name and address aside, as
        // `<self>`) share an output, exactly or by shape: `hostname` answers as one group.
        let own = without_identities(output, &result.identities);
        let key = match self.by {
            GroupBy::Exact => own.clone(),
            // An output AWS cut ends mid-line, somewhere else on each instance, after as many
            // lines as fitted: its shape is taken without that last, partial line, and a line
            // repeated is counted once.
            GroupBy::Shape if result.truncated => {
                std::borrow::Cow::Owned(repeats_folded(&numbers_set_aside(
                    own.rsplit_once('\n')
                        .map_or(own.as_ref(), |(whole, _)| whole),
                )))
            }
            GroupBy::Shape => std::borrow::Cow::Owned(numbers_set_aside(&own)),
        };
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        (&result.status, result.exit_code, sample(&key)).hash(&mut hasher);
        let candidates = self.by_hash.entry(hasher.finish()).or_default();
        let building = &mut self.building;
        let found = candidates.iter().copied().find(|&index| {
            let group = &building[index].group;
            group.status == result.status
                && group.exit_code == result.exit_code
                && group.output == key.as_ref()
        });
        let index = found.unwrap_or_else(|| {
            candidates.push(building.len());
            building.push(Building {
                group: ResultGroup {
                    count: 0,
                    status: result.status.clone(),
                    exit_code: result.exit_code,
                    instances: Vec::new(),
                    names: Vec::new(),
                    output: key.clone().into_owned(),
                    truncated: false,
                    variants: Vec::new(),
                },
                outputs: Vec::new(),
                output_index: HashMap::new(),
            });
            building.len() - 1
        });
        let entry = &mut building[index];
        let member = entry.group.count;
        entry.group.count += 1;
        entry.group.instances.push(result.instance_id.clone());
        entry.group.names.push(result.name.clone());
        entry.group.truncated |= result.truncated;
        let found = match self.by {
            GroupBy::Exact => entry.outputs.iter().position(|(text, _)| *text == *own),
            GroupBy::Shape => {
                let mut hasher = std::collections::hash_map::DefaultHasher::new();
                sample(&own).hash(&mut hasher);
                let slots = entry.output_index.entry(hasher.finish()).or_default();
                let outputs = &entry.outputs;
                let at = slots.iter().copied().find(|&at| outputs[at].0 == *own);
                if at.is_none() {
                    slots.push(entry.outputs.len());
                }
                at
            }
        };
        match found {
            Some(at) => entry.outputs[at].1.push(member),
            None => entry.outputs.push((own.into_owned(), vec![member])),
        }
    }

    /// The groups so far, biggest first (equal counts in the order their first member came),
    /// each with its most common output and, by shape, the other outputs as variants.
    pub fn groups(&self) -> Vec<ResultGroup> {
        let mut groups: Vec<ResultGroup> = self
            .building
            .iter()
            .map(|Building { group, outputs, .. }| {
                let mut group = group.clone();
                let mut order: Vec<&(String, Vec<usize>)> = outputs.iter().collect();
                // Most common output first; equal counts keep the order they were first seen.
                order.sort_by_key(|(_, members)| std::cmp::Reverse(members.len()));
                let mut order = order.into_iter();
                if let Some((common, _)) = order.next() {
                    group.output.clone_from(common);
                }
                group.variants = order
                    .map(|(output, members)| Variant {
                        instances: members
                            .iter()
                            .map(|&m| group.instances[m].clone())
                            .collect(),
                        names: members.iter().map(|&m| group.names[m].clone()).collect(),
                        output: output.clone(),
                    })
                    .collect();
                group
            })
            .collect();
        groups.sort_by_key(|group| std::cmp::Reverse(group.count));
        groups
    }
}

/// What a text's hash is taken over: its length, its first and its last 64 bytes. Outputs of
/// 24,000 characters are hashed at a glance; texts that sample alike are compared in full.
fn sample(text: &str) -> (usize, &[u8], &[u8]) {
    let bytes = text.as_bytes();
    let head = &bytes[..bytes.len().min(64)];
    let tail = &bytes[bytes.len().saturating_sub(64)..];
    (bytes.len(), head, tail)
}

/// Exact grouping (`group_results` with `GroupBy::Exact`).
pub fn group_exact(results: &[RunResult]) -> Vec<ResultGroup> {
    group_results(results, GroupBy::Exact)
}

/// Two runs of one command side by side (before and after a deploy): the instances whose
/// result changed, grouped exactly.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Comparison {
    pub older: String,
    pub newer: String,
    pub changes: Vec<GroupChange>,
    /// Instances in both runs with the same result.
    pub unchanged: usize,
}

impl Comparison {
    /// The two runs reached different instances altogether (a canary and the rest of one
    /// run, or other targets): nothing to compare.
    pub fn shares_no_instance(&self) -> bool {
        self.unchanged == 0
            && self
                .changes
                .iter()
                .all(|c| c.before.is_none() || c.after.is_none())
    }
}

/// One instance whose result differs between two runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupChange {
    pub instance_id: String,
    pub name: String,
    /// What it came to in each run ("Success exit 0: active"); `None` where it was not a
    /// target of that run.
    pub before: Option<String>,
    pub after: Option<String>,
}

/// A result as one line: status, exit code and the output's most telling line.
fn result_line(result: &RunResult) -> String {
    let code = result
        .exit_code
        .filter(|c| *c != -1)
        .map(|c| format!(" exit {c}"))
        .unwrap_or_default();
    let output = result.output.trim_end();
    let first = super::run_lines::telling_line(output, &[]).unwrap_or("(no output)");
    let more = if output.lines().nth(1).is_some() {
        " …"
    } else {
        ""
    };
    format!("{}{code}: {first}{more}", result.status)
}

/// The instances whose (status, exit code, output) differs between `older` and `newer`, by
/// name; instances in only one of them count as changed.
pub fn compare(older: (&str, &[RunResult]), newer: (&str, &[RunResult])) -> Comparison {
    let same = |a: &RunResult, b: &RunResult| {
        a.status == b.status
            && a.exit_code == b.exit_code
            && a.output.trim_end() == b.output.trim_end()
    };
    let mut changes = Vec::new();
    let mut unchanged = 0;
    let before_of: HashMap<&str, &RunResult> = older
        .1
        .iter()
        .map(|r| (r.instance_id.as_str(), r))
        .collect();
    let after_of: HashMap<&str, &RunResult> = newer
        .1
        .iter()
        .map(|r| (r.instance_id.as_str(), r))
        .collect();
    for after in newer.1 {
        match before_of.get(after.instance_id.as_str()).copied() {
            Some(before) if same(before, after) => unchanged += 1,
            before => changes.push(GroupChange {
                instance_id: after.instance_id.clone(),
                name: after.name.clone(),
                before: before.map(result_line),
                after: Some(result_line(after)),
            }),
        }
    }
    for before in older.1 {
        if !after_of.contains_key(before.instance_id.as_str()) {
            changes.push(GroupChange {
                instance_id: before.instance_id.clone(),
                name: before.name.clone(),
                before: Some(result_line(before)),
                after: None,
            });
        }
    }
    changes.sort_by(|a, b| (&a.name, &a.instance_id).cmp(&(&b.name, &b.instance_id)));
    Comparison {
        older: older.0.to_owned(),
        newer: newer.0.to_owned(),
        changes,
        unchanged,
    }
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
            status: status.into(),
            exit_code: exit,
            output: output.to_owned(),
            truncated: false,
            identities: Vec::new(),
        }
    }

    /// By exact output too, an instance's own id, name and address are set aside: `hostname`
    /// on three instances is one answer, a different word still another group.
    #[test]
    fn exact_groups_set_each_instances_own_names_aside() {
        let own = |id: &str, output: &str| {
            let mut one = result(id, "Success", Some(0), output);
            one.identities = crate::model::run_shape::identities_of(
                &format!("i-0{id}"),
                &format!("web-{id}"),
                &format!("10.0.0.{id}"),
            );
            one
        };
        let groups = group_exact(&[
            own("1", "web-1 10.0.0.1 ok"),
            own("2", "web-2 10.0.0.2 ok"),
            own("3", "web-3 10.0.0.3 FAILED"),
        ]);
        assert_eq!(groups.len(), 2, "{groups:#?}");
        assert_eq!(groups[0].count, 2);
        assert!(groups[0].output.contains("<self>"), "{}", groups[0].output);
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

    /// Outputs AWS cut hold as many lines as fitted, so by shape a log cut after 300 lines and
    /// the same log cut after 290 are one group; whole outputs that repeat a line a different
    /// number of times are not.
    #[test]
    fn cut_outputs_are_one_shape_however_many_lines_fitted() {
        let log = |lines: usize, word: &str| -> String {
            (0..lines)
                .map(|n| format!("{word} served request {n} in 12 ms\n"))
                .collect::<String>()
                + "INFO served req"
        };
        let mut cut: Vec<RunResult> = [(300, "INFO"), (290, "INFO"), (295, "INFO"), (280, "ERROR")]
            .iter()
            .enumerate()
            .map(|(n, (lines, word))| {
                let mut one = result(&n.to_string(), "Success", Some(0), &log(*lines, word));
                one.truncated = true;
                one
            })
            .collect();
        let groups = group_results(&cut, GroupBy::Shape);
        assert_eq!(groups.len(), 2, "{groups:#?}");
        assert_eq!(groups[0].count, 3);
        assert_eq!(groups[1].instances, ["3"]);
        for one in &mut cut {
            one.truncated = false;
        }
        assert_eq!(group_results(&cut, GroupBy::Shape).len(), 4);
    }

    /// By shape, outputs that differ only in numbers and the instance's own name are one
    /// group, its most common output first and the others as variants; a different word is
    /// still another group. Exact grouping keeps them all apart.
    #[test]
    fn by_shape_near_identical_outputs_are_one_group_with_their_variants() {
        use crate::model::run_shape::identities_of;
        let mut results: Vec<RunResult> = (0..6)
            .map(|n| RunResult {
                identities: identities_of(&format!("i-{n}"), &format!("web-{n}"), ""),
                ..result(
                    &format!("i-{n}"),
                    "Success",
                    Some(0),
                    &format!("web-{n}: up {} days, load 0.{n}", n % 2 + 1),
                )
            })
            .collect();
        results[5].output = "web-5: disk full".to_owned();
        assert_eq!(group_results(&results, GroupBy::Exact).len(), 6);
        let groups = group_results(&results, GroupBy::Shape);
        assert_eq!(groups.len(), 2);
        assert_eq!(groups[0].count, 5);
        assert_eq!(groups[0].output, "<self>: up 1 days, load 0.0");
        assert_eq!(groups[0].variants.len(), 4);
        assert_eq!(groups[0].variants[0].instances, ["i-1"]);
        assert_eq!(groups[1].instances, ["i-5"]);
        assert!(groups[1].is_outlier(10) && !groups[0].is_outlier(5));
        assert_eq!(GroupBy::parse("shape"), Ok(GroupBy::Shape));
        assert!(GroupBy::parse("fuzzy").is_err());
    }

    #[test]
    fn a_comparison_lists_the_instances_whose_result_changed() {
        let before = [
            result("a", "Success", Some(0), "1.4.2"),
            result("b", "Success", Some(0), "1.4.2\n"),
            result("c", "Success", Some(0), "1.4.2"),
        ];
        let after = [
            result("a", "Success", Some(0), "1.4.3"),
            result("b", "Success", Some(0), "1.4.2"),
            result("d", "Failed", Some(1), "no such file\nsecond line"),
        ];
        let comparison = compare(("cmd-1", &before), ("cmd-2", &after));
        assert_eq!(comparison.unchanged, 1, "trailing whitespace is no change");
        let lines: Vec<(&str, Option<&str>, Option<&str>)> = comparison
            .changes
            .iter()
            .map(|c| {
                (
                    c.instance_id.as_str(),
                    c.before.as_deref(),
                    c.after.as_deref(),
                )
            })
            .collect();
        assert_eq!(
            lines,
            [
                (
                    "a",
                    Some("Success exit 0: 1.4.2"),
                    Some("Success exit 0: 1.4.3")
                ),
                ("c", Some("Success exit 0: 1.4.2"), None),
                ("d", None, Some("Failed exit 1: no such file …")),
            ]
        );
    }
}
