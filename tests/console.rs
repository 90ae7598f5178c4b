//! The console drawn on ratatui's `TestBackend`: insta snapshots of each view (loaded,
//! filtered, empty, error, detail, help) and the status colours of every built-in theme.

mod common;

use common::pty::{TerminalView, bosun_in_pty};

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime};

use bosun::app::editor::TextInput;
use bosun::app::views::tunnels::{TunnelFact, TunnelGauges};
use bosun::app::{self, Action, Effect, Input, State};
use bosun::config::theme::{BUILT_IN, Theme};
use bosun::model::instance::{InstanceRow, Ping};
use bosun::model::pane::PaneStatus;
use bosun::model::run::{InvocationOutput, InvocationView};
use bosun::model::tunnel::TunnelDef;
use bosun::term::{Emulator, Screens};
use bosun::ui;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::style::Color;

fn row(
    name: &str,
    id: &str,
    ping: Ping,
    region: &str,
    team: &str,
    age: Option<u64>,
) -> InstanceRow {
    let mut tags = BTreeMap::new();
    tags.insert("Name".to_owned(), name.to_owned());
    tags.insert("Team".to_owned(), team.to_owned());
    tags.insert("Environment".to_owned(), "production".to_owned());
    InstanceRow {
        name: name.to_owned(),
        instance_id: id.to_owned(),
        ping,
        last_ping_age: age,
        agent_version: (ping != Ping::NotManaged).then(|| "3.3.987.0".to_owned()),
        agent_outdated: name.contains("legacy"),
        platform: "Linux".to_owned(),
        platform_name: Some("Amazon Linux".to_owned()),
        private_ip: Some("10.0.0.12".to_owned()),
        private_dns: None,
        ec2_state: Some("running".to_owned()),
        instance_type: Some("t3.medium".to_owned()),
        availability_zone: Some(format!("{region}a")),
        region: region.to_owned(),
        profile: "prod".to_owned(),
        account: Some("111122223333".to_owned()),
        account_name: None,
        vpc_id: Some("vpc-0a1b2c3d4e5f60001".to_owned()),
        subnet_id: Some("subnet-0a1b2c3d".to_owned()),
        iam_instance_profile: Some("SSMInstanceProfile".to_owned()),
        tags,
    }
}

const LOADED_AT: Duration = Duration::from_secs(1_795_248_000);

fn fleet() -> Vec<InstanceRow> {
    vec![
        row(
            "payments-api-1",
            "i-0a1b2c3d4e5f60001",
            Ping::Online,
            "us-east-1",
            "payments",
            Some(42),
        ),
        row(
            "payments-api-2",
            "i-0a1b2c3d4e5f60002",
            Ping::ConnectionLost,
            "us-east-1",
            "payments",
            Some(1860),
        ),
        row(
            "search-query-1",
            "i-0a1b2c3d4e5f60003",
            Ping::Online,
            "eu-west-1",
            "search",
            Some(7),
        ),
        row(
            "platform-legacy",
            "i-0a1b2c3d4e5f60004",
            Ping::Online,
            "us-east-1",
            "platform",
            Some(95),
        ),
        row(
            "data-notebook",
            "i-0a1b2c3d4e5f60005",
            Ping::Inactive,
            "us-east-1",
            "data",
            Some(86_400 * 40),
        ),
        row(
            "orphaned-box",
            "i-0a1b2c3d4e5f60006",
            Ping::NotManaged,
            "us-east-1",
            "platform",
            None,
        ),
    ]
}

fn state_with(rows: Vec<InstanceRow>, errors: Vec<String>) -> State {
    let mut state = State::new("prod/us-east-1, prod/eu-west-1");
    let _ = app::update(
        &mut state,
        Input::InventoryLoaded {
            rows,
            pending: 0,
            errors,
            at: SystemTime::UNIX_EPOCH + LOADED_AT,
            throttled: false,
        },
    );
    state
}

fn render(state: &State, theme: &Theme) -> Terminal<TestBackend> {
    let mut terminal = Terminal::new(TestBackend::new(132, 22)).expect("terminal");
    let now = SystemTime::UNIX_EPOCH + LOADED_AT + Duration::from_secs(5);
    terminal
        .draw(|frame| ui::draw(frame, state, theme, now, &Screens::new()))
        .expect("draw");
    terminal
}

#[test]
fn fleet_view_loaded() {
    let mut state = state_with(fleet(), Vec::new());
    let _ = app::update(&mut state, Input::Action(Action::Down));
    let _ = app::update(&mut state, Input::Action(Action::ToggleMark));
    insta::assert_snapshot!(render(&state, &Theme::default()).backend());
}

#[test]
fn fleet_view_filtered() {
    let mut state = state_with(fleet(), Vec::new());
    let _ = app::update(&mut state, Input::Action(Action::Filter));
    for c in "tag:Team=payments !status:lost".chars() {
        let _ = app::update(&mut state, Input::Text(TextInput::Char(c)));
    }
    insta::assert_snapshot!(render(&state, &Theme::default()).backend());
}

#[test]
fn fleet_view_empty() {
    let state = state_with(Vec::new(), Vec::new());
    insta::assert_snapshot!(render(&state, &Theme::default()).backend());
}

#[test]
fn fleet_view_error() {
    let state = state_with(
        Vec::new(),
        vec!["prod/us-east-1: DescribeInstanceInformation failed: AccessDeniedException: User is not authorized".to_owned()],
    );
    insta::assert_snapshot!(render(&state, &Theme::default()).backend());
}

#[test]
fn detail_view() {
    let mut state = state_with(fleet(), Vec::new());
    let _ = app::update(&mut state, Input::Action(Action::Detail));
    insta::assert_snapshot!(render(&state, &Theme::default()).backend());
}

#[test]
fn doctor_overlay() {
    use bosun::model::doctor::{DefaultRoute, Ec2Facts, Fact, Facts, SsmFacts, diagnose};
    let mut state = state_with(fleet(), Vec::new());
    let _ = app::update(&mut state, Input::Action(Action::Doctor));
    let instance_id = state
        .doctor()
        .map(|d| d.instance_id.clone())
        .expect("the doctor opened");
    let facts = Facts {
        instance_id: instance_id.clone(),
        region: "us-east-1".to_owned(),
        ec2: Fact::Found(Ec2Facts {
            state: "running".to_owned(),
            platform: "Linux/UNIX".to_owned(),
            vpc: "vpc-0a1b2c3d4e5f60002".to_owned(),
            subnet: "subnet-0d1e2f3a4b5c60021".to_owned(),
            private_ip: "10.2.0.12".to_owned(),
            public_ip: None,
            security_groups: vec!["sg-0c5b4a3d".to_owned()],
        }),
        ssm: Fact::Found(SsmFacts {
            ping: "Inactive".to_owned(),
            ping_age_secs: Some(40 * 86_400),
            agent_version: "3.3.987.0".to_owned(),
            platform: "Linux".to_owned(),
        }),
        profile: Fact::Unknown(
            "access denied (ec2:DescribeIamInstanceProfileAssociations)".to_owned(),
        ),
        role: Fact::Absent,
        route: Fact::Found(DefaultRoute::None),
        route_table: Some("rtb-0d1e2f3a4b5c60021".to_owned()),
        nat_gateways: vec!["nat-0f5e4d3c".to_owned()],
        endpoints: Fact::Found(Vec::new()),
        security_groups: Fact::Unknown("access denied (ec2:DescribeSecurityGroups)".to_owned()),
        instance_connect_endpoints: Fact::Found(Vec::new()),
        caller: Fact::Absent,
        session_kms_key: Fact::Absent,
    };
    let _ = app::update(
        &mut state,
        Input::DoctorReport {
            instance_id,
            report: Ok(diagnose(&facts)),
        },
    );
    insta::assert_snapshot!(render(&state, &Theme::default()).backend());
}

#[test]
fn sessions_view() {
    use bosun::app::views::sessions::SessionEntry;
    use bosun::model::session::SessionRow;
    let mut state = state_with(fleet(), Vec::new());
    let _ = app::update(&mut state, Input::Action(Action::ShowSessions));
    let started = (LOADED_AT.as_secs() - 600) as i64;
    let entry = |id: &str, target: &str, name: &str, owner: &str| SessionEntry {
        row: SessionRow {
            session_id: id.to_owned(),
            target: target.to_owned(),
            name: name.to_owned(),
            owner: format!("arn:aws:iam::111122223333:user/{owner}"),
            document: "SSM-SessionManagerRunShell".to_owned(),
            start: Some(started),
            end: None,
            status: "Connected".into(),
            reason: String::new(),
            account: None,
        },
        profile: "prod".to_owned(),
        region: "us-east-1".to_owned(),
    };
    let _ = app::update(
        &mut state,
        Input::SessionsLoaded {
            entries: vec![
                entry(
                    "alice-0a1b2c3d4e5f60001",
                    "i-0a1b2c3d4e5f60001",
                    "payments-api-1",
                    "alice",
                ),
                entry("bob-0a1b2c3d4e5f60002", "i-0a1b2c3d4e5f60002", "", "bob"),
            ],
            errors: Vec::new(),
            // Bob's session has a recording here.
            recorded: ["bob-0a1b2c3d4e5f60002".to_owned()].into_iter().collect(),
        },
    );
    let _ = app::update(&mut state, Input::Action(Action::TerminateSession));
    insta::assert_snapshot!(render(&state, &Theme::default()).backend());
    // The document and the status keep their whole words at 80 columns.
    let small = render_at(&mut state, 80, 24);
    let text = format!("{:?}", small.backend());
    assert!(text.contains("SSM-SessionManagerRunShell"), "{text}");
    assert!(text.contains("Connected"), "{text}");
    insta::assert_snapshot!("sessions_80x24", small.backend());
    insta::assert_snapshot!("sessions_160x48", render_at(&mut state, 160, 48).backend());
}

#[test]
fn help_overlay() {
    let mut state = state_with(fleet(), Vec::new());
    let _ = app::update(&mut state, Input::Action(Action::Help));
    insta::assert_snapshot!(render(&state, &Theme::default()).backend());
}

/// The console drawn on a `width` × `height` terminal, the reducer told the same size.
fn render_at(state: &mut State, width: u16, height: u16) -> Terminal<TestBackend> {
    let _ = app::update(state, Input::Resized { width, height });
    let mut terminal = Terminal::new(TestBackend::new(width, height)).expect("terminal");
    let now = SystemTime::UNIX_EPOCH + LOADED_AT + Duration::from_secs(5);
    terminal
        .draw(|frame| ui::draw(frame, state, &Theme::default(), now, &Screens::new()))
        .expect("draw");
    terminal
}

