//! The other ways onto an instance when a session will not start: Run Command while the
//! agent's command channel still works, the EC2 serial console, an EC2 Instance Connect
//! Endpoint. Each is said only where it can help: the instance runs, for Run Command its agent
//! is Online and the caller is not refused SendCommand, and an Instance Connect Endpoint is in
//! its VPC. None is said when the caller is explicitly denied StartSession: that deny is
//! someone's decision, and a way around it is not a fix.

use super::{Fact, Facts};

/// One line per fallback that applies, in the order a person would try them.
pub(super) fn fallbacks(facts: &Facts, online: bool) -> Vec<String> {
    let id = &facts.instance_id;
    let region = &facts.region;
    let windows = platform_is_windows(facts);
    let mut lines = Vec::new();
    let start_denied = matches!(&facts.caller, Fact::Found(caller)
        if caller.decisions.iter().any(|(action, decision)|
            action.ends_with("StartSession") && decision == "explicitDeny"));
    if start_denied {
        return lines;
    }

    let send_command_refused = matches!(&facts.caller, Fact::Found(caller)
        if caller.decisions.iter().any(|(action, decision)|
            action.ends_with("SendCommand") && decision != "allowed"));
    if online && !send_command_refused {
        // Restarting the agent from inside a command ends that command's own process, so
        // the restart is detached and delayed: the invocation reports success first.
        let restart = if windows {
            crate::model::agent::RESTART_WINDOWS
        } else {
            crate::model::agent::RESTART_LINUX
        };
        lines.push(format!(
            "Run Command still reaches it, without a session: `bosun run --instance {id} --region {region} -- '{restart}'` restarts the agent; any other command runs the same way"
        ));
    }

    let running = matches!(&facts.ec2, Fact::Found(ec2) if ec2.state == "running");
    if running {
        lines.push(format!(
            "EC2 serial console (Nitro instances; the account must allow serial console access): `aws ec2-instance-connect send-serial-console-ssh-public-key --instance-id {id} --serial-port 0 --ssh-public-key file://KEY.pub --region {region}`, then `ssh {id}.port0@serial-console.ec2-instance-connect.{region}.aws`"
        ));
        let endpoint = match &facts.instance_connect_endpoints {
            Fact::Found(ids) => ids.first(),
            _ => None,
        };
        if let Some(endpoint) = endpoint {
            lines.push(if windows {
                format!(
                    "EC2 Instance Connect Endpoint ({endpoint} in its VPC; RDP must be open to it): `aws ec2-instance-connect open-tunnel --instance-id {id} --remote-port 3389 --local-port 13389 --region {region}`, then RDP to localhost:13389"
                )
            } else {
                format!(
                    "EC2 Instance Connect Endpoint ({endpoint} in its VPC; SSH must be open to it): `aws ec2-instance-connect ssh --instance-id {id} --connection-type eice --region {region}`"
                )
            });
        }
    }
    lines
}

fn platform_is_windows(facts: &Facts) -> bool {
    let ec2 = matches!(&facts.ec2, Fact::Found(ec2) if ec2.platform.contains("Windows"));
    let ssm = matches!(&facts.ssm, Fact::Found(ssm) if ssm.platform.contains("Windows"));
    ec2 || ssm
}
