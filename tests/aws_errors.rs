//! bosun's sentences for AWS's failures, judged on AWS's own answers rather than the
//! simulator's: the bodies AWS documents for a target that is not connected, an explicit deny,
//! expired credentials and throttling (`fixtures/aws-errors.txt`, with their sources) are served
//! by a plain HTTP stub to the real SDK clients, and what bosun says of each (the session start,
//! the fleet's inventory, the session key, the doctor) is checked: the right cause, the next
//! step, throttling told apart from failure, and the doctor asked only when the target is at
//! fault.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use aws_config::BehaviorVersion;
use aws_config::retry::RetryConfig;
use aws_sdk_ssm::config::{Credentials, Region};
use bosun::aws::inventory::{self, InventoryError};
use bosun::aws::sdk::KmsKeyProvider;
use bosun::model::doctor::failure_is_about_the_target;
use bosun::protocol::crypto::{DataKeyRequest, KeyProvider};
use bosun::services::session::{self, StartRequest};
use bosun::services::sources::SessionClients;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

const FIXTURE: &str = include_str!("fixtures/aws-errors.txt");
const INSTANCE: &str = "i-0123456789abcdef0";

/// One documented answer: its status, content type and body.
#[derive(Clone)]
struct Answer {
    status: u16,
    content_type: String,
    body: String,
}

/// The fixture's case `service operation name`.
fn case(service: &str, operation: &str, name: &str) -> Answer {
    let title = format!("== {service} {operation} {name}");
    let rest = FIXTURE
        .split_once(&format!("{title}\n"))
        .unwrap_or_else(|| panic!("no case {title}"))
        .1;
    let text = rest.split("\n== ").next().unwrap_or_default();
    let mut lines = text.lines();
    let status = lines
        .next()
        .and_then(|l| l.strip_prefix("status: "))
        .and_then(|s| s.parse().ok())
        .expect("status line");
    let content_type = lines
        .next()
        .and_then(|l| l.strip_prefix("content-type: "))
        .expect("content-type line")
        .to_owned();
    let body = lines.collect::<Vec<_>>().join("\n").trim().to_owned();
    Answer {
        status,
        content_type,
        body,
    }
}

fn json(body: &str) -> Answer {
    Answer {
        status: 200,
        content_type: "application/x-amz-json-1.1".into(),
        body: body.into(),
    }
}

/// An empty, successful page of every inventory call, so one failure can be staged alone.
fn healthy() -> HashMap<&'static str, Answer> {
    HashMap::from([
        (
            "DescribeInstanceInformation",
            json(r#"{"InstanceInformationList":[]}"#),
        ),
        (
            "DescribeInstances",
            Answer {
                status: 200,
                content_type: "text/xml;charset=UTF-8".into(),
                body: r#"<DescribeInstancesResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>1</requestId><reservationSet/></DescribeInstancesResponse>"#.into(),
            },
        ),
    ])
}

/// What a stub answers to an operation it has no answer for: each protocol's own.
#[derive(Clone)]
struct Fallback {
    /// SSM, KMS (`X-Amz-Target`).
    json: Answer,
    /// EC2's query protocol (`Version=2016-11-15`).
    ec2: Answer,
    /// STS and IAM's query protocol.
    query: Answer,
}

/// A stub of AWS on a loopback port: each request is answered by its operation (the JSON
/// protocol's `X-Amz-Target`, the query protocol's `Action`), `fallback` for the rest.
struct Stub {
    endpoint: String,
    requests: Arc<AtomicUsize>,
}

