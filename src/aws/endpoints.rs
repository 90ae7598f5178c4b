//! Where each AWS service bosun calls is reached: the SDK's own per-service settings
//! (`AWS_ENDPOINT_URL_SSM`…, the config file's `services` section, `AWS_ENDPOINT_URL`,
//! `--endpoint-url`), or the Region's public endpoint; and the data channel's endpoint, which
//! no SDK client resolves: `AWS_ENDPOINT_URL_SSMMESSAGES` or `ssmmessages` in a `services`
//! section, for networks that reach AWS only through VPC endpoints.

use aws_config::SdkConfig;
use aws_types::service_config::ServiceConfigKey;

use crate::model::doctor::ServiceEndpoint;

/// The SDK's service id of the data channel (`AWS_ENDPOINT_URL_SSMMESSAGES`, `ssmmessages =`).
const DATA_CHANNEL: &str = "ssmmessages";

/// The endpoint the data channel is dialled at instead of the StreamUrl's own host, when one
/// is configured for `ssmmessages`. `--endpoint-url` names the API's endpoint, as the AWS
/// CLI's does, not the data channel's.
pub fn data_channel_endpoint(config: &SdkConfig) -> Option<String> {
    configured(config, DATA_CHANNEL).map(|(url, _)| url)
}

/// What `service_id` is configured to, and where that came from; `None` for the default.
fn configured(config: &SdkConfig, service_id: &str) -> Option<(String, String)> {
    if service_id != DATA_CHANNEL
        && config.get_origin("endpoint_url").is_client_config()
        && let Some(url) = config.endpoint_url()
    {
        return Some((url.to_owned(), "--endpoint-url".to_owned()));
    }
    let key = ServiceConfigKey::builder()
        .service_id(service_id)
        .env("AWS_ENDPOINT_URL")
        .profile("endpoint_url")
        .build()
        .ok()?;
    let url = config
        .service_config()?
        .load_config(key)
        .filter(|url| !url.trim().is_empty())?;
    let specific = format!(
        "AWS_ENDPOINT_URL_{}",
        service_id.to_ascii_uppercase().replace(' ', "_")
    );
    let set = |name: &str| std::env::var(name).is_ok_and(|v| !v.trim().is_empty());
    let origin = if set(&specific) {
        specific
    } else if set("AWS_ENDPOINT_URL") {
        "AWS_ENDPOINT_URL".to_owned()
    } else {
        "the AWS config file".to_owned()
    };
    Some((url, origin))
}

/// The Region's public endpoint of an SDK crate's service, as its own resolver says (FIPS and
/// dual-stack as configured).
macro_rules! public_endpoint {
    ($krate:ident, $config:expr) => {{
        use $krate::config::endpoint::{DefaultResolver, Params, ResolveEndpoint};
        let mut params = Params::builder()
            .use_fips($config.use_fips().unwrap_or(false))
            .use_dual_stack($config.use_dual_stack().unwrap_or(false));
        if let Some(region) = $config.region() {
            params = params.region(region.to_string());
        }
        match params.build() {
            Ok(params) => DefaultResolver::new()
                .resolve_endpoint(&params)
                .await
                .ok()
                .map(|endpoint| endpoint.url().to_owned()),
            Err(_) => None,
        }
    }};
}

/// Where every service bosun uses is reached with `config`, for the doctor.
pub async fn resolved(config: &SdkConfig) -> Vec<ServiceEndpoint> {
    let ssm_public = public_endpoint!(aws_sdk_ssm, config);
    let publics = [
        ("ssm", "SSM", ssm_public.clone()),
        ("ec2", "EC2", public_endpoint!(aws_sdk_ec2, config)),
        ("kms", "KMS", public_endpoint!(aws_sdk_kms, config)),
        ("sts", "STS", public_endpoint!(aws_sdk_sts, config)),
        ("iam", "IAM", public_endpoint!(aws_sdk_iam, config)),
        ("ecs", "ECS", public_endpoint!(aws_sdk_ecs, config)),
        (
            DATA_CHANNEL,
            DATA_CHANNEL,
            // The service names it in each StreamUrl: ssmmessages beside ssm.
            ssm_public.map(|url| url.replacen("://ssm.", "://ssmmessages.", 1)),
        ),
    ];
    publics
        .into_iter()
        .map(
            |(service, service_id, public)| match configured(config, service_id) {
                Some((url, origin)) => ServiceEndpoint {
                    service: service.to_owned(),
                    url,
                    origin,
                },
                None => ServiceEndpoint {
                    service: service.to_owned(),
                    url: public.unwrap_or_else(|| "unknown (no Region)".to_owned()),
                    origin: if service == DATA_CHANNEL {
                        "the StreamUrl's own host".to_owned()
                    } else {
                        "the Region's public endpoint".to_owned()
                    },
                },
            },
        )
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn unconfigured_services_are_the_regions_public_endpoints() {
        let config = SdkConfig::builder()
            .region(aws_config::Region::new("eu-west-1"))
            .behavior_version(aws_config::BehaviorVersion::latest())
            .build();
        let endpoints = resolved(&config).await;
        let url = |service: &str| {
            endpoints
                .iter()
                .find(|e| e.service == service)
                .map(|e| e.url.clone())
                .unwrap_or_default()
        };
        assert_eq!(url("ssm"), "https://ssm.eu-west-1.amazonaws.com");
        assert_eq!(
            url("ssmmessages"),
            "https://ssmmessages.eu-west-1.amazonaws.com"
        );
        assert!(url("iam").starts_with("https://iam."), "{}", url("iam"));
        assert_eq!(data_channel_endpoint(&config), None);
    }
}
