//! `bosun cp` as a user meets it, against the simulator (whose agent alters a command's output
//! as the real agent's UTF-8 reader does): 20 MiB of random bytes down and up byte-exact, in
//! one session and in four; names with spaces and bytes that are not UTF-8; a copy altered on
//! its way, a missing file and a folder refused with a sentence and nothing left behind;
//! `--json`; `--read-only`; a container through ECS Exec's terminal; the file view's listing;
//! and no session left open at AWS.
#![cfg(unix)]

mod common;

use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use bosun::sim::{Faults, SimHandle};
use common::{active_sessions, bosun, finish, start_sim};
use sha2::Digest;

/// 20 MiB of random bytes with the sequence the agent alters (EF BF BD) placed inside ranges,
/// across the edges of 4 ranges, and at the very end.
fn awkward_bytes() -> Vec<u8> {
    let mut data = vec![0u8; 20 << 20];
    getrandom::fill(&mut data).expect("random");
    let fffd = [0xef, 0xbf, 0xbd];
    let quarter = data.len() / 4;
    for at in [10, 5000, quarter - 1, 2 * quarter - 2, 3 * quarter + 7] {
        data[at..at + 3].copy_from_slice(&fffd);
    }
    data.extend_from_slice(&fffd);
    data
}

async fn cp(sim: &SimHandle, args: &[&std::ffi::OsStr]) -> (i32, String, String) {
    finish(bosun(sim).arg("cp").args(args).spawn().expect("spawn")).await
}

fn os(text: &str) -> &std::ffi::OsStr {
    std::ffi::OsStr::new(text)
}

fn remote(path: &Path) -> std::ffi::OsString {
    let mut arg = std::ffi::OsString::from("data-etl-1:");
    arg.push(path);
    arg
}

/// Every session the copies opened is ended at AWS (the simulator records an end a moment
/// after the client has gone).
async fn no_session_left(sim: &SimHandle) {
    common::eventually(
        std::time::Duration::from_secs(10),
        "every session ended",
        || async { active_sessions(sim).await == 0 },
    )
    .await;
}

/// The tars a folder's download leaves in the simulated instance's /tmp while it runs.
fn instance_tars() -> Vec<String> {
    names(Path::new("/tmp"))
        .into_iter()
        .filter(|name| name.starts_with("bosun-cp."))
        .collect()
}

