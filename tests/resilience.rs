//! Credentials and time: a machine whose clock is ten minutes off AWS's, either way, still
//! lists the fleet and opens a KMS-encrypted shell (the SDK corrects its calls; bosun learns
//! the skew from the refused data-channel dial and signs again with AWS's time).

mod common;

use std::process::Stdio;
use std::time::Duration;

use bosun::sim::{Faults, SimHandle, UpgradeAuth};
use common::{run_with_input, start_sim};
use tokio::io::AsyncWriteExt;
use tokio::process::Command;

fn bosun(sim: &SimHandle, home: &std::path::Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_bosun"));
    common::sealed(&mut command)
        .env("AWS_ENDPOINT_URL", sim.endpoint_url())
        .env("AWS_ACCESS_KEY_ID", "demo")
        .env("AWS_SECRET_ACCESS_KEY", "demo")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_CONFIG_FILE", "/dev/null")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
        .env("HOME", home)
        .env("XDG_STATE_HOME", home)
        .env_remove("AWS_PROFILE")
        .env_remove("HTTPS_PROXY")
        .env_remove("https_proxy")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    command
}

#[tokio::test]
async fn a_clock_ten_minutes_off_either_way_still_lists_and_opens_a_kms_shell() {
    for skew in ["600", "-600"] {
        let sim = start_sim().await;
        sim.set_faults(Faults::parse(&format!("clock_skew={skew}")).expect("spec"));
        let home = tempfile::tempdir().expect("home");

        let mut ls = bosun(&sim, home.path());
        ls.args(["ls", "--json"]);
        let (code, out, err) = run_with_input(ls, "").await;
        assert_eq!(code, 0, "skew {skew}: {err}");
        assert!(out.contains("platform-vault-1"), "skew {skew}: {out}");

        let mut shell = bosun(&sim, home.path());
        shell.args(["shell", "platform-vault-1"]);
        let (code, out, err) = run_with_input(shell, "echo vault-$((40+2))\nexit\n").await;
        assert_eq!(code, 0, "skew {skew}: {out}\n{err}");
        assert!(out.contains("vault-42"), "skew {skew}: {out}\n{err}");

        // The first dial was signed by the machine's clock and refused; the next by AWS's.
        let upgrades = sim.upgrades();
        assert!(
            matches!(upgrades.first().map(|u| &u.auth), Some(UpgradeAuth::Refused(reason)) if reason.contains("X-Amz-Date")),
            "skew {skew}: {upgrades:?}"
        );
        assert!(
            upgrades
                .iter()
                .any(|u| matches!(u.auth, UpgradeAuth::Verified { .. })),
            "skew {skew}: {upgrades:?}"
        );
        // The SDK's calls were refused at first too, as AWS refuses them, and corrected.
        let counts = sim.request_counts();
        assert!(
            counts.get("signed_out_of_time").copied().unwrap_or(0) >= 1,
            "skew {skew}: {counts:?}"
        );
    }
}

/// What a child process has printed so far, read as it comes.
#[derive(Clone, Default)]
struct Printed(std::sync::Arc<std::sync::Mutex<String>>);

impl Printed {
    fn follow(&self, mut pipe: impl tokio::io::AsyncRead + Unpin + Send + 'static) {
        let printed = self.0.clone();
        tokio::spawn(async move {
            use tokio::io::AsyncReadExt;
            let mut buffer = [0u8; 4096];
            while let Ok(n) = pipe.read(&mut buffer).await {
                if n == 0 {
                    break;
                }
                printed
                    .lock()
                    .expect("lock")
                    .push_str(&String::from_utf8_lossy(&buffer[..n]));
            }
        });
    }