/// At 80×24 the help starts with the view's own keys and says where it is in the whole;
/// scrolled to its end it shows the forms' keys; at 160×48 more of it fits.
#[test]
fn help_overlay_small_and_large() {
    let mut state = state_with(fleet(), Vec::new());
    let _ = app::update(&mut state, Input::Action(Action::Help));
    insta::assert_snapshot!("help_80x24_top", render_at(&mut state, 80, 24).backend());
    let _ = app::update(&mut state, Input::Action(Action::Bottom));
    insta::assert_snapshot!("help_80x24_end", render_at(&mut state, 80, 24).backend());
    let _ = app::update(&mut state, Input::Action(Action::Top));
    insta::assert_snapshot!("help_160x48", render_at(&mut state, 160, 48).backend());
}

/// At 80 columns the footer keeps `? help` and `q quit`; hints before them give way.
#[test]
fn the_footer_keeps_help_and_quit_at_80_columns() {
    let mut state = state_with(fleet(), Vec::new());
    let terminal = render_at(&mut state, 80, 24);
    let buffer = terminal.backend().buffer();
    let last: String = (0..80)
        .map(|x| buffer[(x, 23)].symbol().to_owned())
        .collect();
    assert!(last.contains("? help") && last.contains("q quit"), "{last}");
    assert!(last.contains("/ filter"), "{last}");
}

/// The console with a pane on each of the first `count` managed instances, every pane's
/// emulator sized to its place and fed a little shell output.
fn with_panes(count: usize, zoom: bool) -> (State, Screens) {
    let mut state = state_with(fleet(), Vec::new());
    let _ = app::update(
        &mut state,
        Input::Resized {
            width: PANES_SIZE.0,
            height: PANES_SIZE.1,
        },
    );
    let online: Vec<usize> = state
        .fleet
        .visible
        .iter()
        .enumerate()
        .filter(|(_, row)| state.fleet.rows[**row].ping != Ping::NotManaged)
        .map(|(position, _)| position)
        .take(count)
        .collect();
    for position in &online {
        state.fleet.selected = *position;
        let _ = app::update(&mut state, Input::Action(Action::ToggleMark));
    }
    if count == 1 {
        state.fleet.marks.clear();
        state.fleet.selected = online[0];
    }
    // Marked rows open only where the agent is Online: these panes show instances in every
    // state, so the rows are Online while they open and back to what they were after.
    let pings: Vec<Ping> = state.fleet.rows.iter().map(|r| r.ping).collect();
    for row in state
        .fleet
        .rows
        .iter_mut()
        .filter(|r| r.ping != Ping::NotManaged)
    {
        row.ping = Ping::Online;
    }
    let _ = app::update(&mut state, Input::Action(Action::OpenShell));
    for (row, ping) in state.fleet.rows.iter_mut().zip(pings) {
        row.ping = ping;
        for pane in state.panes.workspace.panes.values_mut() {
            if pane.target.instance_id == row.instance_id {
                pane.target.ping = ping;
            }
        }
    }
    if zoom {
        let _ = app::update(&mut state, Input::Action(Action::Prefix));
        let _ = app::update(&mut state, Input::Action(Action::Zoom));
    }
    let mut screens = Screens::new();
    let tab = state.panes.workspace.tab().expect("a tab");
    for (id, rect) in tab.layout(app::pane_area(state.frame.screen)) {
        let content = app::pane_content(rect);
        let mut emulator = Emulator::new(content.height, content.width);
        let name = state.panes.workspace.panes[&id].target.name.clone();
        emulator.process(
            format!(
                "\x1b[1;32mssm-user@{name}\x1b[0m:~$ uptime\r\n 10:42:01 up 12 days,  3:04,  load average: 0.08, 0.03, 0.01\r\n\x1b[1;32mssm-user@{name}\x1b[0m:~$ "
            )
            .as_bytes(),
        );
        screens.insert(id, emulator);
    }
    let ids: Vec<_> = state.panes.workspace.panes.keys().copied().collect();
    for (index, id) in ids.into_iter().enumerate() {
        let status = match index {
            2 => PaneStatus::Resuming {
                attempt: 2,
                reason: String::new(),
            },
            3 => PaneStatus::ended("the shell exited"),
            _ => PaneStatus::Connected,
        };
        let _ = app::update(&mut state, Input::PaneStatus { pane: id, status });
    }
    (state, screens)
}

const PANES_SIZE: (u16, u16) = (110, 26);

fn render_panes(state: &State, screens: &Screens) -> Terminal<TestBackend> {
    let mut terminal =
        Terminal::new(TestBackend::new(PANES_SIZE.0, PANES_SIZE.1)).expect("terminal");
    let now = SystemTime::UNIX_EPOCH + LOADED_AT + Duration::from_secs(5);
    terminal
        .draw(|frame| ui::draw(frame, state, &Theme::default(), now, screens))
        .expect("draw");
    terminal
}

#[test]
fn one_pane() {
    let (state, screens) = with_panes(1, false);
    insta::assert_snapshot!(render_panes(&state, &screens).backend());
}

#[test]
fn two_panes() {
    let (state, screens) = with_panes(2, false);
    insta::assert_snapshot!(render_panes(&state, &screens).backend());
}

/// The focused pane stands out in every built-in theme: its title is the accent colour,
/// marked ▶, where the others use the status bar's; the two differ from each other and
/// from the background.
#[test]
fn the_focused_pane_stands_out_in_every_theme() {
    let (state, screens) = with_panes(2, false);
    for (name, _) in BUILT_IN {
        let theme = Theme::built_in(name).expect("resolves");
        let mut terminal =
            Terminal::new(TestBackend::new(PANES_SIZE.0, PANES_SIZE.1)).expect("terminal");
        let now = SystemTime::UNIX_EPOCH + LOADED_AT + Duration::from_secs(5);
        terminal
            .draw(|frame| ui::draw(frame, &state, &theme, now, &screens))
            .expect("draw");
        let buffer = terminal.backend().buffer();
        // Row 1 holds both panes' titles, side by side.
        let half = PANES_SIZE.0 / 2;
        let focused = (0..PANES_SIZE.0)
            .find(|&x| buffer[(x, 1)].symbol() == "▶")
            .unwrap_or_else(|| panic!("{name}: no ▶ on the title row"));
        let other = if focused < half { half + 2 } else { 2 };
        assert_eq!(buffer[(focused, 1)].bg, theme.accent, "{name}");
        assert_eq!(buffer[(other, 1)].bg, theme.status_bar, "{name}");
        assert_ne!(theme.accent, theme.status_bar, "{name}");
        assert_ne!(theme.accent, theme.background, "{name}");
        assert_ne!(
            buffer[(focused + 3, 1)].fg,
            theme.accent,
            "{name}: text readable"
        );
    }
}

/// Copy mode draws over the pane: the search's matches, the selection and the cursor, each
/// in its theme colour (the text snapshots keep no colours, so the cells are checked).
#[test]
fn copy_mode_shows_matches_selection_and_cursor() {
    use bosun::term::copy::CopyKey;
    let (mut state, mut screens) = with_panes(1, false);
    state.panes.mode = bosun::app::PaneMode::Scroll;
    let id = *screens.keys().next().expect("a pane");
    let screen = screens.get_mut(&id).expect("its emulator");
    screen.enter_copy();
    screen.copy_key(
        &CopyKey::Search {
            pattern: "load".to_owned(),
            forward: false,
        },
        10,
    );
    screen.copy_key(&CopyKey::Select, 10);
    for _ in 0..3 {
        screen.copy_key(&CopyKey::Right, 10);
    }
    let theme = Theme::default();
    let terminal = render_panes(&state, &screens);
    let buffer = terminal.backend().buffer();
    let find = |text: &str| {
        (0..PANES_SIZE.1).find_map(|y| {
            let line: String = (0..PANES_SIZE.0).map(|x| buffer[(x, y)].symbol()).collect();
            line.find(text)
                .map(|x| (line[..x].chars().count() as u16, y))
        })
    };
    let (x, y) = find("load average").expect("the uptime line");
    // The match begins where the selection does; the selection runs to the cursor.
    assert_eq!(buffer[(x + 1, y)].bg, theme.selection, "selected");
    assert_eq!(buffer[(x + 3, y)].bg, theme.accent, "the cursor");
    assert_eq!(
        buffer[(x + 5, y)].bg,
        theme.background,
        "beyond the selection"
    );
    let (px, py) = find(" COPY ").expect("the status line says COPY");
    assert_eq!(buffer[(px + 1, py)].bg, theme.accent);
    let screen = screens.get(&id).expect("emulator");
    assert!(
        screen
            .visible_matches()
            .iter()
            .any(|&(_, start, end)| end - start == 3),
        "'load' is a match"
    );
}

#[test]
fn four_panes() {
    let (state, screens) = with_panes(4, false);
    insta::assert_snapshot!(render_panes(&state, &screens).backend());
}

#[test]
fn zoomed_pane() {
    let (state, screens) = with_panes(4, true);
    insta::assert_snapshot!(render_panes(&state, &screens).backend());
}

#[test]
fn panes_help_overlay() {
    let (mut state, screens) = with_panes(2, false);
    let _ = app::update(&mut state, Input::Action(Action::Prefix));
    let _ = app::update(&mut state, Input::Action(Action::Help));
    insta::assert_snapshot!(render_panes(&state, &screens).backend());
}