/// The names in `dir`, to show nothing else was left there.
fn names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .expect("read_dir")
        .map(|entry| {
            entry
                .expect("entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    names.sort();
    names
}

#[tokio::test]
async fn twenty_mib_go_down_and_up_byte_exact_in_one_session_and_in_four() {
    let sim = start_sim().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let data = awkward_bytes();
    let digest = hex::encode(sha2::Sha256::digest(&data));
    let source = dir.path().join("source.bin");
    std::fs::write(&source, &data).expect("write");
    for sessions in ["1", "4"] {
        let down = dir.path().join(format!("down-{sessions}.bin"));
        let (code, out, err) = cp(
            &sim,
            &[
                os("--sessions"),
                os(sessions),
                &remote(&source),
                down.as_os_str(),
            ],
        )
        .await;
        assert_eq!(code, 0, "{out} {err}");
        assert!(
            std::fs::read(&down).expect("downloaded") == data,
            "{sessions} sessions"
        );
        assert!(err.contains(&digest), "the digest is shown: {err}");
        let up_dir = dir.path().join(format!("up-{sessions}"));
        std::fs::create_dir(&up_dir).expect("mkdir");
        let (code, out, err) = cp(&sim, &[down.as_os_str(), &remote(&up_dir)]).await;
        assert_eq!(code, 0, "{out} {err}");
        let uploaded = up_dir.join(format!("down-{sessions}.bin"));
        assert!(std::fs::read(&uploaded).expect("uploaded") == data);
        assert_eq!(
            names(&up_dir),
            vec![format!("down-{sessions}.bin")],
            "no temporary left"
        );
    }
    assert_eq!(
        sim.request_counts().get("ssm:StartSession").copied(),
        Some(1 + 1 + 4 + 1)
    );
    no_session_left(&sim).await;
}

#[tokio::test]
async fn names_with_spaces_and_bytes_that_are_not_utf8_survive_both_ways() {
    let sim = start_sim().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let odd = std::ffi::OsStr::from_bytes(b"caf\xe9 menu 'x'.txt");
    std::fs::write(dir.path().join(odd), b"plat du jour\n").expect("write");
    let into = dir.path().join("into");
    std::fs::create_dir(&into).expect("mkdir");
    let (code, out, err) = cp(&sim, &[&remote(&dir.path().join(odd)), into.as_os_str()]).await;
    assert_eq!(code, 0, "{out} {err}");
    assert_eq!(
        std::fs::read(into.join(odd)).expect("down"),
        b"plat du jour\n"
    );
    let back = dir.path().join("back");
    std::fs::create_dir(&back).expect("mkdir");
    let (code, out, err) = cp(&sim, &[into.join(odd).as_os_str(), &remote(&back)]).await;
    assert_eq!(code, 0, "{out} {err}");
    assert_eq!(
        std::fs::read(back.join(odd)).expect("up"),
        b"plat du jour\n"
    );
}

#[tokio::test]
async fn a_folder_with_nested_files_comes_down_whole_and_checked() {
    let sim = start_sim().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let logs = dir.path().join("logs");
    std::fs::create_dir_all(logs.join("app/old")).expect("mkdir");
    std::fs::write(logs.join("a.log"), "first\n").expect("write");
    std::fs::write(logs.join("app/b c.log"), vec![0xef, 0xbf, 0xbd, 0, 1, 2]).expect("write");
    let big = awkward_bytes();
    std::fs::write(logs.join("app/old/big.bin"), &big).expect("write");
    std::fs::write(
        logs.join("app/old")
            .join(std::ffi::OsStr::from_bytes(b"caf\xe9")),
        "x",
    )
    .expect("write");
    let into = dir.path().join("into");
    std::fs::create_dir(&into).expect("mkdir");
    let tars_before = instance_tars();
    let (code, out, err) = cp(
        &sim,
        &[os("-r"), os("--json"), &remote(&logs), into.as_os_str()],
    )
    .await;
    assert_eq!(code, 0, "{out} {err}");
    assert_eq!(out.lines().count(), 4, "a line per file: {out}");
    let got = into.join("logs");
    assert_eq!(std::fs::read(got.join("a.log")).expect("a"), b"first\n");
    assert_eq!(
        std::fs::read(got.join("app/b c.log")).expect("b"),
        vec![0xef, 0xbf, 0xbd, 0, 1, 2]
    );
    assert!(std::fs::read(got.join("app/old/big.bin")).expect("big") == big);
    assert!(
        got.join("app/old")
            .join(std::ffi::OsStr::from_bytes(b"caf\xe9"))
            .exists()
    );
    assert_eq!(names(&into), vec!["logs"], "nothing else left here");
    // Again into the same place: merged, as `cp -r` does; and the instance's tar is gone.
    let (code, _, err) = cp(&sim, &[os("-r"), &remote(&logs), into.as_os_str()]).await;
    assert_eq!(code, 0, "{err}");
    assert_eq!(names(&into), vec!["logs"]);
    assert_eq!(
        instance_tars(),
        tars_before,
        "the instance's tars were deleted"
    );
    // And back up to a new folder on the instance, checked file by file there.
    let back = dir.path().join("back");
    let (code, out, err) = cp(
        &sim,
        &[os("-r"), os("--json"), got.as_os_str(), &remote(&back)],
    )
    .await;
    assert_eq!(code, 0, "{out} {err}");
    assert_eq!(out.lines().count(), 4, "a line per file: {out}");
    assert!(std::fs::read(back.join("app/old/big.bin")).expect("big back") == big);
    assert!(
        back.join("app/old")
            .join(std::ffi::OsStr::from_bytes(b"caf\xe9"))
            .exists()
    );
    assert_eq!(
        names(dir.path()),
        vec!["back", "into", "logs"],
        "no temporary left"
    );
    let (code, _, err) = cp(
        &sim,
        &[os("-r"), &remote(&logs.join("a.log")), into.as_os_str()],
    )
    .await;
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("not a folder"), "{err}");
    no_session_left(&sim).await;
}

#[tokio::test]
async fn an_altered_copy_a_missing_file_and_a_folder_fail_with_a_sentence_leaving_nothing() {
    let sim = start_sim().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let source = dir.path().join("log.txt");
    std::fs::write(&source, "line\n".repeat(100_000)).expect("write");
    let into = dir.path().join("into");
    std::fs::create_dir(&into).expect("mkdir");

    let (code, _, err) = cp(
        &sim,
        &[&remote(&dir.path().join("nope.txt")), into.as_os_str()],
    )
    .await;
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("nope.txt: No such file or directory"), "{err}");

    let (code, _, err) = cp(&sim, &[&remote(dir.path()), into.as_os_str()]).await;
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("is a folder"), "{err}");

    let (code, _, err) = cp(
        &sim,
        &[
            source.as_os_str(),
            &remote(&dir.path().join("no/such/dir/")),
        ],
    )
    .await;
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("No such file or directory"), "{err}");

    sim.set_faults(Faults {
        corrupt_command_output: Some(250_000),
        ..Faults::default()
    });
    let (code, _, err) = cp(&sim, &[&remote(&source), into.as_os_str()]).await;
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("SHA-256") && err.contains("nothing was written"),
        "{err}"
    );
    assert!(names(&into).is_empty(), "nothing left: {:?}", names(&into));
    no_session_left(&sim).await;
}