async fn stub(answers: HashMap<&'static str, Answer>, fallback: Option<Fallback>) -> Stub {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let endpoint = format!("http://{}", listener.local_addr().expect("address"));
    let requests = Arc::new(AtomicUsize::new(0));
    let counted = requests.clone();
    let answers = Arc::new(answers);
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            let (answers, fallback, counted) = (answers.clone(), fallback.clone(), counted.clone());
            tokio::spawn(async move {
                let (read, mut write) = socket.into_split();
                let mut reader = BufReader::new(read);
                let mut length = 0usize;
                let mut operation = String::new();
                let mut line = String::new();
                loop {
                    line.clear();
                    if reader.read_line(&mut line).await.unwrap_or(0) == 0 {
                        return;
                    }
                    let header = line.trim_end();
                    if header.is_empty() {
                        break;
                    }
                    let (name, value) = header.split_once(':').unwrap_or((header, ""));
                    match name.to_ascii_lowercase().as_str() {
                        "content-length" => length = value.trim().parse().unwrap_or(0),
                        "x-amz-target" => {
                            operation = value.trim().rsplit('.').next().unwrap_or("").into()
                        }
                        _ => {}
                    }
                }
                let mut body = vec![0; length];
                if reader.read_exact(&mut body).await.is_err() {
                    return;
                }
                let form = String::from_utf8_lossy(&body).into_owned();
                let json = !operation.is_empty();
                if !json {
                    operation = form
                        .split('&')
                        .find_map(|pair| pair.strip_prefix("Action="))
                        .unwrap_or("")
                        .to_owned();
                }
                counted.fetch_add(1, Ordering::Relaxed);
                let answer = answers
                    .get(operation.as_str())
                    .cloned()
                    .or_else(|| {
                        let fallback = fallback?;
                        Some(if json {
                            fallback.json
                        } else if form.contains("Version=2016-11-15") {
                            fallback.ec2
                        } else {
                            fallback.query
                        })
                    })
                    .unwrap_or_else(|| panic!("the stub has no answer for {operation}"));
                let reply = format!(
                    "HTTP/1.1 {} Stub\r\ncontent-type: {}\r\ncontent-length: {}\r\nx-amzn-requestid: stub\r\nconnection: close\r\n\r\n{}",
                    answer.status,
                    answer.content_type,
                    answer.body.len(),
                    answer.body
                );
                let _ = write.write_all(reply.as_bytes()).await;
                let _ = write.shutdown().await;
            });
        }
    });
    Stub { endpoint, requests }
}

/// SDK configuration for `stub`, without retries: one answer per call.
async fn config(stub: &Stub) -> aws_config::SdkConfig {
    aws_config::defaults(BehaviorVersion::latest())
        .endpoint_url(&stub.endpoint)
        .region(Region::new("us-east-1"))
        .retry_config(RetryConfig::disabled())
        .credentials_provider(Credentials::new("AKIDSTUB", "stub", None, None, "stub"))
        .load()
        .await
}

/// What `bosun shell` (and a pane) says when StartSession is answered with `answer`.
async fn start_refused(answer: Answer) -> String {
    let stub = stub(HashMap::from([("StartSession", answer)]), None).await;
    let ssm = aws_sdk_ssm::Client::new(&config(&stub).await);
    let request = StartRequest::document(INSTANCE, "SSM-SessionManagerRunShell");
    match session::start_session(&ssm, &request).await {
        Ok(_) => panic!("the stub refuses every session"),
        Err(error) => error.to_string(),
    }
}

#[tokio::test]
async fn a_target_that_is_not_connected_is_said_and_sends_for_the_doctor() {
    let said = start_refused(case("ssm", "StartSession", "target-not-connected")).await;
    assert_eq!(
        said,
        format!(
            "cannot start a session on {INSTANCE}: TargetNotConnected: {INSTANCE} is not connected."
        )
    );
    assert!(failure_is_about_the_target(&said), "{said}");
}

#[tokio::test]
async fn an_explicit_deny_is_said_as_aws_words_it_and_is_not_blamed_on_the_target() {
    let said = start_refused(case("ssm", "StartSession", "explicit-deny")).await;
    assert!(
        said.contains("access denied (User: arn:aws:iam::111122223333:user/oncall is not authorized to perform: ssm:StartSession"),
        "{said}"
    );
    assert!(
        said.contains("with an explicit deny in an identity-based policy"),
        "{said}"
    );
    assert!(!failure_is_about_the_target(&said), "{said}");
}

#[tokio::test]
async fn expired_credentials_say_how_to_renew_them_wherever_they_show() {
    let said = start_refused(case("ssm", "StartSession", "expired-token")).await;
    assert!(said.contains("the AWS credentials have expired"), "{said}");
    assert!(said.contains("aws sso login"), "{said}");
    assert!(!failure_is_about_the_target(&said), "{said}");

    // The fleet: SSM's JSON answer and EC2's RequestExpired each name the renewal.
    let mut answers = healthy();
    answers.insert(
        "DescribeInstanceInformation",
        case("ssm", "DescribeInstanceInformation", "expired-token"),
    );
    let error = inventory_error(answers).await;
    assert!(!error.throttled);
    assert!(
        error.message.contains("have expired")
            && error.message.contains("aws sso login --profile corp"),
        "{}",
        error.message
    );
    let mut answers = healthy();
    answers.insert(
        "DescribeInstances",
        case("ec2", "DescribeInstances", "request-expired"),
    );
    let error = inventory_error(answers).await;
    assert!(!error.throttled);
    assert!(
        error.message.contains("expired") && error.message.contains("aws sso login --profile corp"),
        "{}",
        error.message
    );
}