fn with_tunnels() -> State {
    let mut state = state_with(fleet(), Vec::new());
    let def = |name: &str, host: &str, port: u16, sessions: u8| TunnelDef {
        name: name.to_owned(),
        target: "payments-bastion".to_owned(),
        remote_host: Some(host.to_owned()),
        remote_port: port,
        local_port: 0,
        bind: std::net::IpAddr::from([127, 0, 0, 1]),
        profile: None,
        region: None,
        sessions,
        account: None,
        lazy: false,
        idle_after: None,
    };
    let db = state.tunnels.add(
        def(
            "payments-db",
            "payments-db.cluster-c1x2y3z4.us-east-1.rds.amazonaws.com",
            5432,
            4,
        ),
        true,
    );
    state.tunnels.add(
        def(
            "payments-cache",
            "payments-cache.abc123.use1.cache.amazonaws.com",
            6379,
            1,
        ),
        true,
    );
    state.tunnels.groups.insert(
        "payments".to_owned(),
        vec!["payments-db".to_owned(), "payments-cache".to_owned()],
    );
    let _ = app::update(&mut state, Input::Action(Action::ShowTunnels));
    let _ = app::update(&mut state, Input::Action(Action::Down));
    let _ = app::update(&mut state, Input::Action(Action::ToggleTunnel));
    let _ = app::update(
        &mut state,
        Input::TunnelFact {
            id: db,
            fact: TunnelFact::Listening {
                local: "127.0.0.1:15432".to_owned(),
                instance_id: "i-0a1b2c3d4e5f60007".to_owned(),
            },
        },
    );
    let _ = app::update(
        &mut state,
        Input::TunnelGauges {
            id: db,
            gauges: TunnelGauges {
                sessions_ready: 4,
                active: 3,
                connections: 17,
                bytes_up: 1_234_567,
                bytes_down: 98_765_432,
                rate_up: 12_000,
                rate_down: 3_900_000,
                uptime_secs: 754,
                ..TunnelGauges::default()
            },
        },
    );
    state
}

#[test]
fn tunnels_view() {
    let state = with_tunnels();
    insta::assert_snapshot!(render(&state, &Theme::default()).backend());
}

/// A saved tunnel with a long name whose target refuses it: the name is whole, the remote
/// keeps its port, the doctor is asked once and its cause shows in the row and, in full,
/// under the table; the tunnel does not count as running.
#[test]
fn tunnels_view_with_a_long_name_and_a_failing_tunnel() {
    let mut state = with_tunnels();
    let failing = state.tunnels.add(
        TunnelDef {
            name: "search-query-2-elasticsearch-admin".to_owned(),
            target: "search-query-2".to_owned(),
            remote_host: Some("search-admin.internal.example.com".to_owned()),
            remote_port: 9200,
            local_port: 0,
            bind: std::net::IpAddr::from([127, 0, 0, 1]),
            profile: None,
            region: None,
            sessions: 1,
            account: None,
            lazy: false,
            idle_after: None,
        },
        true,
    );
    state.tunnels.get_mut(failing).expect("added").running = true;
    let _ = app::update(&mut state, Input::Action(Action::Bottom));
    // Started (enter), and then what a tunnel whose target refuses it says, and is measured at, each time.
    let update = |state: &mut State| {
        let mut effects = app::update(
            state,
            Input::TunnelFact {
                id: failing,
                fact: TunnelFact::Listening {
                    local: "127.0.0.1:41121".to_owned(),
                    instance_id: "i-0a1b2c3d4e5f60002".to_owned(),
                },
            },
        );
        effects.extend(app::update(
            state,
            Input::TunnelFact {
                id: failing,
                fact: TunnelFact::Problem(
                    "cannot start a session on i-0a1b2c3d4e5f60002: TargetNotConnected: i-0a1b2c3d4e5f60002 is not connected."
                        .to_owned(),
                ),
            },
        ));
        effects.extend(app::update(
            state,
            Input::TunnelGauges {
                id: failing,
                gauges: TunnelGauges {
                    uptime_secs: 20,
                    ..TunnelGauges::default()
                },
            },
        ));
        effects
    };
    let effects = update(&mut state);
    assert!(
        matches!(effects.as_slice(), [Effect::Diagnose { instance_id, .. }] if instance_id == "i-0a1b2c3d4e5f60002"),
        "{effects:?}"
    );
    assert!(
        update(&mut state).is_empty(),
        "asked once per failing spell"
    );
    let _ = app::update(
        &mut state,
        Input::DoctorReport {
            instance_id: "i-0a1b2c3d4e5f60002".to_owned(),
            report: Ok(bosun::model::doctor::Report {
                instance_id: "i-0a1b2c3d4e5f60002".to_owned(),
                region: "us-east-1".to_owned(),
                checks: Vec::new(),
                would_start: false,
                cause: "the VPC's endpoints for ssm have private DNS off".to_owned(),
                fix: "turn private DNS on".to_owned(),
                fallbacks: Vec::new(),
                endpoints: Vec::new(),
            }),
        },
    );
    assert_eq!(state.tunnels.serving_count(), 1, "only payments-db serves");
    insta::assert_snapshot!(render(&state, &Theme::default()).backend());
    // At 80×24 the whole local address stays and the rate keeps its room; what the table has
    // no room for (target, remote) is said of the selected tunnel under it, with its trouble.
    let small = render_at(&mut state, 80, 24);
    let text = format!("{:?}", small.backend());
    assert!(text.contains("127.0.0.1:41121"), "{text}");
    assert!(
        text.contains("search-query-2-elasticsearch-admin: 127.0.0.1:41121 → search-query-2 →")
            && text.contains("search-admin.internal.example.com:9200 · why: the VPC's endpoints"),
        "{text}"
    );
    insta::assert_snapshot!("tunnels_failing_80x24", small.backend());
    insta::assert_snapshot!(
        "tunnels_failing_160x48",
        render_at(&mut state, 160, 48).backend()
    );
}

#[test]
fn tunnel_form() {
    let mut state = state_with(fleet(), Vec::new());
    let _ = app::update(&mut state, Input::Action(Action::OpenTunnelForm));
    for c in "5432".chars() {
        let _ = app::update(&mut state, Input::Text(TextInput::Char(c)));
    }
    let _ = app::update(&mut state, Input::Text(TextInput::Next));
    for c in "db.internal".chars() {
        let _ = app::update(&mut state, Input::Text(TextInput::Char(c)));
    }
    insta::assert_snapshot!(render(&state, &Theme::default()).backend());
}

/// The console after composing `systemctl restart app` for every managed instance shown.
fn composed() -> State {
    let mut state = state_with(fleet(), Vec::new());
    let _ = app::update(&mut state, Input::Action(Action::OpenRun));
    for c in "systemctl restart app".chars() {
        let _ = app::update(&mut state, Input::Text(TextInput::Char(c)));
    }
    // ctrl-s: on to the confirmation.
    let _ = app::update(&mut state, Input::Text(TextInput::Submit));
    state
}

/// A group's OUTPUT is its most telling line: an error line over the lines before it, and in a
/// shape group whose members differ, the line where they differ, with how many outputs it holds.
#[test]
fn run_watch_groups_show_the_most_telling_line_and_the_variant_count() {
    use bosun::model::run_groups::RunResult;
    let mut state = composed();
    let _ = app::update(&mut state, Input::Text(TextInput::Char('5')));
    let _ = app::update(&mut state, Input::Text(TextInput::Enter));
    for n in 0..6 {
        let (status, code, output) = match n {
            0 => (
                "Failed",
                100,
                "Reading package lists...\nE: Unable to locate package app\n",
            ),
            1 => ("Success", 0, "host <self>\napp v1.2.9\n"),
            _ => ("Success", 0, "host <self>\napp v1.3.0\n"),
        };
        let _ = app::update(
            &mut state,
            Input::RunSettled(RunResult {
                instance_id: format!("i-0a1b2c3d4e5f{n:05}"),
                name: format!("web-{n}"),
                status: status.into(),
                exit_code: Some(code),
                output: output.replace("<self>", &format!("web-{n}")),
                ..RunResult::default()
            }),
        );
    }
    let _ = app::update(&mut state, Input::Action(Action::ToggleGroups));
    let _ = app::update(&mut state, Input::Action(Action::ToggleGroupBy));
    let text = format!("{:?}", render(&state, &Theme::default()).backend());
    assert!(text.contains("E: Unable to locate package app"), "{text}");
    assert!(text.contains("2 outputs app v1.3.0 …"), "{text}");
}

/// At 80×24 the Run Command form is taller than the terminal: it scrolls to the focused field
/// (the canary, last) and the keys stay under it; at 160×48 it fits whole.
#[test]
fn run_form_scrolls_to_the_focused_field_at_80x24() {
    let mut state = state_with(fleet(), Vec::new());
    let _ = app::update(&mut state, Input::Action(Action::OpenRun));
    for _ in 1..bosun::app::views::runs::COMPOSE_LABELS.len() {
        let _ = app::update(&mut state, Input::Text(TextInput::Next));
    }
    let small = render_at(&mut state, 80, 24);
    let text = format!("{:?}", small.backend());
    assert!(text.contains("▸ canary"), "{text}");
    assert!(text.contains("esc cancel"), "{text}");
    insta::assert_snapshot!("run_form_canary_80x24", small.backend());
    insta::assert_snapshot!(
        "run_form_canary_160x48",
        render_at(&mut state, 160, 48).backend()
    );
}

#[test]
fn run_confirmation() {
    let state = composed();
    insta::assert_snapshot!(render(&state, &Theme::default()).backend());
}

#[test]
fn run_watch_view() {
    let mut state = composed();
    for c in "5".chars() {
        let _ = app::update(&mut state, Input::Text(TextInput::Char(c)));
    }
    let _ = app::update(&mut state, Input::Text(TextInput::Enter));
    let _ = app::update(
        &mut state,
        Input::RunSent {
            command_ids: vec!["0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0".to_owned()],
        },
    );
    let invocation = |name: &str, id: &str, status: &str, exit: Option<i32>| InvocationView {
        command_id: "0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0".to_owned(),
        instance_id: id.to_owned(),
        name: name.to_owned(),
        status: status.into(),
        aws_status: status.into(),
        status_details: Some(status.into()),
        exit_code: exit,
        response_code: Some(exit.unwrap_or(-1)),
        duration_ms: exit.map(|_| 3_000),
    };
    let _ = app::update(
        &mut state,
        Input::RunProgress {
            invocations: vec![
                invocation("payments-api-1", "i-0a1b2c3d4e5f60001", "Success", Some(0)),
                invocation(
                    "payments-api-2",
                    "i-0a1b2c3d4e5f60002",
                    "Undeliverable",
                    None,
                ),
                invocation("platform-legacy", "i-0a1b2c3d4e5f60004", "Failed", Some(1)),
                invocation("search-query-1", "i-0a1b2c3d4e5f60003", "InProgress", None),
                invocation("data-notebook", "i-0a1b2c3d4e5f60005", "Pending", None),
            ],
            throttled: false,
        },
    );
    let _ = app::update(
        &mut state,
        Input::RunOutput(InvocationOutput {
            instance_id: "i-0a1b2c3d4e5f60001".to_owned(),
            stdout: "restarted app.service\nactive (running) since 10:42:07".to_owned(),
            stderr: String::new(),
            truncated: false,
            s3_location: None,
        }),
    );
    // The one not reached asked the doctor by itself; its cause fills the row's WHY.
    let _ = app::update(
        &mut state,
        Input::DoctorReport {
            instance_id: "i-0a1b2c3d4e5f60002".to_owned(),
            report: Ok(bosun::model::doctor::Report {
                instance_id: "i-0a1b2c3d4e5f60002".to_owned(),
                region: "us-east-1".to_owned(),
                checks: Vec::new(),
                would_start: false,
                cause: "the VPC's endpoints for ssm, ssmmessages and ec2messages have private DNS off, so the agent resolves the public names".to_owned(),
                fix: "turn private DNS on".to_owned(),
                fallbacks: Vec::new(),
                endpoints: Vec::new(),
            }),
        },
    );
    insta::assert_snapshot!(render(&state, &Theme::default()).backend());
}

