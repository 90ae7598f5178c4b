//! Just enough SigV4 to behave like an AWS endpoint towards clients: every request must carry an
//! `Authorization: AWS4-HMAC-SHA256 Credential=…` header; any key pair is accepted (signatures are
//! not verified) and the region comes from the credential scope.

/// The credential scope of a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credential {
    pub access_key: String,
    pub date: String,
    pub region: String,
    pub service: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SigV4Error {
    #[error("Missing Authentication Token")]
    Missing,
    #[error("{0}")]
    Incomplete(String),
}

/// Parses `AWS4-HMAC-SHA256 Credential=AKID/20261121/us-east-1/ssm/aws4_request,
/// SignedHeaders=…, Signature=…`.
pub fn parse_authorization(header: Option<&str>) -> Result<Credential, SigV4Error> {
    let header = header.ok_or(SigV4Error::Missing)?.trim();
    let rest = header.strip_prefix("AWS4-HMAC-SHA256").ok_or_else(|| {
        SigV4Error::Incomplete(format!(
            "Authorization header requires the AWS4-HMAC-SHA256 algorithm (got '{}')",
            header.split_whitespace().next().unwrap_or_default()
        ))
    })?;
    let mut credential = None;
    let mut signed_headers = false;
    let mut signature = false;
    for part in rest.split(',') {
        let part = part.trim();
        if let Some(value) = part.strip_prefix("Credential=") {
            credential = Some(value);
        } else if part.starts_with("SignedHeaders=") {
            signed_headers = true;
        } else if part.starts_with("Signature=") {
            signature = true;
        }
    }
    let missing: Vec<&str> = [
        ("Credential", credential.is_some()),
        ("SignedHeaders", signed_headers),
        ("Signature", signature),
    ]
    .iter()
    .filter(|(_, present)| !present)
    .map(|(name, _)| *name)
    .collect();
    if !missing.is_empty() {
        return Err(SigV4Error::Incomplete(format!(
            "Authorization header requires '{}' parameter(s)",
            missing.join("', '")
        )));
    }
    let scope: Vec<&str> = credential.unwrap_or_default().split('/').collect();
    match scope.as_slice() {
        [access_key, date, region, service, "aws4_request"] if !access_key.is_empty() => {
            Ok(Credential {
                access_key: (*access_key).to_owned(),
                date: (*date).to_owned(),
                region: (*region).to_owned(),
                service: (*service).to_owned(),
            })
        }
        _ => Err(SigV4Error::Incomplete(
            "Credential should be scoped to a valid region and service: KEY/DATE/REGION/SERVICE/aws4_request"
                .to_owned(),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_credential_scope() {
        let credential = parse_authorization(Some(
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261121/eu-west-1/ssm/aws4_request, SignedHeaders=host;x-amz-date, Signature=abc",
        ))
        .expect("valid");
        assert_eq!(credential.region, "eu-west-1");
        assert_eq!(credential.service, "ssm");
        assert_eq!(credential.access_key, "AKIDEXAMPLE");
    }

    #[test]
    fn rejects_missing_and_malformed_headers() {
        assert_eq!(parse_authorization(None), Err(SigV4Error::Missing));
        assert!(matches!(
            parse_authorization(Some("Basic abc")),
            Err(SigV4Error::Incomplete(_))
        ));
        assert!(matches!(
            parse_authorization(Some("AWS4-HMAC-SHA256 Credential=AKID/2026/us-east-1/ssm/aws4_request")),
            Err(SigV4Error::Incomplete(message)) if message.contains("Signature")
        ));
    }
}
