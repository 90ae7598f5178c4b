//! The `:` line, k9s-style: a verb and its arguments (`:profile prod,staging`, `:region R`,
//! `:theme NAME`, `:tunnels`, `:quit`…), said as what it comes to.

use crate::app::State;
use crate::app::action::Action;
use crate::app::effect::Effect;
use crate::app::views::Outcome;

/// What the line `line` comes to; a line that means nothing says so in the status line.
pub(crate) fn run(state: &mut State, line: &str) -> Outcome {
    let mut words = line.split_whitespace();
    let verb = words.next().unwrap_or_default();
    let list: Vec<String> = words
        .flat_map(|w| w.split(','))
        .filter(|w| !w.is_empty())
        .map(str::to_owned)
        .collect();
    let act = |action| Outcome::Act(action);
    match verb {
        "" => Outcome::nothing(),
        "q" | "quit" => act(Action::Quit),
        "profile" | "profiles" | "ctx" if !list.is_empty() => {
            state.frame.notice = Some(SWITCHING.to_owned());
            Outcome::Done(vec![Effect::SwitchSources {
                profiles: Some(list),
                regions: None,
            }])
        }
        "region" | "regions"
            if let Some(bad) = list
                .iter()
                .find(|r| !crate::model::region::is_region_name(r)) =>
        {
            state.frame.notice = Some(format!(
                ":region {bad}: not a region name (like us-east-1); the regions stay as they were"
            ));
            Outcome::nothing()
        }
        "region" | "regions" if !list.is_empty() => {
            // A well-formed name bosun does not know is said at once, and tried.
            let notes: Vec<String> = list
                .iter()
                .filter_map(|r| crate::model::region::unknown_region_note(r))
                .collect();
            state.frame.notice = Some(if notes.is_empty() {
                SWITCHING.to_owned()
            } else {
                format!(":region {}", notes.join("; "))
            });
            Outcome::Done(vec![Effect::SwitchSources {
                profiles: None,
                regions: Some(list),
            }])
        }
        "theme" if list.len() == 1 => Outcome::Done(vec![Effect::SwitchTheme(list[0].clone())]),
        "panes" => act(Action::ShowPanes),
        "tunnels" | "tunnel" | "pf" => act(Action::ShowTunnels),
        "sessions" | "session" => act(Action::ShowSessions),
        "containers" | "container" | "ecs" => act(Action::ShowContainers),
        "files" | "file" | "ls" => act(Action::ShowFiles),
        "nodes" | "node" | "k8s" | "eks" => act(Action::ShowNodes),
        "recordings" | "recording" | "rec" | "replay" => act(Action::ShowRecordings),
        "run" => act(Action::OpenRun),
        "watch" => act(Action::ShowRun),
        "history" => act(Action::ShowHistory),
        "profile" | "profiles" | "ctx" | "region" | "regions" | "theme" => {
            state.frame.notice = Some(format!(
                ":{verb} needs a value, e.g. :{verb} {}",
                match verb {
                    "theme" => "nord",
                    "region" | "regions" => "us-east-1,eu-west-1",
                    _ => "prod,staging",
                }
            ));
            Outcome::nothing()
        }
        other => {
            state.frame.notice = Some(format!(
                "unknown command :{other} (try :profile, :region, :theme, :tunnels, :sessions, :containers, :quit)"
            ));
            Outcome::nothing()
        }
    }
}

/// The notice while new sources load; it goes when they are in place (a note about them stays).
pub(crate) const SWITCHING: &str = "switching…";

/// An error about the profiles and regions as the console chooses them: with `:region` and
/// `:profile` where the command line's words say `--region` (the loader is the same).
pub(crate) fn in_console_terms(error: &str) -> String {
    error
        .replace(
            "check --region or AWS_REGION",
            "check :region (or --region when starting bosun)",
        )
        .replace(
            "pass --region REGION, set AWS_REGION, or give the profile one",
            "use :region REGION, or give the profile one",
        )
        .replace("check --profile", "check :profile")
}
