//! SDK errors as sentences a person can act on: what went wrong and the next step (renew the
//! credentials, fix the clock, trust the proxy's CA), never the SDK's debug dump, which goes
//! to the log instead.

use aws_sdk_ssm::error::ProvideErrorMetadata;

/// One or two sentences for `error`, naming `profile`'s login command where one helps.
pub fn describe_for<E>(error: &E, profile: Option<&str>) -> String
where
    E: ProvideErrorMetadata + std::error::Error,
{
    let chain = causes(error);
    tracing::debug!(error = %chain, "AWS call failed");
    classify(error.code(), error.message(), &chain, profile)
}

/// The profile a one-profile command runs with (`bosun shell --profile P`, …), named by
/// `describe` in the commands that renew credentials; the console, which reads several
/// profiles, names each error's own with `describe_for`.
static COMMAND_PROFILE: std::sync::OnceLock<String> = std::sync::OnceLock::new();

/// Sets the profile `describe` names (once per process; later calls change nothing).
pub fn set_command_profile(profile: &str) {
    let _ = COMMAND_PROFILE.set(profile.to_owned());
}

/// `describe_for` with the command's profile, when one was set.
pub fn describe<E>(error: &E) -> String
where
    E: ProvideErrorMetadata + std::error::Error,
{
    describe_for(error, COMMAND_PROFILE.get().map(String::as_str))
}

/// The error and its causes, one after another: where a dispatch failure says what it was.
fn causes(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let line = cause.to_string();
        if !text.contains(&line) {
            text.push_str(": ");
            text.push_str(&line);
        }
        source = cause.source();
    }
    text
}

fn login_command(profile: Option<&str>) -> String {
    match profile.filter(|p| !p.is_empty() && *p != "default") {
        Some(profile) => format!("aws sso login --profile {profile}"),
        None => "aws sso login".to_owned(),
    }
}

fn classify(
    code: Option<&str>,
    message: Option<&str>,
    chain: &str,
    profile: Option<&str>,
) -> String {
    let message = message.unwrap_or_default().trim();
    let said = |text: &str| {
        if message.is_empty() {
            text.to_owned()
        } else {
            format!("{text} ({message})")
        }
    };
    // AWS's answer to a signature scoped to a region it does not have.
    if message.contains("scoped to a valid region") {
        let region = message
            .split('\'')
            .nth(1)
            .filter(|r| !r.is_empty())
            .unwrap_or("this region");
        return format!(
            "{region} is not a region AWS knows: check --region or AWS_REGION (`aws ec2 describe-regions` lists them)"
        );
    }
    if let Some(code) = code {
        return match code {
            "ExpiredToken" | "ExpiredTokenException" => format!(
                "the AWS credentials have expired: renew them (`{}`, or `aws configure`); \
                 bosun picks up the new ones without restarting",
                login_command(profile)
            ),
            "UnrecognizedClientException" | "InvalidClientTokenId" | "AuthFailure" => said(
                "AWS does not know these credentials: check the profile's keys (`aws configure`)",
            ),
            // EC2's answer to expired credentials and to a skewed clock alike.
            "RequestExpired" => format!(
                "AWS says the request has expired: the credentials may have expired (renew \
                 them: `{}`), or this machine's clock is off",
                login_command(profile)
            ),
            "InvalidSignatureException" | "SignatureDoesNotMatch"
                if message.contains("expired") || message.contains("not yet current") =>
            {
                said("this machine's clock is off AWS's: set it right (NTP) and try again")
            }
            "InvalidSignatureException" | "SignatureDoesNotMatch" => {
                said("AWS refused the signature: check the secret key (`aws configure`)")
            }
            "AccessDeniedException" | "AccessDenied" | "UnauthorizedOperation" => {
                said("access denied")
            }
            "ThrottlingException" | "Throttling" | "RequestLimitExceeded" => {
                "AWS is throttling these calls (rate exceeded); bosun retries with backoff"
                    .to_owned()
            }
            _ if message.is_empty() => code.to_owned(),
            _ => format!("{code}: {message}"),
        };
    }
    let lower = chain.to_ascii_lowercase();
    if lower.contains("sso") && lower.contains("expired") {
        return format!(
            "the SSO session has expired: run `{}`",
            login_command(profile)
        );
    }
    // The chain ends at the instance metadata service (IMDS) when nothing else had credentials:
    // on a laptop that means none are configured.
    if lower.contains("no credentials")
        || lower.contains("credential provider was not enabled")
        || lower.contains("could not load credentials")
        || lower.contains("while loading credentials")
    {
        return format!(
            "no AWS credentials found{}: run `aws configure` (or `{}`), or try `bosun --demo`",
            profile
                .filter(|p| !p.is_empty())
                .map(|p| format!(" for profile {p}"))
                .unwrap_or_default(),
            login_command(profile)
        );
    }
    if lower.contains("missing signing region") {
        return no_region(profile);
    }
    if lower.contains("unknownissuer")
        || lower.contains("invalid peer certificate")
        || lower.contains("certificate verify failed")
    {
        return "the endpoint's TLS certificate is not trusted: behind a TLS-inspecting proxy, \
                set AWS_CA_BUNDLE (or `ca_bundle` in the profile) to its CA"
            .to_owned();
    }
    if lower.contains("dns error") || lower.contains("failed to lookup address") {
        return "cannot resolve the endpoint's name (DNS): check the network, VPN or proxy, and \
                that the region exists (`aws ec2 describe-regions`)"
            .to_owned();
    }
    if lower.contains("connection refused") {
        return "the endpoint refused the connection: check the network, the proxy \
                (HTTPS_PROXY) or --endpoint-url"
            .to_owned();
    }
    if lower.contains("timed out") || lower.contains("timeout") {
        return "AWS did not answer in time: check the network or the proxy".to_owned();
    }
    let mut text = chain.trim().to_owned();
    if text.chars().count() > 300 {
        text = text.chars().take(299).collect::<String>() + "…";
    }
    text
}

