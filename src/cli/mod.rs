//! The command line (docs/architecture.md §4). Only what exists is declared: subcommands
//! arrive with the features behind them.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

mod upkeep;

pub use self::upkeep::{
    AgentChangeArgs, AgentCommand, AgentStatusArgs, RecordingsArgs, RecordingsCommand, ReplayArgs,
};

#[derive(Debug, Parser)]
#[command(
    name = "bosun",
    version,
    about = "A terminal fleet console for AWS Systems Manager",
    long_about = None
)]
pub struct Cli {
    /// Run on the built-in simulated fleet (no AWS account needed).
    #[arg(long)]
    pub demo: bool,

    #[command(flatten)]
    pub global: GlobalArgs,

    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Where to talk to AWS, and how carefully. Credentials, SSO and endpoints otherwise resolve
/// exactly as the AWS CLI resolves them (AWS_PROFILE, AWS_REGION, AWS_ENDPOINT_URL, ~/.aws).
#[derive(Debug, Clone, Default, Args)]
pub struct GlobalArgs {
    /// AWS profile (repeatable; commands other than the console use the first).
    #[arg(long, global = true)]
    pub profile: Vec<String>,
    /// AWS region (repeatable; commands other than the console use the first).
    #[arg(long, global = true, value_parser = region_name)]
    pub region: Vec<String>,
    /// Send every AWS call to this endpoint (e.g. the URL `bosun sim` prints).
    #[arg(long, global = true)]
    pub endpoint_url: Option<String>,
    /// Refuse every call that changes anything: sessions, commands, terminations.
    #[arg(long, global = true)]
    pub read_only: bool,
    /// The configuration file (default: `bosun config path`).
    #[arg(long, global = true)]
    pub config: Option<std::path::PathBuf>,
    /// The console's theme: default, light, high-contrast, dracula, nord, or a theme file.
    #[arg(long, global = true)]
    pub theme: Option<String>,
    /// Every account of the organisation, through the profile's SSO login (`[org]` in the
    /// configuration chooses the roles).
    #[arg(long, global = true)]
    pub org: bool,
}

/// The global options each subcommand has no use for: its `--help` leaves them out (they are
/// still accepted, so a script that passes `--profile` everywhere keeps working).
const UNUSED_GLOBALS: [(&str, &[&str]); 17] = [
    ("shell", &["theme"]),
    ("ls", &["theme", "read_only"]),
    ("accounts", &["theme", "read_only"]),
    ("login", &["theme", "read_only", "org", "config"]),
    ("run", &["theme"]),
    ("tunnel", &["theme"]),
    ("proxy", &["theme", "config", "org"]),
    ("rdp", &["theme"]),
    ("cp", &["theme"]),
    ("doctor", &["theme", "read_only"]),
    ("sessions", &["theme", "config", "org"]),
    ("terminate", &["theme", "config", "org"]),
    (
        "config",
        &[
            "profile",
            "region",
            "endpoint_url",
            "read_only",
            "theme",
            "org",
        ],
    ),
    ("sim", &NOT_AWS),
    ("completions", &NOT_AWS),
    ("man", &NOT_AWS),
    ("session-manager-plugin", &NOT_AWS),
];

/// Every global option: what a command that neither calls AWS nor reads the configuration
/// leaves out.
const NOT_AWS: [&str; 7] = [
    "profile",
    "region",
    "endpoint_url",
    "read_only",
    "theme",
    "org",
    "config",
];

/// The command line as parsed and as its help, completions and manual page show it.
pub fn command() -> clap::Command {
    use clap::CommandFactory;
    let mut command = Cli::command();
    // Global options reach the subcommands when the command is built; hide them after, in
    // place (clap indexes a built command's arguments by position).
    command.build();
    command.mut_subcommands(|sub| {
        let unused = UNUSED_GLOBALS
            .iter()
            .find(|(name, _)| *name == sub.get_name())
            .map_or(&[][..], |(_, unused)| *unused);
        sub.mut_args(|arg| {
            let hide = unused.contains(&arg.get_id().as_str()) || arg.is_hide_set();
            arg.hide(hide)
        })
    })
}

/// Parses the process's arguments (exits with clap's message on a usage error).
pub fn parse() -> Cli {
    use clap::FromArgMatches;
    let matches = command().get_matches();
    Cli::from_arg_matches(&matches).unwrap_or_else(|error| error.exit())
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// An interactive shell on TARGET in this terminal (like `aws ssm start-session`); piped
    /// stdin works, and the remote exit code is returned when the session reports one.
    Shell(ShellArgs),
    /// The joined SSM + EC2 inventory of every --profile and --region, for scripts.
    Ls(LsArgs),
    /// Run a shell command on many instances with Run Command: shows the blast radius, asks
    /// for confirmation, prints each instance's result as it finishes.
    Run(RunArgs),
    /// Forward a local port through TARGET to a port on it (or on --remote-host behind it);
    /// `tunnel up|ls|down|logs` keep tunnels in the background, past this terminal.
    #[command(alias = "tunnels")]
    Tunnel(TunnelArgs),
    /// A byte pipe to TARGET's PORT on stdin/stdout, for ssh: `ProxyCommand bosun proxy %h %p`.
    Proxy(ProxyArgs),
    /// Remote Desktop to a Windows instance: a tunnel to its port 3389, then the system's RDP
    /// client on it (mstsc, the rdp:// handler, xfreerdp or remmina), with --password its
    /// Administrator password decrypted with your key.
    Rdp(RdpArgs),
    /// Copy files to or from an instance over Session Manager (no sshd, no S3): `bosun cp
    /// web-1:/var/log/app.log .`, `bosun cp app.conf web-1:/etc/app/`; every file checked by
    /// SHA-256 on both sides and renamed into place only when the digests agree.
    Cp(CpArgs),
    /// Why a session to TARGET would not start, and the fix: the instance's state, its agent,
    /// its instance profile, its subnet's way out to SSM. Exit status 0 when a session would
    /// start, 1 when it would not, 2 when the checks could not run.
    Doctor(DoctorArgs),
    /// Sessions in this region: who is on which instance now, or (--history) the ended ones.
    Sessions(SessionsArgs),
    /// End sessions by id (TerminateSession); asks first on a terminal, --yes elsewhere.
    Terminate(TerminateArgs),
    /// Log in to the profile's SSO portal as `aws sso login` does (device authorization in
    /// the browser), writing the token where the AWS CLI and the SDKs read it.
    Login(LoginArgs),
    /// The organisation's accounts through the profile's SSO login: the role bosun takes in
    /// each, and whether its credentials could be had (and why not).
    Accounts(AccountsArgs),
    /// A recording (`bosun shell --record`, a pane's ctrl-] R, any asciicast v2 file) played
    /// back in this terminal, idle gaps over 2 s shortened: space pauses, +/- change the
    /// speed, ←/→ seek 5 s, [/] a minute, g/G the start and end, / searches (n/N), q quits.
    /// `--dump` prints the screen at a moment as text instead.
    Replay(ReplayArgs),
    /// The recordings in the state directory, newest first (start, length, instance, who was
    /// on it and how the session ended, as AWS's session history says, and who else was on
    /// the box meanwhile), or with `search TEXT` every moment TEXT was printed in them.
    Recordings(RecordingsArgs),
    /// The fleet's SSM Agents: how far behind they are (`status`), and bringing them up to
    /// date (`update`, canary first) or restarting them (`restart`) through Run Command.
    #[command(subcommand)]
    Agent(AgentCommand),
    /// The configuration file.
    #[command(subcommand)]
    Config(ConfigCommand),
    /// The simulated AWS endpoint (SSM, EC2, KMS, data channels) on loopback, for tests, the
    /// demo and other clients. Prints `AWS_ENDPOINT_URL=…` first, then serves until killed.
    Sim(SimArgs),
    /// Shell completions on stdout: `bosun completions bash > ~/.local/share/bash-completion/completions/bosun`.
    Completions {
        /// bash, zsh, fish, powershell or elvish.
        shell: clap_complete::Shell,
    },
    /// The manual page (roff) on stdout: `bosun man > ~/.local/share/man/man1/bosun.1`.
    Man,
    /// Drop-in for the official session-manager-plugin (the AWS CLI's argv contract), so that
    /// `aws ssm start-session` runs through bosun. Also used when bosun is invoked under the
    /// name `session-manager-plugin`.
    #[command(name = "session-manager-plugin", disable_help_flag = true)]
    SessionManagerPlugin {
        /// The arguments the AWS CLI passes: response, region, operation, profile, parameters,
        /// endpoint.
        #[arg(trailing_var_arg = true, allow_hyphen_values = true, num_args = 0..)]
        args: Vec<String>,
    },
}

#[derive(Debug, Args)]
pub struct SimArgs {
    /// Address to listen on (loopback only); port 0 picks a free one.
    #[arg(long, default_value = "127.0.0.1:4566")]
    pub listen: SocketAddr,
    /// A fleet file (TOML; see assets/demo-fleet.toml). Default: the demo fleet.
    #[arg(long, conflicts_with = "instances")]
    pub fleet: Option<PathBuf>,
    /// Generate a fleet of N instances instead (up to 50,000).
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=50_000))]
    pub instances: Option<u32>,
    /// With a generated fleet: N ECS services of 3 tasks each too (up to 10,000), in
    /// clusters of 100 across both regions.
    #[arg(long, requires = "instances", value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub ecs_services: Option<u32>,
    /// Seed for generated fleets and fault decisions.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// `real` reproduces the agent's 1 KiB + 1 ms output pacing.
    #[arg(long, value_enum, default_value_t = Pacing::Off)]
    pub agent_pacing: Pacing,
    /// Faults, e.g. `throttle=0.2,deny=StartSession,slow=150ms,drop_after_secs=30`.
    #[arg(long, default_value = "")]
    pub faults: String,
    /// The key pair clients must sign with (default: a random one, printed at start).
    #[arg(long, requires = "secret_access_key")]
    pub access_key_id: Option<String>,
    #[arg(long, requires = "access_key_id")]
    pub secret_access_key: Option<String>,
    /// Serve an organisation: this many member accounts besides the simulator's own, each
    /// with a fleet of its own, behind an SSO portal. Prints `AWS_CONFIG_FILE=…` too: a config
    /// with a profile `org` already logged in (its token in ~/.aws/sso/cache).
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=500))]
    pub accounts: Option<u32>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Pacing {
    Real,
    Off,
}