/// The watch view's grouped mode over 200 results where three answered differently: two
/// groups, 197 and 3, the three marked as the odd ones out (◆ in the warning colour, bold);
/// selecting that group lists its members and shows its output once. By shape, outputs that
/// differ only in numbers join one group whose panel shows how the others differ.
#[test]
fn run_watch_grouped_shows_the_odd_ones_out() {
    use bosun::model::run_groups::RunResult;
    let mut state = composed();
    let _ = app::update(&mut state, Input::Text(TextInput::Char('5')));
    let _ = app::update(&mut state, Input::Text(TextInput::Enter));
    for n in 0..200 {
        let odd = [17, 88, 150].contains(&n);
        let _ = app::update(
            &mut state,
            Input::RunSettled(RunResult {
                instance_id: format!("i-0a1b2c3d4e5f{n:05}"),
                name: format!("web-{n}"),
                status: if odd { "Failed" } else { "Success" }.into(),
                exit_code: Some(if odd { 3 } else { 0 }),
                output: if odd { "inactive\n" } else { "active\n" }.to_owned(),
                ..RunResult::default()
            }),
        );
    }
    let _ = app::update(&mut state, Input::Action(Action::ToggleGroups));
    // Style is the point here: the odd ones out's marker and row (not selected: the selection
    // has its own colours).
    let terminal = render(&state, &Theme::default());
    let buffer = terminal.backend().buffer();
    let text = |y: u16| -> String {
        (0..buffer.area.width)
            .map(|x| buffer[(x, y)].symbol())
            .collect()
    };
    let row = (0..buffer.area.height)
        .find(|&y| text(y).contains("inactive"))
        .expect("the odd ones out's row");
    let marker = (0..buffer.area.width)
        .find(|&x| buffer[(x, row)].symbol() == "◆")
        .expect("marker");
    assert_eq!(buffer[(marker, row)].fg, Theme::default().warning);
    let count = (0..buffer.area.width)
        .find(|&x| buffer[(x, row)].symbol() == "3")
        .expect("the count");
    assert!(
        buffer[(count, row)]
            .modifier
            .contains(ratatui::style::Modifier::BOLD)
    );
    // Selecting the odd ones out lists them and shows their output once.
    let _ = app::update(&mut state, Input::Action(Action::Down));
    insta::assert_snapshot!(render(&state, &Theme::default()).backend());

    // By shape: "load 0.1" and "load 0.7" are one group; its panel shows the difference.
    let mut state = composed();
    let _ = app::update(&mut state, Input::Text(TextInput::Char('5')));
    let _ = app::update(&mut state, Input::Text(TextInput::Enter));
    for n in 0..6 {
        let _ = app::update(
            &mut state,
            Input::RunSettled(RunResult {
                instance_id: format!("i-0a1b2c3d4e5f{n:05}"),
                name: format!("web-{n}"),
                status: "Success".into(),
                exit_code: Some(0),
                output: format!("web-{n} up, load 0.{}\n", if n == 4 { 7 } else { 1 }),
                ..RunResult::default()
            }),
        );
    }
    let _ = app::update(&mut state, Input::Action(Action::ToggleGroupBy));
    insta::assert_snapshot!(
        "run_watch_grouped_by_shape",
        render(&state, &Theme::default()).backend()
    );
}

/// A long output scrolled back a page at 80×24: the title says which lines show, and that
/// `]` leads on; the cancelled run's counts stand without "cancel requested" once settled.
#[test]
fn run_watch_long_output_scrolled_at_80x24() {
    let mut state = composed();
    let _ = app::update(&mut state, Input::Text(TextInput::Char('5')));
    let _ = app::update(&mut state, Input::Text(TextInput::Enter));
    let _ = app::update(
        &mut state,
        Input::RunSent {
            command_ids: vec!["0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0".to_owned()],
        },
    );
    let _ = app::update(&mut state, Input::Action(Action::CancelRun));
    let targets = state
        .runs
        .watch
        .as_ref()
        .map(|run| run.request.targets())
        .unwrap_or_default();
    let _ = app::update(
        &mut state,
        Input::RunProgress {
            invocations: targets
                .iter()
                .map(|target| InvocationView {
                    command_id: "0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0".to_owned(),
                    instance_id: target.id.clone(),
                    name: target.name.clone(),
                    status: "Cancelled".into(),
                    aws_status: "Cancelled".into(),
                    status_details: Some("Cancelled".into()),
                    exit_code: None,
                    response_code: Some(-1),
                    duration_ms: Some(1_000),
                })
                .collect(),
            throttled: false,
        },
    );
    let first = state
        .runs
        .watch
        .as_ref()
        .and_then(|run| run.selected_invocation())
        .map(|i| i.instance_id.clone())
        .expect("an invocation");
    let _ = app::update(
        &mut state,
        Input::RunOutput(InvocationOutput {
            instance_id: first,
            stdout: (1..=120).map(|n| format!("journal line {n}\n")).collect(),
            stderr: String::new(),
            truncated: false,
            s3_location: None,
        }),
    );
    let _ = app::update(
        &mut state,
        Input::Resized {
            width: 80,
            height: 24,
        },
    );
    let _ = app::update(&mut state, Input::Action(Action::OutputPageUp));
    let terminal = render_at(&mut state, 80, 24);
    insta::assert_snapshot!(terminal.backend());
}

/// Every built-in theme draws ping statuses in its own slot colours.
#[test]
fn each_built_in_theme_colours_the_statuses() {
    let mut state = state_with(fleet(), Vec::new());
    // The selection (drawn in its own colours) on an Online row, away from the rows checked.
    let _ = app::update(&mut state, Input::Action(Action::Down));
    let _ = app::update(&mut state, Input::Action(Action::Down));
    for (name, _) in BUILT_IN {
        let theme = Theme::built_in(name).expect("resolves");
        let terminal = render(&state, &theme);
        let buffer = terminal.backend().buffer();
        // The table's rows only (from the third line, below the header with its counts and
        // the table's column titles): the PING column's cells are what is checked.
        let colour_of = |text: &str| -> Option<Color> {
            for y in 3..buffer.area.height {
                let line: String = (0..buffer.area.width)
                    .map(|x| buffer[(x, y)].symbol().to_owned())
                    .collect();
                if let Some(x) = line.find(text) {
                    let column = line[..x].chars().count() as u16;
                    return Some(buffer[(column, y)].fg);
                }
            }
            None
        };
        assert_eq!(
            colour_of("ConnectionLost "),
            Some(theme.connection_lost),
            "{name}"
        );
        assert_eq!(colour_of("Inactive "), Some(theme.inactive), "{name}");
        assert_eq!(colour_of("not managed"), Some(theme.not_managed), "{name}");
        assert_ne!(
            theme.online, theme.connection_lost,
            "{name}: statuses must differ"
        );
    }
}

/// The real binary on a real PTY: `bosun --demo` starts, shows the fleet, filters as keys are
/// typed, quits on `q` with status 0, and leaves the alternate screen (the terminal restored).
#[tokio::test]
async fn the_demo_console_runs_on_a_real_terminal() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let (pty, pts) = pty_process::open().expect("pty");
    pty.resize(pty_process::Size::new(40, 160)).expect("size");
    let state = tempfile::tempdir().expect("tempdir");
    let mut child = pty_process::Command::new(env!("CARGO_BIN_EXE_bosun"))
        .env_clear()
        .envs(common::sealed_env())
        .arg("--demo")
        .env("HOME", state.path())
        .env("XDG_STATE_HOME", state.path())
        .env("XDG_CONFIG_HOME", state.path())
        .env("TERM", "xterm-256color")
        .kill_on_drop(true)
        .spawn(pts)
        .expect("spawn bosun --demo");
    let (mut reader, mut writer) = pty.into_split();
    // The screen as a terminal would show it: ratatui only redraws the cells that change.
    let size = |n: u16| std::num::NonZeroU16::new(n).expect("non-zero");
    let mut terminal = vt100::Parser::new(size(40), size(160), 0);
    let mut raw = Vec::new();
    let mut buffer = vec![0u8; 65536];
    let mut wait_for = async |needle: &str, terminal: &mut vt100::Parser, raw: &mut Vec<u8>| {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        while !terminal.screen().contents().contains(needle) {
            match tokio::time::timeout_at(deadline, reader.read(&mut buffer)).await {
                Ok(Ok(n)) if n > 0 => {
                    terminal.process(&buffer[..n]);
                    raw.extend_from_slice(&buffer[..n]);
                }
                other => panic!(
                    "no {needle:?} on the screen ({other:?}):\n{}",
                    terminal.screen().contents()
                ),
            }
        }
    };
    wait_for("orphaned-test-box", &mut terminal, &mut raw).await;
    assert!(terminal.screen().contents().contains("39 instances"));
    assert!(
        String::from_utf8_lossy(&raw).contains("\u{1b}[?1049h"),
        "entered the alternate screen"
    );
    // `?` opens the help; `q` over it closes the help and bosun goes on running: it answers
    // the next `?` (had `q` quit, the screen would be gone and the process with it).
    writer.write_all(b"?").await.expect("help");
    wait_for("esc close", &mut terminal, &mut raw).await;
    writer.write_all(b"q").await.expect("q over the help");
    wait_for("q quit", &mut terminal, &mut raw).await;
    writer.write_all(b"?").await.expect("help again");
    wait_for("esc close", &mut terminal, &mut raw).await;
    assert!(
        child.try_wait().expect("child").is_none(),
        "q over the help must not quit"
    );
    writer.write_all(b"q").await.expect("close it");
    writer.write_all(b"/vault").await.expect("type");
    wait_for("(1 of 39)", &mut terminal, &mut raw).await;
    // A frame can arrive in several reads: let the rest of it land.
    let settle = tokio::time::Instant::now() + Duration::from_secs(5);
    while terminal.screen().contents().contains("payments-api-1") {
        match tokio::time::timeout_at(settle, reader.read(&mut buffer)).await {
            Ok(Ok(n)) if n > 0 => terminal.process(&buffer[..n]),
            _ => break,
        }
    }
    assert!(terminal.screen().contents().contains("platform-vault-1"));
    assert!(
        !terminal.screen().contents().contains("payments-api-1"),
        "{}",
        terminal.screen().contents()
    );
    writer.write_all(b"\rq").await.expect("enter, then quit");
    raw.clear();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while !String::from_utf8_lossy(&raw).contains("\u{1b}[?1049l") {
        match tokio::time::timeout_at(deadline, reader.read(&mut buffer)).await {
            Ok(Ok(n)) if n > 0 => raw.extend_from_slice(&buffer[..n]),
            other => panic!("the terminal was not restored ({other:?})"),
        }
    }
    let status = tokio::time::timeout(Duration::from_secs(10), child.wait())
        .await
        .expect("exits")
        .expect("status");
    assert!(status.success(), "{status:?}");
}

