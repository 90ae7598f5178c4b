//! The doctor as a service: reads an instance's facts with a source's clients and judges
//! them, for `bosun doctor`, the console's `D` and the hint after a failed start.

use super::sources::SessionClients;
use crate::aws::diagnose;
use crate::model::doctor::{self, Report};

/// The doctor's report on `instance_id` in `region`.
pub async fn examine(clients: &SessionClients, instance_id: &str, region: &str) -> Report {
    let facts = diagnose::gather(
        diagnose::DoctorClients {
            ssm: &clients.ssm,
            ec2: &clients.ec2,
            iam: &clients.iam,
            sts: &clients.sts,
        },
        instance_id,
        region,
    )
    .await;
    doctor::diagnose(&facts)
}
