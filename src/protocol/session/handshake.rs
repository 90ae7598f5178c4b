//! The handshake in both roles (docs/protocol.md §5): SessionType, KMSEncryption with the
//! encryption challenge, HandshakeComplete. Nothing else is sent until it completes.

use std::collections::BTreeMap;
use std::time::Instant;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use bytes::Bytes;
use serde::Serialize;
use serde_json::Value;

use super::{Phase, Session};
use crate::protocol::Role;
use crate::protocol::crypto::{
    self, CONTEXT_RANDOM_CHALLENGE, CONTEXT_SESSION_ID, CONTEXT_TARGET_ID, DataKey, DataKeyRequest,
    DecryptKeyRequest, KeyProviderError, SessionCipher,
};
use crate::protocol::error::ProtocolError;
use crate::protocol::event::{CloseReason, Event};
use crate::protocol::message::{Message, PayloadType};
use crate::protocol::payload::{
    ACTION_KMS_ENCRYPTION, ACTION_SESSION_TYPE, ActionStatus, EncryptionChallenge,
    HandshakeComplete, HandshakeRequest, HandshakeResponse, KmsEncryptionRequest,
    KmsEncryptionResponse, ProcessedClientAction, RequestedClientAction, SessionTypeRequest,
};

/// Session types the client can run (the plugin's list).
const SUPPORTED_SESSION_TYPES: [&str; 4] = [
    "Standard_Stream",
    "InteractiveCommands",
    "NonInteractiveCommands",
    "Port",
];
/// Bytes of the agent's plaintext encryption challenge.
const CHALLENGE_LENGTH: usize = 64;
/// Bytes of the random challenge the agent offers for the KMS encryption context.
const CONTEXT_CHALLENGE_LENGTH: usize = 16;
const KMS_CUSTOMER_MESSAGE: &str = "This session is encrypted using AWS KMS.";

/// Client state between HandshakeRequest and HandshakeComplete.
#[derive(Debug)]
pub(crate) struct ClientHandshake {
    actions: Vec<ProcessedClientAction>,
    /// Index into `actions` of the KMS action waiting for a data key.
    awaiting_key: Option<(usize, bool)>,
}

/// Agent state between HandshakeRequest and HandshakeComplete: what it waits for next.
#[derive(Debug)]
pub(crate) enum AgentHandshake {
    Response { context_challenge: Option<String> },
    DecryptedKey,
    ChallengeResponse { challenge: Vec<u8> },
}

impl Session {
    pub(crate) fn handle_handshake_message(
        &mut self,
        message: &Message,
    ) -> Result<(), ProtocolError> {
        match (self.role, message.payload_type) {
            (Role::Client, PayloadType::HANDSHAKE_REQUEST) => {
                self.client_on_request(&message.payload)
            }
            (Role::Client, PayloadType::ENC_CHALLENGE_REQUEST) => {
                self.client_on_challenge(&message.payload)
            }
            (Role::Client, PayloadType::HANDSHAKE_COMPLETE) => {
                self.client_on_complete(&message.payload)
            }
            (Role::Agent, PayloadType::HANDSHAKE_RESPONSE) => {
                self.agent_on_response(&message.payload)
            }
            (Role::Agent, PayloadType::ENC_CHALLENGE_RESPONSE) => {
                self.agent_on_challenge_response(&message.payload)
            }
            _ => Err(ProtocolError::Unexpected(
                "a handshake message for the other role",
            )),
        }
    }

    // ---------------------------------------------------------------- client