/// `bosun --demo` on a 40x160 PTY with a scratch home: the child, its screen, its input,
/// and the home (the log lives there).
fn demo_console() -> (
    tokio::process::Child,
    TerminalView,
    pty_process::OwnedWritePty,
    tempfile::TempDir,
) {
    let home = tempfile::tempdir().expect("tempdir");
    let path = home.path().to_owned();
    let (child, view, writer) = bosun_in_pty(40, 160, |command| {
        command
            .arg("--demo")
            .env("HOME", &path)
            .env("XDG_STATE_HOME", &path)
            .env("XDG_CONFIG_HOME", &path)
    });
    (child, view, writer, home)
}

/// Over the demo's fleet: filters to `name`, opens a shell pane on it, waits for its prompt.
async fn shell_pane_on(
    view: &mut TerminalView,
    writer: &mut pty_process::OwnedWritePty,
    name: &str,
) {
    use tokio::io::AsyncWriteExt;
    view.wait_for("orphaned-test-box").await;
    writer
        .write_all(format!("/{name}\r").as_bytes())
        .await
        .expect("filter");
    view.wait_for("(1 of 39)").await;
    writer.write_all(b"s").await.expect("open a shell pane");
    view.wait_for(&format!("[ssm-user@{name} ~]$")).await;
}

/// After a quitting key: the terminal is restored (the alternate screen left) and bosun exits
/// with status 0. What it wrote on the way out, for further checks.
async fn quits_with_status_zero(
    child: &mut tokio::process::Child,
    view: &mut TerminalView,
) -> String {
    view.raw.clear();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while !String::from_utf8_lossy(&view.raw).contains("\u{1b}[?1049l") {
        assert!(
            view.read_some(deadline).await,
            "the terminal was not restored:\n{}",
            view.parser.screen().contents()
        );
    }
    let status = tokio::time::timeout(Duration::from_secs(10), child.wait())
        .await
        .expect("exits")
        .expect("status");
    assert!(status.success(), "{status:?}");
    String::from_utf8_lossy(&view.raw).to_string()
}

/// The issue's end-to-end walk through a shell pane: open one on an Online instance, run a
/// command, resize the terminal and see the remote PTY follow, close the pane, quit.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_shell_pane_on_the_demo_fleet() {
    use tokio::io::AsyncWriteExt;
    let (mut child, mut view, mut writer, state) = demo_console();
    let size = |n: u16| std::num::NonZeroU16::new(n).expect("non-zero");
    view.wait_for("orphaned-test-box").await;
    writer
        .write_all(b"/payments-api-1\r")
        .await
        .expect("filter");
    view.wait_for("(1 of 39)").await;
    writer.write_all(b"s").await.expect("open a shell pane");
    view.wait_for("[ssm-user@payments-api-1 ~]$").await;
    view.wait_for("typing to i-").await;

    writer
        .write_all(b"echo hello-$((6*7))\r")
        .await
        .expect("type");
    view.wait_for("hello-42").await;

    // The pane fills the screen but the tab bar, its title line and the status line.
    writer.write_all(b"stty size\r").await.expect("type");
    view.wait_for("37 160").await;
    view.raw.clear();
    writer
        .resize(pty_process::Size::new(30, 120))
        .expect("resize");
    view.parser.screen_mut().set_size(size(30), size(120));
    // Type only once the console has redrawn at the new size (SIGWINCH and typed bytes
    // travel separately, exactly as they would for a user).
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while !String::from_utf8_lossy(&view.raw).contains("\u{1b}[2J") {
        assert!(view.read_some(deadline).await, "no redraw after the resize");
    }
    writer.write_all(b"clear; stty size\r").await.expect("type");
    view.wait_for("27 120").await;

    // ctrl-] x closes the pane; with none left, the fleet is back.
    writer.write_all(b"\x1dx").await.expect("close the pane");
    view.wait_for("instances (1 of 39)").await;
    view.wait_for(" s shell ").await;
    writer.write_all(b"q").await.expect("quit");
    let restored = quits_with_status_zero(&mut child, &mut view).await;
    assert!(
        restored.contains("\u{1b}[?1000l") || restored.contains("\u{1b}[?1006l"),
        "mouse capture released"
    );
    let log = std::fs::read_to_string(state.path().join("bosun").join("bosun.log"))
        .expect("the log file");
    assert!(
        log.contains("pane closed; session terminated"),
        "TerminateSession when the pane closed:\n{log}"
    );
}

/// `ctrl-] R` records the focused pane to an asciicast file in the state directory: the
/// title says REC, the file replays to what the pane showed, and a password typed with echo
/// off is not in it: only what the instance sent is written.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_recorded_pane_replays_and_keeps_no_typed_secret() {
    use tokio::io::AsyncWriteExt;
    let (mut child, mut view, mut writer, state) = demo_console();
    shell_pane_on(&mut view, &mut writer, "payments-api-2").await;
    writer.write_all(b"\x1dR").await.expect("record");
    view.wait_for("● REC").await;
    view.wait_for("ctrl-] R again to stop").await;
    writer
        .write_all(
            b"stty -echo; echo ready-$((2*21)); read secret; stty echo; echo got-${#secret}-chars; echo recorded-$((6*7))\r",
        )
        .await
        .expect("type");
    // Echo is off before the marker prints: what is typed after it is not echoed.
    view.wait_for("ready-42").await;
    writer
        .write_all(b"hunter2-typed\r")
        .await
        .expect("the secret");
    view.wait_for("recorded-42").await;
    writer.write_all(b"\x1dR").await.expect("stop");
    view.wait_for("saved:").await;
    let dir = state.path().join("bosun").join("recordings");
    let cast = std::fs::read_dir(&dir)
        .expect("the recordings directory")
        .map(|entry| entry.expect("entry").path())
        .find(|path| path.extension().is_some_and(|e| e == "cast"))
        .expect("a .cast file");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&cast).expect("meta").permissions().mode();
        assert_eq!(mode & 0o077, 0, "for the user alone: {mode:o}");
    }
    let text = std::fs::read_to_string(&cast).expect("readable");
    assert!(
        !text.contains("hunter2"),
        "the typed secret stays out:\n{text}"
    );
    let mut lines = text.lines();
    let header: serde_json::Value =
        serde_json::from_str(lines.next().expect("a header")).expect("JSON");
    assert_eq!(header["version"], 2);
    let (cols, rows) = (
        header["width"].as_u64().expect("width") as u16,
        header["height"].as_u64().expect("height") as u16,
    );
    let size = |n: u16| std::num::NonZeroU16::new(n).expect("non-zero");
    let mut replay = vt100::Parser::new(size(rows), size(cols), 0);
    let mut last = 0.0;
    for line in lines {
        let event: serde_json::Value = serde_json::from_str(line).expect("an event");
        let at = event[0].as_f64().expect("seconds");
        assert!(at >= last, "times only go forward");
        last = at;
        if event[1] == "o" {
            replay.process(event[2].as_str().expect("text").as_bytes());
        }
    }
    let replayed = replay.screen().contents();
    assert!(replayed.contains("got-13-chars"), "{replayed}");
    assert!(replayed.contains("recorded-42"), "{replayed}");
    writer.write_all(b"\x1dq").await.expect("quit");
    writer.write_all(b"\x1dq").await.expect("quit");
    let _ = tokio::time::timeout(Duration::from_secs(10), child.wait()).await;
}

/// The console on a 48×160 PTY against `bosun sim` in its own process with the real agent's
/// output pacing (1 KiB, then 1 ms): the console, its screen, its input, the simulator.
async fn console_against_paced_sim(
    home: &std::path::Path,
) -> (
    tokio::process::Child,
    TerminalView,
    pty_process::OwnedWritePty,
    tokio::process::Child,
) {
    let (child, view, writer, sim, _) = console_against_sim(home).await;
    (child, view, writer, sim)
}

