//! The simulated ECS estate: clusters and services from the fleet file (`[[ecs_cluster]]`,
//! `[[ecs_service]]`), and the running tasks they imply — deterministic task ids and container
//! runtime ids, Fargate or EC2, with or without ECS Exec, its agent running or not — plus the
//! stand-in "instance" a container is to the session agent (`ecs:CLUSTER_TASK_RUNTIME`).

use std::collections::BTreeMap;
use std::hash::{Hash, Hasher};

use super::fleet::{Fleet, Instance, PingStatus, Platform};
pub use super::specs::{EcsClusterSpec, EcsServiceSpec};
use super::specs::{
    default_account, default_containers, default_cpu, default_launch_type, default_memory,
    default_platform_version,
};

/// One running task of a service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Task {
    pub cluster: String,
    pub region: String,
    pub account: String,
    pub service: EcsServiceSpec,
    /// 32 hex characters, as ECS makes them.
    pub id: String,
    pub containers: Vec<TaskContainer>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskContainer {
    pub name: String,
    /// What the SSM target names: Fargate `TASKID-NUMBER`, EC2 the container's 64-hex id.
    pub runtime_id: String,
    pub id: String,
}

fn hash_of(parts: &[&str]) -> u64 {
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    parts.hash(&mut hasher);
    hasher.finish()
}

fn hex_of(parts: &[&str], len: usize) -> String {
    let mut out = String::new();
    let mut round = 0u64;
    while out.len() < len {
        let round_text = round.to_string();
        let mut with_round = parts.to_vec();
        with_round.push(&round_text);
        out.push_str(&format!("{:016x}", hash_of(&with_round)));
        round += 1;
    }
    out.truncate(len);
    out
}

impl Task {
    pub fn arn(&self) -> String {
        format!(
            "arn:aws:ecs:{}:{}:task/{}/{}",
            self.region, self.account, self.cluster, self.id
        )
    }

    pub fn is_fargate(&self) -> bool {
        self.service.launch_type.eq_ignore_ascii_case("FARGATE")
    }

    /// ECS Exec works on this task: enabled at launch, on a platform that has it.
    pub fn exec_enabled(&self) -> bool {
        self.service.exec
            && (!self.is_fargate()
                || crate::model::container::fargate_has_exec(&self.service.platform_version))
    }

    pub fn container(&self, name: Option<&str>) -> Option<&TaskContainer> {
        match name {
            Some(name) => self.containers.iter().find(|c| c.name == name),
            None => self.containers.first(),
        }
    }

    /// The SSM target of one of its containers.
    pub fn target_of(&self, container: &TaskContainer) -> String {
        format!("ecs:{}_{}_{}", self.cluster, self.id, container.runtime_id)
    }
}

impl Fleet {
    /// Adds `services` ECS services of three Fargate tasks each, in clusters of 100 across
    /// both regions (for scale tests); every tenth without exec.
    pub fn add_generated_ecs(&mut self, services: usize) {
        const REGIONS: [&str; 2] = ["us-east-1", "eu-west-1"];
        let clusters = services.div_ceil(100);
        for n in 0..clusters {
            self.ecs_clusters.push(EcsClusterSpec {
                name: format!("cluster-{n:03}"),
                region: REGIONS[n % 2].to_owned(),
                account: default_account(),
            });
        }
        for n in 0..services {
            self.ecs_services.push(EcsServiceSpec {
                cluster: format!("cluster-{:03}", n / 100),
                name: format!("service-{n:05}"),
                launch_type: default_launch_type(),
                tasks: 3,
                exec: n % 10 != 0,
                agent_stopped: false,
                role_allows_exec: true,
                platform_version: default_platform_version(),
                image: format!("123456789012.dkr.ecr.us-east-1.amazonaws.com/service-{n:05}:1"),
                containers: default_containers(),
                cpu: default_cpu(),
                memory: default_memory(),
                container_instance: None,
            });
        }
    }
}