    fn client_on_request(&mut self, payload: &[u8]) -> Result<(), ProtocolError> {
        if !matches!(self.phase, Phase::AwaitingPeer) {
            return Err(ProtocolError::Unexpected("a second HandshakeRequest"));
        }
        let request: HandshakeRequest = serde_json::from_slice(payload)
            .map_err(|e| ProtocolError::bad_payload("HandshakeRequest", e))?;
        self.info.agent_version = Some(request.agent_version.clone());
        self.info.handshake = true;
        let mut actions = Vec::new();
        let mut awaiting_key = None;
        let mut key_request = None;
        for action in &request.requested_client_actions {
            let processed = match action.action_type.as_str() {
                ACTION_SESSION_TYPE => self.client_session_type_action(&action.action_parameters),
                ACTION_KMS_ENCRYPTION => {
                    match serde_json::from_value::<KmsEncryptionRequest>(
                        action.action_parameters.clone(),
                    ) {
                        Ok(kms) => {
                            let request = self.client_data_key_request(&kms);
                            awaiting_key = Some((actions.len(), kms.challenge.is_some()));
                            key_request = Some(request);
                            action_result(
                                ACTION_KMS_ENCRYPTION,
                                ActionStatus::Success,
                                Value::Null,
                                "",
                            )
                        }
                        Err(error) => action_result(
                            ACTION_KMS_ENCRYPTION,
                            ActionStatus::Failed,
                            Value::Null,
                            &format!("Failed to process action KMSEncryption: {error}"),
                        ),
                    }
                }
                other => action_result(
                    other,
                    ActionStatus::Unsupported,
                    Value::Null,
                    &format!("Unsupported action {other}"),
                ),
            };
            actions.push(processed);
        }
        self.phase = Phase::ClientHandshake(Box::new(ClientHandshake {
            actions,
            awaiting_key,
        }));
        match key_request {
            Some(request) => self.push_control_event(Event::DataKeyNeeded(request)),
            None => self.client_send_response(),
        }
        Ok(())
    }

    fn client_session_type_action(&mut self, parameters: &Value) -> ProcessedClientAction {
        match serde_json::from_value::<SessionTypeRequest>(parameters.clone()) {
            Ok(request) if SUPPORTED_SESSION_TYPES.contains(&request.session_type.as_str()) => {
                self.info.session_type = request.session_type;
                self.info.properties = request.properties;
                action_result(ACTION_SESSION_TYPE, ActionStatus::Success, Value::Null, "")
            }
            Ok(request) => action_result(
                ACTION_SESSION_TYPE,
                ActionStatus::Failed,
                Value::Null,
                &format!("Unknown session type {}", request.session_type),
            ),
            Err(error) => action_result(
                ACTION_SESSION_TYPE,
                ActionStatus::Failed,
                Value::Null,
                &format!("Failed to process action SessionType: {error}"),
            ),
        }
    }

    fn client_data_key_request(&self, kms: &KmsEncryptionRequest) -> DataKeyRequest {
        let mut context = BTreeMap::new();
        if let Some(params) = &self.client {
            context.insert(CONTEXT_SESSION_ID.to_owned(), params.session_id.clone());
            context.insert(CONTEXT_TARGET_ID.to_owned(), params.target.clone());
        }
        // A forward-looking client binds the agent's challenge into the key
        // (docs/protocol.md §5.5).
        if let Some(challenge) = &kms.challenge {
            context.insert(CONTEXT_RANDOM_CHALLENGE.to_owned(), challenge.clone());
        }
        DataKeyRequest {
            key_id: kms.kms_key_id.clone(),
            encryption_context: context,
        }
    }

    /// Client: the answer to `Event::DataKeyNeeded`.
    pub fn handle_data_key(
        &mut self,
        now: Instant,
        result: Result<DataKey, KeyProviderError>,
    ) -> Result<(), ProtocolError> {
        self.now = self.now.max(now);
        let Phase::ClientHandshake(handshake) = &mut self.phase else {
            return Err(ProtocolError::Unexpected(
                "a data key outside the handshake",
            ));
        };
        let Some((index, challenge)) = handshake.awaiting_key.take() else {
            return Err(ProtocolError::Unexpected("a data key nobody asked for"));
        };
        let failure = match result {
            Ok(key) => match SessionCipher::new(&key.plaintext, Role::Client) {
                Ok(cipher) => {
                    let result = KmsEncryptionResponse {
                        kms_cipher_text_key: BASE64.encode(&key.ciphertext),
                        kms_cipher_text_hash: None,
                        challenge_acknowledgement: challenge,
                    };
                    handshake.actions[index].action_result = to_value(&result);
                    self.cipher = Some(cipher);
                    None
                }
                Err(error) => Some(error.to_string()),
            },
            Err(error) => Some(error.to_string()),
        };
        if let Some(why) = &failure {
            let action = &mut handshake.actions[index];
            action.action_status = ActionStatus::Failed;
            action.error = format!("Failed to process action KMSEncryption: {why}");
        }
        self.client_send_response();
        if let Some(why) = failure {
            self.finish(CloseReason::Encryption(why));
        }
        Ok(())
    }