/// The same, and the simulator's environment (its endpoint and key pair), to ask it about
/// sessions once the console has gone.
async fn console_against_sim(
    home: &std::path::Path,
) -> (
    tokio::process::Child,
    TerminalView,
    pty_process::OwnedWritePty,
    tokio::process::Child,
    Vec<(String, String)>,
) {
    use tokio::io::AsyncBufReadExt;
    let mut sim = tokio::process::Command::new(env!("CARGO_BIN_EXE_bosun"));
    let mut sim = common::sealed(&mut sim)
        .args(["sim", "--listen", "127.0.0.1:0", "--agent-pacing", "real"])
        .env("HOME", home)
        .stdout(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("bosun sim");
    let mut lines = tokio::io::BufReader::new(sim.stdout.take().expect("stdout")).lines();
    let mut env = Vec::new();
    while env.len() < 3 {
        let line = lines.next_line().await.expect("read").expect("a line");
        if let Some((key, value)) = line.split_once('=') {
            env.push((key.to_owned(), value.to_owned()));
        }
    }
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    let for_console = env.clone();
    let (child, view, writer) = bosun_in_pty(48, 160, |command| {
        command
            .args(["--region", "us-east-1", "--region", "eu-west-1"])
            .envs(for_console)
            .env("AWS_CONFIG_FILE", "/dev/null")
            .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
            .env_remove("AWS_PROFILE")
            .env("HOME", home)
            .env("XDG_STATE_HOME", home)
            .env("XDG_CONFIG_HOME", home)
    });
    (child, view, writer, sim, env)
}

/// SSM of the simulator in its own process (`env`: its endpoint and keys).
async fn sim_ssm(env: &[(String, String)]) -> aws_sdk_ssm::Client {
    let value = |key: &str| {
        env.iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.clone())
            .expect("the simulator printed it")
    };
    let config = bosun::aws::sim_config(
        &value("AWS_ENDPOINT_URL"),
        "us-east-1",
        &value("AWS_ACCESS_KEY_ID"),
        &value("AWS_SECRET_ACCESS_KEY"),
    )
    .await;
    aws_sdk_ssm::Client::new(&config)
}

/// The one session the simulator holds open (the console's pane).
async fn the_open_session(ssm: &aws_sdk_ssm::Client) -> String {
    let sessions = ssm
        .describe_sessions()
        .state(aws_sdk_ssm::types::SessionState::Active)
        .send()
        .await
        .expect("DescribeSessions");
    let ids: Vec<_> = sessions
        .sessions()
        .iter()
        .filter_map(|s| s.session_id())
        .collect();
    assert_eq!(ids.len(), 1, "{ids:?}");
    ids[0].to_owned()
}

/// 64 KiB pasted as plain keys (no bracketed paste: tmux's paste-buffer without -p, an
/// autotype tool) into a pane whose session cannot keep up (the remote program sleeps first,
/// the agent paces its output): every byte arrives, in order, and the log says so once a
/// burst, never once a key.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_paste_as_plain_keys_reaches_a_slow_pane_whole_and_in_order() {
    use sha2::Digest;
    use tokio::io::AsyncWriteExt;
    let home = tempfile::tempdir().expect("home");
    let (_child, mut view, mut writer, _sim) = console_against_paced_sim(home.path()).await;
    view.wait_for("orphaned-test-box").await;
    writer
        .write_all(b"/payments-api-1\r")
        .await
        .expect("filter");
    view.wait_for("(1 of 39)").await;
    writer.write_all(b"s").await.expect("open a shell pane");
    view.wait_for("[ssm-user@payments-api-1 ~]$").await;
    // Whole lines of 80 (a terminal's line discipline hands on lines, and holds a last one
    // without its Enter), each ended by Enter as a terminal sends it, just over 64 KiB; the
    // remote side reads Enter as a newline.
    const SIZE: usize = 820 * 80;
    let mut paste = Vec::with_capacity(SIZE);
    let mut n: u32 = 7;
    while paste.len() < SIZE {
        for _ in 0..79 {
            n = n.wrapping_mul(1_103_515_245).wrapping_add(12_345);
            paste.push(b"abcdefghijklmnopqrstuvwxyz0123456789 "[(n >> 16) as usize % 37]);
        }
        paste.push(b'\r');
    }
    let received: Vec<u8> = paste
        .iter()
        .map(|&b| if b == b'\r' { b'\n' } else { b })
        .collect();
    let expected = hex::encode(sha2::Sha256::digest(&received));
    // Pasted once the command runs (the terminal is cooked again then: Enter reads as a
    // newline), while it sleeps: the pane's session backs up.
    writer
        .write_all(
            format!("clear; echo paste-now-$((6*7)); sleep 2; head -c {SIZE} | sha256sum\r")
                .as_bytes(),
        )
        .await
        .expect("type");
    view.wait_for("paste-now-42").await;
    // Typed while the screen is read: the console may hold the terminal back meanwhile.
    let typing = tokio::spawn(async move {
        writer.write_all(&paste).await.expect("paste");
        writer
    });
    let deadline = tokio::time::Instant::now() + Duration::from_secs(90);
    while !view.parser.screen().contents().contains(&expected[..32]) {
        assert!(
            view.read_some(deadline).await,
            "the digest of every byte, in order:\n{}",
            view.parser.screen().contents()
        );
    }
    let _writer = typing.await.expect("typed");
    let log =
        std::fs::read_to_string(home.path().join("bosun").join("bosun.log")).expect("the log");
    let stalls = log.matches("holding keys in order").count();
    assert!(
        (1..=20).contains(&stalls),
        "the session fell behind, and the log says so once a burst ({stalls} lines)"
    );
    assert!(!log.contains("typing dropped"), "nothing is dropped");
}

/// SIGTERM, and the terminal closing (SIGHUP), with a shell pane open: the terminal is given
/// back (raw mode, the alternate screen, mouse), the pane's session is ended at AWS, and the
/// status is the signal death's.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_signal_gives_the_terminal_back_and_ends_the_panes_sessions() {
    use tokio::io::AsyncWriteExt;
    for hang_up in [false, true] {
        let home = tempfile::tempdir().expect("home");
        let (mut child, mut view, mut writer, _sim, env) = console_against_sim(home.path()).await;
        view.wait_for("orphaned-test-box").await;
        writer
            .write_all(b"/payments-api-1\r")
            .await
            .expect("filter");
        view.wait_for("(1 of 39)").await;
        writer.write_all(b"s").await.expect("open a shell pane");
        view.wait_for("[ssm-user@payments-api-1 ~]$").await;
        let ssm = sim_ssm(&env).await;
        let session_id = the_open_session(&ssm).await;
        let status = if hang_up {
            // The terminal goes away: the kernel hangs it up.
            drop((view, writer));
            tokio::time::timeout(Duration::from_secs(20), child.wait())
                .await
                .expect("exits on the hang-up")
                .expect("status")
        } else {
            view.raw.clear();
            let pid =
                rustix::process::Pid::from_raw(child.id().expect("running") as i32).expect("a pid");
            rustix::process::kill_process(pid, rustix::process::Signal::TERM).expect("signal");
            let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
            while !String::from_utf8_lossy(&view.raw).contains("\u{1b}[?1049l") {
                assert!(
                    view.read_some(deadline).await,
                    "the alternate screen was left"
                );
            }
            let raw = String::from_utf8_lossy(&view.raw).to_string();
            assert!(raw.contains("\u{1b}[?1000l"), "mouse capture off: {raw:?}");
            tokio::time::timeout(Duration::from_secs(20), child.wait())
                .await
                .expect("exits")
                .expect("status")
        };
        let expected = if hang_up { 129 } else { 143 };
        assert_eq!(status.code(), Some(expected), "{status:?}");
        assert_eq!(
            common::session_status(&ssm, &session_id).await,
            "Terminated"
        );
    }
}

/// Sixteen panes printing flat out at the real agent's pace, all at once (broadcast): every
/// pane ends with the right final screen, nothing lost or out of order at its end.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sixteen_floods_at_the_real_pace_end_with_the_right_screens() {
    use tokio::io::AsyncWriteExt;
    let home = tempfile::tempdir().expect("home");
    let (_child, mut view, mut writer, _sim) = console_against_paced_sim(home.path()).await;
    view.wait_for("orphaned-test-box").await;
    writer
        .write_all(b"/status:online platform:linux !identity-admin !ops-runner-1\r")
        .await
        .expect("filter");
    view.wait_for("(27 of 39)").await;
    writer
        .write_all(b"g                s")
        .await
        .expect("mark sixteen, open them");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    while view.parser.screen().contents().matches("~]$").count() < 16 {
        assert!(view.read_some(deadline).await, "sixteen prompts");
    }
    writer.write_all(b"\x1db").await.expect("broadcast");
    view.wait_for("BROADCAST").await;
    writer
        .write_all(b"clear; seq 1 60000; echo done-$((40+2))\r")
        .await
        .expect("flood all sixteen");
    let tokens = |screen: &str, wanted: &str| {
        screen
            .split(|c: char| c.is_whitespace() || c == '│')
            .filter(|t| *t == wanted)
            .count()
    };
    let deadline = tokio::time::Instant::now() + Duration::from_secs(120);
    while tokens(&view.parser.screen().contents(), "done-42") < 16 {
        assert!(
            view.read_some(deadline).await,
            "every pane finishes:\n{}",
            view.parser.screen().contents()
        );
    }
    // Let the last frame land, then every pane's end is the same, in order.
    let settle = tokio::time::Instant::now() + Duration::from_millis(500);
    while view.read_some(settle).await {}
    let screen = view.parser.screen().contents();
    for last in ["59998", "59999", "60000", "done-42"] {
        assert_eq!(tokens(&screen, last), 16, "{last} in every pane:\n{screen}");
    }
    for row in screen.lines().filter(|l| l.contains("60000")) {
        for cell in row.split('│') {
            let cell = cell.trim();
            if !cell.is_empty() && cell.chars().all(|c| c.is_ascii_digit()) {
                assert_eq!(cell, "60000", "rows line up pane by pane:\n{screen}");
            }
        }
    }
}

/// `exit` in a pane ends its session; the ended pane lets go: esc goes to the fleet, and q
/// quits at once with status 0 (the ended pane is not a session to end).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exit_in_a_pane_then_esc_and_q_quits() {
    use tokio::io::AsyncWriteExt;
    let (mut child, mut view, mut writer, _state) = demo_console();
    shell_pane_on(&mut view, &mut writer, "payments-api-2").await;
    writer.write_all(b"exit\r").await.expect("exit");
    view.wait_for("session ended").await;
    view.wait_for("esc fleet").await;
    writer.write_all(b"\x1b").await.expect("esc");
    view.wait_for("instances (1 of 39)").await;
    writer.write_all(b"q").await.expect("quit at once");
    quits_with_status_zero(&mut child, &mut view).await;
}