/// What to say when no region is set anywhere: the three places one can come from.
pub fn no_region(profile: Option<&str>) -> String {
    let profile = profile.filter(|p| !p.is_empty()).unwrap_or("default");
    format!(
        "no region: pass --region REGION, set AWS_REGION, or give the profile one \
         (`aws configure set region REGION --profile {profile}`)"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn service_errors_say_the_next_step() {
        let expired = classify(
            Some("ExpiredTokenException"),
            Some("The security token included in the request is expired"),
            "",
            Some("corp"),
        );
        assert!(
            expired.contains("aws sso login --profile corp"),
            "{expired}"
        );
        let skew = classify(
            Some("InvalidSignatureException"),
            Some("Signature expired: 20261129T170000Z is now earlier than 20261129T170500Z"),
            "",
            None,
        );
        assert!(skew.contains("clock"), "{skew}");
        let denied = classify(
            Some("AccessDeniedException"),
            Some("User: arn:aws:iam::1:user/x is not authorized to perform: ssm:StartSession"),
            "",
            None,
        );
        assert!(denied.starts_with("access denied (User:"), "{denied}");
        assert_eq!(
            classify(
                Some("TargetNotConnected"),
                Some("i-1 is not connected."),
                "",
                None
            ),
            "TargetNotConnected: i-1 is not connected."
        );
    }

    #[test]
    fn dispatch_failures_are_told_by_their_causes() {
        let none = classify(
            None,
            None,
            "dispatch failure: other: the credential provider was not enabled: no credentials found in chain",
            Some("dev"),
        );
        assert!(
            none.starts_with("no AWS credentials found for profile dev")
                && none.contains("bosun --demo"),
            "{none}"
        );
        let tls = classify(
            None,
            None,
            "dispatch failure: io error: invalid peer certificate: UnknownIssuer",
            None,
        );
        assert!(tls.contains("AWS_CA_BUNDLE"), "{tls}");
        let sso = classify(
            None,
            None,
            "failed to load credentials: the SSO token has expired",
            Some("prod"),
        );
        assert_eq!(
            sso,
            "the SSO session has expired: run `aws sso login --profile prod`"
        );
        assert!(
            classify(
                None,
                None,
                "dispatch failure: other: missing signing region",
                Some("ops")
            )
            .contains("aws configure set region REGION --profile ops")
        );
        assert_eq!(
            classify(
                Some("InvalidSignatureException"),
                Some("Credential should be scoped to a valid region, not 'ap-nowhere-9'. "),
                "",
                None
            ),
            "ap-nowhere-9 is not a region AWS knows: check --region or AWS_REGION (`aws ec2 describe-regions` lists them)"
        );
        let imds = classify(
            None,
            None,
            "dispatch failure: other: an error occurred while loading credentials: failed to load IMDS session token: service error: request forbidden",
            None,
        );
        assert!(imds.starts_with("no AWS credentials found"), "{imds}");
        let dns = classify(
            None,
            None,
            "dispatch failure: dns error: failed to lookup address information",
            None,
        );
        assert!(dns.contains("DNS"), "{dns}");
        let long = classify(None, None, &"x".repeat(1000), None);
        assert_eq!(long.chars().count(), 300);
    }
}
