//! The fleet table: sorting, filtering, marking, scrolling, keys, the command line, the
//! user's keys, and facts from the runtime.

use crate::app::test_support::*;

#[test]
fn rows_arrive_sorted_by_name_and_can_be_resorted() {
    let mut state = loaded();
    assert_eq!(names(&state), ["api-1", "db-3", "web-2"]);
    assert!(!state.fleet.loading);
    let _ = update(&mut state, Input::Action(Action::SortNext));
    assert_eq!(state.fleet.sort, columns::Column::Instance);
    assert_eq!(names(&state), ["api-1", "web-2", "db-3"]);
    let _ = update(&mut state, Input::Action(Action::SortNext));
    assert_eq!(state.fleet.sort, columns::Column::Ping);
    assert_eq!(names(&state), ["web-2", "api-1", "db-3"]);
    let _ = update(&mut state, Input::Action(Action::SortReverse));
    assert_eq!(names(&state), ["db-3", "api-1", "web-2"]);
}

#[test]
fn typing_a_filter_narrows_the_table_and_esc_clears_it() {
    let mut state = loaded();
    let _ = update(&mut state, Input::Action(Action::Filter));
    assert_eq!(state.mode(), Mode::Filter);
    for c in "tag:Team=payments !status:unmanaged".chars() {
        let _ = update(&mut state, Input::Text(TextInput::Char(c)));
    }
    assert_eq!(names(&state), ["api-1"]);
    let _ = update(&mut state, Input::Text(TextInput::Enter));
    assert_eq!(state.mode(), Mode::Table);
    let _ = update(&mut state, Input::Action(Action::Back));
    assert_eq!(names(&state).len(), 3, "esc clears the filter");
}

/// `/` starts empty with the old filter kept: esc goes back to it, ↑ recalls it, Enter on
/// the empty line clears it; ctrl-w and ctrl-u edit the line.
#[test]
fn the_filter_prompt_starts_empty_and_keeps_the_old_one_to_go_back_to() {
    let mut state = loaded();
    let type_in = |state: &mut State, text: &str| {
        for c in text.chars() {
            let _ = update(state, Input::Text(TextInput::Char(c)));
        }
    };
    let _ = update(&mut state, Input::Action(Action::Filter));
    type_in(&mut state, "tag:Team=payments");
    let _ = update(&mut state, Input::Text(TextInput::Enter));
    assert_eq!(names(&state), ["api-1", "db-3"]);

    let _ = update(&mut state, Input::Action(Action::Filter));
    assert_eq!(state.fleet.filter.text(), "", "the prompt starts empty");
    assert_eq!(
        state.fleet.filter_before.as_deref(),
        Some("tag:Team=payments")
    );
    type_in(&mut state, "web");
    assert_eq!(names(&state), ["web-2"]);
    let _ = update(&mut state, Input::Text(TextInput::Cancel));
    assert_eq!(state.mode(), Mode::Table);
    assert_eq!(
        state.fleet.filter.text(),
        "tag:Team=payments",
        "esc keeps the old one"
    );
    assert_eq!(names(&state), ["api-1", "db-3"]);

    let _ = update(&mut state, Input::Action(Action::Filter));
    let _ = update(&mut state, Input::Text(TextInput::Recall));
    assert_eq!(
        state.fleet.filter.text(),
        "tag:Team=payments",
        "↑ recalls it"
    );
    type_in(&mut state, " web");
    let _ = update(&mut state, Input::Text(TextInput::DeleteWord));
    assert_eq!(state.fleet.filter.text(), "tag:Team=payments ");
    let _ = update(&mut state, Input::Text(TextInput::ClearLine));
    assert_eq!(names(&state).len(), 3);
    let _ = update(&mut state, Input::Text(TextInput::Enter));
    assert_eq!(
        state.fleet.filter.text(),
        "",
        "enter on the empty line clears it"
    );
    assert_eq!(state.fleet.filter_before, None);
}

