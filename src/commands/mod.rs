//! The command-line subcommands other than the console and the simulator: each takes parsed
//! arguments, talks to AWS through the SDK and the session transport, and returns an exit code.

pub mod ls;
pub mod run;
pub mod shell;
pub mod tunnel;

use crate::aws;
use crate::cli::GlobalArgs;

/// SDK configuration from the global flags: the first `--profile` and `--region` (several are
/// for the console), and `--endpoint-url`, on top of what the AWS CLI would resolve.
pub async fn sdk_config(global: &GlobalArgs) -> aws_config::SdkConfig {
    aws::load_config(
        global.profile.first().map(String::as_str),
        global.region.first().map(String::as_str),
        global.endpoint_url.as_deref(),
    )
    .await
}