/// The one-key RDS tunnel: in `bosun --demo`, `t` shows the saved tunnels, enter on the
/// payments group starts both, and the database answers through the local port shown.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_one_key_rds_tunnel_in_the_demo_console() {
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt};
    let (mut child, mut view, mut writer, _state) = demo_console();
    view.wait_for("orphaned-test-box").await;
    writer.write_all(b"t").await.expect("tunnels");
    view.wait_for("0/2 on").await;
    writer.write_all(b"\r").await.expect("start the group");
    view.wait_for("2/2 on").await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    let local = loop {
        let screen = view.parser.screen().contents();
        let found = screen
            .lines()
            .find(|l| l.contains("payments-db ") && l.contains("ready"))
            .and_then(|l| l.split_whitespace().find(|w| w.starts_with("127.0.0.1:")))
            .filter(|addr| !addr.ends_with(":0"))
            .map(str::to_owned);
        if let Some(local) = found {
            break local;
        }
        assert!(
            view.read_some(deadline).await,
            "payments-db never became ready:\n{screen}"
        );
    };
    let stream = tokio::net::TcpStream::connect(&local)
        .await
        .expect("connect");
    let mut lines = tokio::io::BufReader::new(stream).lines();
    let banner = tokio::time::timeout(Duration::from_secs(10), lines.next_line())
        .await
        .expect("banner in time")
        .expect("read");
    assert_eq!(
        banner.as_deref(),
        Some("payments-db.cluster-c1x2y3z4.us-east-1.rds.amazonaws.com ready (simulated by bosun)")
    );
    // The view counts the connection within a second or two.
    view.wait_for("/1 ").await;
    // q asks first while tunnels run; the second q stops them and quits.
    writer.write_all(b"q").await.expect("quit");
    view.wait_for("press q again").await;
    writer.write_all(b"q").await.expect("quit");
    let status = tokio::time::timeout(Duration::from_secs(10), child.wait())
        .await
        .expect("exits")
        .expect("status");
    assert!(status.success(), "{status:?}");
}

#[test]
fn credentials_that_end_soon_show_in_the_status_line_until_renewed() {
    let mut state = state_with(fleet(), Vec::new());
    let said = "prod: the credentials expire in 9 min; renew them: `aws sso login --profile prod`";
    let _ = app::update(
        &mut state,
        Input::CredentialsExpiring(vec![said.to_owned()]),
    );
    let shown = |state: &State| {
        let terminal = render(state, &Theme::default());
        let buffer = terminal.backend().buffer().clone();
        (0..buffer.area.height)
            .map(|y| {
                (0..buffer.area.width)
                    .map(|x| buffer[(x, y)].symbol().to_owned())
                    .collect::<String>()
            })
            .collect::<Vec<_>>()
            .join("\n")
    };
    assert!(shown(&state).contains(said));
    let _ = app::update(&mut state, Input::CredentialsExpiring(Vec::new()));
    assert!(!shown(&state).contains("expire in"));
}

/// At 80×24 the header keeps the counts and the data's age; the source gives way with an
/// ellipsis.
#[test]
fn a_small_terminal_keeps_the_counts_and_the_age_in_the_header() {
    let state = state_with(fleet(), Vec::new());
    let mut terminal = Terminal::new(TestBackend::new(80, 24)).expect("terminal");
    let now = SystemTime::UNIX_EPOCH + LOADED_AT + Duration::from_secs(5);
    terminal
        .draw(|frame| ui::draw(frame, &state, &Theme::default(), now, &Screens::new()))
        .expect("draw");
    let buffer = terminal.backend().buffer();
    let header: String = (0..80).map(|x| buffer[(x, 0)].symbol()).collect();
    assert!(header.contains("6 inst"), "{header}");
    assert!(
        header.contains("1 lost") && header.contains("ago"),
        "{header}"
    );
    assert!(
        header.trim_end().ends_with("ago"),
        "the age is whole: {header}"
    );
}

/// Under --read-only the header says so, at 80 columns too, before anyone presses a key.
#[test]
fn read_only_shows_a_badge_in_the_header() {
    let mut state = state_with(fleet(), Vec::new());
    state.frame.read_only = true;
    for width in [80, 160] {
        let mut terminal = Terminal::new(TestBackend::new(width, 24)).expect("terminal");
        let now = SystemTime::UNIX_EPOCH + LOADED_AT + Duration::from_secs(5);
        terminal
            .draw(|frame| ui::draw(frame, &state, &Theme::default(), now, &Screens::new()))
            .expect("draw");
        let buffer = terminal.backend().buffer();
        let header: String = (0..width).map(|x| buffer[(x, 0)].symbol()).collect();
        assert!(header.contains("READ-ONLY"), "{width}: {header}");
        assert!(header.contains("ago"), "{width}: {header}");
    }
}

/// The console on real profiles, as a user starts it: two `--profile`s from the AWS config file
/// and `--endpoint-url`; one profile's keys are not accepted, so its failure is named while
/// the other's fleet shows; `:profile beta` then reloads onto another profile and its region.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_console_reads_profiles_names_the_failing_one_and_switches_with_colon_profile() {
    use tokio::io::AsyncWriteExt;
    let sim = bosun::sim::start(bosun::sim::SimConfig {
        credentials: vec![
            ("AKIDALPHA".to_owned(), "alpha-secret".to_owned()),
            ("AKIDBETA".to_owned(), "beta-secret".to_owned()),
        ],
        require_signatures: true,
        ..bosun::sim::SimConfig::default()
    })
    .await
    .expect("simulator");
    let home = tempfile::tempdir().expect("home");
    let config = home.path().join("aws-config");
    std::fs::write(
        &config,
        "[profile alpha]\nregion = us-east-1\naws_access_key_id = AKIDALPHA\naws_secret_access_key = alpha-secret\n\n\
         [profile stale]\nregion = us-east-1\naws_access_key_id = AKIDREVOKED\naws_secret_access_key = nope\n\n\
         [profile beta]\nregion = eu-west-1\naws_access_key_id = AKIDBETA\naws_secret_access_key = beta-secret\n",
    )
    .expect("config");
    let path = home.path().to_owned();
    let endpoint = sim.endpoint_url();
    let (mut child, mut view, mut writer) = bosun_in_pty(40, 160, |command| {
        command
            .args([
                "--profile",
                "alpha",
                "--profile",
                "stale",
                "--endpoint-url",
                &endpoint,
            ])
            .env("HOME", &path)
            .env("AWS_CONFIG_FILE", &config)
            .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
    });
    view.wait_for("payments-api-1").await;
    // The failing profile is named with its region and the next step, under alpha's fleet.
    view.wait_for(
        "stale/us-east-1: DescribeInstanceInformation failed: AWS does not know these credentials",
    )
    .await;
    let screen = view.parser.screen().contents();
    assert!(screen.contains("alpha/us-east-1"), "{screen}");
    assert!(screen.contains("payments-api-1"), "{screen}");
    assert!(
        !screen.contains("search-query-1"),
        "eu-west-1 is not alpha's region:\n{screen}"
    );

    writer.write_all(b":profile beta\r").await.expect("type");
    view.wait_for("search-query-1").await;
    view.wait_for("beta/eu-west-1").await;
    // A frame may arrive in several reads: what went away must be gone once it has landed.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let screen = view.parser.screen().contents();
        if !screen.contains("payments-api-1") && !screen.contains("stale") {
            break;
        }
        assert!(
            view.read_some(deadline).await,
            "alpha's fleet or the stale profile's error is still shown:\n{screen}"
        );
    }
    writer.write_all(b"q").await.expect("quit");
    let status = tokio::time::timeout(Duration::from_secs(10), child.wait())
        .await
        .expect("quits")
        .expect("status");
    assert!(status.success());
}

/// A panic inside the console gives the terminal back before its message: out of the
/// alternate screen, cursor shown, bracketed paste and mouse off, and the line discipline out
/// of raw mode (echo and line editing on again). Debug builds panic on purpose after the
/// first frame when `BOSUN_DEBUG_PANIC_AFTER_DRAW` is set.
#[tokio::test]
async fn a_panic_restores_the_terminal_before_its_message() {
    use rustix::termios::{LocalModes, tcgetattr};
    use std::os::fd::AsFd;
    use tokio::io::AsyncReadExt;
    let (pty, pts) = pty_process::open().expect("pty");
    pty.resize(pty_process::Size::new(24, 80)).expect("size");
    let modes = pty.as_fd().try_clone_to_owned().expect("a second handle");
    let before = tcgetattr(&modes).expect("modes").local_modes;
    assert!(before.contains(LocalModes::ICANON | LocalModes::ECHO));
    let mut child = pty_process::Command::new(env!("CARGO_BIN_EXE_bosun"))
        .env_clear()
        .envs(common::sealed_env())
        .env("TERM", "xterm-256color")
        .env("BOSUN_DEBUG_PANIC_AFTER_DRAW", "1")
        .arg("--demo")
        .kill_on_drop(true)
        .spawn(pts)
        .expect("spawn");
    let (mut reader, _writer) = pty.into_split();
    let mut raw = Vec::new();
    let mut buffer = [0u8; 4096];
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    // Until the panic message has been printed (the PTY reports EIO once the child is gone).
    while !String::from_utf8_lossy(&raw).contains("a panic on purpose") {
        match tokio::time::timeout_at(deadline, reader.read(&mut buffer)).await {
            Ok(Ok(n)) if n > 0 => raw.extend_from_slice(&buffer[..n]),
            other => panic!("{other:?}: {:?}", String::from_utf8_lossy(&raw)),
        }
    }
    let status = tokio::time::timeout(Duration::from_secs(10), child.wait())
        .await
        .expect("exits")
        .expect("status");
    assert_eq!(status.code(), Some(101), "a panic's status");
    let text = String::from_utf8_lossy(&raw);
    let entered = text
        .find("\u{1b}[?1049h")
        .expect("took the alternate screen");
    let message = text.find("a panic on purpose").expect("message");
    for (what, sequence) in [
        ("left the alternate screen", "\u{1b}[?1049l"),
        ("showed the cursor", "\u{1b}[?25h"),
        ("ended bracketed paste", "\u{1b}[?2004l"),
    ] {
        let at = text[entered..]
            .find(sequence)
            .unwrap_or_else(|| panic!("never {what}: {text:?}"))
            + entered;
        assert!(at < message, "{what} only after the message");
    }
    let after = tcgetattr(&modes).expect("modes").local_modes;
    assert!(
        after.contains(LocalModes::ICANON | LocalModes::ECHO),
        "raw mode left on: {after:?}"
    );
}

