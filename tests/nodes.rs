//! Kubernetes nodes as a user meets them against the simulator's two EKS clusters: a node's
//! name (its private DNS name, as DescribeInstances gives it) and `k8s:CLUSTER/NODE` are
//! TARGETs; the wrong cluster, a node of another region and a name nobody has are sentences;
//! `bosun ls` filters by cluster and node group and prints the nodes' fields.
#![cfg(unix)]

mod common;

use common::{bosun, run_with_input, start_sim};

async fn shell_on(target: &str, region: &str) -> (i32, String, String) {
    let sim = start_sim().await;
    let mut command = bosun(&sim);
    command.args(["shell", target]).env("AWS_REGION", region);
    run_with_input(command, "echo node-$((6*7)); exit\n").await
}

#[tokio::test]
async fn a_node_name_and_a_k8s_target_open_a_shell_on_the_node() {
    for (target, region) in [
        ("ip-10-0-1-23.ec2.internal", "us-east-1"),
        ("k8s:shop-prod/ip-10-0-4-9.ec2.internal", "us-east-1"),
        ("ip-10-8-0-15.eu-west-1.compute.internal", "eu-west-1"),
    ] {
        let (code, out, err) = shell_on(target, region).await;
        assert_eq!(code, 0, "{target}: {err}");
        assert!(out.contains("node-42"), "{target}: {out}");
    }
}

#[tokio::test]
async fn the_wrong_cluster_another_region_and_an_unknown_node_are_sentences() {
    let (code, _, err) = shell_on("k8s:data-eu/ip-10-0-4-9.ec2.internal", "us-east-1").await;
    assert_eq!(code, 2);
    assert!(
        err.contains("not a node of the cluster \"data-eu\" (it is in shop-prod)"),
        "{err}"
    );
    let (code, _, err) = shell_on("ip-10-8-0-15.eu-west-1.compute.internal", "us-east-1").await;
    assert_eq!(code, 2);
    assert!(err.contains("add --region eu-west-1"), "{err}");
    let (code, _, err) = shell_on("ip-10-99-0-1.ec2.internal", "us-east-1").await;
    assert_eq!(code, 2);
    assert!(err.contains("cluster:NAME"), "{err}");
}

#[tokio::test]
async fn ls_filters_by_cluster_and_node_group_and_prints_the_node_fields() {
    let sim = start_sim().await;
    let mut command = bosun(&sim);
    command.args(["ls", "--json", "--filter", "cluster:shop-prod"]);
    let (code, out, err) = run_with_input(command, "").await;
    assert_eq!(code, 0, "{err}");
    let rows: Vec<serde_json::Value> = out
        .lines()
        .map(|line| serde_json::from_str(line).expect("JSON"))
        .collect();
    assert_eq!(rows.len(), 5, "{out}");
    let node = rows
        .iter()
        .find(|row| row["instance_id"] == "i-03f1a2b3c4d5ac004")
        .expect("the spot node");
    assert_eq!(node["eks_cluster"], "shop-prod");
    assert_eq!(node["eks_nodegroup"], "spot");
    assert_eq!(node["node_name"], "ip-10-0-4-9.ec2.internal");
    let mut command = bosun(&sim);
    command.args(["ls", "--filter", "nodegroup:general"]);
    let (code, out, _) = run_with_input(command, "").await;
    assert_eq!(code, 0);
    assert!(
        out.lines().next().unwrap_or("").contains("CLUSTER"),
        "{out}"
    );
    assert_eq!(out.lines().count(), 4, "a header and three nodes: {out}");
    // A fleet listing without nodes keeps its columns.
    let mut command = bosun(&sim);
    command.args(["ls", "--filter", "payments-api"]);
    let (_, out, _) = run_with_input(command, "").await;
    assert!(!out.contains("CLUSTER"), "{out}");
}

async fn bosun_says(sim: &bosun::sim::SimHandle, args: &[&str]) -> (i32, String, String) {
    let mut command = bosun(sim);
    command.args(args);
    run_with_input(command, "").await
}

#[tokio::test]
async fn agent_status_says_how_far_behind_and_what_old_ones_lack() {
    let sim = start_sim().await;
    let (code, out, err) =
        bosun_says(&sim, &["agent", "status", "--filter", "cluster:shop-prod"]).await;
    assert_eq!(code, 0, "{err}");
    assert!(
        out.starts_with("5 managed instances in us-east-1: 3 agent versions in use, 2 behind"),
        "{out}"
    );
    let old = out
        .lines()
        .find(|line| line.starts_with("2.3.539.0"))
        .unwrap_or_else(|| panic!("the old agent: {out}"));
    assert!(old.contains("no port forwarding (tunnels)"), "{old}");
    assert!(out.contains("bosun agent update"), "{out}");
}

/// The canary is the Bottlerocket node, whose agent AWS-UpdateSSMAgent cannot update: it
/// fails, the rest are not run, and every version is as it was.
#[tokio::test]
async fn an_agent_update_whose_canary_fails_stops_the_rest() {
    let sim = start_sim().await;
    let (code, out, err) = bosun_says(
        &sim,
        &[
            "agent",
            "update",
            "--yes",
            "ip-10-0-4-9.ec2.internal",
            "ip-10-0-4-88.ec2.internal",
            "ip-10-0-3-77.ec2.internal",
        ],
    )
    .await;
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("canary first: 1 (shop-prod-spot i-03f1a2b3c4d5ac004)"),
        "{err}"
    );
    assert!(
        out.contains("Bottlerocket is not a supported platform"),
        "{out}"
    );
    assert!(err.contains("the remaining 2 were not run"), "{err}");
    assert!(
        err.contains("ip-10-0-4-88.ec2.internal (i-03f1a2b3c4d5ac005): 2.3.539.0 (unchanged)"),
        "{err}"
    );
    // Without the Bottlerocket node the canary passes and both are brought up to date.
    let (code, _, err) = bosun_says(
        &sim,
        &[
            "agent",
            "update",
            "--yes",
            "ip-10-0-4-88.ec2.internal",
            "k8s:shop-prod/ip-10-0-3-77.ec2.internal",
        ],
    )
    .await;
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("(i-03f1a2b3c4d5ac005): 2.3.539.0 → 3.3.987.0"),
        "{err}"
    );
    assert!(
        err.contains("(i-03f1a2b3c4d5ac003): 3.2.582.0 → 3.3.987.0"),
        "{err}"
    );
    // Restarting goes through Run Command's delayed restart and says the agent after.
    let (code, _, err) = bosun_says(
        &sim,
        &["agent", "restart", "--yes", "ip-10-0-1-23.ec2.internal"],
    )
    .await;
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("systemctl restart amazon-ssm-agent"), "{err}");
    assert!(
        err.contains("(i-03f1a2b3c4d5ac001): 3.3.987.0, Online"),
        "{err}"
    );
}

/// A node whose agent predates port forwarding: the tunnel says so once, with the way out,
/// instead of starting session after session.
#[tokio::test]
async fn a_tunnel_to_an_agent_without_port_forwarding_stops_with_the_way_out() {
    let sim = start_sim().await;
    let mut command = bosun(&sim);
    command.args([
        "tunnel",
        "ip-10-0-4-88.ec2.internal",
        "--remote-port",
        "22",
        "--local-port",
        "0",
    ]);
    let (_, _, err) = run_with_input(command, "").await;
    assert!(
        err.contains("has no port forwarding (2.3.672.0 or later does): `bosun agent update i-03f1a2b3c4d5ac005`"),
        "{err}"
    );
    assert!(!err.contains("starting a new one"), "{err}");
}