#[derive(Debug, Args)]
pub struct ShellArgs {
    /// An instance id (i-..., mi-...), a Name tag value that matches exactly one instance, or
    /// a container: ecs:CLUSTER/TASK_ID[/CONTAINER] or ecs:CLUSTER/SERVICE[/CONTAINER] (ECS
    /// Exec).
    pub target: String,
    /// For a container: the program ECS Exec runs (default /bin/sh). On an instance, a
    /// command runs with --document AWS-StartNonInteractiveCommand --param command=… instead.
    #[arg(long)]
    pub command: Option<String>,
    /// The escape character on a terminal, as ssh's -e: `~` (the default, or `escape_char` in
    /// the configuration file), ^X for a control key, or `none`. At the start of a line,
    /// ~. ends the session, ~? lists the escapes, ~~ sends one ~.
    #[arg(short = 'e', long = "escape-char", value_name = "CHAR")]
    pub escape_char: Option<String>,
    /// The Session Manager document to run.
    #[arg(long, default_value = crate::model::document::Document::SessionManagerRunShell.name())]
    pub document: String,
    /// A document parameter, NAME=VALUE (repeatable).
    #[arg(long, value_parser = parse_key_value)]
    pub param: Vec<(String, String)>,
    /// Record what the instance sends to FILE (asciicast v2, for `asciinema play`): its
    /// output with timing and resizes, never the keys typed.
    #[arg(long, value_name = "FILE")]
    pub record: Option<std::path::PathBuf>,
}

