//! The Files view: `b` on a fleet row lists its start folder, Enter goes in, `-` goes up and
//! lands on the folder left, late answers are dropped, `t` opens a `tail -F` pane, `g` and `p`
//! ask for a local path and start the copy, --read-only refuses uploads, and what cannot be
//! read is said in place of the listing.

use crate::app::effect::FileCopy;
use crate::app::test_support::*;
use crate::app::views::files::FilesAt;
use crate::model::transfer::browse::{EntryKind, RemoteEntry, RemoteListing};

fn entry(name: &str, kind: EntryKind) -> RemoteEntry {
    RemoteEntry {
        name: name.as_bytes().to_vec(),
        kind,
        size: 1234,
        modified: 1_790_000_000,
        owner: "ec2-user".to_owned(),
    }
}

fn listing(path: &str, entries: Vec<RemoteEntry>) -> RemoteListing {
    RemoteListing {
        path: path.as_bytes().to_vec(),
        entries,
        cut: false,
    }
}

/// The fleet with web-2 (online) selected, then `b`.
fn browsing() -> (State, FilesAt) {
    let mut state = with_screen(loaded());
    let at = names(&state)
        .iter()
        .position(|name| *name == "web-2")
        .expect("web-2 shows");
    state.fleet.selected = at;
    let effects = press(&mut state, KeyCode::Char('b'), KeyModifiers::NONE);
    assert_eq!(state.view, View::Files);
    let [Effect::ListFolder { at, path }] = effects.as_slice() else {
        panic!("one listing asked: {effects:?}");
    };
    assert_eq!(path, b".", "the session user's home first");
    assert_eq!(at.instance_id, "i-02");
    assert_eq!(at.name, "web-2");
    (state, at.clone())
}

fn answer(state: &mut State, asked: &str, result: Result<RemoteListing, String>) {
    let _ = update(
        state,
        Input::FolderListed {
            instance_id: "i-02".to_owned(),
            path: asked.as_bytes().to_vec(),
            result,
        },
    );
}

fn home(state: &mut State) {
    answer(
        state,
        ".",
        Ok(listing(
            "/home/ec2-user",
            vec![
                entry("logs", EntryKind::Folder),
                entry("app.conf", EntryKind::File),
            ],
        )),
    );
}

#[test]
fn folders_open_and_going_up_lands_on_the_folder_left() {
    let (mut state, at) = browsing();
    home(&mut state);
    assert_eq!(state.files.where_shown(), "web-2:/home/ec2-user");
    assert_eq!(state.files.entries().len(), 2);
    let effects = press(&mut state, KeyCode::Enter, KeyModifiers::NONE);
    assert_eq!(
        effects,
        vec![Effect::ListFolder {
            at: at.clone(),
            path: b"/home/ec2-user/logs".to_vec()
        }]
    );
    assert!(state.files.listing.is_none(), "reading");
    // An answer for a folder no longer asked for is dropped.
    answer(&mut state, ".", Ok(listing("/elsewhere", Vec::new())));
    assert!(state.files.listing.is_none());
    answer(
        &mut state,
        "/home/ec2-user/logs",
        Ok(listing(
            "/home/ec2-user/logs",
            vec![entry("app.log", EntryKind::File)],
        )),
    );
    assert_eq!(state.files.where_shown(), "web-2:/home/ec2-user/logs");
    // Enter on a file says what can be done with it.
    assert!(press(&mut state, KeyCode::Enter, KeyModifiers::NONE).is_empty());
    assert!(
        state
            .frame
            .notice
            .as_deref()
            .unwrap_or("")
            .contains("t follows it"),
        "{:?}",
        state.frame.notice
    );
    let effects = press(&mut state, KeyCode::Char('-'), KeyModifiers::NONE);
    assert_eq!(
        effects,
        vec![Effect::ListFolder {
            at,
            path: b"/home/ec2-user".to_vec()
        }]
    );
    answer(
        &mut state,
        "/home/ec2-user",
        Ok(listing(
            "/home/ec2-user",
            vec![
                entry("bin", EntryKind::Folder),
                entry("logs", EntryKind::Folder),
                entry("app.conf", EntryKind::File),
            ],
        )),
    );
    assert_eq!(state.files.selected, 1, "back on logs");
}

#[test]
fn a_folder_that_cannot_be_read_is_said_in_its_place() {
    let (mut state, _) = browsing();
    answer(
        &mut state,
        ".",
        Err("web-2:/root: Permission denied".to_owned()),
    );
    assert_eq!(
        state.files.error.as_deref(),
        Some("web-2:/root: Permission denied")
    );
    assert!(state.files.entries().is_empty());
    // `r` tries again.
    assert!(matches!(
        press(&mut state, KeyCode::Char('r'), KeyModifiers::NONE).as_slice(),
        [Effect::ListFolder { .. }]
    ));
    assert!(state.files.error.is_none());
}

