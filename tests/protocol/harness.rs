//! A two-endpoint harness: a client and an agent session joined by two lossy, reordering,
//! duplicating links, driven on a virtual clock (quinn-proto's test style).

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bosun::protocol::crypto::{DataKey, DataKeyRequest, DecryptKeyRequest, KeyProviderError};
use bosun::protocol::{AgentParams, CLIENT_VERSION, ClientParams, Event, Session, SessionConfig};
use bytes::Bytes;

/// A small deterministic generator; tests must not depend on the OS RNG.
#[derive(Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }

    pub fn chance(&mut self, probability: f64) -> bool {
        ((self.next_u64() >> 11) as f64 / (1u64 << 53) as f64) < probability
    }

    pub fn below(&mut self, bound: u64) -> u64 {
        self.next_u64() % bound.max(1)
    }

    pub fn bytes(&mut self, len: usize) -> Vec<u8> {
        let mut out = Vec::with_capacity(len + 8);
        while out.len() < len {
            out.extend_from_slice(&self.next_u64().to_le_bytes());
        }
        out.truncate(len);
        out
    }
}

/// Fault knobs of one direction.
#[derive(Clone, Copy, Debug)]
pub struct LinkConfig {
    pub delay: Duration,
    pub loss: f64,
    pub duplicate: f64,
    /// Probability that a frame is held back by up to `reorder_by`.
    pub reorder: f64,
    pub reorder_by: Duration,
}

impl LinkConfig {
    pub fn clean() -> LinkConfig {
        LinkConfig {
            delay: Duration::from_millis(5),
            loss: 0.0,
            duplicate: 0.0,
            reorder: 0.0,
            reorder_by: Duration::ZERO,
        }
    }
}

/// One direction of the network.
pub struct Link {
    pub config: LinkConfig,
    rng: Rng,
    counter: u64,
    in_flight: BinaryHeap<Reverse<(Instant, u64, Bytes)>>,
    pub sent_frames: u64,
    /// While false, every frame is lost (a dead connection).
    pub up: bool,
}

impl Link {
    pub fn new(config: LinkConfig, seed: u64) -> Link {
        Link {
            config,
            rng: Rng::new(seed),
            counter: 0,
            in_flight: BinaryHeap::new(),
            sent_frames: 0,
            up: true,
        }
    }

    pub fn send(&mut self, now: Instant, frame: Bytes) {
        self.sent_frames += 1;
        if !self.up || self.rng.chance(self.config.loss) {
            return;
        }
        let copies = if self.rng.chance(self.config.duplicate) {
            2
        } else {
            1
        };
        for _ in 0..copies {
            let mut at = now + self.config.delay;
            if self.rng.chance(self.config.reorder) {
                let extra = self
                    .rng
                    .below(self.config.reorder_by.as_micros() as u64 + 1);
                at += Duration::from_micros(extra);
            }
            self.counter += 1;
            self.in_flight
                .push(Reverse((at, self.counter, frame.clone())));
        }
    }

    pub fn pop_due(&mut self, now: Instant) -> Option<Bytes> {
        let Reverse((at, _, _)) = self.in_flight.peek()?;
        if *at > now {
            return None;
        }
        self.in_flight.pop().map(|Reverse((_, _, frame))| frame)
    }

    pub fn next_due(&self) -> Option<Instant> {
        self.in_flight.peek().map(|Reverse((at, _, _))| *at)
    }
}

/// A stand-in for KMS: GenerateDataKey remembers each key with its context; Decrypt checks the
/// context, as the simulator's KMS does. `tamper` makes Decrypt hand out a different key.
/// Ciphertext blob → (plaintext key, the encryption context it was made with).
type KeyStore = BTreeMap<Vec<u8>, (Vec<u8>, BTreeMap<String, String>)>;

#[derive(Clone, Default)]
pub struct FakeKms {
    keys: Arc<Mutex<KeyStore>>,
    pub tamper: bool,
    counter: Arc<Mutex<u64>>,
}

