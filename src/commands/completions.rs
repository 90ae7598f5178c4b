//! `bosun completions SHELL` and `bosun man`: shell completions and the manual page, both
//! generated from the command line's own definitions, so they cannot fall behind it.

use std::io::Write;

/// Completions for `shell` on stdout.
pub fn completions(shell: clap_complete::Shell) -> i32 {
    let mut command = crate::cli::command();
    clap_complete::generate(shell, &mut command, "bosun", &mut std::io::stdout());
    0
}

/// The manual page on stdout.
pub fn man() -> i32 {
    let mut page = Vec::new();
    match clap_mangen::Man::new(crate::cli::command()).render(&mut page) {
        Ok(()) => {
            let _ = std::io::stdout().write_all(&page);
            0
        }
        Err(error) => {
            eprintln!("bosun man: {error}");
            1
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn completions_generate_for_every_shell_and_name_the_subcommands() {
        for shell in [
            clap_complete::Shell::Bash,
            clap_complete::Shell::Zsh,
            clap_complete::Shell::Fish,
            clap_complete::Shell::PowerShell,
            clap_complete::Shell::Elvish,
        ] {
            let mut out = Vec::new();
            clap_complete::generate(shell, &mut crate::cli::command(), "bosun", &mut out);
            let text = String::from_utf8_lossy(&out);
            for subcommand in ["shell", "tunnel", "run", "sim"] {
                assert!(text.contains(subcommand), "{shell}: no {subcommand}");
            }
        }
    }

    #[test]
    fn the_manual_page_renders() {
        let mut page = Vec::new();
        clap_mangen::Man::new(crate::cli::command())
            .render(&mut page)
            .expect("renders");
        let text = String::from_utf8_lossy(&page);
        assert!(text.starts_with(".ie"), "{}", &text[..40.min(text.len())]);
        assert!(text.contains("bosun"));
        assert!(text.contains("tunnel"));
    }
}
