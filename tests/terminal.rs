//! `bosun shell` on a real terminal (a PTY) and with pipes, as a person leaves it: signals
//! (SIGTERM, SIGQUIT, the terminal closing) restore the terminal and end the session at AWS
//! with a signal death's status; ssh's escapes (`~.`, `~?`, `~~`) on a keyboard and never in
//! a pipe; a session ended elsewhere said so with status 255; the countdown while a resume
//! keeps failing, and `~.` leaving at once.

mod common;

use std::os::fd::{AsFd, OwnedFd};
use std::time::Duration;

use bosun::sim::{Faults, SimHandle};
use common::{bosun, finish, start_sim, status_of};
use rustix::termios::{LocalModes, OutputModes, tcgetattr};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// bosun on a 24×80 PTY against a simulator.
struct Terminal {
    child: tokio::process::Child,
    reader: pty_process::OwnedReadPty,
    writer: pty_process::OwnedWritePty,
    /// A handle on the terminal's modes (the master side).
    master: OwnedFd,
    /// Everything bosun wrote to the terminal.
    seen: Vec<u8>,
}

impl Terminal {
    fn shell(sim: &SimHandle, args: &[&str]) -> Terminal {
        let mut argv = vec!["shell"];
        argv.extend_from_slice(args);
        Terminal::bosun(sim, &argv)
    }

    /// bosun with these arguments on a 24×80 PTY against `sim`.
    fn bosun(sim: &SimHandle, args: &[&str]) -> Terminal {
        let (pty, pts) = pty_process::open().expect("pty");
        pty.resize(pty_process::Size::new(24, 80)).expect("size");
        let child = pty_process::Command::new(env!("CARGO_BIN_EXE_bosun"))
            .env_clear()
            .envs(common::sealed_env())
            .env("TERM", "xterm-256color")
            .env("AWS_ENDPOINT_URL", sim.endpoint_url())
            .env("AWS_ACCESS_KEY_ID", "AKIDCLI")
            .env("AWS_SECRET_ACCESS_KEY", "secret")
            .env("AWS_REGION", "us-east-1")
            .args(args)
            .kill_on_drop(true)
            .spawn(pts)
            .expect("spawn bosun");
        let master = pty.as_fd().try_clone_to_owned().expect("a second handle");
        let (reader, writer) = pty.into_split();
        Terminal {
            child,
            reader,
            writer,
            master,
            seen: Vec::new(),
        }
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.seen).into_owned()
    }

    /// Reads until `needle` has been written (20 s at most).
    async fn wait_for(&mut self, needle: &str) {
        self.wait_for_times(needle, 1).await;
    }

    /// Reads until `needle` has been written `times` times (20 s at most).
    async fn wait_for_times(&mut self, needle: &str, times: usize) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        let mut buffer = vec![0u8; 16 * 1024];
        while self.text().matches(needle).count() < times {
            match tokio::time::timeout_at(deadline, self.reader.read(&mut buffer)).await {
                Ok(Ok(n)) if n > 0 => self.seen.extend_from_slice(&buffer[..n]),
                _ => panic!("no {needle:?} ({times}×) on the terminal:\n{}", self.text()),
            }
        }
    }

    async fn type_keys(&mut self, keys: &[u8]) {
        self.writer.write_all(keys).await.expect("type");
    }

    /// The session's id, from the line bosun writes once it has one.
    async fn session_id(&mut self) -> String {
        self.wait_for("[ssm-user@payments-api-1 ~]$").await;
        let text = self.text();
        let line = text
            .lines()
            .find_map(|line| line.split("Starting session with SessionId: ").nth(1))
            .expect("the session's id is said");
        line.trim().to_owned()
    }

    /// A handle on the terminal's modes that outlives bosun.
    fn modes(&self) -> OwnedFd {
        self.master.try_clone().expect("a second handle")
    }

    /// Reads what is left and waits for bosun to exit (20 s at most); its status.
    async fn exit_status(&mut self) -> i32 {
        let mut buffer = vec![0u8; 16 * 1024];
        let status = tokio::time::timeout(Duration::from_secs(20), async {
            loop {
                tokio::select! {
                    status = self.child.wait() => break status.expect("status"),
                    read = self.reader.read(&mut buffer) => match read {
                        Ok(n) if n > 0 => self.seen.extend_from_slice(&buffer[..n]),
                        _ => break self.child.wait().await.expect("status"),
                    },
                }
            }
        })
        .await
        .unwrap_or_else(|_| panic!("bosun did not exit:\n{}", self.text()));
        // What it wrote on the way out.
        while let Ok(Ok(n)) =
            tokio::time::timeout(Duration::from_millis(200), self.reader.read(&mut buffer)).await
        {
            if n == 0 {
                break;
            }
            self.seen.extend_from_slice(&buffer[..n]);
        }
        status.code().unwrap_or(-1)
    }

    fn signal(&self, signal: rustix::process::Signal) {
        let pid = self.child.id().expect("running") as i32;
        let pid = rustix::process::Pid::from_raw(pid).expect("a pid");
        rustix::process::kill_process(pid, signal).expect("signal");
    }
}