#[tokio::test]
async fn a_signal_mid_copy_ends_its_session_and_leaves_nothing_on_either_side() {
    let sim = start_sim().await;
    // Acknowledgements held back: the upload's window fills and it crawls.
    sim.set_faults(Faults {
        ack_delay: std::time::Duration::from_millis(300),
        ..Faults::default()
    });
    let dir = tempfile::tempdir().expect("tempdir");
    let source = dir.path().join("big.bin");
    std::fs::write(&source, awkward_bytes()).expect("write");
    let into = dir.path().join("into");
    std::fs::create_dir(&into).expect("mkdir");
    let child = bosun(&sim)
        .arg("cp")
        .arg(&source)
        .arg(remote(&into))
        .spawn()
        .expect("spawn");
    let pid = child.id().expect("pid");
    common::eventually(
        std::time::Duration::from_secs(20),
        "the upload begins",
        || {
            let started = !names(&into).is_empty();
            async move { started }
        },
    )
    .await;
    rustix::process::kill_process(
        rustix::process::Pid::from_raw(pid as i32).expect("pid"),
        rustix::process::Signal::TERM,
    )
    .expect("kill");
    let (code, _, err) = finish(child).await;
    assert_eq!(code, 143, "{err}");
    assert!(err.contains("nothing partial was kept"), "{err}");
    common::eventually(
        std::time::Duration::from_secs(10),
        "the instance's temporary goes",
        || {
            let empty = names(&into).is_empty();
            async move { empty }
        },
    )
    .await;
    common::eventually(
        std::time::Duration::from_secs(10),
        "no session stays open",
        || async { active_sessions(&sim).await == 0 },
    )
    .await;
}

#[tokio::test]
async fn json_reports_each_file_and_read_only_refuses_uploads_only() {
    let sim = start_sim().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let source = dir.path().join("a.conf");
    std::fs::write(&source, "key = value\n").expect("write");
    let down = dir.path().join("b.conf");
    let (code, out, err) = finish(
        bosun(&sim)
            .args(["--read-only", "cp", "--json"])
            .arg(remote(&source))
            .arg(&down)
            .spawn()
            .expect("spawn"),
    )
    .await;
    assert_eq!(code, 0, "a download only reads: {err}");
    let line: serde_json::Value = serde_json::from_str(out.trim()).expect("one JSON object");
    assert_eq!(line["bytes"], 12);
    assert_eq!(line["path"], down.display().to_string());
    assert_eq!(
        line["sha256"],
        hex::encode(sha2::Sha256::digest(b"key = value\n"))
    );
    assert!(line["seconds"].as_f64().is_some());
    let (code, _, err) = finish(
        bosun(&sim)
            .args(["--read-only", "cp"])
            .arg(&source)
            .arg(remote(&dir.path().join("c.conf")))
            .spawn()
            .expect("spawn"),
    )
    .await;
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("refused by --read-only"), "{err}");
    assert!(!dir.path().join("c.conf").exists());
}

