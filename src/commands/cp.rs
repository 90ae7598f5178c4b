//! `bosun cp SRC… DST`: files to and from one instance over Session Manager. Like `cp`: quiet
//! when it works (a progress line on a terminal, one closing line per file saying its SHA-256
//! agreed on both sides), a sentence per file that failed, exit status 1 if any did, 2 when
//! asked wrongly. `--read-only` lets downloads run (their command only reads) and refuses
//! uploads. A signal ends the copy's sessions at AWS and leaves no partial file.

use std::io::{IsTerminal as _, Write as _};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use crate::aws::target;
use crate::cli::{CpArgs, GlobalArgs};
use crate::model::format;
use crate::model::transfer::{self, Direction, RemotePath};
use crate::services;
use crate::services::session::FAILURE;
use crate::services::sources::Source;
use crate::services::transfer::{Copied, CopyError, OpenSessions, Progress, Remote, Tick};
use crate::signals::Signals;

pub async fn run(global: &GlobalArgs, args: &CpArgs) -> i32 {
    let mut signals = Signals::all();
    let direction = match transfer::direction(&args.paths) {
        Ok(direction) => direction,
        Err(error) => {
            say!("bosun cp: {error}");
            return 2;
        }
    };
    let target_name = match &direction {
        Direction::Download { sources, .. } => {
            let first = &sources[0].target;
            if let Some(other) = sources.iter().find(|s| &s.target != first) {
                say!(
                    "bosun cp: copy from one target at a time ({first} and {} here)",
                    other.target
                );
                return 2;
            }
            first.clone()
        }
        Direction::Upload { destination, .. } => {
            if global.read_only {
                say!(
                    "bosun cp: refused by --read-only (an upload writes to {})",
                    destination.shown()
                );
                return 2;
            }
            destination.target.clone()
        }
    };
    let remote = match crate::model::container::EcsTarget::parse(&target_name) {
        Some(Ok(container)) => connect_container(global, &target_name, container).await,
        Some(Err(error)) => {
            say!("bosun cp: {error}");
            return 2;
        }
        None => connect(global, &target_name).await,
    };
    let remote = match remote {
        Ok(remote) => remote,
        Err(code) => return code,
    };
    let display = Display::new(args);
    let copies = async {
        let mut failed = false;
        match &direction {
            Direction::Download {
                sources,
                destination,
            } => {
                let into_folder = destination.is_dir() || sources.len() > 1;
                if sources.len() > 1 && !destination.is_dir() {
                    say!(
                        "bosun cp: {}: not a folder (several sources need one)",
                        destination.display()
                    );
                    return 1;
                }
                for source in sources {
                    let local = local_name(destination, source, into_folder);
                    let progress = display.start(&source.shown());
                    let result = download_one(&remote, args, source, &local, progress).await;
                    failed |= !display.finish(&source.shown(), result);
                }
            }
            Direction::Upload {
                sources,
                destination,
            } => {
                // The blast radius: what is written where, before anything is.
                if !args.quiet && !args.json {
                    let what = if args.recursive {
                        let names: Vec<String> =
                            sources.iter().map(|s| s.display().to_string()).collect();
                        format!("the folder{} {}", plural(sources.len()), names.join(", "))
                    } else {
                        let bytes: u64 = sources
                            .iter()
                            .filter_map(|source| std::fs::metadata(source).ok())
                            .map(|metadata| metadata.len())
                            .sum();
                        format!(
                            "{} file{} ({})",
                            sources.len(),
                            plural(sources.len()),
                            format::bytes(bytes)
                        )
                    };
                    say!(
                        "bosun cp: writing {what} to {} ({}) at {}",
                        remote.target,
                        remote.instance_id,
                        transfer::shown_bytes(&destination.path)
                    );
                }
                for source in sources {
                    let shown = source.display().to_string();
                    let progress = display.start(&shown);
                    let result = upload_one(&remote, args, source, destination, progress).await;
                    failed |= !display.finish(&shown, result);
                }
            }
        }
        i32::from(failed)
    };
    tokio::select! {
        status = copies => status,
        leave = signals.next() => {
            display.clear();
            remote.open.end_all(&remote.clients.ssm).await;
            say!("bosun cp: stopped by {leave}; nothing partial was kept");
            leave.exit_status()
        }
    }
}