#[test]
fn an_unfinished_filter_keeps_the_last_result_and_says_why() {
    let mut state = loaded();
    let _ = update(&mut state, Input::Action(Action::Filter));
    for c in "tag:Team=payments status:".chars() {
        let _ = update(&mut state, Input::Text(TextInput::Char(c)));
    }
    assert!(state.fleet.filter_error.is_some());
    // "status:" alone is not a filter yet: the last valid one ("... status", a word) holds.
    assert_eq!(names(&state).len(), 0);
    let _ = update(&mut state, Input::Text(TextInput::Backspace));
    let _ = update(&mut state, Input::Text(TextInput::Backspace));
    let _ = update(&mut state, Input::Text(TextInput::Backspace));
    let _ = update(&mut state, Input::Text(TextInput::Backspace));
    let _ = update(&mut state, Input::Text(TextInput::Backspace));
    let _ = update(&mut state, Input::Text(TextInput::Backspace));
    let _ = update(&mut state, Input::Text(TextInput::Backspace));
    assert_eq!(names(&state), ["api-1", "db-3"]);
    for c in " status:".chars() {
        let _ = update(&mut state, Input::Text(TextInput::Char(c)));
    }
    for c in "lost".chars() {
        let _ = update(&mut state, Input::Text(TextInput::Char(c)));
    }
    assert_eq!(state.fleet.filter_error, None);
    assert_eq!(names(&state), ["api-1"]);
}

#[test]
fn moving_marking_and_details() {
    let mut state = loaded();
    let _ = update(&mut state, Input::Action(Action::Down));
    assert_eq!(
        state.fleet.selected_row().map(|r| r.name.as_str()),
        Some("db-3")
    );
    let _ = update(&mut state, Input::Action(Action::ToggleMark));
    assert!(state.fleet.marks.contains("i-03"));
    assert_eq!(state.fleet.selected, 2, "marking moves down, as in k9s");
    let _ = update(&mut state, Input::Action(Action::Down));
    assert_eq!(state.fleet.selected, 2, "the last row stays selected");
    let _ = update(&mut state, Input::Action(Action::Top));
    let _ = update(&mut state, Input::Action(Action::Detail));
    assert_eq!(state.mode(), Mode::Detail);
    let _ = update(&mut state, Input::Action(Action::Back));
    assert_eq!(state.mode(), Mode::Table);
    let _ = update(&mut state, Input::Action(Action::Back));
    assert!(
        state.fleet.marks.is_empty(),
        "esc in the table clears the marks"
    );
}

#[test]
fn keys_map_to_intents_and_quit_and_refresh_are_effects() {
    let mut state = loaded();
    assert_eq!(
        input_for(key(KeyCode::Char('/')), Mode::Table),
        Some(Input::Action(Action::Filter))
    );
    assert_eq!(
        input_for(key(KeyCode::Char('q')), Mode::Filter),
        Some(Input::Text(TextInput::Char('q'))),
        "q types in the filter"
    );
    assert_eq!(
        input_for(
            KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL),
            Mode::Filter
        ),
        Some(Input::Action(Action::Quit))
    );
    assert_eq!(
        update(&mut state, Input::Action(Action::Refresh)),
        vec![Effect::Refresh]
    );
    assert!(state.fleet.loading);
    assert_eq!(
        update(&mut state, Input::Action(Action::Quit)),
        vec![Effect::Quit]
    );
    let _ = update(&mut state, Input::Action(Action::Help));
    assert_eq!(state.mode(), Mode::Help);
    let _ = update(&mut state, Input::Action(Action::Back));
    assert_eq!(state.mode(), Mode::Table, "esc closes the help");
}

#[test]
fn the_table_scrolls_just_enough_to_keep_the_selection_visible() {
    let mut state = State::new("test");
    let rows = (0..100)
        .map(|n| {
            row(
                &format!("host-{n:03}"),
                &format!("i-{n:03}"),
                Ping::Online,
                "us-east-1",
                "web",
            )
        })
        .collect();
    let _ = update(
        &mut state,
        Input::InventoryLoaded {
            rows,
            pending: 0,
            errors: Vec::new(),
            at: SystemTime::UNIX_EPOCH,
            throttled: false,
        },
    );
    let _ = update(
        &mut state,
        Input::Resized {
            width: 120,
            height: 16,
        },
    );
    for _ in 0..12 {
        let _ = update(&mut state, Input::Action(Action::Down));
    }
    assert_eq!((state.fleet.selected, state.fleet.offset), (12, 3));
    let _ = update(&mut state, Input::Action(Action::Up));
    assert_eq!(
        (state.fleet.selected, state.fleet.offset),
        (11, 3),
        "moving up inside the page does not scroll"
    );
    let _ = update(&mut state, Input::Action(Action::Bottom));
    assert_eq!((state.fleet.selected, state.fleet.offset), (99, 90));
    let _ = update(&mut state, Input::Action(Action::Top));
    assert_eq!(state.fleet.offset, 0);
}

