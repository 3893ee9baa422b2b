//! The listener's timers on tokio's paused clock: hours of renewal and keep-alive in
//! milliseconds, over a WebSocket whose far end the test plays.

use std::time::Duration;

use futures::{SinkExt, StreamExt};
use tokio::io::DuplexStream;
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::Role;
use tokio_tungstenite::{Connector, WebSocketStream};

use super::*;
use crate::relay::client::SAS_LIFETIME_SECS;
use crate::relay::protocol::control::{ControlMessage, Request};
use crate::relay::protocol::ws::ws_config;

#[test]
fn renewal_comes_before_expiry() {
    assert_eq!(renew_at(10_000, 6_400), 9_700);
    assert_eq!(renew_at(1_060, 1_000), 1_030);
}

type Pipe = WebSocketStream<DuplexStream>;

/// A control channel: the listener's end and the relay's end, over an in-memory pipe (real
/// sockets would wake the IO driver, and tokio's paused clock jumps whenever it parks).
async fn channel() -> (Pipe, Pipe) {
    let (a, b) = tokio::io::duplex(64 * 1024);
    let listener_end = WebSocketStream::from_raw_socket(a, Role::Client, Some(ws_config())).await;
    let relay_end = WebSocketStream::from_raw_socket(b, Role::Server, None).await;
    (listener_end, relay_end)
}

const KEEP_ALIVE: Duration = Duration::from_secs(210);

/// Runs `serve` on a SAS token (its renewal due 300 s before its hour is up).
fn serving(
    socket: Pipe,
) -> (
    tokio::task::JoinHandle<String>,
    mpsc::Receiver<ListenerEvent>,
) {
    let (events, rx) = mpsc::channel(4096);
    let task = tokio::spawn(async move {
        let endpoint = Endpoint::new("localhost:1", "orders").unwrap();
        let token = TokenSource::Sas {
            key_name: "listen".into(),
            key: "a2V5LWZvci10ZXN0cw==".into(),
        };
        let expiry = Some(chrono::Utc::now().timestamp() + SAS_LIFETIME_SECS);
        serve(
            socket,
            expiry,
            &endpoint,
            &token,
            &Connector::Plain,
            KEEP_ALIVE,
            &events,
        )
        .await
    });
    (task, rx)
}

fn request(id: usize) -> Message {
    let r = ControlMessage::Request(Request {
        address: "wss://localhost:1/$hc/orders?sb-hc-action=request".into(),
        id: id.to_string(),
        request_target: Some("/ping".into()),
        method: Some("GET".into()),
        body: Some(false),
        ..Default::default()
    });
    Message::Text(r.to_text().into())
}

#[tokio::test(start_paused = true)]
async fn renewal_keeps_its_time_under_steady_traffic() {
    let (listener_end, mut relay) = channel().await;
    let (task, mut events) = serving(listener_end);
    tokio::spawn(async move { while events.recv().await.is_some() {} });
    let start = Instant::now();
    let mut renewals = Vec::new();
    // Ten hours of a request every 30 s: the channel is never idle, so no ping is due, and each
    // token is renewed 300 s before its hour is up whatever the traffic.
    for i in 0..1200 {
        relay.send(request(i)).await.unwrap();
        let until = Instant::now() + Duration::from_secs(30);
        while let Ok(Some(m)) = tokio::time::timeout_at(until, relay.next()).await {
            match m.unwrap() {
                Message::Text(t) => {
                    if let Some(ControlMessage::RenewToken(_)) = ControlMessage::parse(&t) {
                        renewals.push(start.elapsed().as_secs());
                    }
                }
                Message::Ping(_) => panic!("a busy channel was pinged"),
                _ => {}
            }
        }
    }
    let expected: Vec<u64> = (1..=10).map(|n| n * 3300).collect();
    assert_eq!(renewals.len(), expected.len(), "renewals at {renewals:?} s");
    for (got, want) in renewals.iter().zip(&expected) {
        assert!(
            got.abs_diff(*want) <= 2,
            "renewals at {renewals:?} s, wanted {expected:?}"
        );
    }
    assert!(!task.is_finished(), "the channel closed");
    task.abort();
}

#[tokio::test(start_paused = true)]
async fn an_idle_channel_is_pinged_and_a_silent_one_is_given_up() {
    let (listener_end, mut relay) = channel().await;
    let (task, _events) = serving(listener_end);
    let start = Instant::now();
    // An hour of silence from the relay's side, answering pings (tungstenite answers them as
    // it reads): one ping per keep-alive interval, and the channel stays.
    let mut pings = Vec::new();
    let hour = start + Duration::from_secs(3600);
    while let Ok(Some(m)) = tokio::time::timeout_at(hour, relay.next()).await {
        if let Message::Ping(_) = m.unwrap() {
            pings.push(start.elapsed().as_secs());
        }
    }
    assert_eq!(pings.len(), 17, "pings at {pings:?} s");
    assert!(
        pings
            .iter()
            .enumerate()
            .all(|(i, t)| t.abs_diff((i as u64 + 1) * 210) <= 1)
    );
    assert!(!task.is_finished(), "an answered channel was given up");
    // The relay goes silent (a forgotten NAT mapping: nothing is closed, nothing answers).
    let frozen = Instant::now();
    let reason = task.await.unwrap();
    assert!(reason.contains("keep-alive"), "{reason}");
    let took = frozen.elapsed();
    assert!(
        took <= KEEP_ALIVE * 2 + Duration::from_secs(1),
        "a dead channel was noticed only after {took:?}"
    );
    drop(relay);
}