    fn client_send_response(&mut self) {
        let Phase::ClientHandshake(handshake) = &self.phase else {
            return;
        };
        let errors: Vec<String> = handshake
            .actions
            .iter()
            .filter(|action| !action.error.is_empty())
            .map(|action| action.error.clone())
            .collect();
        let response = HandshakeResponse {
            client_version: self.client.as_ref().map_or_else(
                || crate::protocol::payload::CLIENT_VERSION.to_owned(),
                |c| c.client_version.clone(),
            ),
            processed_client_actions: handshake.actions.clone(),
            errors: (!errors.is_empty()).then_some(errors),
        };
        self.send_handshake_json(PayloadType::HANDSHAKE_RESPONSE, &response);
    }

    fn client_on_challenge(&mut self, payload: &[u8]) -> Result<(), ProtocolError> {
        let (Phase::ClientHandshake(_), Some(cipher)) = (&self.phase, &mut self.cipher) else {
            return Err(ProtocolError::Unexpected(
                "an encryption challenge without a data key",
            ));
        };
        let request: EncryptionChallenge = serde_json::from_slice(payload)
            .map_err(|e| ProtocolError::bad_payload("EncChallengeRequest", e))?;
        let sealed = BASE64
            .decode(&request.challenge)
            .map_err(|e| ProtocolError::bad_payload("EncChallengeRequest", e))?;
        let answer = cipher
            .decrypt(&sealed)
            .and_then(|plain| cipher.encrypt(&plain));
        match answer {
            Ok(resealed) => {
                let response = EncryptionChallenge {
                    challenge: BASE64.encode(resealed),
                };
                self.send_handshake_json(PayloadType::ENC_CHALLENGE_RESPONSE, &response);
                Ok(())
            }
            Err(error) => {
                self.finish(CloseReason::Encryption(format!(
                    "the agent's challenge did not decrypt with our data key ({error})"
                )));
                Ok(())
            }
        }
    }

    fn client_on_complete(&mut self, payload: &[u8]) -> Result<(), ProtocolError> {
        if !matches!(self.phase, Phase::ClientHandshake(_)) {
            return Err(ProtocolError::Unexpected(
                "HandshakeComplete before HandshakeRequest",
            ));
        }
        let complete: HandshakeComplete = serde_json::from_slice(payload)
            .map_err(|e| ProtocolError::bad_payload("HandshakeComplete", e))?;
        self.info.customer_message = Some(complete.customer_message).filter(|m| !m.is_empty());
        self.become_ready(self.now);
        Ok(())
    }

    // ----------------------------------------------------------------- agent

