//! `bosun replay` as a user meets it: a shell session recorded with `bosun shell --record`
//! against the simulator is dumped at its end and its start; a recording with markers at
//! known times is dumped at moments between them, through a resize; a file that is not a
//! recording is a sentence naming its line; the list of recordings beside the simulator's
//! session history (who, how it ended, who else was on the box), filtered.
#![cfg(unix)]

mod common;

use common::{bosun, run_with_input, start_sim};

fn replay(args: &[&std::ffi::OsStr]) -> (i32, String, String) {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_bosun"))
        .arg("replay")
        .args(args)
        .output()
        .expect("runs");
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

fn os(text: &str) -> &std::ffi::OsStr {
    std::ffi::OsStr::new(text)
}

#[tokio::test]
async fn a_recorded_shell_session_is_dumped_at_its_end_and_its_start() {
    let sim = start_sim().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("web.cast");
    let mut command = bosun(&sim);
    command
        .args(["shell", "payments-api-1", "--record"])
        .arg(&file);
    let (code, _, err) = run_with_input(command, "echo replay-$((40+2))\nexit\n").await;
    assert_eq!(code, 0, "{err}");
    let (code, end, err) = replay(&[file.as_os_str(), os("--dump")]);
    assert_eq!(code, 0, "{err}");
    assert!(end.contains("echo replay-$((40+2))\nreplay-42"), "{end}");
    let (code, start, _) = replay(&[file.as_os_str(), os("--dump"), os("--at"), os("0")]);
    assert_eq!(code, 0);
    assert!(!start.contains("replay-42"), "{start}");
}

#[test]
fn moments_between_markers_and_a_resize_land_where_they_should() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("marks.cast");
    std::fs::write(
        &file,
        concat!(
            "{\"version\": 2, \"width\": 40, \"height\": 6, \"timestamp\": 1790000000}\n",
            "[1.0, \"o\", \"first at one\\r\\n\"]\n",
            "[3600.0, \"o\", \"\\u001b[2J\\u001b[Han hour later\"]\n",
            "[3601.0, \"r\", \"10x4\"]\n",
            "[3602.0, \"o\", \"\\r\\nnarrow-after-the-resize\"]\n",
        ),
    )
    .expect("write");
    let at = |seconds: &str| {
        let (code, out, err) = replay(&[file.as_os_str(), os("--dump"), os("--at"), os(seconds)]);
        assert_eq!(code, 0, "{err}");
        out
    };
    assert_eq!(at("0.5"), "\n");
    assert_eq!(at("1"), "first at one\n");
    assert_eq!(at("3599.9"), "first at one\n");
    assert_eq!(at("3600"), "an hour later\n");
    let (_, end, _) = replay(&[file.as_os_str(), os("--dump"), os("--at-end")]);
    assert!(end.contains("narrow-aft"), "{end}");
    assert!(end.lines().all(|line| line.chars().count() <= 10), "{end}");
}

#[test]
fn what_is_not_a_recording_says_so_by_its_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("notes.txt");
    std::fs::write(
        &file,
        "{\"version\": 2, \"width\": 80, \"height\": 24}\nnot an event\n",
    )
    .expect("write");
    let (code, _, err) = replay(&[file.as_os_str(), os("--dump")]);
    assert_eq!(code, 2);
    assert!(err.contains("notes.txt: line 2: not JSON"), "{err}");
    let (code, _, err) = replay(&[dir.path().join("gone.cast").as_os_str(), os("--dump")]);
    assert_eq!(code, 2);
    assert!(err.contains("gone.cast: No such file"), "{err}");
}

