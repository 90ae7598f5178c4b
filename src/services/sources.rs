//! Where the console and the services get their AWS clients: a source is one profile and
//! region's SDK configuration; a factory builds them for the profiles and regions asked for
//! (the real credential chain, or the simulator in demo mode and tests).

use std::collections::HashMap;
use std::sync::Arc;

use crate::aws::upgrade::SdkUpgradeSigner;
use crate::transport::UpgradeSigner;

/// One source of inventory: a label (the profile) and its SDK configuration.
pub struct Source {
    pub profile: String,
    pub config: aws_config::SdkConfig,
}

impl Source {
    /// The source's region, or `missing` when the configuration names none.
    pub fn region_or(&self, missing: &str) -> String {
        self.config
            .region()
            .map_or_else(|| missing.to_owned(), ToString::to_string)
    }

    /// The clients a session on this source needs.
    pub fn session_clients(&self) -> SessionClients {
        SessionClients::new(&self.config).for_profile(&self.profile)
    }
}

/// The sources for some profiles and regions, and what the title calls them.
pub struct Sources {
    pub sources: Vec<Source>,
    pub label: String,
}

/// Builds the sources for (profiles, regions); empty lists mean the defaults. The console
/// calls it at start and for `:profile` and `:region`.
pub type SourceFactory = Arc<
    dyn Fn(Vec<String>, Vec<String>) -> futures_util::future::BoxFuture<'static, Sources>
        + Send
        + Sync,
>;

/// Sources for the simulator at `endpoint` with the demo's fixed key pair: one profile
/// ("demo"), any region; the demo fleet's two regions when none is asked for.
pub fn simulator_sources(endpoint: String) -> SourceFactory {
    simulator_sources_with(endpoint, ("demo".to_owned(), "demo".to_owned()))
}

/// The same with a key pair of the simulator's (one that lets in only its own clients).
pub fn simulator_sources_with(endpoint: String, keys: (String, String)) -> SourceFactory {
    Arc::new(move |_profiles: Vec<String>, regions: Vec<String>| {
        let endpoint = endpoint.clone();
        let keys = keys.clone();
        Box::pin(async move {
            let regions = if regions.is_empty() {
                vec!["us-east-1".to_owned(), "eu-west-1".to_owned()]
            } else {
                regions
            };
            let mut sources = Vec::new();
            for region in &regions {
                sources.push(Source {
                    profile: "demo".to_owned(),
                    config: crate::aws::sim_config(&endpoint, region, &keys.0, &keys.1).await,
                });
            }
            Sources {
                sources,
                label: format!("demo fleet {} (simulated at {endpoint})", regions.join(",")),
            }
        })
    })
}

/// The AWS clients a session needs for one profile and region, and the signer of its data
/// channel's upgrades.
#[derive(Clone)]
pub struct SessionClients {
    pub ssm: aws_sdk_ssm::Client,
    /// For resolving Name tags and for the doctor.
    pub ec2: aws_sdk_ec2::Client,
    /// For the doctor's look at instance profiles' roles and the caller's permissions.
    pub iam: aws_sdk_iam::Client,
    /// For the doctor: who the caller is.
    pub sts: aws_sdk_sts::Client,
    pub kms: aws_sdk_kms::Client,
    /// For containers: ECS Exec (ExecuteCommand) sessions.
    pub ecs: aws_sdk_ecs::Client,
    pub signer: Option<Arc<dyn UpgradeSigner>>,
    /// The data channel's configured endpoint (`AWS_ENDPOINT_URL_SSMMESSAGES`…), if any.
    pub data_channel: Option<String>,
    /// The profile the credentials come from, named in what to run when they expire.
    pub profile: Option<String>,
}

impl SessionClients {
    pub fn new(config: &aws_config::SdkConfig) -> SessionClients {
        SessionClients::with_ssm(aws_sdk_ssm::Client::new(config), config)
    }

    /// With an SSM client of the caller's (the plugin's goes to the endpoint the AWS CLI
    /// named); KMS and the signer from `config`.
    pub fn with_ssm(ssm: aws_sdk_ssm::Client, config: &aws_config::SdkConfig) -> SessionClients {
        SessionClients {
            ssm,
            ec2: aws_sdk_ec2::Client::new(config),
            iam: aws_sdk_iam::Client::new(config),
            sts: aws_sdk_sts::Client::new(config),
            kms: aws_sdk_kms::Client::new(config),
            ecs: aws_sdk_ecs::Client::new(config),
            signer: SdkUpgradeSigner::for_config(config)
                .map(|signer| Arc::new(signer) as Arc<dyn UpgradeSigner>),
            data_channel: crate::aws::endpoints::data_channel_endpoint(config),
            profile: None,
        }
    }

    /// Names the profile the credentials come from.
    pub fn for_profile(mut self, profile: &str) -> SessionClients {
        self.profile = Some(profile.to_owned()).filter(|p| !p.is_empty());
        self
    }
}

/// Clients by (profile, region), as inventory rows name them.
pub type ClientsBySource = HashMap<(String, String), LazySessionClients>;

/// A source's session clients, made when first wanted: an organisation has hundreds of
/// sources, and six SDK clients for each, made up front, held far more memory than its fleet.
#[derive(Clone)]
pub struct LazySessionClients {
    config: aws_config::SdkConfig,
    profile: String,
    made: Arc<std::sync::OnceLock<SessionClients>>,
}

impl LazySessionClients {
    pub fn new(source: &Source) -> LazySessionClients {
        LazySessionClients {
            config: source.config.clone(),
            profile: source.profile.clone(),
            made: Arc::new(std::sync::OnceLock::new()),
        }
    }

    /// The clients, made now if they were not yet.
    pub fn get(&self) -> &SessionClients {
        self.made
            .get_or_init(|| SessionClients::new(&self.config).for_profile(&self.profile))
    }
}

/// SSM and KMS clients for pane sessions, by (profile, region).
pub fn session_clients(sources: &[Source]) -> ClientsBySource {
    sources
        .iter()
        .map(|source| {
            let region = source.region_or("");
            (
                (source.profile.clone(), region),
                LazySessionClients::new(source),
            )
        })
        .collect()
}
