//! The bosun binary: routes the plugin's argv contract (by subcommand or by program name) and
//! the command line to their handlers, with logging to a file.

use std::path::Path;
use std::process::ExitCode;

use clap::Parser;

use bosun::cli::{Cli, Command};
use bosun::{logging, plugin};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    let invoked_as_plugin = args
        .first()
        .and_then(|program| Path::new(program).file_name())
        .is_some_and(|name| name == plugin::PLUGIN_NAME);
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
        return exit_code(run_async(plugin::run(plugin_args)));
    }

    let cli = Cli::parse();
    match cli.command {
        Some(Command::SessionManagerPlugin { args }) => {
            let _log = logging::init("plugin.log");
            exit_code(run_async(plugin::run(&args)))
        }
        None if cli.demo => {
            eprintln!(
                "bosun --demo needs the simulated fleet and the console, which are not in this build yet."
            );
            ExitCode::from(2)
        }
        None => {
            eprintln!(
                "The console is not in this build yet. Available: bosun session-manager-plugin (see bosun --help)."
            );
            ExitCode::from(2)
        }
    }
}

fn run_async<F: std::future::Future<Output = i32>>(future: F) -> i32 {
    match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
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