/// The instance behind `target`, with the clients its sessions need.
async fn connect(global: &GlobalArgs, target_name: &str) -> Result<Remote, i32> {
    let in_org = super::org::wanted(global);
    let (config, located) = match super::org::config_for(global, target_name, "cp", in_org).await {
        Ok(found) => found,
        Err(super::org::NoConfig::ToSay(error)) => {
            say!("bosun cp: {error}");
            return Err(2);
        }
        Err(super::org::NoConfig::Said(code)) => return Err(code),
    };
    let source = Source {
        profile: super::profile_name(global),
        config,
    };
    let clients = source.session_clients();
    let instance_id = match located {
        Some(id) => id,
        None => match target::resolve(&clients.ssm, &clients.ec2, target_name).await {
            Ok(id) => id,
            Err(error) => {
                say!("bosun cp: {error}");
                return Err(match error {
                    target::TargetError::Lookup { .. } => FAILURE,
                    _ => 2,
                });
            }
        },
    };
    // The scripts are POSIX shell: a Windows instance's PowerShell would answer them with
    // errors, so it is refused before any session, saying so.
    if target::platform_of(&clients.ssm, &instance_id)
        .await
        .as_deref()
        == Some("Windows")
    {
        say!(
            "bosun cp: {target_name} is a Windows instance; bosun cp speaks to Linux and macOS \
             shells (and containers) so far"
        );
        return Err(2);
    }
    Ok(Remote {
        clients,
        instance_id,
        container: None,
        target: target_name.to_owned(),
        open: OpenSessions::default(),
    })
}

/// The container behind an `ecs:` target (looked for in every account under `--org`): its
/// copies go through ECS Exec's terminal, one session each.
async fn connect_container(
    global: &GlobalArgs,
    target_name: &str,
    container: crate::model::container::EcsTarget,
) -> Result<Remote, i32> {
    let found = if super::org::wanted(global) {
        super::org::locate_container(global, &container).await
    } else {
        let config = super::regional_config(global, "cp").await?;
        let profile = super::profile_name(global);
        let region = config.region().map(ToString::to_string).unwrap_or_default();
        let ecs = aws_sdk_ecs::Client::new(&config);
        crate::aws::containers::resolve(&ecs, &container, &profile, &region)
            .await
            .map(|row| (config, profile, row))
    };
    let (config, profile, row) = found.map_err(|error| {
        say!("bosun cp: {error}");
        FAILURE
    })?;
    let clients = Source { profile, config }.session_clients();
    Ok(Remote {
        clients,
        instance_id: row.ssm_target(),
        container: Some(Box::new(row)),
        target: target_name.to_owned(),
        open: OpenSessions::default(),
    })
}

/// One source down: a file, or with `-r` a folder.
async fn download_one(
    remote: &Remote,
    args: &CpArgs,
    source: &RemotePath,
    local: &Path,
    progress: Progress,
) -> Result<Vec<Copied>, CopyError> {
    let sessions = usize::from(args.sessions);
    if args.recursive {
        services::transfer::download_tree(remote, &source.path, local, sessions, progress).await
    } else {
        services::transfer::download(remote, &source.path, local, sessions, progress)
            .await
            .map(|copied| vec![copied])
    }
}

/// One source up: a file, or with `-r` a folder.
async fn upload_one(
    remote: &Remote,
    args: &CpArgs,
    source: &Path,
    destination: &RemotePath,
    progress: Progress,
) -> Result<Vec<Copied>, CopyError> {
    if args.recursive {
        services::transfer::upload_tree(remote, source, &destination.path, progress).await
    } else {
        services::transfer::upload(remote, source, &destination.path, progress)
            .await
            .map(|copied| vec![copied])
    }
}