/// `KEY=VALUE`, for document parameters and tag filters.
pub fn parse_key_value(text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some((key, value)) if !key.is_empty() => Ok((key.to_owned(), value.to_owned())),
        _ => Err(format!("expected KEY=VALUE, got {text:?}")),
    }
}

#[derive(Debug, Args)]
pub struct RunArgs {
    /// Target this instance: an id, a Name, a Kubernetes node's name or k8s:CLUSTER/NODE
    /// (repeatable).
    #[arg(long)]
    pub instance: Vec<String>,
    /// Target instances with this tag, KEY=VALUE (repeatable; ANDed).
    #[arg(long, value_parser = parse_key_value)]
    pub tag: Vec<(String, String)>,
    /// At most this many (or this percentage of) instances run at once.
    #[arg(long, default_value = "50")]
    pub max_concurrency: String,
    /// Stop sending to further instances after this many (or this percentage of) errors.
    #[arg(long, default_value = "0")]
    pub max_errors: String,
    /// Seconds the command may run on each instance (executionTimeout).
    #[arg(long, default_value_t = 600)]
    pub timeout: u64,
    /// One JSON object a line: each instance's result, then a summary.
    #[arg(long)]
    pub json: bool,
    /// Skip the confirmation (needed when stdin is not a terminal).
    #[arg(long, short = 'y')]
    pub yes: bool,
    /// Run Command document (default: AWS-RunShellScript, or AWS-RunPowerShellScript on Windows).
    #[arg(long)]
    pub document: Option<String>,
    /// The command's comment (default: "bosun: " and the command, cut to 100 characters).
    #[arg(long)]
    pub comment: Option<String>,
    /// A parameter of another --document, NAME=VALUE (a,b for a list; repeatable). Documents
    /// with parameters take no shell command.
    #[arg(long = "parameter", value_name = "NAME=VALUE")]
    pub parameters: Vec<String>,
    /// Keep the whole output in this S3 bucket (AWS cuts what the API shows at 24,000
    /// characters of stdout and 8,000 of stderr).
    #[arg(long, value_name = "BUCKET")]
    pub output_s3_bucket_name: Option<String>,
    /// Key prefix for the S3 output.
    #[arg(long, value_name = "PREFIX", requires = "output_s3_bucket_name")]
    pub output_s3_key_prefix: Option<String>,
    /// Send the output to CloudWatch Logs, to this log group.
    #[arg(long, value_name = "GROUP")]
    pub cloudwatch_log_group: Option<String>,
    /// Send the output to CloudWatch Logs, to the default group (/aws/ssm/DOCUMENT).
    #[arg(long, conflicts_with = "cloudwatch_log_group")]
    pub cloudwatch_output: bool,
    /// Run on N instances (or N% of them) first, spread across regions and zones, and on the
    /// rest only when every one of those succeeded: on a terminal after asking, with --yes at
    /// once.
    #[arg(long, value_name = "N|N%")]
    pub canary: Option<String>,
    /// How results are grouped at the end: `exact` output, or its `shape` (numbers, hex ids,
    /// timestamps and the instance's own id, name and address set aside).
    #[arg(long, value_name = "exact|shape", default_value = "exact", value_parser = ["exact", "shape"])]
    pub group_by: String,
    /// The shell command to run, after `--`.
    #[arg(last = true)]
    pub command: Vec<String>,
}