impl FakeKms {
    pub fn generate(&self, request: &DataKeyRequest) -> Result<DataKey, KeyProviderError> {
        let mut counter = self.counter.lock().expect("lock");
        *counter += 1;
        let plaintext = Rng::new(*counter + 77).bytes(64);
        let ciphertext = format!("blob-{counter}").into_bytes();
        self.keys.lock().expect("lock").insert(
            ciphertext.clone(),
            (plaintext.clone(), request.encryption_context.clone()),
        );
        Ok(DataKey {
            plaintext,
            ciphertext,
        })
    }

    /// The encryption context of every data key generated so far.
    pub fn contexts(&self) -> Vec<BTreeMap<String, String>> {
        let keys = self.keys.lock().expect("lock");
        keys.values().map(|(_, context)| context.clone()).collect()
    }

    pub fn decrypt(&self, request: &DecryptKeyRequest) -> Result<Vec<u8>, KeyProviderError> {
        let keys = self.keys.lock().expect("lock");
        let (plaintext, context) = keys
            .get(&request.ciphertext)
            .ok_or_else(|| KeyProviderError("InvalidCiphertextException".into()))?;
        if *context != request.encryption_context {
            return Err(KeyProviderError(
                "InvalidCiphertextException: encryption context mismatch".into(),
            ));
        }
        let mut key = plaintext.clone();
        if self.tamper {
            key[0] ^= 1;
            key[40] ^= 1;
        }
        Ok(key)
    }
}

/// What one endpoint's application has seen and still has to send.
#[derive(Default)]
pub struct Endpoint {
    pub events: Vec<Event>,
    pub received: Vec<u8>,
    pub to_send: Vec<u8>,
    pub sent: usize,
    /// When false the application stops taking events (a stalled consumer).
    pub paused_consumer: bool,
}

pub struct Pair {
    pub start: Instant,
    pub now: Instant,
    pub client: Session,
    pub agent: Session,
    pub to_agent: Link,
    pub to_client: Link,
    pub client_app: Endpoint,
    pub agent_app: Endpoint,
    pub kms: FakeKms,
    pub refused_frames: usize,
}

pub fn client_params() -> ClientParams {
    ClientParams {
        session_id: "user-0123456789abcdef0".into(),
        target: "i-0123456789abcdef0".into(),
        client_version: CLIENT_VERSION.into(),
    }
}

pub fn shell_params() -> AgentParams {
    AgentParams {
        session_id: "user-0123456789abcdef0".into(),
        target: "i-0123456789abcdef0".into(),
        session_type: "Standard_Stream".into(),
        properties: serde_json::Value::Null,
        agent_version: "3.3.987.0".into(),
        kms_key_id: None,
    }
}

pub fn port_params() -> AgentParams {
    AgentParams {
        session_type: "Port".into(),
        properties: serde_json::json!({
            "portNumber": "5432", "type": "LocalPortForwarding", "localPortNumber": "0"
        }),
        ..shell_params()
    }
}

impl Pair {
    pub fn new(
        config: SessionConfig,
        agent: AgentParams,
        to_agent: LinkConfig,
        to_client: LinkConfig,
        seed: u64,
    ) -> Pair {
        let start = Instant::now();
        let wall = 1_700_000_000_000;
        Pair {
            start,
            now: start,
            client: Session::client(config.clone(), client_params(), start, wall),
            agent: Session::agent(config, agent, start, wall),
            to_agent: Link::new(to_agent, seed),
            to_client: Link::new(to_client, seed ^ 0xabcdef),
            client_app: Endpoint::default(),
            agent_app: Endpoint::default(),
            kms: FakeKms::default(),
            refused_frames: 0,
        }
    }

    pub fn elapsed(&self) -> Duration {
        self.now - self.start
    }

