//! The Files view's actions: into a folder and up, reading it again, following a file in a
//! pane, and the prompts that start a download or an upload (the copies themselves are the
//! runtime's, through `services::transfer`); and the facts that come back.

use crate::app::State;
use crate::app::action::Action;
use crate::app::editor::{LineEditor, TextInput};
use crate::app::effect::{Effect, FileCopy};
use crate::app::overlays::Overlay;
use crate::app::views::{Outcome, View, lists};
use crate::model::instance::Ping;
use crate::model::pane::PaneTarget;
use crate::model::transfer::browse::{EntryKind, RemoteListing};
use crate::model::transfer::shown_bytes;

use super::{FilesAt, FilesPrompt, FilesPromptKind};

/// Where the view starts on an instance: the session user's home, as `ls` in a new shell.
const START: &[u8] = b".";

/// The Files view on `at`, reading its start folder (the same instance keeps its folder).
pub(crate) fn open(state: &mut State, at: FilesAt) -> Vec<Effect> {
    state.view = View::Files;
    state.close_overlay();
    let files = &mut state.files;
    let same = files.at.as_ref() == Some(&at) && !files.path.is_empty();
    let path = if same {
        files.path.clone()
    } else {
        START.to_vec()
    };
    files.at = Some(at);
    read(state, path)
}

/// Asks for `path` to be listed.
fn read(state: &mut State, path: Vec<u8>) -> Vec<Effect> {
    let Some(at) = state.files.at.clone() else {
        return Vec::new();
    };
    state.files.reading(path.clone());
    vec![Effect::ListFolder { at, path }]
}

/// A folder's listing came (or why not); a late answer for a folder left meanwhile is dropped.
pub(crate) fn listed(
    state: &mut State,
    instance_id: &str,
    asked: &[u8],
    result: Result<RemoteListing, String>,
) {
    let files = &mut state.files;
    let current = files
        .at
        .as_ref()
        .is_some_and(|at| at.instance_id == instance_id);
    if !current || files.path != asked || files.listing.is_some() {
        return;
    }
    match result {
        Ok(listing) => files.listed(listing),
        Err(error) => files.failed(error),
    }
    files.keep_in_view(state.frame.table_rows);
}

pub(crate) fn act_on_files(state: &mut State, action: Action) -> Outcome {
    let files = &mut state.files;
    match action {
        _ if let Some(to) = lists::moved(
            files.selected,
            files.entries().len(),
            state.frame.table_rows,
            action,
        ) =>
        {
            files.selected = to;
            files.keep_in_view(state.frame.table_rows);
        }
        Action::OpenEntry => return Outcome::Done(open_entry(state)),
        Action::GoUp => {
            let up = files.going_up();
            return Outcome::Done(read(state, up));
        }
        Action::Refresh => {
            let path = files.path.clone();
            return Outcome::Done(read(state, path));
        }
        Action::FollowFile => return follow(state),
        Action::DownloadFile => download_prompt(state),
        Action::UploadFile => upload_prompt(state),
        _ => return Outcome::Done(lists::shared(state, action).unwrap_or_default()),
    }
    Outcome::nothing()
}

/// Enter: into a folder (or a link to one); over a file, what can be done with it.
fn open_entry(state: &mut State) -> Vec<Effect> {
    let files = &state.files;
    let (Some(entry), Some(path)) = (files.selected_entry(), files.selected_path()) else {
        return Vec::new();
    };
    if entry.is_folder() {
        return read(state, path);
    }
    let what = match entry.kind {
        EntryKind::Link { .. } => "a link to a file",
        EntryKind::Other => "not a regular file",
        _ => "a file",
    };
    state.frame.notice = Some(format!(
        "{} is {what}: t follows it, g downloads it",
        shown_bytes(&entry.name)
    ));
    Vec::new()
}

/// `t`: a pane running `tail -F` on the selected file.
fn follow(state: &mut State) -> Outcome {
    let files = &state.files;
    let (Some(at), Some(entry), Some(path)) =
        (&files.at, files.selected_entry(), files.selected_path())
    else {
        return Outcome::nothing();
    };
    if entry.is_folder() {
        state.frame.notice = Some(format!(
            "{} is a folder: Enter goes into it",
            shown_bytes(&entry.name)
        ));
        return Outcome::nothing();
    }
    let command = format!(
        "{}; exec tail -n 200 -F -- \"$f\"",
        crate::model::transfer::script::assign("f", &path)
    );
    Outcome::OpenShells(vec![PaneTarget {
        instance_id: at.instance_id.clone(),
        name: format!("tail {}:{}", at.name, shown_bytes(&entry.name)),
        profile: at.profile.clone(),
        region: at.region.clone(),
        ping: Ping::Online,
        container: None,
        command: Some(command),
        replay: None,
    }])
}

/// `g`: the local path asked, the file's name in the current folder offered.
fn download_prompt(state: &mut State) {
    let files = &state.files;
    let (Some(entry), Some(path)) = (files.selected_entry(), files.selected_path()) else {
        return;
    };
    if entry.is_folder() {
        state.frame.notice = Some(format!(
            "{} is a folder: `bosun cp -r` copies folders",
            shown_bytes(&entry.name)
        ));
        return;
    }
    let offered = String::from_utf8_lossy(&entry.name).into_owned();
    state.overlay = Some(Overlay::FilesPrompt(FilesPrompt {
        kind: FilesPromptKind::Download { remote: path },
        line: LineEditor::new(offered),
    }));
}

/// `p`: which local file to put into the folder shown.
fn upload_prompt(state: &mut State) {
    if state.frame.read_only {
        state.frame.notice =
            Some("refused by --read-only: an upload writes to the instance".to_owned());
        return;
    }
    if state.files.listing.is_none() {
        return;
    }
    state.overlay = Some(Overlay::FilesPrompt(FilesPrompt {
        kind: FilesPromptKind::Upload {
            folder: state.files.path.clone(),
        },
        line: LineEditor::default(),
    }));
}

/// A key in a files prompt: Enter starts the copy, esc drops it.
pub(crate) fn prompt_input(
    state: &mut State,
    mut prompt: FilesPrompt,
    text: TextInput,
) -> Vec<Effect> {
    match text {
        TextInput::Cancel => Vec::new(),
        TextInput::Enter => {
            let local = prompt.line.text().trim().to_owned();
            let Some(at) = state.files.at.clone() else {
                return Vec::new();
            };
            if local.is_empty() {
                state.overlay = Some(Overlay::FilesPrompt(prompt));
                return Vec::new();
            }
            let copy = match prompt.kind {
                FilesPromptKind::Download { remote } => FileCopy::Down {
                    at,
                    remote,
                    local: local.into(),
                },
                FilesPromptKind::Upload { folder } => FileCopy::Up {
                    at,
                    folder,
                    local: local.into(),
                },
            };
            state.frame.notice = Some(copy.starting());
            vec![Effect::CopyFile(copy)]
        }
        text => {
            prompt.line.edit(&text);
            state.overlay = Some(Overlay::FilesPrompt(prompt));
            Vec::new()
        }
    }
}

/// A copy's progress or its end, for the status line; an upload into the folder shown reads
/// it again so the file appears.
pub(crate) fn copy_said(state: &mut State, text: String, reread: Option<Vec<u8>>) -> Vec<Effect> {
    state.frame.notice = Some(text);
    match reread {
        Some(folder) if state.view == View::Files && state.files.path == folder => {
            read(state, folder)
        }
        _ => Vec::new(),
    }
}