    async fn wait_for(&self, wanted: &str, within: Duration) -> bool {
        let deadline = tokio::time::Instant::now() + within;
        while tokio::time::Instant::now() < deadline {
            if self.0.lock().expect("lock").contains(wanted) {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        false
    }

    fn text(&self) -> String {
        self.0.lock().expect("lock").clone()
    }
}

/// A shell started, answering: its process, its stdin, and what it printed so far.
struct LiveShell {
    child: tokio::process::Child,
    stdin: tokio::process::ChildStdin,
    out: Printed,
    err: Printed,
}

impl LiveShell {
    /// Spawns `shell` and checks that it answers a first line.
    async fn start(mut shell: Command) -> LiveShell {
        let mut child = shell.spawn().expect("spawn");
        let mut stdin = child.stdin.take().expect("stdin");
        let (out, err) = (Printed::default(), Printed::default());
        out.follow(child.stdout.take().expect("stdout"));
        err.follow(child.stderr.take().expect("stderr"));
        stdin.write_all(b"echo one-$((1+1))\n").await.expect("type");
        assert!(
            out.wait_for("one-2", Duration::from_secs(20)).await,
            "{}\n{}",
            out.text(),
            err.text()
        );
        LiveShell {
            child,
            stdin,
            out,
            err,
        }
    }
}

/// Credentials as a credential process prints them, good for `valid_for` from now.
fn credentials_json(access_key: &str, valid_for: Duration) -> String {
    let expiry = std::time::SystemTime::now() + valid_for;
    let seconds = expiry
        .duration_since(std::time::UNIX_EPOCH)
        .expect("after 1970")
        .as_secs();
    let (days, rest) = (seconds / 86_400, seconds % 86_400);
    // Civil date from days (Howard Hinnant's algorithm).
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        r#"{{"Version":1,"AccessKeyId":"{access_key}","SecretAccessKey":"secret-{access_key}","Expiration":"{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z"}}"#,
        rest / 3600,
        rest % 3600 / 60,
        rest % 60
    )
}

/// Credentials that expire while a shell is open: each resume is refused with the sentence
/// that says how to renew them, and once they are renewed the same session resumes and goes
/// on, without restarting bosun.
#[tokio::test]
async fn a_shell_outlives_credentials_that_expire_and_are_renewed() {
    let sim = start_sim().await;
    // Every connection is cut after a second, so the shell resumes (and calls ResumeSession,
    // which needs the credentials) all the time.
    sim.set_faults(Faults::parse("drop_after_secs=1").expect("spec"));
    let home = tempfile::tempdir().expect("home");
    let credentials = home.path().join("credentials.json");
    std::fs::write(
        &credentials,
        credentials_json("AKIDFIRST", Duration::from_secs(15)),
    )
    .expect("write");
    let config = home.path().join("aws-config");
    std::fs::write(
        &config,
        format!(
            "[profile corp]\nregion = us-east-1\ncredential_process = cat {}\n",
            credentials.display()
        ),
    )
    .expect("write");

    let mut shell = bosun(&sim, home.path());
    shell
        .args(["shell", "payments-api-1", "--profile", "corp"])
        .env("AWS_CONFIG_FILE", &config)
        .env_remove("AWS_ACCESS_KEY_ID")
        .env_remove("AWS_SECRET_ACCESS_KEY");
    let LiveShell {
        mut child,
        mut stdin,
        out,
        err,
    } = LiveShell::start(shell).await;

    // The credentials expire: resumes are refused, and bosun says what to do.
    sim.set_faults(Faults::parse("drop_after_secs=1,expired_keys=AKIDFIRST").expect("spec"));
    assert!(
        err.wait_for("aws sso login --profile corp", Duration::from_secs(20))
            .await,
        "{}",
        err.text()
    );
    assert!(
        err.text().contains("credentials have expired"),
        "{}",
        err.text()
    );

    // A person takes a while to log in again: longer than six quick retries would last, so
    // the simulator refuses six more resumes before the credentials are renewed.
    six_more(&sim, "expired_credentials").await;
    // Renewed (as `aws sso login` would): the same session resumes and carries on.
    std::fs::write(
        &credentials,
        credentials_json("AKIDSECOND", Duration::from_secs(3600)),
    )
    .expect("write");
    let resumed_before = err.text().matches("[bosun] resumed").count();
    stdin.write_all(b"echo two-$((1+1))\n").await.expect("type");
    assert!(
        out.wait_for("two-2", Duration::from_secs(60)).await,
        "{}\n{}",
        out.text(),
        err.text()
    );
    assert!(err.text().matches("[bosun] resumed").count() > resumed_before);
    assert!(
        sim.request_counts()
            .get("expired_credentials")
            .copied()
            .unwrap_or(0)
            >= 1
    );
    stdin.write_all(b"exit\n").await.expect("type");
    drop(stdin);
    let status = tokio::time::timeout(Duration::from_secs(20), child.wait())
        .await
        .expect("exits")
        .expect("status");
    assert_eq!(status.code(), Some(0), "{}", err.text());
}

/// The data-channel endpoint unreachable for a while (its DNS name or route gone, the API
/// still answering): the shell keeps trying, says why, and resumes when it is back.
#[tokio::test]
async fn a_shell_rides_out_a_data_channel_endpoint_that_is_gone_for_a_while() {
    let sim = start_sim().await;
    sim.set_faults(Faults::parse("drop_after_secs=1").expect("spec"));
    let home = tempfile::tempdir().expect("home");
    let mut shell = bosun(&sim, home.path());
    shell.args(["shell", "payments-api-1"]);
    let LiveShell {
        mut child,
        mut stdin,
        out,
        err,
    } = LiveShell::start(shell).await;

    sim.set_faults(Faults::parse("drop_after_secs=1,data_channel_down=1").expect("spec"));
    assert!(
        err.wait_for("endpoint is unavailable (503", Duration::from_secs(20))
            .await,
        "{}",
        err.text()
    );
    // Longer than six quick retries would last: six more upgrades refused.
    six_more(&sim, "data_channel_down").await;
    sim.set_faults(Faults::parse("drop_after_secs=1").expect("spec"));
    stdin.write_all(b"echo two-$((1+1))\n").await.expect("type");
    assert!(
        out.wait_for("two-2", Duration::from_secs(30)).await,
        "{}\n{}",
        out.text(),
        err.text()
    );
    assert!(
        sim.request_counts()
            .get("data_channel_down")
            .copied()
            .unwrap_or(0)
            >= 2
    );
    stdin.write_all(b"exit\n").await.expect("type");
    drop(stdin);
    let status = tokio::time::timeout(Duration::from_secs(20), child.wait())
        .await
        .expect("exits")
        .expect("status");
    assert_eq!(status.code(), Some(0), "{}", err.text());
}

/// The service moves the session to another cell at every resume (ResumeSession names a new
/// StreamUrl and the old address refuses the dial): the shell follows every move, never
/// dials an old cell, and keeps its state.
#[tokio::test]
async fn a_shell_follows_its_session_from_cell_to_cell() {
    let sim = start_sim().await;
    sim.set_faults(Faults::parse("drop_after_secs=1,resume_moves_cell=1").expect("spec"));
    let home = tempfile::tempdir().expect("home");
    let mut shell = bosun(&sim, home.path());
    shell.args(["shell", "payments-api-1"]);
    let LiveShell {
        mut child,
        mut stdin,
        out,
        err,
    } = LiveShell::start(shell).await;
    stdin.write_all(b"kept=$((20+22))\n").await.expect("type");
    let count = |name: &str| sim.request_counts().get(name).copied().unwrap_or(0);
    common::eventually(Duration::from_secs(30), "three moves", || {
        let moved = count("ssm:ResumeSession") >= 3;
        async move { moved }
    })
    .await;
    stdin.write_all(b"echo still-$kept\n").await.expect("type");
    assert!(
        out.wait_for("still-42", Duration::from_secs(30)).await,
        "{}\n{}",
        out.text(),
        err.text()
    );
    assert_eq!(
        count("moved_cell_refused"),
        0,
        "an old cell was dialled: {}",
        err.text()
    );
    stdin.write_all(b"exit\n").await.expect("type");
    drop(stdin);
    let status = tokio::time::timeout(Duration::from_secs(20), child.wait())
        .await
        .expect("exits")
        .expect("status");
    assert_eq!(status.code(), Some(0), "{}", err.text());
}

/// The console's refresher says when a profile's credentials end within 15 minutes, with the
/// command that renews them; credentials without an end say nothing.
#[tokio::test]
async fn credentials_that_end_soon_are_said_with_the_login_command() {
    use aws_config::{BehaviorVersion, Region};
    use bosun::services::inventory;
    use bosun::services::sources::Source;
    let sim = start_sim().await;
    let source = |profile: &str, ends: Option<std::time::SystemTime>| {
        let endpoint = sim.endpoint_url();
        let profile = profile.to_owned();
        async move {
            let config = aws_config::defaults(BehaviorVersion::latest())
                .endpoint_url(endpoint)
                .region(Region::new("us-east-1"))
                .credentials_provider(aws_credential_types::Credentials::new(
                    "demo", "demo", None, ends, "test",
                ))
                .load()
                .await;
            Source { profile, config }
        }
    };
    let soon = std::time::SystemTime::now() + Duration::from_secs(10 * 60);
    let sources = vec![source("corp", Some(soon)).await, source("lab", None).await];
    let (events, mut loaded) = tokio::sync::mpsc::channel(4);
    let _refresher = inventory::spawn(sources, Duration::from_secs(60), 1, events);
    let first = tokio::time::timeout(Duration::from_secs(20), loaded.recv())
        .await
        .expect("a load")
        .expect("the refresher runs");
    assert!(!first.value.rows.is_empty());
    assert_eq!(first.value.expiring.len(), 1, "{:?}", first.value.expiring);
    let said = &first.value.expiring[0];
    assert!(
        said.starts_with("corp: the credentials expire in 10 min")
            && said.contains("`aws sso login --profile corp`"),
        "{said}"
    );
}

/// The region, wrong three ways, through the binary: none anywhere, a typo, and a well-formed
/// name AWS does not have. Each is one sentence with where to set it, and exit status 2 when
/// nothing was asked of AWS.
#[tokio::test]
async fn a_missing_mistyped_or_unknown_region_is_one_sentence_with_the_next_step() {
    let sim = start_sim().await;
    let home = tempfile::tempdir().expect("home");
    let run = |args: &'static [&'static str], region: Option<&'static str>| {
        let mut command = bosun(&sim, home.path());
        command
            .env_remove("AWS_REGION")
            .env_remove("AWS_DEFAULT_REGION");
        if let Some(region) = region {
            command.env("AWS_REGION", region);
        }
        command.args(args).stdin(Stdio::null());
        async move {
            let output = command.output().await.expect("bosun runs");
            (
                output.status.code(),
                String::from_utf8_lossy(&output.stderr).into_owned(),
            )
        }
    };
    for args in [
        &["shell", "payments-api-1"][..],
        &["doctor", "payments-api-1"],
        &["sessions"],
        &[
            "run",
            "--instance",
            "i-03f1a2b3c4d5e1111",
            "--yes",
            "--",
            "true",
        ],
    ] {
        let (code, err) = run(args, None).await;
        assert_eq!(code, Some(2), "{args:?}: {err}");
        assert!(
            err.contains("no region: pass --region REGION, set AWS_REGION")
                && err.contains("aws configure set region REGION"),
            "{args:?}: {err}"
        );
        assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
    }
    let (code, err) = run(&["--region", "us-east1", "ls"], None).await;
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("\"us-east1\" is not a region name"), "{err}");

    let (code, err) = run(&["ls"], Some("ap-nowhere-9")).await;
    assert_eq!(code, Some(1), "{err}");
    assert!(
        err.contains("ap-nowhere-9 is not a region AWS knows: check --region or AWS_REGION"),
        "{err}"
    );
    assert!(
        !err.contains("InvalidSignature") && !err.contains("ErrorMetadata"),
        "{err}"
    );
}