/// The inventory of profile `corp` read against a stub with `answers`; its error.
async fn inventory_error(answers: HashMap<&'static str, Answer>) -> InventoryError {
    let stub = stub(answers, None).await;
    let config = config(&stub).await;
    let ssm = aws_sdk_ssm::Client::new(&config);
    let ec2 = aws_sdk_ec2::Client::new(&config);
    match inventory::fetch(&ssm, &ec2, "corp", "us-east-1").await {
        Ok(rows) => panic!("the stub fails the inventory, yet {} rows came", rows.len()),
        Err(error) => error,
    }
}

#[tokio::test]
async fn throttling_is_told_apart_from_failure_in_both_protocols() {
    let mut answers = healthy();
    answers.insert(
        "DescribeInstanceInformation",
        case("ssm", "DescribeInstanceInformation", "throttled"),
    );
    let error = inventory_error(answers).await;
    assert!(error.throttled, "SSM's ThrottlingException is throttling");
    assert!(error.message.contains("throttling"), "{}", error.message);

    let mut answers = healthy();
    answers.insert(
        "DescribeInstances",
        case("ec2", "DescribeInstances", "throttled"),
    );
    let error = inventory_error(answers).await;
    assert!(error.throttled, "EC2's RequestLimitExceeded is throttling");
    assert_eq!(error.api, "DescribeInstances");
    assert!(error.message.contains("throttling"), "{}", error.message);
}

#[tokio::test]
async fn a_service_control_policy_deny_on_ec2_keeps_aws_words() {
    let mut answers = healthy();
    answers.insert(
        "DescribeInstances",
        case("ec2", "DescribeInstances", "explicit-deny"),
    );
    let error = inventory_error(answers).await;
    assert!(!error.throttled);
    assert!(
        error
            .message
            .starts_with("access denied (You are not authorized to perform this operation.")
            && error
                .message
                .contains("with an explicit deny in a service control policy"),
        "{}",
        error.message
    );
}

#[tokio::test]
async fn a_denied_session_key_names_kms_and_the_deny() {
    let stub = stub(
        HashMap::from([(
            "GenerateDataKey",
            case("kms", "GenerateDataKey", "explicit-deny"),
        )]),
        None,
    )
    .await;
    let kms = aws_sdk_kms::Client::new(&config(&stub).await);
    let request = DataKeyRequest {
        key_id: "alias/session".into(),
        encryption_context: Default::default(),
    };
    let error = KmsKeyProvider::new(kms)
        .generate_data_key(&request)
        .await
        .expect_err("the stub denies the key");
    let said = error.0;
    assert!(
        said.starts_with("kms:GenerateDataKey failed: access denied (User:")
            && said.contains("kms:GenerateDataKey on resource")
            && said.contains("explicit deny"),
        "{said}"
    );
}

/// With every credential expired (each service answering in its own protocol), the doctor
/// says so, the renewal first, and invents no cause on the instance.
#[tokio::test]
async fn the_doctor_with_expired_credentials_says_renew_them_and_blames_nothing_else() {
    let everything_expired = Fallback {
        json: case("ssm", "DescribeInstanceInformation", "expired-token"),
        ec2: case("ec2", "DescribeInstances", "request-expired"),
        query: case("sts", "GetCallerIdentity", "expired-token"),
    };
    let stub = stub(HashMap::new(), Some(everything_expired)).await;
    let clients = SessionClients::new(&config(&stub).await);
    let report = bosun::services::doctor::examine(&clients, INSTANCE, "us-east-1").await;
    assert!(stub.requests.load(Ordering::Relaxed) > 0);
    assert!(!report.would_start, "{report:#?}");
    let verdict = format!("{}\n{}", report.cause, report.fix);
    assert!(verdict.contains("expired"), "{verdict}");
    for invented in [
        "stopped",
        "instance profile",
        "security group",
        "endpoint",
        "NAT",
    ] {
        assert!(!report.cause.contains(invented), "{verdict}");
    }
}