#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub struct TunnelArgs {
    /// Background tunnels, kept by one per-user process past this terminal.
    #[command(subcommand)]
    pub background: Option<BackgroundTunnel>,
    /// An instance id, a Name tag value that matches exactly one instance, or tag:KEY=VALUE
    /// (an Online instance with that tag). Without --remote-port: a saved tunnel's or tunnel
    /// group's name from the configuration file.
    #[arg(required = true)]
    pub target: Option<String>,
    /// The port to reach on the instance (or on --remote-host): 1-65535.
    #[arg(long, value_parser = clap::value_parser!(u16).range(1..))]
    pub remote_port: Option<u16>,
    /// A host the instance can reach (e.g. an RDS endpoint); default: the instance itself.
    #[arg(long)]
    pub remote_host: Option<String>,
    /// The local port to listen on; 0 picks a free one.
    #[arg(long, default_value_t = 0)]
    pub local_port: u16,
    /// The local address to listen on. Anything but loopback exposes the tunnel to the
    /// network, and bosun warns when it does.
    #[arg(long, default_value = "127.0.0.1")]
    pub bind: std::net::IpAddr,
    /// Spread connections over this many parallel sessions (1-16) for more aggregate
    /// throughput: the agent paces each session's output on its own.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u8).range(1..=16))]
    pub sessions: u8,
    /// Keep trying when the first session cannot start (the target is not connected,
    /// stopped, or denied), one line per attempt, instead of exiting with the cause.
    #[arg(long)]
    pub retry: bool,
}

