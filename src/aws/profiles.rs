//! The profiles the AWS CLI's files define, so that a `--profile` naming none of them is an
//! error, as it is for the AWS CLI, instead of the environment's credentials used quietly
//! under that name.

use std::path::PathBuf;

fn file(variable: &str, default: &str) -> Option<PathBuf> {
    std::env::var_os(variable)
        .map(PathBuf::from)
        .or_else(|| directories::BaseDirs::new().map(|d| d.home_dir().join(default)))
}

/// Profile names in the config file (`[default]`, `[profile NAME]`) and the credentials file
/// (`[NAME]`), sorted, without repeats.
pub fn known_profiles() -> Vec<String> {
    let mut names = Vec::new();
    if let Some(text) =
        file("AWS_CONFIG_FILE", ".aws/config").and_then(|path| std::fs::read_to_string(path).ok())
    {
        names.extend(sections(&text).filter_map(|section| {
            if section == "default" {
                Some(section)
            } else {
                section
                    .strip_prefix("profile ")
                    .map(|name| name.trim().to_owned())
            }
        }));
    }
    if let Some(text) = file("AWS_SHARED_CREDENTIALS_FILE", ".aws/credentials")
        .and_then(|path| std::fs::read_to_string(path).ok())
    {
        names.extend(sections(&text));
    }
    names.sort();
    names.dedup();
    names
}

fn sections(text: &str) -> impl Iterator<Item = String> + '_ {
    text.lines().filter_map(|line| {
        let line = line.trim();
        line.strip_prefix('[')
            .and_then(|rest| rest.strip_suffix(']'))
            .map(|section| section.trim().to_owned())
    })
}

/// An error naming the profile and the ones that exist, when `name` is none of them. The
/// default profile may be absent: the SDK then uses the environment, as the AWS CLI does.
pub fn check(name: &str) -> Result<(), String> {
    if name.is_empty() || name == "default" {
        return Ok(());
    }
    let known = known_profiles();
    if known.iter().any(|k| k == name) {
        return Ok(());
    }
    Err(format!(
        "the profile {name:?} is in neither ~/.aws/config nor ~/.aws/credentials ({}); `aws configure --profile {name}` makes it",
        if known.is_empty() {
            "they define no profiles".to_owned()
        } else {
            format!("profiles there: {}", known.join(", "))
        }
    ))
}

/// The keys of one section of the AWS config file (`profile NAME`, `default`,
/// `sso-session NAME`), when it has it.
pub fn config_section(header: &str) -> Option<std::collections::BTreeMap<String, String>> {
    let text = std::fs::read_to_string(file("AWS_CONFIG_FILE", ".aws/config")?).ok()?;
    let mut inside = false;
    let mut found = None;
    for line in text.lines() {
        let line = line.trim();
        if let Some(section) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            inside = section.split_whitespace().collect::<Vec<_>>().join(" ") == header;
            if inside {
                found.get_or_insert_with(std::collections::BTreeMap::new);
            }
            continue;
        }
        if !inside || line.starts_with(['#', ';']) {
            continue;
        }
        if let (Some(keys), Some((key, value))) = (found.as_mut(), line.split_once('=')) {
            keys.insert(key.trim().to_owned(), value.trim().to_owned());
        }
    }
    found
}

/// The user's home, where `~/.aws/sso/cache` is.
pub fn home() -> Option<PathBuf> {
    directories::BaseDirs::new().map(|d| d.home_dir().to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sections_are_profile_names() {
        let config = "[default]\nregion=x\n[profile prod]\n[sso-session corp]\n";
        let names: Vec<String> = sections(config).collect();
        assert_eq!(names, ["default", "profile prod", "sso-session corp"]);
    }
}