    /// Moves everything that can move at the current instant.
    fn settle(&mut self) {
        loop {
            let mut progress = false;
            progress |= pump_app(
                &mut self.client,
                &mut self.client_app,
                &self.kms,
                self.now,
                true,
            );
            progress |= pump_app(
                &mut self.agent,
                &mut self.agent_app,
                &self.kms,
                self.now,
                false,
            );
            while let Some(frame) = self.client.poll_transmit() {
                self.to_agent.send(self.now, frame);
                progress = true;
            }
            while let Some(frame) = self.agent.poll_transmit() {
                self.to_client.send(self.now, frame);
                progress = true;
            }
            while let Some(frame) = self.to_agent.pop_due(self.now) {
                if self.agent.handle_frame(self.now, frame).is_err() {
                    self.refused_frames += 1;
                }
                progress = true;
            }
            while let Some(frame) = self.to_client.pop_due(self.now) {
                if self.client.handle_frame(self.now, frame).is_err() {
                    self.refused_frames += 1;
                }
                progress = true;
            }
            self.client.handle_timeout(self.now);
            self.agent.handle_timeout(self.now);
            if !progress {
                return;
            }
        }
    }

    /// Advances virtual time to the next thing that can happen. False when nothing can.
    pub fn step(&mut self) -> bool {
        self.settle();
        let next = [
            self.to_agent.next_due(),
            self.to_client.next_due(),
            self.client.poll_timeout(),
            self.agent.poll_timeout(),
        ]
        .into_iter()
        .flatten()
        .min();
        match next {
            Some(at) => {
                self.now = self.now.max(at);
                true
            }
            None => false,
        }
    }

    /// Steps until `done` holds or `limit` of virtual time passes. Returns whether `done` held.
    pub fn run_until(&mut self, limit: Duration, mut done: impl FnMut(&Pair) -> bool) -> bool {
        let deadline = self.now + limit;
        loop {
            if done(self) {
                return true;
            }
            if !self.step() || self.now > deadline {
                self.settle();
                return done(self);
            }
        }
    }

    /// Advances the clock by `by`, processing everything on the way.
    pub fn run_for(&mut self, by: Duration) {
        let until = self.now + by;
        self.run_until(by, |pair| pair.now >= until);
        self.now = self.now.max(until);
        self.settle();
    }
}

/// Feeds an endpoint's pending output into its session and drains its events.
fn pump_app(
    session: &mut Session,
    app: &mut Endpoint,
    kms: &FakeKms,
    now: Instant,
    client: bool,
) -> bool {
    let mut progress = false;
    while app.sent < app.to_send.len() {
        let taken = session.send_output(now, &app.to_send[app.sent..]);
        if taken == 0 {
            break;
        }
        app.sent += taken;
        progress = true;
    }
    if app.paused_consumer {
        return progress;
    }
    while let Some(event) = session.poll_event() {
        progress = true;
        match &event {
            Event::Output(bytes) => {
                // Kept as bytes only: storing 64 MiB of events would dwarf the test.
                app.received.extend_from_slice(bytes);
                continue;
            }
            Event::DataKeyNeeded(request) if client => {
                let key = kms.generate(request);
                session
                    .handle_data_key(now, key)
                    .expect("data key accepted");
            }
            Event::DecryptKeyNeeded(request) if !client => {
                let key = kms.decrypt(request);
                session
                    .handle_decrypted_key(now, key)
                    .expect("key accepted");
            }
            _ => {}
        }
        app.events.push(event);
    }
    progress
}

/// Proptest's settings for `cases` cases, with failures kept in
/// `tests/protocol/proptest-regressions/NAME.txt` (committed): a schedule or frame that once
/// failed is tried first on every run after, on every machine.
pub fn persisted(cases: u32, name: &str) -> proptest::test_runner::Config {
    let path: &'static str = Box::leak(
        format!(
            "{}/tests/protocol/proptest-regressions/{name}.txt",
            env!("CARGO_MANIFEST_DIR")
        )
        .into_boxed_str(),
    );
    proptest::test_runner::Config {
        cases,
        failure_persistence: Some(Box::new(
            proptest::test_runner::FileFailurePersistence::Direct(path),
        )),
        ..proptest::test_runner::Config::default()
    }
}
