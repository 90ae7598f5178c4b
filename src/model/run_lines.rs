//! Which line of a command's output says the most, for the one line a table has room for: the
//! first that reads as an error; in a shape group whose members differ, the first line where
//! they differ (the version, the count); else the first line with text in it.

/// Words that mark a line as the reason something went wrong.
const TROUBLE: [&str; 14] = [
    "error",
    "fail",
    "fatal",
    "denied",
    "not found",
    "no such",
    "cannot",
    "can't",
    "refused",
    "timed out",
    "timeout",
    "panic",
    "exception",
    "unable",
];

/// The output's most telling line, given the outputs its group's other members gave (a shape
/// group's variants; empty otherwise). `None` for an output with no text.
pub fn telling_line<'a>(output: &'a str, others: &[&str]) -> Option<&'a str> {
    let lines: Vec<&str> = output
        .lines()
        .map(str::trim_end)
        .filter(|l| !l.trim().is_empty())
        .collect();
    let troubled = lines.iter().find(|line| {
        let lower = line.to_lowercase();
        TROUBLE.iter().any(|word| lower.contains(word))
    });
    if let Some(line) = troubled {
        return Some(line);
    }
    // Where the members differ: the first line of this output another one does not have at
    // the same place.
    let differing = others.iter().find_map(|other| {
        let theirs: Vec<&str> = other
            .lines()
            .map(str::trim_end)
            .filter(|l| !l.trim().is_empty())
            .collect();
        lines
            .iter()
            .enumerate()
            .find(|(index, line)| theirs.get(*index) != Some(*line))
            .map(|(_, line)| *line)
    });
    differing.or(lines.first().copied())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_error_line_beats_the_first_line() {
        let output = "Reading package lists...\nBuilding dependency tree...\nE: Unable to locate package nginx-extras\n";
        assert_eq!(
            telling_line(output, &[]),
            Some("E: Unable to locate package nginx-extras")
        );
        let output = "\n\nStarting app\nlistening on :8080\n";
        assert_eq!(telling_line(output, &[]), Some("Starting app"));
        assert_eq!(telling_line("  \n\n", &[]), None);
    }

    #[test]
    fn where_variants_differ_is_the_line_shown() {
        let common = "host <self>\napp v1.3.0\nuptime 4 days\n";
        let odd = "host <self>\napp v1.2.9\nuptime 9 days\n";
        assert_eq!(telling_line(common, &[odd]), Some("app v1.3.0"));
        assert_eq!(telling_line(odd, &[common]), Some("app v1.2.9"));
        assert_eq!(telling_line(common, &[common]), Some("host <self>"));
    }
}
