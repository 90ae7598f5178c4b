//! The process side of a command: a coordinator that starts invocations under MaxConcurrency
//! and MaxErrors, and one real process per invocation with its output captured and capped.

use super::*;

/// Runs a command's invocations under MaxConcurrency and MaxErrors, then settles its status.
pub(super) async fn coordinate(state: Arc<SimState>, id: String, cancelled: watch::Receiver<bool>) {
    let (concurrency, max_errors, total) = {
        let Ok(store) = state.commands.lock() else {
            return;
        };
        let Some(command) = store.find(&id) else {
            return;
        };
        let total = command.invocations.len();
        (
            resolve_limit(&command.max_concurrency, total, true),
            resolve_limit(&command.max_errors, total, false),
            total,
        )
    };
    let mut running = tokio::task::JoinSet::new();
    let mut next = 0;
    loop {
        let (errors, cancelling) = {
            let Ok(store) = state.commands.lock() else {
                return;
            };
            let Some(command) = store.find(&id) else {
                return;
            };
            (command.counts().1, command.cancelling)
        };
        let stop = cancelling || errors > max_errors;
        while !stop && running.len() < concurrency && next < total {
            let index = next;
            next += 1;
            let pending = state
                .commands
                .lock()
                .ok()
                .and_then(|store| {
                    store
                        .find(&id)
                        .map(|c| c.invocations[index].state == InvocationState::Pending)
                })
                .unwrap_or(false);
            if pending {
                running.spawn(run_invocation(
                    state.clone(),
                    id.clone(),
                    index,
                    cancelled.clone(),
                ));
            }
        }
        if running.is_empty() && (stop || next >= total) {
            break;
        }
        if running.join_next().await.is_none() && (stop || next >= total) {
            break;
        }
    }
    if let Ok(mut store) = state.commands.lock()
        && let Some(command) = store.find_mut(&id)
    {
        let was_cancelled = command.cancelling;
        for invocation in command
            .invocations
            .iter_mut()
            .filter(|i| !i.state.is_terminal())
        {
            invocation.state = if was_cancelled {
                InvocationState::Cancelled
            } else {
                InvocationState::Terminated
            };
            invocation.finished = Some(SystemTime::now());
        }
        let errors = command.counts().1;
        command.finished = Some(if was_cancelled {
            "Cancelled"
        } else if errors > max_errors {
            "Failed"
        } else {
            "Success"
        });
    }
}

fn set_invocation(state: &SimState, id: &str, index: usize, update: impl FnOnce(&mut Invocation)) {
    if let Ok(mut store) = state.commands.lock()
        && let Some(invocation) = store
            .find_mut(id)
            .and_then(|c| c.invocations.get_mut(index))
    {
        update(invocation);
    }
}

/// One real process for one invocation.
async fn run_invocation(
    state: Arc<SimState>,
    id: String,
    index: usize,
    mut cancelled: watch::Receiver<bool>,
) {
    // Waiting for a process slot is what AWS calls Delayed.
    let permit = match state.processes.clone().try_acquire_owned() {
        Ok(permit) => permit,
        Err(_) => {
            set_invocation(&state, &id, index, |i| i.state = InvocationState::Delayed);
            match state.processes.clone().acquire_owned().await {
                Ok(permit) => permit,
                Err(_) => return,
            }
        }
    };
    let Some((instance, script, timeout, plugin, parameters)) =
        state.commands.lock().ok().and_then(|store| {
            let command = store.find(&id)?;
            Some((
                command.invocations[index].instance.clone(),
                command.script.clone(),
                command.execution_timeout,
                command.plugin,
                command.parameters.clone(),
            ))
        })
    else {
        return;
    };
    if *cancelled.borrow() {
        set_invocation(&state, &id, index, |i| {
            i.state = InvocationState::Cancelled;
            i.finished = Some(SystemTime::now());
        });
        return;
    }
    set_invocation(&state, &id, index, |i| {
        i.state = InvocationState::InProgress;
        i.started = Some(SystemTime::now());
    });
    if plugin == UPDATE_AGENT_PLUGIN {
        let (outcome, stdout, stderr) = update_agent(&state, &instance, &parameters);
        // Installing takes a moment; long enough to be seen InProgress.
        tokio::time::sleep(Duration::from_millis(300)).await;
        set_invocation(&state, &id, index, |i| {
            i.state = outcome;
            i.response_code = if outcome == InvocationState::Success {
                0
            } else {
                1
            };
            i.stdout = stdout;
            i.stderr = stderr;
            i.finished = Some(SystemTime::now());
        });
        return;
    }
    let home = state.home_for(&instance.id);
    let _ = std::fs::create_dir_all(&home);
    let mut command = tokio::process::Command::new("/bin/sh");
    command
        .arg("-c")
        .arg(&script)
        .env_clear()
        .env("PATH", "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin")
        .env("HOME", &home)
        .env("INSTANCE_ID", &instance.id)
        .env("AWS_REGION", &instance.region)
        .envs(
            instance
                .tags
                .iter()
                .map(|(k, v)| (format!("TAG_{}", env_name(k)), v.clone())),
        )
        .current_dir(&home)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    // Its own process group, so a timeout or cancel kills the script's children too.
    crate::platform::own_process_group(&mut command);
    let mut child = match command.spawn() {
        Ok(child) => child,
        Err(error) => {
            set_invocation(&state, &id, index, |i| {
                i.state = InvocationState::Failed;
                i.stderr = format!("failed to run commands: {error}");
                i.finished = Some(SystemTime::now());
            });
            return;
        }
    };
    let stdout = child.stdout.take().map(|s| tokio::spawn(read_capped(s)));
    let stderr = child.stderr.take().map(|s| tokio::spawn(read_capped(s)));
    let outcome = tokio::select! {
        status = child.wait() => match status.ok().and_then(|s| s.code()) {
            Some(0) => (InvocationState::Success, 0),
            Some(code) => (InvocationState::Failed, i64::from(code)),
            None => (InvocationState::Failed, -1),
        },
        () = tokio::time::sleep(timeout) => {
            kill_group(&mut child);
            (InvocationState::TimedOut, -1)
        }
        _ = cancelled.wait_for(|c| *c) => {
            kill_group(&mut child);
            (InvocationState::Cancelled, -1)
        }
    };
    let _ = child.wait().await;
    // A daemonized grandchild could still hold the pipes: output stops at 2 s past the end.
    let collect = |task: Option<tokio::task::JoinHandle<String>>| async move {
        match task {
            Some(task) => tokio::time::timeout(Duration::from_secs(2), task)
                .await
                .ok()
                .and_then(Result::ok)
                .unwrap_or_default(),
            None => String::new(),
        }
    };
    let out = collect(stdout).await;
    let mut err = collect(stderr).await;
    if outcome.0 == InvocationState::TimedOut {
        err.push_str("\nfailed to run commands: command timed out\n");
    }
    set_invocation(&state, &id, index, |i| {
        i.state = outcome.0;
        i.response_code = outcome.1;
        i.stdout = out;
        i.stderr = err;
        i.finished = Some(SystemTime::now());
    });
    drop(permit);
}