/// Every running task of the fleet's services, in cluster and service order.
pub fn tasks(fleet: &Fleet) -> Vec<Task> {
    let clusters: BTreeMap<&str, &EcsClusterSpec> = fleet
        .ecs_clusters
        .iter()
        .map(|c| (c.name.as_str(), c))
        .collect();
    let mut tasks = Vec::new();
    for service in &fleet.ecs_services {
        let Some(cluster) = clusters.get(service.cluster.as_str()) else {
            continue;
        };
        for n in 0..service.tasks {
            let index = n.to_string();
            let id = hex_of(&[&cluster.name, &service.name, &index], 32);
            let containers = service
                .containers
                .iter()
                .map(|name| {
                    let runtime_id = if service.launch_type.eq_ignore_ascii_case("FARGATE") {
                        format!("{id}-{}", hash_of(&[&id, name]) % 4_000_000_000)
                    } else {
                        hex_of(&[&id, name], 64)
                    };
                    TaskContainer {
                        name: name.clone(),
                        runtime_id,
                        id: hex_of(&[&id, name, "container"], 32),
                    }
                })
                .collect();
            tasks.push(Task {
                cluster: cluster.name.clone(),
                region: cluster.region.clone(),
                account: cluster.account.clone(),
                service: service.clone(),
                id,
                containers,
            });
        }
    }
    tasks
}

/// The task and container an `ecs:CLUSTER_TASKID_RUNTIMEID` target names.
pub fn find_target(tasks: &[Task], target: &str) -> Option<(Task, TaskContainer)> {
    // Cluster names may hold `_`; task and runtime ids do not: split from the right.
    let rest = target.strip_prefix("ecs:")?;
    let (rest, runtime_id) = rest.rsplit_once('_')?;
    let (cluster, task_id) = rest.rsplit_once('_')?;
    let task = tasks
        .iter()
        .find(|t| t.cluster == cluster && t.id == task_id)?
        .clone();
    let container = task
        .containers
        .iter()
        .find(|c| c.runtime_id == runtime_id)?
        .clone();
    Some((task, container))
}

/// What the session agent needs of a container: an "instance" named by its SSM target,
/// online exactly when its ExecuteCommandAgent runs and can reach ssmmessages.
pub fn as_instance(task: &Task, container: &TaskContainer) -> Instance {
    let reachable =
        task.exec_enabled() && !task.service.agent_stopped && task.service.role_allows_exec;
    Instance {
        id: task.target_of(container),
        region: task.region.clone(),
        account: task.account.clone(),
        platform: Platform::Linux,
        os: "Amazon Linux".to_owned(),
        os_version: "2023".to_owned(),
        state: "running".to_owned(),
        ping: Some(if reachable {
            PingStatus::Online
        } else {
            PingStatus::ConnectionLost
        }),
        agent_version: "3.3.987.0".to_owned(),
        last_ping_age: 0,
        instance_type: String::new(),
        az: String::new(),
        vpc: String::new(),
        subnet: String::new(),
        private_ip: String::new(),
        public_ip: None,
        iam_profile: None,
        kms_key_id: None,
        deny_sessions: false,
        security_groups: Vec::new(),
        tags: BTreeMap::from([("Name".to_owned(), container.name.clone())]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tasks_are_deterministic_and_their_targets_resolve() {
        let fleet = Fleet::parse(
            r#"
            [[ecs_cluster]]
            name = "shop"
            [[ecs_cluster]]
            name = "shop_eu"
            [[ecs_service]]
            cluster = "shop"
            name = "web"
            tasks = 2
            containers = ["app", "envoy"]
            [[ecs_service]]
            cluster = "shop"
            name = "legacy"
            launch_type = "EC2"
            container_instance = "i-0123456789abcdef0"
            platform_version = "1.3.0"
            [[ecs_service]]
            cluster = "shop_eu"
            name = "web"
            launch_type = "fargate"
            "#,
            "test",
        )
        .expect("parses");
        let all = tasks(&fleet);
        assert_eq!(all.len(), 4);
        assert_eq!(all, tasks(&fleet), "the same every time");
        assert_eq!(all[0].id.len(), 32);
        assert_ne!(all[0].id, all[1].id);
        let fargate = &all[0].containers[1];
        assert!(fargate.runtime_id.starts_with(&format!("{}-", all[0].id)));
        assert_eq!(all[2].containers[0].runtime_id.len(), 64);
        assert!(all[2].exec_enabled(), "EC2 tasks have no platform version");
        let target = all[0].target_of(fargate);
        let (task, container) = find_target(&all, &target).expect("resolves");
        assert_eq!(
            (task.id, container.name),
            (all[0].id.clone(), "envoy".to_owned())
        );
        assert!(find_target(&all, "ecs:shop_nope_nope").is_none());
        // A cluster name with `_` resolves too; a lower-case launch type is ECS's spelling.
        let eu = all
            .iter()
            .find(|t| t.cluster == "shop_eu")
            .expect("shop_eu's task");
        assert_eq!(eu.service.launch_type, "FARGATE");
        let target = eu.target_of(&eu.containers[0]);
        assert_eq!(
            find_target(&all, &target).map(|(t, _)| t.id),
            Some(eu.id.clone())
        );
    }
}