#[test]
fn t_follows_the_file_in_a_pane_of_its_own() {
    let (mut state, _) = browsing();
    home(&mut state);
    press(&mut state, KeyCode::Down, KeyModifiers::NONE);
    let effects = press(&mut state, KeyCode::Char('t'), KeyModifiers::NONE);
    assert!(
        matches!(effects.as_slice(), [Effect::OpenPanes(_)]),
        "{effects:?}"
    );
    assert_eq!(state.view, View::Panes);
    let pane = state.panes.workspace.focused().expect("a pane");
    assert_eq!(pane.target.instance_id, "i-02");
    assert_eq!(pane.target.name, "tail web-2:app.conf");
    assert_eq!(
        pane.target.command.as_deref(),
        Some("f='/home/ec2-user/app.conf'; exec tail -n 200 -F -- \"$f\"")
    );
}

#[test]
fn g_asks_where_then_downloads_and_p_uploads_unless_read_only() {
    let (mut state, at) = browsing();
    home(&mut state);
    // On a folder, g says how folders are copied.
    assert!(press(&mut state, KeyCode::Char('g'), KeyModifiers::NONE).is_empty());
    assert!(state.overlay.is_none());
    press(&mut state, KeyCode::Down, KeyModifiers::NONE);
    press(&mut state, KeyCode::Char('g'), KeyModifiers::NONE);
    assert_eq!(state.mode(), Mode::FilesPrompt);
    // The file's name in the current folder is offered; the user makes it a path of theirs.
    for c in ".bak".chars() {
        press(&mut state, KeyCode::Char(c), KeyModifiers::NONE);
    }
    let effects = press(&mut state, KeyCode::Enter, KeyModifiers::NONE);
    assert_eq!(
        effects,
        vec![Effect::CopyFile(FileCopy::Down {
            at: at.clone(),
            remote: b"/home/ec2-user/app.conf".to_vec(),
            local: "app.conf.bak".into(),
        })]
    );
    assert!(state.overlay.is_none());
    // Its progress and end are said; an upload's end reads the folder again.
    let _ = update(
        &mut state,
        Input::FileCopy(crate::app::input::CopySaid {
            text: "copied app.conf.bak".to_owned(),
            reread: None,
        }),
    );
    assert_eq!(state.frame.notice.as_deref(), Some("copied app.conf.bak"));
    press(&mut state, KeyCode::Char('p'), KeyModifiers::NONE);
    for c in "/tmp/new.conf".chars() {
        press(&mut state, KeyCode::Char(c), KeyModifiers::NONE);
    }
    let effects = press(&mut state, KeyCode::Enter, KeyModifiers::NONE);
    assert_eq!(
        effects,
        vec![Effect::CopyFile(FileCopy::Up {
            at,
            folder: b"/home/ec2-user".to_vec(),
            local: "/tmp/new.conf".into(),
        })]
    );
    let reread = update(
        &mut state,
        Input::FileCopy(crate::app::input::CopySaid {
            text: "copied".to_owned(),
            reread: Some(b"/home/ec2-user".to_vec()),
        }),
    );
    assert!(matches!(reread.as_slice(), [Effect::ListFolder { .. }]));
    // esc drops a prompt; --read-only refuses the upload outright.
    home_again(&mut state);
    press(&mut state, KeyCode::Char('p'), KeyModifiers::NONE);
    assert!(press(&mut state, KeyCode::Esc, KeyModifiers::NONE).is_empty());
    assert!(state.overlay.is_none());
    state.frame.read_only = true;
    press(&mut state, KeyCode::Char('p'), KeyModifiers::NONE);
    assert!(state.overlay.is_none());
    assert!(
        state
            .frame
            .notice
            .as_deref()
            .unwrap_or("")
            .contains("--read-only"),
        "{:?}",
        state.frame.notice
    );
}

fn home_again(state: &mut State) {
    answer(
        state,
        "/home/ec2-user",
        Ok(listing(
            "/home/ec2-user",
            vec![entry("app.conf", EntryKind::File)],
        )),
    );
}

#[test]
fn windows_and_unmanaged_instances_are_not_browsed() {
    let mut state = with_screen(loaded());
    let at = names(&state)
        .iter()
        .position(|name| *name == "db-3")
        .expect("db-3 shows");
    state.fleet.selected = at;
    assert!(press(&mut state, KeyCode::Char('b'), KeyModifiers::NONE).is_empty());
    assert_eq!(state.view, View::Fleet);
    assert!(
        state
            .frame
            .notice
            .as_deref()
            .unwrap_or("")
            .contains("not managed")
    );
    let web = names(&state)
        .iter()
        .position(|n| *n == "web-2")
        .expect("web-2");
    state.fleet.selected = web;
    let row = state.fleet.visible[web];
    state.fleet.rows[row].platform = "Windows".to_owned();
    assert!(press(&mut state, KeyCode::Char('b'), KeyModifiers::NONE).is_empty());
    assert!(
        state
            .frame
            .notice
            .as_deref()
            .unwrap_or("")
            .contains("bosun cp")
    );
}