/// What background tunnels are asked.
#[derive(Debug, Subcommand)]
pub enum BackgroundTunnel {
    /// Start tunnels in the background (saved tunnels and groups by name, or TARGET with
    /// --remote-port), print `NAME ADDRESS` for each once it can take connections, and return.
    Up(TunnelUpArgs),
    /// The background tunnels: state, sessions, connections, bytes, uptime, last error, and
    /// how to connect.
    Ls {
        /// One JSON object a line instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Stop background tunnels, ending their sessions at AWS.
    Down {
        /// The tunnels to stop.
        #[arg(required_unless_present = "all", conflicts_with = "all")]
        names: Vec<String>,
        /// Every background tunnel.
        #[arg(long)]
        all: bool,
    },
    /// A background tunnel's recent lines: sessions ready, dropped, resumed, replaced, errors.
    Logs { name: String },
    /// The process that keeps background tunnels (started on demand by `tunnel up`): serves
    /// the local API on its socket until its last tunnel is down, or SIGTERM.
    Serve,
}

#[derive(Debug, Args)]
pub struct TunnelUpArgs {
    /// Saved tunnels' or groups' names, or one TARGET with --remote-port.
    #[arg(required = true)]
    pub names: Vec<String>,
    /// The port to reach on TARGET (or on --remote-host): TARGET is an instance then.
    #[arg(long, value_parser = clap::value_parser!(u16).range(1..))]
    pub remote_port: Option<u16>,
    /// A host TARGET can reach (e.g. an RDS endpoint); default: TARGET itself.
    #[arg(long)]
    pub remote_host: Option<String>,
    /// The local port; 0 picks a free one.
    #[arg(long, default_value_t = 0)]
    pub local_port: u16,
    /// The loopback address to listen on (any of 127.0.0.0/8: 127.0.0.2 lets each database
    /// keep its standard port).
    #[arg(long, alias = "bind", default_value = "127.0.0.1")]
    pub local_address: std::net::IpAddr,
    /// Start the session only when the first connection arrives.
    #[arg(long)]
    pub lazy: bool,
    /// End the session after this many minutes without a connection.
    #[arg(long, value_name = "MINUTES")]
    pub idle_minutes: Option<f64>,
    /// The tunnel's name in `tunnel ls` (default: TARGET:PORT).
    #[arg(long)]
    pub name: Option<String>,
}

#[derive(Debug, Args)]
pub struct SessionsArgs {
    /// The sessions that ended (Terminated, Failed) instead of the active ones.
    #[arg(long)]
    pub history: bool,
    /// One JSON object a line (with `session_id`) instead of a table.
    #[arg(long)]
    pub json: bool,
    /// Words (anywhere in the row) and field:value (id, target, name, owner, document,
    /// status, reason); all must match; a leading ! negates.
    #[arg(long)]
    pub filter: Option<String>,
}

#[derive(Debug, Args)]
pub struct TerminateArgs {
    /// The sessions to end.
    #[arg(required = true)]
    pub session_ids: Vec<String>,
    /// Do not ask (required when stdin is not a terminal).
    #[arg(long)]
    pub yes: bool,
}

#[derive(Debug, Args)]
pub struct DoctorArgs {
    /// An instance id, a Name tag value, or tag:KEY=VALUE.
    pub target: String,
    /// One JSON object: the checks, the verdict, the cause and the fix.
    #[arg(long)]
    pub json: bool,
    /// Also ask the instance's shell whether it has what `bosun cp` and the console's file
    /// view need (a SHA-256 tool, base64, tar, od), in one short session.
    #[arg(long)]
    pub files: bool,
}

#[derive(Debug, Args)]
pub struct RdpArgs {
    /// A Windows instance: an id, a Name tag value, or tag:KEY=VALUE.
    pub target: String,
    /// Decrypt the instance's Administrator password (EC2 GetPasswordData) with this private
    /// key of the key pair it was launched with, and hand it to the RDP client (or print it
    /// once).
    #[arg(long, value_name = "KEYFILE")]
    pub password: Option<std::path::PathBuf>,
    /// The local port; 0 picks a free one.
    #[arg(long, default_value_t = 0)]
    pub local_port: u16,
    /// The Windows user to log in as.
    #[arg(long, default_value = "Administrator")]
    pub user: String,
    /// Print the address (and the password) instead of starting an RDP client; the tunnel
    /// stays until Ctrl-C.
    #[arg(long)]
    pub no_client: bool,
}

#[derive(Debug, clap::Args)]
pub struct CpArgs {
    /// SRC… DST: one side is TARGET:PATH (an instance id, Name or tag:KEY=VALUE, a colon, then
    /// the path there); several sources need DST to be a folder.
    #[arg(required = true, num_args = 2.., value_name = "SRC… DST")]
    pub paths: Vec<std::ffi::OsString>,
    /// Read a large download in up to this many parallel sessions (1-16; each range 4 MiB at
    /// least): the agent sends each session's output at its own pace.
    #[arg(long, default_value_t = 4, value_name = "N", value_parser = clap::value_parser!(u8).range(1..=16))]
    pub sessions: u8,
    /// One JSON object a line per file copied (path, bytes, sha256, seconds).
    #[arg(long)]
    pub json: bool,
    /// Copy folders and everything in them (downloads: packed with tar on the instance).
    #[arg(short = 'r', long)]
    pub recursive: bool,
    /// No progress line, even on a terminal.
    #[arg(long, short)]
    pub quiet: bool,
}

#[derive(Debug, clap::Args)]
pub struct ProxyArgs {
    /// An instance id or a Name tag value (ssm: `%h`).
    pub target: String,
    /// The port on the instance, usually 22 (ssh: `%p`).
    pub port: u16,
}

#[derive(Debug, Args)]
pub struct LoginArgs {
    /// Log in to this `[sso-session NAME]` instead of the profile's.
    #[arg(long)]
    pub sso_session: Option<String>,
    /// Print the URL and code without opening a browser.
    #[arg(long)]
    pub no_browser: bool,
}

#[derive(Debug, Args)]
pub struct AccountsArgs {
    /// One JSON object a line instead of a table.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct LsArgs {
    /// One JSON object a line instead of a table.
    #[arg(long)]
    pub json: bool,
    /// The console's filter: words (substring), tag:KEY=VALUE, status:lost, region:R, ...;
    /// all must match; a leading ! negates a word. With --containers: words, cluster:C,
    /// service:S, status:S (the task's, or exec:on|off).
    #[arg(long)]
    pub filter: Option<String>,
    /// ECS containers instead of instances: cluster, service, task, container, launch type,
    /// status, health, whether ECS Exec can reach it (and why not), image, CPU/memory.
    #[arg(long)]
    pub containers: bool,
}

#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Print where the configuration file is read from.
    Path,
    /// Read the configuration file and report every problem, each with its line.
    Check,
}

/// `--region`: a name shaped like a region's (a typo is refused before any call).
fn region_name(text: &str) -> Result<String, String> {
    if crate::model::region::is_region_name(text) {
        Ok(text.to_owned())
    } else {
        Err(format!(
            "{text:?} is not a region name (like us-east-1; `aws ec2 describe-regions` lists them)"
        ))
    }
}
