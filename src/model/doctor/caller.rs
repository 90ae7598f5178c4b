//! The doctor's look at the caller: who asks, and what IAM's policy simulator says they may do
//! to the instance (start a session, send a command, use the session key).

use super::{Check, Fact, Facts, Verdict, check};

/// IAM's decisions on the caller's ssm:StartSession and ssm:SendCommand here. SendCommand's is
/// evidence only (the Run Command fallback), never the cause of a failed session.
pub(super) fn caller_check(
    facts: &Facts,
    checks: &mut Vec<Check>,
    causes: &mut Vec<(String, String)>,
) {
    let caller = match &facts.caller {
        Fact::Found(caller) => caller,
        Fact::Unknown(why) => {
            checks.push(check(
                "caller",
                "permissions",
                Verdict::Unknown,
                why.clone(),
            ));
            return;
        }
        Fact::Absent => return,
    };
    for (action, decision) in &caller.decisions {
        let allowed = decision == "allowed";
        let name = if action.ends_with("StartSession") {
            "start session"
        } else if action.starts_with("kms:") {
            "use session key"
        } else {
            "send command"
        };
        checks.push(check(
            "caller",
            name,
            if allowed {
                Verdict::Pass
            } else {
                Verdict::Fail
            },
            // The ARNs in full are in the cause; here the principal's name is enough.
            format!(
                "{action}: {decision} for {}",
                caller.arn.rsplit(':').next().unwrap_or(&caller.arn)
            ),
        ));
        if !allowed
            && action.starts_with("kms:")
            && let Fact::Found(key) = &facts.session_kms_key
        {
            causes.push((
                format!(
                    "sessions here are encrypted with KMS key {key}, and you may not use it: {action} is {} for {}",
                    if decision == "explicitDeny" { "denied" } else { "not allowed" },
                    caller.arn
                ),
                format!(
                    "ask for {action} on {key} (in the key policy or your IAM policy), or use a profile that has it (--profile NAME)"
                ),
            ));
        }
        if !allowed && action.ends_with("StartSession") {
            causes.push((
                format!(
                    "you may not start sessions here: {action} is {} for {} on {}",
                    if decision == "explicitDeny" { "denied" } else { "not allowed" },
                    caller.arn,
                    caller.resource
                ),
                if decision == "explicitDeny" {
                    // Someone decided this; a way around it is not a fix.
                    format!(
                        "a policy denies it explicitly: ask its owner (your IAM policy, a permissions boundary or an organisation's SCP) for {action} on {}",
                        caller.resource
                    )
                } else {
                    format!(
                        "ask for {action} on {} (and on the session document) in your IAM policy, or use a profile that has it (--profile NAME)",
                        caller.resource
                    )
                },
            ));
        }
    }
}