#[test]
fn the_command_line_switches_regions_and_profiles() {
    let mut state = loaded();
    press(&mut state, KeyCode::Char(':'), KeyModifiers::NONE);
    assert_eq!(state.mode(), Mode::Command);
    let mut effects = Vec::new();
    for c in "region eu-west-1,us-west-2".chars() {
        effects = press(&mut state, KeyCode::Char(c), KeyModifiers::NONE);
    }
    assert!(effects.is_empty());
    assert_eq!(state.fleet.filter, "", "the command line is not the filter");
    let effects = press(&mut state, KeyCode::Enter, KeyModifiers::NONE);
    assert_eq!(
        effects,
        vec![Effect::SwitchSources {
            profiles: None,
            regions: Some(vec!["eu-west-1".to_owned(), "us-west-2".to_owned()])
        }]
    );
    assert_eq!(state.mode(), Mode::Table);
    let _ = update(
        &mut state,
        Input::SourcesChanged {
            label: "prod/eu-west-1".to_owned(),
            profiles: Vec::new(),
            regions: vec!["eu-west-1".to_owned()],
        },
    );
    assert!(state.fleet.rows.is_empty() && state.fleet.loading);
    assert_eq!(state.frame.source, "prod/eu-west-1");

    assert_eq!(
        run_command(&mut state, "ctx prod staging"),
        vec![Effect::SwitchSources {
            profiles: Some(vec!["prod".to_owned(), "staging".to_owned()]),
            regions: None
        }]
    );
    assert_eq!(
        run_command(&mut state, "theme nord"),
        vec![Effect::SwitchTheme("nord".to_owned())]
    );
    assert!(run_command(&mut state, "frobnicate").is_empty());
    assert!(
        state
            .frame
            .notice
            .as_deref()
            .is_some_and(|n| n.contains("unknown command"))
    );
    assert_eq!(run_command(&mut state, "q"), vec![Effect::Quit]);
}

#[test]
fn configured_keys_add_bindings_and_may_move_the_prefix() {
    let table: BTreeMap<String, Vec<String>> = [
        ("prefix".to_owned(), vec!["ctrl-a".to_owned()]),
        ("shell".to_owned(), vec!["S".to_owned(), "f5".to_owned()]),
        ("zoom".to_owned(), vec!["Z".to_owned()]),
    ]
    .into_iter()
    .collect();
    let mut state = with_screen(loaded());
    state.frame.keys = keymap::KeyBindings::from_config(&table).expect("valid");
    let _ = update(&mut state, Input::Action(Action::Bottom));
    let effects = press(&mut state, KeyCode::F(5), KeyModifiers::NONE);
    assert!(matches!(effects[..], [Effect::OpenPanes(_)]), "{effects:?}");
    // ctrl-] is typing now; ctrl-a is the prefix.
    assert_eq!(
        route::route(
            KeyEvent::new(KeyCode::Char('5'), KeyModifiers::CONTROL),
            &state
        ),
        Some(route::Routed::Pane)
    );
    press(&mut state, KeyCode::Char('a'), KeyModifiers::CONTROL);
    assert_eq!(state.panes.mode, PaneMode::Prefix);
    press(&mut state, KeyCode::Char('Z'), KeyModifiers::SHIFT);
    assert!(state.panes.workspace.tab().is_some_and(|t| t.zoomed));

    for (bad, message) in [
        (("teleport", "x"), "no such action"),
        (("shell", "hyper-x"), "is not a key"),
    ] {
        let table: BTreeMap<String, Vec<String>> = [(bad.0.to_owned(), vec![bad.1.to_owned()])]
            .into_iter()
            .collect();
        let error = keymap::KeyBindings::from_config(&table).expect_err("invalid");
        assert!(error.contains(message), "{error}");
    }
}