fn cooked(modes: &OwnedFd) -> bool {
    let termios = tcgetattr(modes).expect("modes");
    termios
        .local_modes
        .contains(LocalModes::ICANON | LocalModes::ECHO)
        && termios.output_modes.contains(OutputModes::OPOST)
}

/// SIGTERM and SIGQUIT (a service manager, `kill`): the terminal is cooked again, the session
/// is ended at AWS, and the status is the signal death's, 128 + N.
#[tokio::test]
async fn a_signal_restores_the_terminal_and_ends_the_session() {
    let sim = start_sim().await;
    for (signal, status) in [
        (rustix::process::Signal::TERM, 143),
        (rustix::process::Signal::QUIT, 131),
    ] {
        let mut terminal = Terminal::shell(&sim, &["payments-api-1"]);
        let session_id = terminal.session_id().await;
        let modes = terminal.modes();
        assert!(!cooked(&modes), "the shell runs the terminal raw");
        assert_eq!(status_of(&sim, &session_id).await, "Connected");
        terminal.signal(signal);
        assert_eq!(terminal.exit_status().await, status, "{}", terminal.text());
        assert!(cooked(&modes), "the terminal is restored after {signal:?}");
        assert!(
            terminal.text().contains("ended by SIG"),
            "{}",
            terminal.text()
        );
        common::eventually(Duration::from_secs(10), "the session ended at AWS", || {
            let sim = &sim;
            let session_id = session_id.clone();
            async move { status_of(sim, &session_id).await == "Terminated" }
        })
        .await;
    }
}

/// The terminal closes under the shell (a laptop lid, a dropped SSH connection, a killed tmux
/// window): the kernel's SIGHUP ends the session at AWS rather than leaving a root shell
/// open until its idle timeout.
#[tokio::test]
async fn closing_the_terminal_ends_the_session() {
    let sim = start_sim().await;
    let mut terminal = Terminal::shell(&sim, &["payments-api-1"]);
    let session_id = terminal.session_id().await;
    let Terminal {
        mut child,
        reader,
        writer,
        master,
        ..
    } = terminal;
    // The last handle on the terminal's master side goes: the kernel hangs it up.
    drop((reader, writer, master));
    let status = tokio::time::timeout(Duration::from_secs(20), child.wait())
        .await
        .expect("bosun exits on the hang-up")
        .expect("status");
    assert_eq!(status.code(), Some(129), "{status:?}");
    assert_eq!(status_of(&sim, &session_id).await, "Terminated");
}