/// The recordings in the state directory, newest first, and where a text was printed in them
/// (escapes aside); a file that is not a recording is named and the rest still listed.
#[test]
fn recordings_are_listed_and_searched() {
    let state = tempfile::tempdir().expect("state");
    let dir = state.path().join("bosun").join("recordings");
    std::fs::create_dir_all(&dir).expect("mkdir");
    std::fs::write(
        dir.join("web-1.cast"),
        concat!(
            "{\"version\": 2, \"width\": 80, \"height\": 24, \"timestamp\": 1790000000, \"title\": \"bosun: web-1 (i-0aaa)\"}\n",
            "[2.0, \"o\", \"$ sudo syst\"]\n",
            "[3.5, \"o\", \"\\u001b[1mem\\u001b[0mctl restart nginx\\r\\n\"]\n",
        ),
    )
    .expect("write");
    std::fs::write(
        dir.join("db-1.cast"),
        concat!(
            "{\"version\": 2, \"width\": 80, \"height\": 24, \"timestamp\": 1790003600, \"title\": \"bosun: db-1 (i-0bbb)\"}\n",
            "[75.0, \"o\", \"systemctl status postgresql\\r\\n\"]\n",
        ),
    )
    .expect("write");
    std::fs::write(dir.join("broken.cast"), "nope\n").expect("write");
    let run = |args: &[&str]| {
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_bosun"))
            .arg("recordings")
            .args(args)
            .env("XDG_STATE_HOME", state.path())
            .output()
            .expect("runs");
        (
            output.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&output.stdout).into_owned(),
            String::from_utf8_lossy(&output.stderr).into_owned(),
        )
    };
    let (code, out, err) = run(&["--json", "--local"]);
    assert_eq!(code, 0, "{err}");
    let rows: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON"))
        .collect();
    assert_eq!(rows.len(), 2, "{out}");
    assert_eq!(rows[0]["instance_id"], "i-0bbb", "newest first");
    assert_eq!(rows[0]["name"], "db-1");
    assert_eq!(rows[1]["seconds"], 3.5);
    assert!(err.contains("broken.cast: line 1"), "{err}");
    let (code, out, _) = run(&["search", "systemctl", "--json"]);
    assert_eq!(code, 0);
    let moments: Vec<(String, f64)> = out
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).expect("JSON"))
        .map(|v| {
            (
                v["title"].as_str().unwrap_or("").to_owned(),
                v["at"].as_f64().unwrap_or(-1.0),
            )
        })
        .collect();
    assert_eq!(
        moments,
        [
            ("bosun: db-1 (i-0bbb)".to_owned(), 75.0),
            ("bosun: web-1 (i-0aaa)".to_owned(), 3.5)
        ]
    );
    let (code, out, _) = run(&["--local", "--filter", "name:web"]);
    assert_eq!(code, 0);
    assert!(
        out.contains("web-1.cast") && !out.contains("db-1.cast"),
        "{out}"
    );
    let (code, out, _) = run(&["search", "systemctl"]);
    assert_eq!(code, 0);
    assert!(out.contains("at 1:15  bosun: db-1 (i-0bbb)"), "{out}");
    let (code, _, err) = run(&["search", "reboot"]);
    assert_eq!(code, 1);
    assert!(err.contains("\"reboot\" was printed in none"), "{err}");
}

/// A session recorded into the state directory is listed beside the session history the
/// simulator keeps: its owner, document and how it ended, and the other user who was on the
/// same instance meanwhile; the filter finds it by either.
#[tokio::test]
async fn recordings_are_joined_with_the_session_history() {
    let sim = start_sim().await;
    let state = tempfile::tempdir().expect("state");
    let dir = state.path().join("bosun").join("recordings");
    std::fs::create_dir_all(&dir).expect("mkdir");
    let file = dir.join("payments.cast");
    let as_user = |key: &str| {
        let mut command = bosun(&sim);
        command
            .env("AWS_ACCESS_KEY_ID", key)
            .env("XDG_STATE_HOME", state.path());
        command
    };
    let mut alice = as_user("AKIDALICE");
    alice
        .args(["shell", "payments-api-1", "--record"])
        .arg(&file);
    let mut bob = as_user("AKIDBOB");
    bob.args(["shell", "payments-api-1"]);
    let bob_on_the_box = async { run_with_input(bob, "sleep 3; exit\n").await };
    let alice_recorded = async {
        tokio::time::sleep(std::time::Duration::from_millis(800)).await;
        run_with_input(alice, "echo joined-$((40+2))\nexit\n").await
    };
    let (bob_done, alice_done) = tokio::join!(bob_on_the_box, alice_recorded);
    assert_eq!(bob_done.0, 0, "{}", bob_done.2);
    assert_eq!(alice_done.0, 0, "{}", alice_done.2);
    let list = async |args: &[&str]| {
        let output = as_user("AKIDALICE")
            .arg("recordings")
            .args(args)
            .output()
            .await
            .expect("runs");
        (
            output.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&output.stdout).into_owned(),
            String::from_utf8_lossy(&output.stderr).into_owned(),
        )
    };
    let (code, out, err) = list(&["--json"]).await;
    assert_eq!(code, 0, "{err}");
    let row: serde_json::Value = serde_json::from_str(out.trim()).expect("one JSON row");
    let session_id = row["session_id"]
        .as_str()
        .expect("the header carries the session");
    assert!(alice_done.2.contains(session_id), "{}", alice_done.2);
    assert_eq!(row["session"]["session_id"], session_id);
    assert!(
        row["session"]["owner"]
            .as_str()
            .unwrap_or("")
            .ends_with("user/AKIDALICE"),
        "{row}"
    );
    assert_eq!(row["session"]["document"], "SSM-SessionManagerRunShell");
    assert_eq!(row["session"]["status"], "Terminated", "{row}");
    let others = row["others"].as_array().expect("others");
    assert!(
        others
            .iter()
            .any(|s| s["owner"].as_str().unwrap_or("").ends_with("user/AKIDBOB")),
        "{row}"
    );
    let (code, out, _) = list(&[]).await;
    assert_eq!(code, 0);
    assert!(
        out.contains("AKIDALICE") && out.contains("AKIDBOB"),
        "{out}"
    );
    assert!(
        out.contains("Terminated") && out.contains("payments.cast"),
        "{out}"
    );
    let (_, out, _) = list(&["--filter", "owner:akidalice others:akidbob"]).await;
    assert!(out.contains("payments.cast"), "{out}");
    let (_, out, _) = list(&["--filter", "owner:carol"]).await;
    assert!(out.contains("no recording matches"), "{out}");
    let (code, out, _) = list(&["search", "joined-42", "--json"]).await;
    assert_eq!(code, 0);
    assert!(out.contains(session_id), "{out}");
    // The moment the search names shows the text when replayed there.
    let (_, out, _) = list(&["search", "joined-42"]).await;
    let at = out
        .lines()
        .next()
        .and_then(|line| line.split("--at ").nth(1))
        .and_then(|rest| rest.strip_suffix(')'))
        .expect("a moment to replay");
    let (code, screen, err) = replay(&[file.as_os_str(), os("--dump"), os("--at"), os(at)]);
    assert_eq!(code, 0, "{err}");
    assert!(screen.contains("joined-42"), "at {at}: {screen}");
}

