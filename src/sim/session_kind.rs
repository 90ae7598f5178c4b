//! What a Session document asks the simulated agent to run (a shell, a command, a port
//! forward), read from the document's name and parameters as the service checks them, and
//! the properties the agent's handshake reports for it.

use serde_json::{Value, json};

use super::api::ApiError;

/// What a document asks the agent to run.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum SessionKind {
    Shell,
    Interactive {
        command: String,
    },
    NonInteractive {
        command: String,
        /// `separateOutputStream=true`: stdout, stderr and the exit code each on their own.
        separate: bool,
    },
    Port {
        port: u16,
        host: Option<String>,
        local_forwarding: bool,
        local_port: String,
        /// A Unix socket the client should listen on instead of a port.
        local_socket: Option<String>,
    },
}

/// A Session document of the simulated account's own (as customers create them): port
/// forwarding to a Unix socket on the client's side, which the official plugin serves when
/// a document's properties say `localConnectionType: unix`.
pub(crate) const UNIX_SOCKET_DOCUMENT: &str = "Custom-StartPortForwardingSessionToSocket";

impl SessionKind {
    pub fn from_document(
        document: &str,
        parameters: &[(String, String)],
    ) -> Result<SessionKind, ApiError> {
        let param = |name: &str| {
            parameters
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
        };
        let port = |default: &str| -> Result<u16, ApiError> {
            let text = param("portNumber").unwrap_or_else(|| default.to_owned());
            text.parse().map_err(|_| {
                ApiError::validation(format!("portNumber {text:?} is not a valid port number"))
            })
        };
        let command = || {
            param("command").ok_or_else(|| {
                ApiError::validation("The document requires the parameter 'command'.")
            })
        };
        Ok(match document {
            "SSM-SessionManagerRunShell" => SessionKind::Shell,
            "AWS-StartInteractiveCommand" => SessionKind::Interactive {
                command: command()?,
            },
            "AWS-StartNonInteractiveCommand" => SessionKind::NonInteractive {
                command: command()?,
                separate: param("separateOutputStream").as_deref() == Some("true"),
            },
            "AWS-StartSSHSession" => SessionKind::Port {
                port: port("22")?,
                host: None,
                local_forwarding: false,
                local_port: String::new(),
                local_socket: None,
            },
            "AWS-StartPortForwardingSession" => SessionKind::Port {
                port: port("80")?,
                host: None,
                local_forwarding: true,
                local_port: param("localPortNumber").unwrap_or_default(),
                local_socket: None,
            },
            UNIX_SOCKET_DOCUMENT => SessionKind::Port {
                port: port("80")?,
                host: None,
                local_forwarding: true,
                local_port: String::new(),
                local_socket: Some(param("localUnixSocket").ok_or_else(|| {
                    ApiError::validation("The document requires the parameter 'localUnixSocket'.")
                })?),
            },
            "AWS-StartPortForwardingSessionToRemoteHost" => SessionKind::Port {
                port: port("80")?,
                host: Some(param("host").ok_or_else(|| {
                    ApiError::validation("The document requires the parameter 'host'.")
                })?),
                local_forwarding: true,
                local_port: param("localPortNumber").unwrap_or_default(),
                local_socket: None,
            },
            _ => {
                return Err(ApiError::new(
                    400,
                    "InvalidDocument",
                    format!("Document {document} does not exist."),
                ));
            }
        })
    }

    pub(crate) fn session_type(&self) -> &'static str {
        match self {
            SessionKind::Shell => "Standard_Stream",
            SessionKind::Interactive { .. } => "InteractiveCommands",
            SessionKind::NonInteractive { .. } => "NonInteractiveCommands",
            SessionKind::Port { .. } => "Port",
        }
    }

    /// The document's properties with parameters substituted, as the HandshakeRequest carries.
    pub(crate) fn properties(&self) -> Value {
        match self {
            SessionKind::Port {
                port,
                host,
                local_forwarding: false,
                ..
            } => {
                let mut properties = json!({"portNumber": port.to_string()});
                if let Some(host) = host {
                    properties["host"] = json!(host);
                }
                properties
            }
            SessionKind::Port {
                port,
                host,
                local_port,
                local_socket,
                ..
            } => {
                let mut properties = json!({
                    "portNumber": port.to_string(),
                    "type": "LocalPortForwarding",
                    "localPortNumber": local_port,
                });
                if let Some(host) = host {
                    properties["host"] = json!(host);
                }
                if let Some(path) = local_socket {
                    properties["localConnectionType"] = json!("unix");
                    properties["localUnixSocket"] = json!(path);
                }
                properties
            }
            _ => Value::Null,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn documents_map_to_session_types_and_properties() {
        let kind = SessionKind::from_document(
            "AWS-StartPortForwardingSessionToRemoteHost",
            &params(&[
                ("portNumber", "5432"),
                ("host", "db.internal"),
                ("localPortNumber", "0"),
            ]),
        )
        .expect("valid");
        assert_eq!(kind.session_type(), "Port");
        assert_eq!(
            kind.properties(),
            json!({"portNumber": "5432", "type": "LocalPortForwarding", "localPortNumber": "0", "host": "db.internal"})
        );
        let ssh = SessionKind::from_document("AWS-StartSSHSession", &[]).expect("valid");
        assert_eq!(ssh.properties(), json!({"portNumber": "22"}));
        assert_eq!(
            SessionKind::from_document("My-Document", &[]).map_err(|e| e.code),
            Err("InvalidDocument".to_owned())
        );
        assert!(
            SessionKind::from_document("AWS-StartPortForwardingSessionToRemoteHost", &[]).is_err()
        );
        assert!(
            SessionKind::from_document("AWS-StartSSHSession", &params(&[("portNumber", "http")]))
                .is_err()
        );
    }
}
