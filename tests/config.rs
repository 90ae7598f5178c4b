//! How bosun is set up, as a user meets it: `bosun config check` (every problem of a broken
//! file at once, each at its line and in the file's terms; notes that do not fail a file that
//! is fine), the configuration's regions in `bosun ls`, and each subcommand's own `--help`.

mod common;

use std::process::Command;

fn check(text: &str) -> (i32, String, String) {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("config.toml");
    std::fs::write(&path, text).expect("write");
    let output = Command::new(env!("CARGO_BIN_EXE_bosun"))
        .args(["--config", path.to_str().expect("utf-8"), "config", "check"])
        .output()
        .expect("runs");
    let text = |bytes: &[u8]| {
        String::from_utf8_lossy(bytes).replace(&path.display().to_string(), "config.toml")
    };
    (
        output.status.code().unwrap_or(-1),
        text(&output.stdout),
        text(&output.stderr),
    )
}

#[test]
fn every_problem_of_a_broken_file_is_listed_with_its_line() {
    let (status, _, said) = check(
        "refresh = 5\nprofiles = \"prod\"\ntheme = \"solarised\"\nrefresh_seconds = 2\n\n\
         [keys]\nshell = \"f5\"\ntunnel_form = \"f5\"\nshel = \"x\"\n\n\
         [[tunnel]]\nname = \"db\"\ntarget = \"i-1\"\nremote_port = 5432\nsesions = 2\n",
    );
    assert_eq!(status, 1, "{said}");
    let expected = [
        "config.toml:1: unknown key \"refresh\"; did you mean refresh_seconds?",
        "config.toml:2: profiles wants a list, e.g. profiles = [\"prod\"], not text \"prod\"",
        "config.toml:3: theme \"solarised\": no such theme (built in: default, light, high-contrast, dracula, nord)",
        "config.toml:4: refresh_seconds must be 5 to 86400 seconds",
        "config.toml:8: keys: \"f5\" is bound to both shell and tunnel_form in the Fleet and Containers views; only shell would run",
        "config.toml:9: keys.shel: no such action; did you mean shell or help?",
        "config.toml:15: unknown key \"sesions\" in tunnel \"db\"; did you mean sessions?",
        "7 problems in config.toml",
    ];
    let lines: Vec<&str> = said.lines().collect();
    assert_eq!(lines.len(), expected.len(), "{said}");
    for (line, want) in lines.iter().zip(expected) {
        assert!(
            line.starts_with(want),
            "{line:?} should start {want:?}\n{said}"
        );
    }
    assert!(!said.contains("invalid type"), "serde's words: {said}");
}

#[test]
fn the_first_problem_stops_other_commands_and_says_how_many_more() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("config.toml");
    std::fs::write(&path, "refresh = 5\nregions = \"us-east-1\"\n").expect("write");
    let output = Command::new(env!("CARGO_BIN_EXE_bosun"))
        .args(["--config", path.to_str().expect("utf-8"), "ls"])
        .output()
        .expect("runs");
    let said = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "{said}");
    assert!(
        said.contains(":1: unknown key \"refresh\"; did you mean refresh_seconds? (and 1 more: `bosun config check` lists them)"),
        "{said}"
    );
}

#[test]
fn a_key_that_takes_a_views_own_key_is_a_note_and_the_file_passes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let themes = dir.path().join("themes");
    std::fs::create_dir(&themes).expect("themes dir");
    // A theme of the user's own sets only what it changes.
    std::fs::write(themes.join("mine.toml"), "[slots]\ntext = \"white\"\n").expect("theme");
    let path = dir.path().join("config.toml");
    std::fs::write(&path, "theme = \"mine\"\n[keys]\nshell = \"q\"\n").expect("write");
    let output = Command::new(env!("CARGO_BIN_EXE_bosun"))
        .args(["--config", path.to_str().expect("utf-8"), "config", "check"])
        .output()
        .expect("runs");
    let said = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "{said}");
    assert!(
        said.contains(":3: keys.shell = \"q\" takes the key from quit in the Fleet, Containers and Nodes views (a note)"),
        "{said}"
    );
    assert!(said.contains(": ok (0 saved tunnels, 0 groups)"), "{said}");
}