/// The player as a person meets it, on a terminal: it shows the timeline, `/` jumps to the
/// moment a text appeared (paused there), `g` and `G` go to the start and the end (the
/// recording's resize honoured), and `q` gives the terminal back.
#[tokio::test]
async fn the_player_in_a_terminal_searches_seeks_and_gives_the_terminal_back() {
    use tokio::io::AsyncWriteExt;
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("incident.cast");
    std::fs::write(
        &file,
        concat!(
            "{\"version\": 2, \"width\": 60, \"height\": 8, \"timestamp\": 1790000000}\n",
            "[1.0, \"o\", \"first at one\\r\\n\"]\n",
            "[1800.0, \"o\", \"\\u001b[2J\\u001b[Hsudo systemctl \\u001b[1mrestart\\u001b[0m nginx\\r\\n\"]\n",
            "[3601.0, \"r\", \"20x4\"]\n",
            "[3602.0, \"o\", \"narrow-at-the-end\"]\n",
        ),
    )
    .expect("write");
    let (mut child, mut view, mut keys) =
        common::pty::bosun_in_pty(12, 100, |command| command.arg("replay").arg(&file));
    view.wait_for("/ 1:00:02").await;
    view.wait_for("first at one").await;
    keys.write_all(b"/systemctl restart\r").await.expect("type");
    view.wait_for("1 of 1 at 30:00").await;
    view.wait_for("sudo systemctl restart nginx").await;
    assert!(view.parser.screen().contents().contains("❚❚ 1× 30:00"));
    keys.write_all(b"G").await.expect("type");
    view.wait_for("narrow-at-the-end").await;
    view.wait_for("1:00:02 / 1:00:02").await;
    keys.write_all(b"g").await.expect("type");
    view.wait_for("❚❚ 1× 0:00 / 1:00:02").await;
    assert!(
        !view
            .parser
            .screen()
            .contents()
            .contains("narrow-at-the-end")
    );
    keys.write_all(b"q").await.expect("type");
    let status = tokio::time::timeout(std::time::Duration::from_secs(10), child.wait())
        .await
        .expect("quits")
        .expect("status");
    assert!(status.success());
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(2);
    while view.read_some(deadline).await {}
    let tail = String::from_utf8_lossy(&view.raw[view.raw.len().saturating_sub(200)..]);
    assert!(
        tail.contains("\u{1b}[?1049l"),
        "the alternate screen is left: {tail:?}"
    );
}
