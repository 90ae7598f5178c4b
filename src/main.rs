//! The bosun binary: routes the plugin's argv contract (by subcommand or by program name) and
//! the command line to their handlers, with logging to a file.

use std::path::Path;
use std::process::ExitCode;

use bosun::cli::Command;
use bosun::commands::{self, plugin};
use bosun::logging;

fn main() -> ExitCode {
    // Arguments need not be text (`bosun cp` takes file names as the OS gives them): only the
    // plugin's, which are JSON and names, are read as text.
    let raw: Vec<std::ffi::OsString> = std::env::args_os().collect();
    let invoked_as_plugin = raw
        .first()
        // `session-manager-plugin.exe` on Windows: the name without its extension.
        .and_then(|program| Path::new(program).file_stem())
        .is_some_and(|name| name == plugin::PLUGIN_NAME);
    let args: Vec<String> =
        if invoked_as_plugin || raw.get(1).is_some_and(|arg| arg == plugin::PLUGIN_NAME) {
            raw.iter()
                .map(|arg| arg.to_string_lossy().into_owned())
                .collect()
        } else {
            Vec::new()
        };
    // The plugin contract is positional and must not be reinterpreted by clap (`--version`
    // prints the plugin version, JSON arguments start with `{`).
    let plugin_args = if invoked_as_plugin {
        Some(&args[1..])
    } else if args.get(1).is_some_and(|arg| arg == plugin::PLUGIN_NAME) {
        Some(&args[2..])
    } else {
        None
    };
    if let Some(plugin_args) = plugin_args {
        let _log = logging::init("plugin.log");
        return exit_code(run_on_one_thread(plugin::run(plugin_args)));
    }

    let cli = bosun::cli::parse();
    // A --profile that names no profile is an error, as for the AWS CLI, not the
    // environment's credentials used quietly under that name.
    let uses_aws = !matches!(
        cli.command,
        Some(
            Command::Sim(_)
                | Command::Completions { .. }
                | Command::Man
                | Command::Config(_)
                | Command::SessionManagerPlugin { .. }
        )
    ) && !cli.demo;
    if uses_aws {
        for profile in &cli.global.profile {
            if let Err(error) = bosun::aws::profiles::check(profile) {
                eprintln!("bosun: {error}");
                return ExitCode::from(2);
            }
        }
    }
    match cli.command {
        Some(Command::Shell(args)) => {
            let _log = logging::init("bosun.log");
            if cli.global.read_only {
                eprintln!(
                    "bosun shell: refused by --read-only (a shell can change anything on the instance)"
                );
                return ExitCode::from(2);
            }
            exit_code(run_on_one_thread(commands::shell::run(&cli.global, &args)))
        }
        Some(Command::SessionManagerPlugin { args }) => {
            let _log = logging::init("plugin.log");
            exit_code(run_on_one_thread(plugin::run(&args)))
        }
        Some(Command::Ls(args)) => {
            let _log = logging::init("bosun.log");
            exit_code(run_async(commands::ls::run(&cli.global, &args)))
        }
        Some(Command::Run(args)) => {
            let _log = logging::init("bosun.log");
            exit_code(run_async(commands::run::run(&cli.global, &args)))
        }
        Some(Command::Tunnel(args)) => {
            // The background tunnels' process keeps a log of its own.
            let serving = matches!(args.background, Some(bosun::cli::BackgroundTunnel::Serve));
            let _log = logging::init(if serving { "tunnels.log" } else { "bosun.log" });
            exit_code(run_on_one_thread(commands::tunnel::run(&cli.global, &args)))
        }
        Some(Command::Proxy(args)) => {
            let _log = logging::init("bosun.log");
            if cli.global.read_only {
                eprintln!("bosun proxy: refused by --read-only (it starts a session)");
                return ExitCode::from(2);
            }
            exit_code(run_on_one_thread(commands::tunnel::proxy(
                &cli.global,
                &args,
            )))
        }
        Some(Command::Cp(args)) => {
            let _log = logging::init("bosun.log");
            exit_code(run_async(commands::cp::run(&cli.global, &args)))
        }
        Some(Command::Rdp(args)) => {
            let _log = logging::init("bosun.log");
            exit_code(run_on_one_thread(commands::rdp::run(&cli.global, &args)))
        }
        Some(Command::Sessions(args)) => {
            let _log = logging::init("bosun.log");
            exit_code(run_async(commands::sessions::list(&cli.global, &args)))
        }
        Some(Command::Login(args)) => {
            let _log = logging::init("bosun.log");
            exit_code(run_async(commands::org::login(&cli.global, &args)))
        }
        Some(Command::Accounts(args)) => {
            let _log = logging::init("bosun.log");
            exit_code(run_async(commands::org::accounts(&cli.global, &args)))
        }
        Some(Command::Terminate(args)) => {
            let _log = logging::init("bosun.log");
            exit_code(run_async(commands::sessions::terminate(&cli.global, &args)))
        }
        Some(Command::Recordings(args)) => {
            let _log = logging::init("bosun.log");
            exit_code(run_async(commands::recordings::run(&cli.global, &args)))
        }
        Some(Command::Replay(args)) => {
            let _log = logging::init("bosun.log");
            exit_code(run_async(commands::replay::run(&args)))
        }
        Some(Command::Agent(command)) => {
            let _log = logging::init("bosun.log");
            exit_code(run_async(commands::agent::run(&cli.global, &command)))
        }
        Some(Command::Doctor(args)) => {
            let _log = logging::init("bosun.log");
            exit_code(run_async(commands::doctor::run(&cli.global, &args)))
        }
        Some(Command::Completions { shell }) => {
            exit_code(commands::completions::completions(shell))
        }
        Some(Command::Man) => exit_code(commands::completions::man()),
        Some(Command::Config(command)) => exit_code(commands::config::run(&cli.global, &command)),
        Some(Command::Sim(args)) => {
            let _log = logging::init("sim.log");
            exit_code(run_on_one_thread(commands::sim::run(args)))
        }
        None => {
            // The log's path is printed before the console takes the screen; nothing is
            // printed while it runs.
            let log = logging::init("bosun.log");
            if let Some((path, _)) = &log {
                eprintln!("bosun: logging to {}", path.display());
            }
            exit_code(run_async(commands::console::run(&cli.global, cli.demo)))
        }
    }
}

