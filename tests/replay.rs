//! `bosun replay` as a user meets it: a shell session recorded with `bosun shell --record`
//! against the simulator is dumped at its end and its start; a recording with markers at
//! known times is dumped at moments between them, through a resize; a file that is not a
//! recording is a sentence naming its line.
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