/// Facts the runtime learns reach the state through the reducer: typing disarms a quit, a
/// theme that would not load is said, a switch says it is switching and the new sources
/// clear that.
#[test]
fn runtime_facts_go_through_the_reducer() {
    let mut state = State::new("test");
    state.frame.quit_armed = true;
    let _ = update(&mut state, Input::TypedIntoPane);
    assert!(!state.frame.quit_armed);
    let _ = update(
        &mut state,
        Input::ThemeSwitched {
            name: "nope".to_owned(),
            error: Some("no theme named nope".to_owned()),
        },
    );
    assert_eq!(
        state.frame.notice.as_deref(),
        Some("theme: no theme named nope")
    );
    assert_eq!(
        run_command(&mut state, "region eu-west-1"),
        vec![Effect::SwitchSources {
            profiles: None,
            regions: Some(vec!["eu-west-1".to_owned()]),
        }]
    );
    assert_eq!(state.frame.notice.as_deref(), Some("switching…"));
    // A typo switches nothing and says so.
    assert!(run_command(&mut state, "region eu-west-1,euwest2").is_empty());
    assert_eq!(
        state.frame.notice.as_deref(),
        Some(":region euwest2: not a region name (like us-east-1); the regions stay as they were")
    );
    let sources_changed = |state: &mut State| {
        let _ = update(
            state,
            Input::SourcesChanged {
                label: "default/eu-west-1".to_owned(),
                profiles: Vec::new(),
                regions: vec!["eu-west-1".to_owned()],
            },
        );
    };
    // The switch landing does not wipe what the later command said.
    sources_changed(&mut state);
    assert!(
        state
            .frame
            .notice
            .as_deref()
            .is_some_and(|n| n.contains("euwest2"))
    );
    let _ = run_command(&mut state, "region eu-west-1");
    sources_changed(&mut state);
    assert_eq!(state.frame.notice, None, "switching… goes once switched");
    // A well-formed region bosun does not know is said at once, tried, and the note stays.
    assert_eq!(run_command(&mut state, "region us-east-7").len(), 1);
    sources_changed(&mut state);
    assert_eq!(
        state.frame.notice.as_deref(),
        Some(
            ":region us-east-7 is not a region bosun knows; did you mean us-east-1 or us-east-2? (trying it anyway: a newer region works)"
        )
    );
    // Errors about regions speak of the console's command, not the command line's flag.
    let _ = update(
        &mut state,
        Input::InventoryLoaded {
            rows: Vec::new(),
            pending: 0,
            errors: vec!["demo/us-east-7: DescribeInstanceInformation failed: us-east-7 is not a region AWS knows: check --region or AWS_REGION (`aws ec2 describe-regions` lists them)".to_owned()],
            at: std::time::SystemTime::UNIX_EPOCH,
            throttled: false,
        },
    );
    assert!(
        state.fleet.errors[0].contains("check :region (or --region when starting bosun)"),
        "{:?}",
        state.fleet.errors
    );
}

#[test]
fn q_over_the_help_or_the_details_closes_them_and_never_quits() {
    let mut state = with_screen(loaded());
    for open in ['?', 'd'] {
        press(&mut state, KeyCode::Char(open), KeyModifiers::NONE);
        assert_ne!(state.mode(), Mode::Table, "{open} opens an overlay");
        let effects = press(&mut state, KeyCode::Char('q'), KeyModifiers::NONE);
        assert!(!effects.contains(&Effect::Quit), "{open}: {effects:?}");
        assert_eq!(state.mode(), Mode::Table, "{open}: q closes it");
        assert!(
            state.frame.notice.is_none(),
            "{open}: {:?}",
            state.frame.notice
        );
    }
    // With the overlays closed, q quits as before.
    let effects = press(&mut state, KeyCode::Char('q'), KeyModifiers::NONE);
    assert!(effects.contains(&Effect::Quit), "{effects:?}");
}

#[test]
fn keys_on_an_instance_ssm_does_not_manage_say_why_and_offer_the_doctor() {
    let mut state = with_screen(loaded());
    for _ in 0..state.fleet.rows.len() {
        if state.fleet.selected_row().is_some_and(|r| r.name == "db-3") {
            break;
        }
        let _ = update(&mut state, Input::Action(Action::Down));
    }
    assert_eq!(
        state.fleet.selected_row().map(|r| r.name.as_str()),
        Some("db-3")
    );
    for key in ['s', 'F'] {
        let modifiers = if key == 'F' {
            KeyModifiers::SHIFT
        } else {
            KeyModifiers::NONE
        };
        assert!(press(&mut state, KeyCode::Char(key), modifiers).is_empty());
        let notice = state.frame.notice.clone().unwrap_or_default();
        assert!(
            notice.contains("not managed by SSM") && notice.contains("D asks the doctor why"),
            "{key}: {notice}"
        );
    }
}

