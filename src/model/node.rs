//! Kubernetes nodes among the fleet's instances. An EKS worker node is an EC2 instance tagged
//! `eks:cluster-name` (or `kubernetes.io/cluster/NAME = owned` on self-managed groups), with
//! `eks:nodegroup-name` in a managed node group or `karpenter.sh/nodepool` under Karpenter; its
//! node name is the instance's private DNS name (`ip-10-0-1-23.ec2.internal`, or the
//! instance-id form `i-0abc….ec2.internal` on resource-named subnets). A page names the node,
//! so a node name, and `k8s:CLUSTER/NODE`, is a TARGET everywhere.

use super::instance::InstanceRow;

/// What a TARGET that names a Kubernetes node asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeTarget {
    /// `k8s:CLUSTER/NODE` names the cluster too; a bare node name does not.
    pub cluster: Option<String>,
    pub node: String,
}

impl NodeTarget {
    /// `k8s:CLUSTER/NODE`, or a bare node name (a private DNS name: it ends `.internal`).
    pub fn parse(target: &str) -> Option<NodeTarget> {
        if let Some(rest) = target.strip_prefix("k8s:") {
            let (cluster, node) = rest.split_once('/')?;
            if cluster.is_empty() || node.is_empty() {
                return None;
            }
            return Some(NodeTarget {
                cluster: Some(cluster.to_owned()),
                node: node.to_owned(),
            });
        }
        is_node_name(target).then(|| NodeTarget {
            cluster: None,
            node: target.to_owned(),
        })
    }

    /// Whether `row` is this node (its name, and its cluster when one was named).
    pub fn is(&self, row: &InstanceRow) -> bool {
        row.node_name()
            .is_some_and(|name| name.eq_ignore_ascii_case(&self.node))
            && self
                .cluster
                .as_deref()
                .is_none_or(|cluster| row.eks_cluster() == Some(cluster))
    }
}

/// A private DNS name, as Kubernetes names an EKS node: `ip-…ec2.internal` in us-east-1,
/// `ip-….REGION.compute.internal` elsewhere.
pub fn is_node_name(text: &str) -> bool {
    let lower = text.to_ascii_lowercase();
    (lower.ends_with(".ec2.internal") || lower.ends_with(".compute.internal"))
        && !lower.contains(' ')
}

/// The region a node name carries (`….eu-west-1.compute.internal`; `….ec2.internal` is
/// us-east-1).
pub fn region_in_name(name: &str) -> Option<&str> {
    let lower = name.strip_suffix(".compute.internal")?;
    lower
        .rsplit('.')
        .next()
        .filter(|region| region.contains('-'))
}

impl InstanceRow {
    /// The EKS (or self-managed Kubernetes) cluster the instance is a node of.
    pub fn eks_cluster(&self) -> Option<&str> {
        if let Some(name) = self.tags.get("eks:cluster-name") {
            return Some(name);
        }
        self.tags.iter().find_map(|(key, value)| {
            key.strip_prefix("kubernetes.io/cluster/")
                .filter(|_| value == "owned")
        })
    }

    /// Its managed node group, or its Karpenter node pool.
    pub fn eks_nodegroup(&self) -> Option<&str> {
        self.tags
            .get("eks:nodegroup-name")
            .or_else(|| self.tags.get("karpenter.sh/nodepool"))
            .map(String::as_str)
    }

    /// What Kubernetes calls it: the private DNS name, for a node of a cluster.
    pub fn node_name(&self) -> Option<&str> {
        self.eks_cluster()?;
        self.private_dns.as_deref().filter(|name| !name.is_empty())
    }
}

/// The nodes of one node group (or Karpenter pool) of one cluster, as the console's `:nodes`
/// shows them.
#[derive(Debug, Clone, PartialEq)]
pub struct NodeGroup {
    pub cluster: String,
    /// The node group or node pool; empty for nodes in neither.
    pub group: String,
    /// Its nodes, by node name.
    pub nodes: Vec<InstanceRow>,
}

impl NodeGroup {
    /// How many of its nodes' agents are Online.
    pub fn online(&self) -> usize {
        self.nodes
            .iter()
            .filter(|n| n.ping == super::instance::Ping::Online)
            .count()
    }

    /// How many lost their connection (or went inactive).
    pub fn lost(&self) -> usize {
        self.nodes
            .iter()
            .filter(|n| {
                matches!(
                    n.ping,
                    super::instance::Ping::ConnectionLost | super::instance::Ping::Inactive
                )
            })
            .count()
    }