    pub(crate) fn start_agent_handshake(&mut self, now: Instant) {
        self.now = now;
        let Some(params) = &self.agent else {
            return;
        };
        let mut actions = vec![RequestedClientAction {
            action_type: ACTION_SESSION_TYPE.to_owned(),
            action_parameters: to_value(&SessionTypeRequest {
                session_type: params.session_type.clone(),
                properties: params.properties.clone(),
            }),
        }];
        let mut context_challenge = None;
        if let Some(key_id) = params
            .kms_key_id
            .clone()
            .filter(|_| params.session_type != "Port")
        {
            let mut random = [0u8; CONTEXT_CHALLENGE_LENGTH];
            let challenge = crypto::random_fill(&mut random)
                .ok()
                .map(|()| BASE64.encode(random));
            context_challenge.clone_from(&challenge);
            actions.push(RequestedClientAction {
                action_type: ACTION_KMS_ENCRYPTION.to_owned(),
                action_parameters: to_value(&KmsEncryptionRequest {
                    kms_key_id: key_id,
                    challenge,
                }),
            });
        }
        let request = HandshakeRequest {
            agent_version: params.agent_version.clone(),
            requested_client_actions: actions,
        };
        self.info.handshake = true;
        self.phase =
            Phase::AgentHandshake(Box::new(AgentHandshake::Response { context_challenge }));
        self.send_handshake_json(PayloadType::HANDSHAKE_REQUEST, &request);
        self.set_handshake_deadline();
    }

    fn agent_on_response(&mut self, payload: &[u8]) -> Result<(), ProtocolError> {
        let Phase::AgentHandshake(state) = &self.phase else {
            return Err(ProtocolError::Unexpected(
                "HandshakeResponse outside the handshake",
            ));
        };
        let AgentHandshake::Response { context_challenge } = state.as_ref() else {
            return Err(ProtocolError::Unexpected("a second HandshakeResponse"));
        };
        let context_challenge = context_challenge.clone();
        let response: HandshakeResponse = serde_json::from_slice(payload)
            .map_err(|e| ProtocolError::bad_payload("HandshakeResponse", e))?;
        self.info.client_version = Some(response.client_version.clone());
        if let Some(failed) = response
            .processed_client_actions
            .iter()
            .find(|action| action.action_status != ActionStatus::Success)
        {
            let why = if failed.error.is_empty() {
                format!("the client could not process {}", failed.action_type)
            } else {
                failed.error.clone()
            };
            self.finish(CloseReason::HandshakeFailed(why));
            return Ok(());
        }
        let kms_action = response
            .processed_client_actions
            .iter()
            .find(|action| action.action_type == ACTION_KMS_ENCRYPTION);
        // The agent never encrypts Port sessions (docs/protocol.md §5.5).
        let key_id = self
            .agent
            .as_ref()
            .and_then(|a| a.kms_key_id.clone())
            .filter(|_| self.info.session_type != "Port");
        match (key_id, kms_action) {
            (Some(key_id), Some(action)) => {
                let result: KmsEncryptionResponse =
                    serde_json::from_value(action.action_result.clone())
                        .map_err(|e| ProtocolError::bad_payload("KMSEncryption result", e))?;
                let ciphertext = BASE64
                    .decode(&result.kms_cipher_text_key)
                    .map_err(|e| ProtocolError::bad_payload("KMSCipherTextKey", e))?;
                let mut context = BTreeMap::new();
                if let Some(params) = &self.agent {
                    context.insert(CONTEXT_SESSION_ID.to_owned(), params.session_id.clone());
                    context.insert(CONTEXT_TARGET_ID.to_owned(), params.target.clone());
                }
                if let (true, Some(challenge)) =
                    (result.challenge_acknowledgement, context_challenge)
                {
                    context.insert(CONTEXT_RANDOM_CHALLENGE.to_owned(), challenge);
                }
                self.phase = Phase::AgentHandshake(Box::new(AgentHandshake::DecryptedKey));
                self.push_control_event(Event::DecryptKeyNeeded(DecryptKeyRequest {
                    key_id,
                    ciphertext,
                    encryption_context: context,
                }));
            }
            (Some(_), None) => {
                self.finish(CloseReason::HandshakeFailed(
                    "the client did not answer the KMSEncryption action".to_owned(),
                ));
            }
            _ => self.agent_complete(None),
        }
        Ok(())
    }