/// The runtime on every core: the console's many independent jobs (inventory, panes, tunnels,
/// Run Command, drawing), and `ls` and `run`, whose SDK calls fan out.
fn run_async<F: std::future::Future<Output = i32>>(future: F) -> i32 {
    run_on(tokio::runtime::Builder::new_multi_thread(), future)
}

/// The runtime of the session commands (`tunnel`, `shell`, `proxy`, the plugin) and `sim`,
/// which never block it (terminal writes go through a writer thread): one thread. Their work
/// is a chain of small tasks handing each message to the next; on one thread a hand-off is a
/// queue push, across threads a futex wake-up, which through a tunnel cost ~30% of the
/// throughput (`benches/tunnel.rs`).
fn run_on_one_thread<F: std::future::Future<Output = i32>>(future: F) -> i32 {
    run_on(tokio::runtime::Builder::new_current_thread(), future)
}

fn run_on<F: std::future::Future<Output = i32>>(
    mut builder: tokio::runtime::Builder,
    future: F,
) -> i32 {
    match builder.enable_all().build() {
        Ok(runtime) => runtime.block_on(future),
        Err(error) => {
            eprintln!("bosun: cannot start the async runtime: {error}");
            1
        }
    }
}

fn exit_code(code: i32) -> ExitCode {
    ExitCode::from(u8::try_from(code & 0xff).unwrap_or(1))
}