/// AWS-UpdateSSMAgent on one instance: the version asked for (the latest when none), not
/// older than the installed one unless `allowDowngrade` is true. The new version is what
/// DescribeInstanceInformation and the session agent report from then on.
fn update_agent(
    state: &SimState,
    instance: &Instance,
    parameters: &Value,
) -> (InvocationState, String, String) {
    let first = |name: &str| {
        parameters
            .get(name)
            .map(crate::sim::api::strings)
            .and_then(|values| values.into_iter().next())
            .unwrap_or_default()
    };
    let installed = state.agent_version(instance);
    // Bottlerocket runs the agent in its control container, updated with the OS itself.
    if instance.os.contains("Bottlerocket") {
        return (
            InvocationState::Failed,
            String::new(),
            "failed to update amazon-ssm-agent: Bottlerocket is not a supported platform for \
             AWS-UpdateSSMAgent (its agent runs in the control container and is updated with the \
             OS: `apiclient update apply`)\n"
                .to_owned(),
        );
    }
    let wanted = match first("version") {
        version if version.trim().is_empty() => CURRENT_AGENT_VERSION.to_owned(),
        version => version.trim().to_owned(),
    };
    let well_formed =
        wanted.split('.').count() == 4 && wanted.split('.').all(|part| part.parse::<u32>().is_ok());
    if !well_formed || version_greater(&wanted, CURRENT_AGENT_VERSION) {
        return (
            InvocationState::Failed,
            String::new(),
            format!(
                "amazon-ssm-agent {wanted} is not a version that can be installed (the latest is {CURRENT_AGENT_VERSION})\n"
            ),
        );
    }
    if wanted == installed {
        return (
            InvocationState::Success,
            format!("amazon-ssm-agent {installed} is installed already: nothing to update\n"),
            String::new(),
        );
    }
    if version_greater(&installed, &wanted) && first("allowDowngrade") != "true" {
        return (
            InvocationState::Failed,
            String::new(),
            format!(
                "amazon-ssm-agent {wanted} is older than the installed {installed}: set allowDowngrade to true to downgrade\n"
            ),
        );
    }
    if let Ok(mut updates) = state.agent_updates.lock() {
        updates.insert(instance.id.clone(), wanted.clone());
    }
    (
        InvocationState::Success,
        format!(
            "Updating amazon-ssm-agent from {installed} to {wanted}\namazon-ssm-agent {wanted} installed and running\n"
        ),
        String::new(),
    )
}

async fn read_capped<R: tokio::io::AsyncRead + Unpin>(mut reader: R) -> String {
    let mut kept = Vec::new();
    let mut buffer = vec![0u8; 16 * 1024];
    while let Ok(n) = reader.read(&mut buffer).await {
        if n == 0 {
            break;
        }
        let room = OUTPUT_CAP.saturating_sub(kept.len());
        kept.extend_from_slice(&buffer[..n.min(room)]);
    }
    String::from_utf8_lossy(&kept).into_owned()
}

pub(super) fn truncate(text: &str, limit: usize) -> &str {
    match text.char_indices().nth(limit) {
        Some((byte, _)) => &text[..byte],
        None => text,
    }
}