    /// Agent: the answer to `Event::DecryptKeyNeeded`.
    pub fn handle_decrypted_key(
        &mut self,
        now: Instant,
        result: Result<Vec<u8>, KeyProviderError>,
    ) -> Result<(), ProtocolError> {
        self.now = self.now.max(now);
        let Phase::AgentHandshake(state) = &self.phase else {
            return Err(ProtocolError::Unexpected(
                "a decrypted key outside the handshake",
            ));
        };
        if !matches!(state.as_ref(), AgentHandshake::DecryptedKey) {
            return Err(ProtocolError::Unexpected(
                "a decrypted key nobody asked for",
            ));
        }
        let cipher = result
            .map_err(|error| error.to_string())
            .and_then(|plain| SessionCipher::new(&plain, Role::Agent).map_err(|e| e.to_string()));
        let mut cipher = match cipher {
            Ok(cipher) => cipher,
            Err(why) => {
                self.finish(CloseReason::Encryption(why));
                return Ok(());
            }
        };
        let mut challenge = vec![0u8; CHALLENGE_LENGTH];
        let sealed = crypto::random_fill(&mut challenge).and_then(|()| cipher.encrypt(&challenge));
        let sealed = match sealed {
            Ok(sealed) => sealed,
            Err(error) => {
                self.finish(CloseReason::Encryption(error.to_string()));
                return Ok(());
            }
        };
        self.cipher = Some(cipher);
        self.phase =
            Phase::AgentHandshake(Box::new(AgentHandshake::ChallengeResponse { challenge }));
        self.send_handshake_json(
            PayloadType::ENC_CHALLENGE_REQUEST,
            &EncryptionChallenge {
                challenge: BASE64.encode(sealed),
            },
        );
        self.set_handshake_deadline();
        Ok(())
    }

    fn agent_on_challenge_response(&mut self, payload: &[u8]) -> Result<(), ProtocolError> {
        let (Phase::AgentHandshake(state), Some(cipher)) = (&self.phase, &self.cipher) else {
            return Err(ProtocolError::Unexpected(
                "a challenge response without a challenge",
            ));
        };
        let AgentHandshake::ChallengeResponse { challenge } = state.as_ref() else {
            return Err(ProtocolError::Unexpected(
                "a challenge response without a challenge",
            ));
        };
        let response: EncryptionChallenge = serde_json::from_slice(payload)
            .map_err(|e| ProtocolError::bad_payload("EncChallengeResponse", e))?;
        let answer = BASE64
            .decode(&response.challenge)
            .map_err(|e| ProtocolError::bad_payload("EncChallengeResponse", e))?;
        let matches = cipher
            .decrypt(&answer)
            .is_ok_and(|plain| constant_time_eq(&plain, challenge));
        if matches {
            self.agent_complete(Some(KMS_CUSTOMER_MESSAGE));
        } else {
            self.finish(CloseReason::Encryption(
                "the client's challenge response does not match: the data keys differ".to_owned(),
            ));
        }
        Ok(())
    }

    fn agent_complete(&mut self, customer_message: Option<&str>) {
        let elapsed = self.now.saturating_duration_since(self.started);
        let complete = HandshakeComplete {
            handshake_time_to_complete: i64::try_from(elapsed.as_nanos()).unwrap_or(i64::MAX),
            customer_message: customer_message.unwrap_or_default().to_owned(),
        };
        self.info.customer_message = customer_message.map(str::to_owned);
        self.send_handshake_json(PayloadType::HANDSHAKE_COMPLETE, &complete);
        self.become_ready(self.now);
    }

    fn send_handshake_json<T: Serialize>(&mut self, payload_type: PayloadType, value: &T) {
        match serde_json::to_vec(value) {
            Ok(json) => self.send_sequenced(payload_type, Bytes::from(json), 0),
            Err(error) => self.finish(CloseReason::HandshakeFailed(error.to_string())),
        }
    }
}

fn action_result(
    action_type: &str,
    status: ActionStatus,
    result: Value,
    error: &str,
) -> ProcessedClientAction {
    ProcessedClientAction {
        action_type: action_type.to_owned(),
        action_status: status,
        action_result: result,
        error: error.to_owned(),
    }
}

fn to_value<T: Serialize>(value: &T) -> Value {
    serde_json::to_value(value).unwrap_or(Value::Null)
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