#[test]
fn a_missing_file_is_the_defaults() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("none.toml");
    let output = Command::new(env!("CARGO_BIN_EXE_bosun"))
        .args(["--config", path.to_str().expect("utf-8"), "config", "check"])
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&output.stdout).contains("no file (bosun uses its defaults)"));
}

/// `bosun ls` reads the configuration's regions when the command line names none, as the
/// console does (the README's sample says so), and says which region each row is from.
#[tokio::test]
async fn ls_reads_the_regions_of_the_configuration() {
    let sim = common::start_sim().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("config.toml");
    std::fs::write(&path, "regions = [\"us-east-1\", \"eu-west-1\"]\n").expect("write");
    let json = |extra: &'static [&'static str]| {
        let mut command = common::bosun(&sim);
        command
            .args(["--config", path.to_str().expect("utf-8"), "ls", "--json"])
            .args(extra);
        command
    };
    let (code, stdout, stderr) = common::finish(json(&[]).spawn().expect("spawn")).await;
    assert_eq!(code, 0, "{stderr}");
    let regions: std::collections::BTreeSet<String> = stdout
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .filter_map(|row| row["region"].as_str().map(str::to_owned))
        .collect();
    assert_eq!(
        regions.into_iter().collect::<Vec<_>>(),
        ["eu-west-1", "us-east-1"]
    );
    let (_, stdout, _) =
        common::finish(json(&["--region", "eu-west-1"]).spawn().expect("spawn")).await;
    assert!(
        stdout.lines().all(|line| line.contains("\"eu-west-1\"")),
        "the command line wins: {stdout}"
    );
}

/// Each subcommand's `--help` lists the options it uses: `sim` none of the AWS ones, `ls` no
/// theme; a global option it leaves out is still accepted.
#[test]
fn subcommand_help_lists_only_its_own_options() {
    let help = |args: &[&str]| {
        let output = Command::new(env!("CARGO_BIN_EXE_bosun"))
            .args(args)
            .arg("--help")
            .output()
            .expect("runs");
        assert!(output.status.success());
        String::from_utf8_lossy(&output.stdout).into_owned()
    };
    let sim = help(&["sim"]);
    assert!(sim.contains("--listen"), "{sim}");
    for global in [
        "--profile",
        "--region",
        "--endpoint-url",
        "--theme",
        "--read-only",
    ] {
        assert!(!sim.contains(global), "sim --help shows {global}:\n{sim}");
    }
    let ls = help(&["ls"]);
    assert!(ls.contains("--profile") && ls.contains("--region"), "{ls}");
    assert!(
        !ls.contains("--theme") && !ls.contains("--read-only"),
        "{ls}"
    );
    assert!(help(&[]).contains("--theme"), "the console keeps its theme");
    let dir = tempfile::tempdir().expect("tempdir");
    let output = Command::new(env!("CARGO_BIN_EXE_bosun"))
        .args(["config", "path", "--theme", "nord", "--config"])
        .arg(dir.path().join("c.toml"))
        .output()
        .expect("runs");
    assert!(output.status.success(), "a hidden global is still accepted");
}

#[test]
fn the_organisations_settings_are_checked() {
    let (status, _, said) = check(
        "[org]\nassume_role = \"Auditor\"\nindex = \"sometimes\"\nsync_name = \"AWS-QuickSetup-ManagedNode\"\n",
    );
    assert_eq!(status, 1, "{said}");
    assert!(
        said.contains(
            "config.toml:3: org.index wants one of \"auto\", \"always\", \"never\", not text \"sometimes\""
        ),
        "{said}"
    );
    assert_eq!(
        said.lines().filter(|l| l.contains("config.toml:")).count(),
        1,
        "{said}"
    );
    let (status, _, said) = check("[org]\nindex = \"never\"\nassume_role = \"Auditor\"\n");
    assert_eq!(status, 0, "{said}");
}