/// A signal while the session is not ready yet (the data channel keeps refusing, so the
/// agent has not joined): bosun leaves at once with the signal's status and ends the session
/// at AWS, without waiting for its retries to run out.
#[tokio::test]
async fn a_signal_before_the_session_is_ready_leaves_at_once() {
    let sim = start_sim().await;
    sim.set_faults(Faults::parse("data_channel_down=1").expect("spec"));
    let mut terminal = Terminal::shell(&sim, &["payments-api-1"]);
    terminal.wait_for("Starting session with SessionId: ").await;
    common::eventually(Duration::from_secs(20), "a refused dial", || {
        let refused = sim.request_counts().contains_key("data_channel_down");
        async move { refused }
    })
    .await;
    terminal.signal(rustix::process::Signal::TERM);
    assert_eq!(terminal.exit_status().await, 143, "{}", terminal.text());
    let text = terminal.text();
    let session_id = text
        .split("Starting session with SessionId: ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .expect("the session's id is said");
    assert_eq!(status_of(&sim, session_id).await, "Terminated");
}

/// On a keyboard: `~?` lists the escapes, `~~` sends one `~`, a `~` inside a line is a `~`,
/// and `~.` at the start of a line ends the session (at AWS too) with status 0.
#[tokio::test]
async fn escapes_on_a_keyboard() {
    let sim = start_sim().await;
    let mut terminal = Terminal::shell(&sim, &["payments-api-1"]);
    let session_id = terminal.session_id().await;
    terminal.type_keys(b"~?").await;
    terminal.wait_for("~.  end the session here").await;
    terminal.type_keys(b"cat\r").await;
    // cat runs (bash turns bracketed paste off for it): what is typed now reaches it.
    terminal.wait_for("\x1b[?2004l").await;
    terminal.type_keys(b"~~tilde\r").await;
    terminal.type_keys(b"a~.b\rdone-typing\r").await;
    // Each line twice: the terminal's echo, and cat's copy.
    terminal.wait_for_times("done-typing", 2).await;
    let text = terminal.text();
    assert_eq!(
        text.matches("a~.b").count(),
        2,
        "a ~ inside a line is a ~: {text}"
    );
    assert_eq!(text.matches("~tilde").count(), 2, "~~ sends one ~: {text}");
    assert!(!text.contains("~~tilde"), "{text}");
    terminal.type_keys(b"\x04echo done-$((1+1))\r").await;
    terminal.wait_for("done-2").await;
    terminal.type_keys(b"~.").await;
    assert_eq!(terminal.exit_status().await, 0, "{}", terminal.text());
    assert!(
        terminal.text().contains("ended here with ~."),
        "{}",
        terminal.text()
    );
    assert_eq!(status_of(&sim, &session_id).await, "Terminated");
}

/// Plugin mode (the AWS CLI running bosun as its session-manager-plugin) on a keyboard has
/// the same escapes: `~?` lists them, `~.` ends the session here and at AWS, status 0.
#[tokio::test]
async fn escapes_in_plugin_mode() {
    let sim = start_sim().await;
    let target = common::demo_id("payments-api-1");
    let (args, _token) =
        common::plugin_args(&sim, &target, "SSM-SessionManagerRunShell", &[]).await;
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let mut terminal = Terminal::bosun(&sim, &args);
    let session_id = terminal.session_id().await;
    terminal.type_keys(b"~?").await;
    terminal.wait_for("~.  end the session here").await;
    terminal.type_keys(b"echo typed-$((2+3))\r").await;
    terminal.wait_for("typed-5").await;
    terminal.type_keys(b"~.").await;
    assert_eq!(terminal.exit_status().await, 0, "{}", terminal.text());
    assert_eq!(status_of(&sim, &session_id).await, "Terminated");
}

/// `-e none` turns escapes off, and `-e` takes another character.
#[tokio::test]
async fn the_escape_character_is_chosen_or_turned_off() {
    let sim = start_sim().await;
    let mut terminal = Terminal::shell(&sim, &["payments-api-1", "-e", "none"]);
    terminal.session_id().await;
    terminal.type_keys(b"~.\r").await;
    terminal.wait_for("~.: command not found").await;
    terminal.type_keys(b"exit\r").await;
    assert_eq!(terminal.exit_status().await, 0, "{}", terminal.text());

    let mut terminal = Terminal::shell(&sim, &["payments-api-1", "-e", "%"]);
    terminal.session_id().await;
    terminal.type_keys(b"%.").await;
    assert_eq!(terminal.exit_status().await, 0, "{}", terminal.text());
    assert!(
        terminal.text().contains("ended here with %."),
        "{}",
        terminal.text()
    );
}

/// Piped input is data: `~.` in it reaches the remote shell like any other line.
#[tokio::test]
async fn piped_input_never_reads_escapes() {
    let sim = start_sim().await;
    let mut shell = bosun(&sim)
        .args(["shell", "payments-api-1"])
        .spawn()
        .expect("spawn");
    let mut stdin = shell.stdin.take().expect("stdin");
    stdin
        .write_all(b"echo before\n~.\necho still-$((40+2))\nexit\n")
        .await
        .expect("type");
    drop(stdin);
    let (code, out, err) = finish(shell).await;
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("still-42"), "{out}{err}");
}