/// Where a download lands: DST itself, or the source's name inside the folder DST.
fn local_name(destination: &Path, source: &RemotePath, into_folder: bool) -> PathBuf {
    if into_folder {
        destination.join(crate::platform::os_string_from_bytes(
            source.file_name().to_vec(),
        ))
    } else {
        destination.to_path_buf()
    }
}

fn plural(count: usize) -> &'static str {
    if count == 1 { "" } else { "s" }
}

/// How often the progress line is drawn at most.
const DRAW_EVERY: Duration = Duration::from_millis(100);

/// What the user sees: a progress line on a terminal, a closing line per file, `--json`
/// objects, errors as sentences.
struct Display {
    json: bool,
    live: bool,
    quiet: bool,
}

impl Display {
    fn new(args: &CpArgs) -> Display {
        Display {
            json: args.json,
            live: !args.quiet && !args.json && std::io::stderr().is_terminal(),
            quiet: args.quiet,
        }
    }

    /// A progress reporter for one file: bytes, rate and time left, drawn at most ten times a
    /// second.
    fn start(&self, name: &str) -> Progress {
        let moved = Arc::new(AtomicU64::new(0));
        let total = Arc::new(AtomicU64::new(0));
        let began = Instant::now();
        let last_drawn = Arc::new(AtomicU64::new(0));
        let live = self.live;
        let name = name.to_owned();
        Arc::new(move |tick| {
            let so_far = match tick {
                Tick::Total(size) => {
                    total.store(size, Ordering::Relaxed);
                    return;
                }
                Tick::Moved(bytes) => moved.fetch_add(bytes, Ordering::Relaxed) + bytes,
            };
            if !live {
                return;
            }
            let elapsed = began.elapsed();
            let millis = elapsed.as_millis() as u64;
            if millis.saturating_sub(last_drawn.load(Ordering::Relaxed))
                < DRAW_EVERY.as_millis() as u64
            {
                return;
            }
            last_drawn.store(millis, Ordering::Relaxed);
            let line = format::transfer_progress(so_far, total.load(Ordering::Relaxed), elapsed);
            let mut stderr = std::io::stderr().lock();
            let _ = write!(stderr, "\r\x1b[K{name}  {line}");
            let _ = stderr.flush();
        })
    }

    fn clear(&self) {
        if self.live {
            eprint!("\r\x1b[K");
        }
    }

    /// Reports a copy's outcome (a file, or a folder's files); true when it was copied.
    fn finish(&self, from: &str, result: Result<Vec<Copied>, CopyError>) -> bool {
        self.clear();
        let copied = match result {
            Ok(copied) => copied,
            Err(error) => {
                say!("bosun cp: {error}");
                return false;
            }
        };
        if self.json {
            for file in &copied {
                let line = serde_json::json!({
                    "from": from,
                    "path": file.path,
                    "bytes": file.bytes,
                    "sha256": file.sha256,
                    "seconds": (file.seconds * 1000.0).round() / 1000.0,
                });
                println!("{line}");
            }
        } else if !self.quiet {
            match copied.as_slice() {
                [file] => {
                    let rate = file.bytes as f64 / file.seconds.max(0.001);
                    say!(
                        "{from} → {}  {} in {:.1} s ({}/s), SHA-256 {} on both sides",
                        file.path,
                        format::bytes(file.bytes),
                        file.seconds,
                        format::bytes(rate as u64),
                        file.sha256
                    );
                }
                files => {
                    let bytes: u64 = files.iter().map(|file| file.bytes).sum();
                    let seconds = files.iter().map(|file| file.seconds).fold(0.0, f64::max);
                    say!(
                        "{from} → {} files, {} in {:.1} s, each file's SHA-256 the same on both sides",
                        files.len(),
                        format::bytes(bytes),
                        seconds
                    );
                }
            }
        }
        true
    }
}