/// The console's file view reads folders through the same sessions: a folder with a name
/// that is not UTF-8 and a link lists whole, folders first; a missing folder and a file are
/// refused with `ls`'s sentence; no session stays open.
#[tokio::test]
async fn the_file_view_lists_a_folder_and_says_why_not_in_a_sentence() {
    use bosun::model::transfer::browse::EntryKind;
    use bosun::services::transfer::{OpenSessions, Remote, list};
    let sim = start_sim().await;
    let config = bosun::aws::demo_config(&sim.endpoint_url(), "us-east-1").await;
    let remote = Remote {
        clients: bosun::services::sources::SessionClients::new(&config),
        instance_id: common::demo_id("data-etl-1"),
        container: None,
        target: "data-etl-1".to_owned(),
        open: OpenSessions::default(),
    };
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path()
            .join(std::ffi::OsStr::from_bytes(b"caf\xe9 menu.txt")),
        b"soup",
    )
    .expect("write");
    std::fs::create_dir(dir.path().join("logs")).expect("mkdir");
    std::os::unix::fs::symlink("logs", dir.path().join("latest")).expect("link");
    let listing = list(&remote, dir.path().as_os_str().as_bytes())
        .await
        .expect("listed");
    let canonical = dir.path().canonicalize().expect("canonical");
    assert_eq!(listing.path, canonical.as_os_str().as_bytes());
    let seen: Vec<(&[u8], EntryKind, u64)> = listing
        .entries
        .iter()
        .map(|e| (e.name.as_slice(), e.kind, e.size))
        .collect();
    assert_eq!(seen[0].0, b"latest");
    assert_eq!(seen[0].1, EntryKind::Link { to_folder: true });
    assert_eq!(seen[1].0, b"logs");
    assert_eq!(seen[2], (&b"caf\xe9 menu.txt"[..], EntryKind::File, 4));
    let missing = list(&remote, b"/no/such/folder")
        .await
        .expect_err("missing");
    assert_eq!(
        missing.to_string(),
        "data-etl-1:/no/such/folder: No such file or directory"
    );
    let file = dir.path().join("logs/one.txt");
    std::fs::write(&file, b"1").expect("write");
    let not_folder = list(&remote, file.as_os_str().as_bytes())
        .await
        .expect_err("a file");
    assert!(
        not_folder.to_string().ends_with("not a folder"),
        "{not_folder}"
    );
    no_session_left(&sim).await;
}

/// A container has only ECS Exec's terminal: the bytes go both ways as base64 lines, byte-exact
/// (the sequence the agent alters, a lone CR, escape codes included), checked by SHA-256; a
/// missing file is `cp`'s sentence; a folder's download is refused with the way round it.
#[tokio::test]
async fn a_container_copies_both_ways_through_its_terminal() {
    let sim = start_sim().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let mut data = awkward_bytes();
    data.truncate(2 << 20);
    data.extend_from_slice(b"\r\n\x1b[0m\x03\x04\xef\xbf\xbd");
    let source = dir.path().join("dump.bin");
    std::fs::write(&source, &data).expect("write");
    let container = |path: &Path| {
        let mut arg = std::ffi::OsString::from("ecs:payments/fraud-scoring:");
        arg.push(path);
        arg
    };
    let down = dir.path().join("down.bin");
    let (code, _, err) = cp(&sim, &[&container(&source), down.as_os_str()]).await;
    assert_eq!(code, 0, "{err}");
    assert!(
        std::fs::read(&down).expect("down") == data,
        "byte-exact down"
    );
    let up = dir.path().join("up.bin");
    let (code, _, err) = cp(&sim, &[source.as_os_str(), &container(&up)]).await;
    assert_eq!(code, 0, "{err}");
    assert!(std::fs::read(&up).expect("up") == data, "byte-exact up");
    let (code, _, err) = cp(
        &sim,
        &[&container(&dir.path().join("nope")), dir.path().as_os_str()],
    )
    .await;
    assert_eq!(code, 1);
    assert!(err.contains("nope: No such file or directory"), "{err}");
    let (code, _, err) = cp(&sim, &[os("-r"), &container(dir.path()), os("/tmp")]).await;
    assert_eq!(code, 1);
    assert!(err.contains("tar the folder there"), "{err}");
    let mut left = names(dir.path());
    left.sort();
    assert_eq!(left, ["down.bin", "dump.bin", "up.bin"], "nothing partial");
    no_session_left(&sim).await;
}

/// A Windows instance is refused before any session, saying why.
#[tokio::test]
async fn a_windows_instance_is_refused_before_any_session() {
    let sim = start_sim().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let (code, _, err) = cp(
        &sim,
        &[
            os("web-legacy-iis:C:\\logs\\app.log"),
            dir.path().as_os_str(),
        ],
    )
    .await;
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("is a Windows instance"), "{err}");
    assert_eq!(sim.request_counts().get("ssm:StartSession"), None);
}
