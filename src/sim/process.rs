//! What the simulator's shells and Run Command invocations share about the processes they
//! start: instance tags as environment variables, and killing a whole process group.

/// Kills the invocation's whole process group (the shell and whatever it started).
pub(crate) fn kill_group(child: &mut tokio::process::Child) {
    if let Some(pid) = child.id() {
        crate::platform::kill_process_group(pid);
    }
    let _ = child.start_kill();
}
/// Tag keys as environment variable names: letters, digits and `_`.
pub(crate) fn env_name(key: &str) -> String {
    key.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_uppercase()
            } else {
                '_'
            }
        })
        .collect()
}