/// At 80×24 the help is longer than the screen: the line and page keys scroll it, no further
/// than its last line; esc, q and ? close it; Enter does not reach the fleet beneath.
#[test]
fn the_help_scrolls_on_a_small_screen_and_closes_with_esc_q_or_question_mark() {
    let mut state = loaded();
    let _ = update(
        &mut state,
        Input::Resized {
            width: 80,
            height: 24,
        },
    );
    press(&mut state, KeyCode::Char('?'), KeyModifiers::NONE);
    assert_eq!(state.mode(), Mode::Help);
    let last = crate::app::overlays::help::max_scroll(&state, 80, 24);
    assert!(last > 22, "the whole help is several screens: {last}");
    press(&mut state, KeyCode::Down, KeyModifiers::NONE);
    press(&mut state, KeyCode::Char('j'), KeyModifiers::NONE);
    assert_eq!(state.help_scroll(), 2);
    press(&mut state, KeyCode::PageDown, KeyModifiers::NONE);
    assert_eq!(
        state.help_scroll(),
        2 + 22,
        "a page is the rows shown: the next starts after the last, no line twice"
    );
    press(&mut state, KeyCode::Char('G'), KeyModifiers::SHIFT);
    assert_eq!(state.help_scroll(), last);
    press(&mut state, KeyCode::Down, KeyModifiers::NONE);
    assert_eq!(state.help_scroll(), last, "not past the end");
    press(&mut state, KeyCode::Char('g'), KeyModifiers::NONE);
    assert_eq!(state.help_scroll(), 0);
    assert!(
        press(&mut state, KeyCode::Enter, KeyModifiers::NONE).is_empty(),
        "no shell from under the help"
    );
    assert_eq!(state.mode(), Mode::Help);
    for close in ['q', '?'] {
        press(&mut state, KeyCode::PageDown, KeyModifiers::NONE);
        let effects = press(&mut state, KeyCode::Char(close), KeyModifiers::NONE);
        assert!(effects.is_empty(), "{close}: {effects:?}");
        assert_eq!(state.mode(), Mode::Table, "{close} closes the help");
        assert_eq!(state.help_scroll(), 0, "the next help starts at the top");
        press(&mut state, KeyCode::Char('?'), KeyModifiers::NONE);
    }
    press(&mut state, KeyCode::Esc, KeyModifiers::NONE);
    assert_eq!(state.mode(), Mode::Table);
}

/// `o` cycles through the columns on screen only: at 80 columns the narrow table shows
/// four, and sorting never moves to one that is hidden.
#[test]
fn sorting_cycles_through_the_columns_shown() {
    let mut state = loaded();
    let _ = update(
        &mut state,
        Input::Resized {
            width: 80,
            height: 24,
        },
    );
    let shown = crate::model::column::visible_columns(&state.fleet.columns, 78);
    assert!(
        shown.len() < state.fleet.columns.len(),
        "some are hidden at 80"
    );
    let mut seen = Vec::new();
    for _ in 0..shown.len() {
        press(&mut state, KeyCode::Char('o'), KeyModifiers::NONE);
        seen.push(state.fleet.sort.clone());
    }
    let expected: Vec<_> = shown
        .iter()
        .cycle()
        .skip(1)
        .take(shown.len())
        .map(|&i| state.fleet.columns[i].clone())
        .collect();
    assert_eq!(seen, expected);
}

/// What a key said is cleared by the next key (a view change, a move), not left under
/// whatever comes next.
#[test]
fn a_status_message_clears_on_the_next_key() {
    let mut state = with_screen(loaded());
    let _ = update(&mut state, Input::Action(Action::Bottom));
    let _ = update(&mut state, Input::Action(Action::Up)); // db-3, not managed
    let _ = update(&mut state, Input::Action(Action::OpenShell));
    assert!(state.frame.notice.is_some(), "the refusal is said");
    let _ = update(&mut state, Input::Action(Action::Down));
    assert_eq!(state.frame.notice, None);
}

#[test]
fn u_opens_run_command_for_an_agent_update_canary_first() {
    let mut state = with_screen(loaded());
    press(&mut state, KeyCode::Char('U'), KeyModifiers::SHIFT);
    let Some(Overlay::RunCompose(compose)) = &state.overlay else {
        panic!("the Run Command form: {:?}", state.overlay);
    };
    assert_eq!(compose.fields[1].text(), "AWS-UpdateSSMAgent");
    assert_eq!(compose.fields[9].text(), "1", "one canary of several");
    let request = compose.to_request().expect("a request");
    assert_eq!(request.document.as_deref(), Some("AWS-UpdateSSMAgent"));
    let mut read_only = with_screen(loaded());
    read_only.frame.read_only = true;
    press(&mut read_only, KeyCode::Char('U'), KeyModifiers::SHIFT);
    assert!(read_only.overlay.is_none());
}