/// The Containers view on the demo's simulated ECS, as a user meets it: `E` lists the
/// containers with whether ECS Exec reaches each; the filter narrows them; `D` says why not
/// with the fix; `s` on one opens a pane with a shell inside the container.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_containers_view_opens_a_shell_pane_in_a_container() {
    use tokio::io::AsyncWriteExt;
    let (mut child, mut view, mut writer, _state) = demo_console();
    view.wait_for("orphaned-test-box").await;
    writer.write_all(b"E").await.expect("containers");
    view.wait_for("containers (11 of 11)").await;
    view.wait_for("fraud-scoring").await;
    let screen = view.parser.screen().contents();
    assert!(screen.contains("8 reachable by ECS Exec"), "{screen}");
    assert!(
        screen.contains("i-03f1a2b3c4d5ebbbb"),
        "the EC2 task's instance: {screen}"
    );

    writer.write_all(b"/ledger\r").await.expect("filter");
    view.wait_for("containers (1 of 11)").await;
    writer.write_all(b"D").await.expect("why not");
    view.wait_for("the task was started without enableExecuteCommand")
        .await;
    // The doctor's overlay, with the fix wrapped whole; any key closes it.
    view.wait_for("--enable-execute-command").await;
    writer.write_all(b"x").await.expect("close");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while view
        .parser
        .screen()
        .contents()
        .contains("any other key closes")
    {
        assert!(view.read_some(deadline).await, "the overlay closes");
    }
    writer.write_all(b"s").await.expect("refused");
    view.wait_for("no shell in app").await;

    writer.write_all(b"/").await.expect("filter again");
    for _ in 0.."ledger".len() {
        writer.write_all(b"\x7f").await.expect("erase");
    }
    writer
        .write_all(b"service:fraud-scoring\r")
        .await
        .expect("filter");
    view.wait_for("containers (1 of 11)").await;
    writer.write_all(b"s").await.expect("open a shell pane");
    view.wait_for("fraud-scoring/app").await;
    writer
        .write_all(b"echo hello-$((6*7)) in-$ECS_TASK\r")
        .await
        .expect("type");
    view.wait_for("hello-42").await;
    writer.write_all(b"exit\r").await.expect("exit");
    view.wait_for("session ended").await;
    writer.write_all(b"\x1bq").await.expect("quit");
    let status = tokio::time::timeout(Duration::from_secs(10), child.wait())
        .await
        .expect("quits")
        .expect("status");
    assert!(status.success());
}

/// The Containers view in a snapshot: the reachable ones "ok", the others their cause in the
/// error colour, a mark, and a failed region named.
#[test]
fn containers_view() {
    use bosun::model::container::ContainerRow;
    let mut state = state_with(fleet(), Vec::new());
    let _ = app::update(&mut state, Input::Action(Action::ShowContainers));
    let row = |service: &str, task: &str, container: &str, exec: bool, agent: &str| ContainerRow {
        profile: "prod".to_owned(),
        region: "us-east-1".to_owned(),
        cluster: "payments".to_owned(),
        service: service.to_owned(),
        task_id: task.to_owned(),
        container: container.to_owned(),
        runtime_id: format!("{task}-{container}"),
        launch_type: "FARGATE".to_owned(),
        task_status: "RUNNING".to_owned(),
        container_status: "RUNNING".to_owned(),
        health: "HEALTHY".to_owned(),
        exec_enabled: exec,
        exec_agent: exec.then(|| agent.to_owned()),
        image: format!("123456789012.dkr.ecr.us-east-1.amazonaws.com/{service}:41"),
        cpu: "256".to_owned(),
        memory: "512".to_owned(),
        platform_version: Some("1.4.0".to_owned()),
        ec2_instance: None,
    };
    let _ = app::update(
        &mut state,
        Input::ContainersLoaded {
            rows: vec![
                row(
                    "checkout",
                    "684ef33aa54b79c8fce21b7cff03fd96",
                    "checkout",
                    true,
                    "RUNNING",
                ),
                row(
                    "checkout",
                    "684ef33aa54b79c8fce21b7cff03fd96",
                    "envoy",
                    true,
                    "RUNNING",
                ),
                row(
                    "ledger-sync",
                    "19fdd4eb2fcb93d284e1254d11f94fb5",
                    "app",
                    false,
                    "",
                ),
                row(
                    "receipts",
                    "3674e546bc4df2dcfe943342c7312849",
                    "app",
                    true,
                    "STOPPED",
                ),
            ],
            errors: vec!["prod/eu-west-1: ListClusters failed: AccessDeniedException".to_owned()],
        },
    );
    let _ = app::update(&mut state, Input::Action(Action::ToggleMark));
    let terminal = render(&state, &Theme::default());
    insta::assert_snapshot!(terminal.backend());
    let buffer = terminal.backend().buffer();
    let cell_of = |needle: &str| {
        (0..buffer.area.height).find_map(|y| {
            let line: String = (0..buffer.area.width)
                .map(|x| buffer[(x, y)].symbol())
                .collect();
            line.find(needle)
                .map(|at| (line[..at].chars().count() as u16, y))
        })
    };
    let (x, y) = cell_of("no: not enabled").expect("ledger-sync's cause");
    assert_eq!(buffer[(x, y)].fg, Theme::default().error);
}

#[test]
fn files_view() {
    use bosun::model::transfer::browse::{EntryKind, RemoteEntry, RemoteListing};
    let mut state = state_with(fleet(), Vec::new());
    let effects = app::update(&mut state, Input::Action(Action::ShowFiles));
    assert_eq!(state.view, app::View::Files, "{effects:?}");
    let instance_id = state.files.at.as_ref().expect("at").instance_id.clone();
    let entry = |name: &[u8], kind: EntryKind, size: u64| RemoteEntry {
        name: name.to_vec(),
        kind,
        size,
        modified: 1_790_000_000,
        owner: "ec2-user".to_owned(),
    };
    let _ = app::update(
        &mut state,
        Input::FolderListed {
            instance_id: instance_id.clone(),
            path: b".".to_vec(),
            result: Ok(RemoteListing {
                path: b"/var/log".to_vec(),
                entries: vec![
                    entry(b"journal", EntryKind::Folder, 4096),
                    entry(b"nginx", EntryKind::Link { to_folder: true }, 9),
                    entry(b"app.log", EntryKind::File, 48_213_004),
                    entry(b"caf\xe9.log", EntryKind::File, 12),
                ],
                cut: false,
            }),
        },
    );
    let _ = app::update(&mut state, Input::Action(Action::Down));
    let _ = app::update(&mut state, Input::Action(Action::Down));
    insta::assert_snapshot!(render(&state, &Theme::default()).backend());
    // What cannot be read is said in place of the listing, with the way on.
    let _ = app::update(&mut state, Input::Action(Action::OpenEntry));
    let _ = app::update(&mut state, Input::Action(Action::GoUp));
    let _ = app::update(
        &mut state,
        Input::FolderListed {
            instance_id: instance_id.clone(),
            path: b"/var".to_vec(),
            result: Err("data-notebook:/var: Permission denied".to_owned()),
        },
    );
    insta::assert_snapshot!(
        "files_view_error",
        render(&state, &Theme::default()).backend()
    );
}

#[test]
fn nodes_view() {
    let mut rows = fleet();
    let node = |id: &str, ping: Ping, group: (&str, &str), agent: &str, ip: &str| {
        let mut row = row("shop-prod-node", id, ping, "us-east-1", "shop", Some(20));
        row.agent_version = Some(agent.to_owned());
        row.tags
            .insert("eks:cluster-name".to_owned(), "shop-prod".to_owned());
        row.tags.insert(group.0.to_owned(), group.1.to_owned());
        row.private_dns = Some(format!("ip-{}.ec2.internal", ip.replace('.', "-")));
        row
    };
    let general = ("eks:nodegroup-name", "general");
    let spot = ("karpenter.sh/nodepool", "spot");
    rows.extend([
        node("i-0n1", Ping::Online, general, "3.3.987.0", "10.0.1.23"),
        node("i-0n2", Ping::Online, general, "3.3.987.0", "10.0.2.41"),
        node(
            "i-0n3",
            Ping::ConnectionLost,
            general,
            "3.2.582.0",
            "10.0.3.77",
        ),
        node("i-0n4", Ping::Online, spot, "2.3.539.0", "10.0.4.88"),
    ]);
    let mut state = state_with(rows, Vec::new());
    let _ = app::update(&mut state, Input::Action(Action::ShowNodes));
    let _ = app::update(&mut state, Input::Action(Action::ToggleMark));
    insta::assert_snapshot!(render(&state, &Theme::default()).backend());
}

#[test]
fn recordings_view() {
    use bosun::model::recording::RecordingRow;
    use bosun::model::session::SessionRow;
    let session = |id: &str, owner: &str, status: &str, reason: &str| SessionRow {
        session_id: id.to_owned(),
        target: "i-0abc".to_owned(),
        name: "payments-api-1".to_owned(),
        owner: format!("arn:aws:sts::1:assumed-role/Oncall/{owner}"),
        document: "SSM-SessionManagerRunShell".to_owned(),
        start: Some(1_790_000_000),
        end: Some(1_790_003_000),
        status: status.to_owned(),
        reason: reason.to_owned(),
        account: None,
    };
    let recording = |file: &str, start: i64, seconds: f64, own: Option<SessionRow>| RecordingRow {
        file: format!("/home/me/.local/state/bosun/recordings/{file}"),
        title: "bosun: payments-api-1 (i-0abc)".to_owned(),
        instance_id: "i-0abc".to_owned(),
        name: "payments-api-1".to_owned(),
        session_id: own.as_ref().map(|s| s.session_id.clone()),
        start,
        seconds,
        bytes: 48_213,
        session: own,
        others: Vec::new(),
    };
    let mut with_others = recording(
        "payments-api-1-i-0abc-20260916-031200-1.cast",
        1_790_000_000,
        3_125.0,
        Some(session(
            "alice-0a1",
            "alice",
            "Terminated",
            "INC-4211 nginx",
        )),
    );
    with_others.others = vec![session("bob-0b2", "bob", "Terminated", "")];
    let rows = vec![
        with_others,
        recording(
            "payments-api-1-i-0abc-20260915-221000-3.cast",
            1_789_950_000,
            64.5,
            None,
        ),
    ];
    let mut state = state_with(fleet(), Vec::new());
    let _ = app::update(&mut state, Input::Action(Action::ShowRecordings));
    let _ = app::update(
        &mut state,
        Input::RecordingsLoaded {
            rows,
            errors: vec!["broken.cast: line 1: not an asciicast header".to_owned()],
        },
    );
    insta::assert_snapshot!(render(&state, &Theme::default()).backend());
}