/// TerminateSession from elsewhere (another terminal, the console's Sessions view) is not the
/// shell exiting: bosun says the remote side ended it and exits 255, as ssh does for
/// "closed by remote host"; `exit` typed by the user stays a quiet 0.
#[tokio::test]
async fn a_session_ended_elsewhere_is_said_and_not_zero() {
    let sim = start_sim().await;
    let mut terminal = Terminal::shell(&sim, &["payments-api-1"]);
    let session_id = terminal.session_id().await;
    let config = bosun::aws::demo_config(&sim.endpoint_url(), "us-east-1").await;
    bosun::aws::terminate_session(&aws_sdk_ssm::Client::new(&config), &session_id)
        .await
        .expect("TerminateSession");
    assert_eq!(terminal.exit_status().await, 255, "{}", terminal.text());
    assert!(
        terminal.text().contains(&format!(
            "session {session_id} was ended by the remote side"
        )),
        "{}",
        terminal.text()
    );

    let mut terminal = Terminal::shell(&sim, &["payments-api-1"]);
    terminal.session_id().await;
    terminal.type_keys(b"exit\r").await;
    assert_eq!(terminal.exit_status().await, 0, "{}", terminal.text());
    assert!(
        !terminal.text().contains("remote side"),
        "{}",
        terminal.text()
    );
}

/// A connection that cannot be resumed: the bottom line counts down to the give-up and says
/// how to leave; `~.` leaves at once and ends the session at AWS.
#[tokio::test]
async fn a_failing_resume_counts_down_and_tilde_dot_leaves_at_once() {
    let sim = start_sim().await;
    sim.set_faults(Faults::parse("drop_after_secs=1,resume_fails=1000").expect("spec"));
    let mut terminal = Terminal::shell(&sim, &["payments-api-1"]);
    let session_id = terminal.session_id().await;
    terminal.wait_for("; ~. leaves now").await;
    // Rewritten each second as the window runs out.
    terminal.wait_for("giving up in 2m5").await;
    terminal.type_keys(b"~.").await;
    assert_eq!(terminal.exit_status().await, 0, "{}", terminal.text());
    sim.set_faults(Faults::default());
    assert_eq!(status_of(&sim, &session_id).await, "Terminated");
}

/// What is asked wrongly is status 2, as everywhere else: a target that names nothing, and
/// `--command` on an instance (it is for containers), refused with the way that works.
#[tokio::test]
async fn asked_wrongly_is_status_two_with_the_way_that_works() {
    let sim = start_sim().await;
    let (code, _, err) = finish(
        bosun(&sim)
            .args(["shell", "payments-api-1", "--command", "uptime"])
            .spawn()
            .expect("spawn"),
    )
    .await;
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("--document AWS-StartNonInteractiveCommand --param command=uptime"),
        "{err}"
    );
    assert_eq!(
        sim.request_counts().get("StartSession"),
        None,
        "nothing started"
    );
    let (code, _, err) = finish(
        bosun(&sim)
            .args(["shell", "payments-api-1", "-e", "ab"])
            .spawn()
            .expect("spawn"),
    )
    .await;
    assert_eq!(code, 2, "{err}");
}

/// `bosun terminate` on a terminal names whose session on which instance it would end before
/// it asks; `n` leaves it running.
#[tokio::test]
async fn the_terminate_question_names_the_target_and_the_owner() {
    let sim = start_sim().await;
    let mut shell = Terminal::shell(&sim, &["payments-api-1"]);
    let session_id = shell.session_id().await;
    let mut asked = Terminal::bosun(&sim, &["terminate", &session_id]);
    asked.wait_for("[y/N]").await;
    let text = asked.text();
    assert!(
        text.contains(&format!("{session_id} on i-")) && text.contains("AKIDCLI"),
        "{text}"
    );
    asked.type_keys(b"n\r").await;
    assert_eq!(asked.exit_status().await, 2, "{}", asked.text());
    assert_eq!(common::status_of(&sim, &session_id).await, "Connected");
    shell.type_keys(b"exit\r").await;
    assert_eq!(shell.exit_status().await, 0);
}