/// No credentials anywhere (the chain runs out at the instance metadata service): one
/// sentence that says what to run, through the binary, never the SDK's chain.
#[tokio::test]
async fn an_empty_credential_chain_is_one_sentence_with_what_to_run() {
    let sim = start_sim().await;
    let home = tempfile::tempdir().expect("home");
    for args in [&["shell", "payments-api-1"][..], &["sessions"], &["ls"]] {
        let mut command = bosun(&sim, home.path());
        command
            .env_remove("AWS_ACCESS_KEY_ID")
            .env_remove("AWS_SECRET_ACCESS_KEY")
            .env_remove("AWS_SESSION_TOKEN")
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .args(args)
            .stdin(Stdio::null());
        let output = command.output().await.expect("bosun runs");
        let err = String::from_utf8_lossy(&output.stderr);
        assert_ne!(output.status.code(), Some(0), "{args:?}: {err}");
        assert!(
            err.contains("no AWS credentials found")
                && err.contains("run `aws configure`")
                && err.contains("bosun --demo"),
            "{args:?}: {err}"
        );
        assert!(
            !err.contains("dispatch failure") && !err.contains("IMDS") && err.len() < 400,
            "{args:?}: {err}"
        );
    }
}

/// An SSO profile whose cached token has expired (and cannot be refreshed): one sentence with
/// the exact login command, through the binary, for the console's commands alike.
#[tokio::test]
async fn an_expired_sso_token_says_the_exact_login_command() {
    let sim = start_sim().await;
    let home = tempfile::tempdir().expect("home");
    let config = home.path().join("config");
    std::fs::write(
        &config,
        "[profile sso-dev]\nsso_session = corp\nsso_account_id = 111122223333\nsso_role_name = ReadOnly\nregion = us-east-1\n\n[sso-session corp]\nsso_start_url = https://corp.awsapps.com/start\nsso_region = us-east-1\nsso_registration_scopes = sso:account:access\n",
    )
    .expect("config");
    // The AWS CLI's cache file for the `corp` session: named by the SHA-1 of the session name.
    let cache = home.path().join(".aws/sso/cache");
    std::fs::create_dir_all(&cache).expect("cache dir");
    std::fs::write(
        cache.join("ee0bfd2552fbd840c02cc48b6e823320543c450f.json"),
        r#"{"startUrl":"https://corp.awsapps.com/start","region":"us-east-1","accessToken":"expired-token","expiresAt":"2020-01-01T00:00:00Z"}"#,
    )
    .expect("cached token");
    for args in [&["ls"][..], &["sessions"], &["shell", "payments-api-1"]] {
        let mut command = bosun(&sim, home.path());
        command
            .env_remove("AWS_ACCESS_KEY_ID")
            .env_remove("AWS_SECRET_ACCESS_KEY")
            .env("AWS_CONFIG_FILE", &config)
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .args(["--profile", "sso-dev"])
            .args(args)
            .stdin(Stdio::null());
        let output = command.output().await.expect("bosun runs");
        let err = String::from_utf8_lossy(&output.stderr);
        assert_ne!(output.status.code(), Some(0), "{args:?}: {err}");
        assert!(
            err.contains("aws sso login --profile sso-dev"),
            "{args:?}: {err}"
        );
        assert!(
            !err.contains("dispatch failure") && err.len() < 400,
            "{args:?}: {err}"
        );
    }
}

/// Waits (at most 90 s) until the simulator has counted six more `counter` refusals: longer
/// than six quick retries would last, so bosun is shown to keep trying.
async fn six_more(sim: &bosun::sim::SimHandle, counter: &str) {
    let count = || sim.request_counts().get(counter).copied().unwrap_or(0);
    let before = count();
    common::eventually(
        Duration::from_secs(90),
        &format!("six more {counter}"),
        || {
            let done = count() >= before + 6;
            async move { done }
        },
    )
    .await;
}
