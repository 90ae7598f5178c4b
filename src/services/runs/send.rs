//! SendCommand for a request: per region, per platform's document, in batches of 50 ids, with
//! the document's parameters and the S3 and CloudWatch output settings; and CancelCommand for
//! everything sent.

use super::{BATCH, RunError, SourceFactory};
use crate::model::document::Document;
use crate::model::run::{RunRequest, RunTarget};

/// One sent command: the client of its region, and its id.
pub(super) struct Sent {
    pub ssm: aws_sdk_ssm::Client,
    pub command_id: String,
}

pub(super) async fn send(
    request: &RunRequest,
    connect: &SourceFactory,
) -> Result<Vec<Sent>, (RunError, Vec<Sent>)> {
    let mut sent: Vec<Sent> = Vec::new();
    for group in &request.groups {
        let sources = connect(vec![group.profile.clone()], vec![group.region.clone()]).await;
        let Some(source) = sources.sources.first() else {
            return Err((
                RunError::NoCredentials {
                    profile: group.profile.clone(),
                    region: group.region.clone(),
                },
                sent,
            ));
        };
        let ssm = aws_sdk_ssm::Client::new(&source.config);
        let (windows, linux): (Vec<&RunTarget>, Vec<&RunTarget>) =
            group.targets.iter().partition(|t| t.windows);
        for (targets, default_document) in [
            (linux, Document::script_for(false)),
            (windows, Document::script_for(true)),
        ] {
            let document = request
                .document
                .clone()
                .unwrap_or_else(|| default_document.name().to_owned());
            for batch in targets.chunks(BATCH) {
                let mut send = ssm.send_command();
                if let Some((bucket, prefix)) = &request.output_s3 {
                    send = send
                        .output_s3_bucket_name(bucket)
                        .output_s3_key_prefix(prefix);
                }
                if let Some(group) = &request.cloudwatch {
                    send = send.cloud_watch_output_config(
                        aws_sdk_ssm::types::CloudWatchOutputConfig::builder()
                            .cloud_watch_output_enabled(true)
                            .set_cloud_watch_log_group_name(group.clone())
                            .build(),
                    );
                }
                if request.takes_script() {
                    send = send
                        .parameters("commands", vec![request.script.clone()])
                        .parameters(
                            "executionTimeout",
                            vec![request.timeout_seconds.to_string()],
                        );
                } else {
                    // Another document takes its own parameters (perhaps none), not a script.
                    for (name, values) in &request.parameters {
                        send = send.parameters(name, values.clone());
                    }
                }
                let result = send
                    .document_name(&document)
                    .set_instance_ids(Some(batch.iter().map(|t| t.id.clone()).collect()))
                    .max_concurrency(&request.max_concurrency)
                    .max_errors(&request.max_errors)
                    .comment(&request.comment)
                    .send()
                    .await;
                match result {
                    Ok(output) => {
                        if let Some(id) = output.command().and_then(|c| c.command_id()) {
                            sent.push(Sent {
                                ssm: ssm.clone(),
                                command_id: id.to_owned(),
                            });
                        }
                    }
                    Err(error) => {
                        return Err((RunError::api("SendCommand", error), sent));
                    }
                }
            }
        }
    }
    Ok(sent)
}

pub(super) async fn cancel_all(sent: &[Sent]) {
    for command in sent {
        let _ = command
            .ssm
            .cancel_command()
            .command_id(&command.command_id)
            .send()
            .await;
    }
}
