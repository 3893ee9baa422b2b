//! The console model and its listener controls.
use super::*;
use crate::gui::tree::{Kind, Load};

fn console(listen: bool) -> Console {
    let node = TreeNode {
        key: "k".into(),
        parent: None,
        children: Vec::new(),
        label: "orders".into(),
        kind: Kind::HybridConnection,
        account: "a".into(),
        arm: None,
        load: Load::Leaf,
    };
    Console::new(
        1,
        listen,
        &node,
        "https://contoso.servicebus.windows.net/".into(),
        None,
    )
}

/// A console on an emulator account (its ready file at `/tmp/emu/ready.json`).
fn emulator_console(listen: bool) -> Console {
    use crate::auth::AuthMethod;
    use crate::gui::accounts::{AccountConfig, CloudConfig};
    let session = Session {
        account: AccountConfig::new(
            "demo".into(),
            CloudConfig::Embedded,
            AuthMethod::ClientSecret,
        ),
        cloud: crate::cloud::Cloud::by_name("AzureCloud").unwrap(),
        relay_http: reqwest::Client::new(),
        credential: None,
        device_code: None,
        arm: None,
        graph: None,
        connection_string: None,
        emulator_ready: Some("/tmp/emu/ready.json".into()),
    };
    let mut c = console(listen);
    c.session = Some(Arc::new(session));
    c
}

#[test]
fn copy_as_command_names_the_emulator_and_the_message_actually_sent() {
    let mut send = emulator_console(false);
    send.auth = Some(AuthChoice::Sas {
        rule_id: "r".into(),
        name: "sender".into(),
    });
    assert!(
        send.command()
            .contains("--entity orders --emulator /tmp/emu/ready.json --message 'hello'"),
        "{}",
        send.command()
    );
    // The logged start follows what is sent after it.
    let mut activity = ActivityLog::default();
    let id = activity.start("Send orders (SAS rule sender)", Some(send.command()));
    send.started = Some(Started {
        activity: id,
        running_since: None,
    });
    send.message = "second one".into();
    send.sent(&mut activity);
    let logged = activity.get(id).unwrap().command.clone().unwrap();
    assert!(logged.ends_with("--message 'second one'"), "{logged}");
}

#[test]
fn clear_resets_the_transcript_counters_and_rates() {
    use crate::gui::transcript::{Direction, EventKind};
    let mut c = console(false);
    for i in 0..5 {
        c.push(Entry::new(Direction::Out, EventKind::Text, format!("m{i}")));
    }
    assert_eq!(c.transcript.total(), 5);
    assert!(c.rates.seconds().count() > 0);
    c.clear();
    assert_eq!(c.transcript.total(), 0, "the events counter starts again");
    assert_eq!(c.rates.seconds().count(), 0, "the rates plot starts again");
    c.push(Entry::new(Direction::Out, EventKind::Text, "after"));
    assert_eq!(c.transcript.total(), 1);
}

#[test]
fn copy_as_command_does_the_same_from_a_terminal() {
    let mut listen = console(true);
    listen.auth = Some(AuthChoice::Sas {
        rule_id: "r".into(),
        name: "listen-only".into(),
    });
    assert_eq!(
        listen.command(),
        "relay-explorer listen --connection-string \"$AZURE_RELAY_CONNECTION_STRING\" --entity orders --echo"
    );
    listen.reply = ReplyKind::Canned;
    listen.canned_body = "it's ok".into();
    assert!(
        listen
            .command()
            .ends_with("--respond-status 200 --respond-body 'it'\\''s ok'"),
        "{}",
        listen.command()
    );
    let mut send = console(false);
    send.auth = Some(AuthChoice::Anonymous);
    send.websocket = false;
    send.method = "PUT".into();
    send.path = "/v1?x=1".into();
    send.headers = "Content-Type: application/json".into();
    send.body = "{}".into();
    assert_eq!(
        send.command(),
        "curl -X PUT 'https://contoso.servicebus.windows.net/orders/v1?x=1' -H \"ServiceBusAuthorization: $TOKEN\" -H 'Content-Type: application/json' --data-binary '{}'"
    );
}

#[test]
fn a_request_waiting_by_hand_counts_down_and_expires_at_the_relays_deadline() {
    use egui_kittest::kittest::Queryable as _;
    let mut listen = console(true);
    listen.reply = ReplyKind::Manual;
    let now = std::time::Instant::now();
    let mut activity = ActivityLog::default();
    for (id, deadline) in [("fresh", now + RESPONSE_DEADLINE), ("old", now)] {
        listen.on_event(
            ConsoleEvent::Pending(Pending::Request {
                id: id.into(),
                method: "POST".into(),
                target: format!("/{id}"),
                deadline,
            }),
            &mut activity,
        );
    }
    let mut harness =
        egui_kittest::Harness::new_ui_state(|ui, c: &mut Console| c.listen_controls_ui(ui), listen);
    harness.run();
    harness.get_by_label_contains("POST /fresh waits for a reply: 60 s left");
    harness.get_by_label_contains("POST /old expired: the relay's 60 s deadline passed");
    assert_eq!(
        harness.query_all_by_label("Respond").count(),
        1,
        "only the request still waiting can be answered"
    );
    harness.get_by_label("Dismiss").click();
    harness.run();
    assert!(harness.query_by_label_contains("POST /old").is_none());
    assert_eq!(harness.state().pending.len(), 1);
}

#[test]
fn the_http_view_shows_requests_and_responses_with_state_changes() {
    let shown: Vec<EventKind> = [
        EventKind::State,
        EventKind::Connection,
        EventKind::Text,
        EventKind::Request,
        EventKind::Response,
        EventKind::Error,
    ]
    .into_iter()
    .filter(|k| Shown::Http.shows(*k))
    .collect();
    assert_eq!(
        shown,
        vec![
            EventKind::State,
            EventKind::Request,
            EventKind::Response,
            EventKind::Error
        ]
    );
    assert!(Shown::WebSocket.shows(EventKind::Binary));
    assert!(!Shown::WebSocket.shows(EventKind::Request));
}

#[test]
fn hex_shows_offsets_bytes_and_text() {
    assert_eq!(
        hex(b"hi\n"),
        "00000000  68 69 0a                                         hi.\n"
    );
}
