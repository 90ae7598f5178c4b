//! Which RDP client `bosun rdp` starts on this platform, and how it is handed the address, the
//! user and (where the client can take it safely) the password.

/// An RDP client to run on a tunnel's local address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RdpClient {
    pub program: String,
    pub args: Vec<String>,
    /// The password goes on its stdin (never on its command line, which other local users can
    /// read); otherwise it is printed once for the user to paste.
    pub password_on_stdin: bool,
    /// The program runs as long as the RDP session does (the tunnel ends when it exits);
    /// `false` for a launcher that hands off and returns at once (macOS `open`).
    pub waits: bool,
}

/// The client for `os` (`std::env::consts::OS`) among the programs `on_path` finds:
/// mstsc on Windows, the `rdp://` handler on macOS, xfreerdp (3, then 2) or remmina elsewhere.
pub fn client_for(
    os: &str,
    on_path: impl Fn(&str) -> bool,
    address: &str,
    user: &str,
    with_password: bool,
) -> Option<RdpClient> {
    let client = |program: &str, args: Vec<String>, password_on_stdin: bool, waits: bool| {
        Some(RdpClient {
            program: program.to_owned(),
            args,
            password_on_stdin,
            waits,
        })
    };
    match os {
        "windows" if on_path("mstsc") => {
            client("mstsc", vec![format!("/v:{address}")], false, true)
        }
        "macos" if on_path("open") => client(
            "open",
            vec![format!(
                "rdp://full%20address=s:{address}&username=s:{user}"
            )],
            false,
            false,
        ),
        "windows" | "macos" => None,
        _ => {
            if let Some(program) = ["xfreerdp3", "xfreerdp"].into_iter().find(|p| on_path(p)) {
                let mut args = vec![format!("/v:{address}"), format!("/u:{user}")];
                if with_password {
                    // FreeRDP asks for what /u does not give on stdin: the password.
                    args.push("/from-stdin:force".to_owned());
                }
                client(program, args, with_password, true)
            } else if on_path("remmina") {
                client(
                    "remmina",
                    vec!["-c".to_owned(), format!("rdp://{user}@{address}")],
                    false,
                    true,
                )
            } else {
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_platform_gets_its_own_client() {
        let all = |_: &str| true;
        let windows =
            client_for("windows", all, "127.0.0.1:53389", "Administrator", true).expect("mstsc");
        assert_eq!(
            (windows.program.as_str(), windows.args[0].as_str()),
            ("mstsc", "/v:127.0.0.1:53389")
        );
        let mac =
            client_for("macos", all, "127.0.0.1:53389", "Administrator", false).expect("open");
        assert!(mac.args[0].starts_with("rdp://full%20address=s:127.0.0.1:53389"));
        assert!(!mac.waits, "open returns at once");
        let linux =
            client_for("linux", all, "127.0.0.1:53389", "Administrator", true).expect("xfreerdp");
        assert_eq!(linux.program, "xfreerdp3");
        assert!(linux.password_on_stdin);
        assert!(
            linux.args.iter().all(|a| !a.starts_with("/p:")),
            "never on the command line"
        );
        let remmina = client_for(
            "linux",
            |p| p == "remmina",
            "127.0.0.1:1",
            "Administrator",
            true,
        )
        .expect("remmina");
        assert!(!remmina.password_on_stdin);
        assert_eq!(
            client_for("linux", |_| false, "127.0.0.1:1", "Administrator", false),
            None
        );
    }
}