    /// Its agents' versions, newest first, with how many nodes run each.
    pub fn agents(&self) -> Vec<(String, usize)> {
        let mut counts: Vec<(String, usize)> = Vec::new();
        for node in &self.nodes {
            let version = node.agent_version.clone().unwrap_or_else(|| "-".to_owned());
            match counts.iter_mut().find(|(v, _)| *v == version) {
                Some((_, count)) => *count += 1,
                None => counts.push((version, 1)),
            }
        }
        counts.sort_by(|a, b| super::agent::newest_first(&a.0, &b.0));
        counts
    }

    /// The regions its nodes are in (one, unless a cluster's name is reused).
    pub fn regions(&self) -> Vec<&str> {
        let mut regions: Vec<&str> = self.nodes.iter().map(|n| n.region.as_str()).collect();
        regions.sort_unstable();
        regions.dedup();
        regions
    }
}

/// The fleet's nodes grouped by cluster, then node group, each sorted by name; instances that
/// are no node are left out. One pass over the rows and a sort of the nodes alone.
pub fn groups(rows: &[InstanceRow]) -> Vec<NodeGroup> {
    let mut by_group: std::collections::BTreeMap<(&str, &str), Vec<&InstanceRow>> =
        std::collections::BTreeMap::new();
    for row in rows {
        if let Some(cluster) = row.eks_cluster() {
            by_group
                .entry((cluster, row.eks_nodegroup().unwrap_or("")))
                .or_default()
                .push(row);
        }
    }
    by_group
        .into_iter()
        .map(|((cluster, group), mut nodes)| {
            nodes.sort_by(|a, b| a.node_name().cmp(&b.node_name()));
            NodeGroup {
                cluster: cluster.to_owned(),
                group: group.to_owned(),
                nodes: nodes.into_iter().cloned().collect(),
            }
        })
        .collect()
}

/// The one row a node TARGET names, from a fleet already loaded (no API call).
pub fn find<'a>(rows: &'a [InstanceRow], target: &NodeTarget) -> Option<&'a InstanceRow> {
    rows.iter().find(|row| target.is(row))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::instance::Ping;

    fn node(id: &str, dns: &str, tags: &[(&str, &str)]) -> InstanceRow {
        let mut row = InstanceRow::bare(id, Ping::Online, "default", "us-east-1");
        row.private_dns = Some(dns.to_owned());
        row.tags = tags
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        row
    }

    #[test]
    fn nodes_are_known_by_their_tags_and_found_by_name_or_cluster_and_name() {
        let rows = vec![
            node(
                "i-1",
                "ip-10-0-1-23.ec2.internal",
                &[
                    ("eks:cluster-name", "shop"),
                    ("eks:nodegroup-name", "general"),
                ],
            ),
            node(
                "i-2",
                "ip-10-9-0-4.eu-west-1.compute.internal",
                &[
                    ("kubernetes.io/cluster/batch", "owned"),
                    ("karpenter.sh/nodepool", "spot"),
                ],
            ),
            node("i-3", "ip-10-0-0-9.ec2.internal", &[("Name", "bastion")]),
        ];
        assert_eq!(rows[0].eks_cluster(), Some("shop"));
        assert_eq!(rows[1].eks_cluster(), Some("batch"));
        assert_eq!(rows[1].eks_nodegroup(), Some("spot"));
        assert_eq!(rows[2].node_name(), None, "not a node");
        let by_name = NodeTarget::parse("IP-10-0-1-23.ec2.internal").expect("a node name");
        assert_eq!(
            find(&rows, &by_name).map(|r| r.instance_id.as_str()),
            Some("i-1")
        );
        let qualified =
            NodeTarget::parse("k8s:batch/ip-10-9-0-4.eu-west-1.compute.internal").expect("k8s:");
        assert_eq!(
            find(&rows, &qualified).map(|r| r.instance_id.as_str()),
            Some("i-2")
        );
        let wrong_cluster = NodeTarget::parse("k8s:shop/ip-10-9-0-4.eu-west-1.compute.internal");
        assert_eq!(find(&rows, &wrong_cluster.expect("parses")), None);
        assert_eq!(
            region_in_name("ip-10-9-0-4.eu-west-1.compute.internal"),
            Some("eu-west-1")
        );
        assert_eq!(region_in_name("ip-10-0-1-23.ec2.internal"), None);
        assert_eq!(NodeTarget::parse("web-1"), None);
        assert_eq!(NodeTarget::parse("k8s:shop"), None);
        assert_eq!(
            find(
                &rows,
                &NodeTarget::parse("ip-10-0-0-9.ec2.internal").expect("name")
            ),
            None
        );
    }
}
