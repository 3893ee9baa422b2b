//! The listener's control channel (`sb-hc-action=listen`): registered while it lives, renewed
//! with `renewToken`, closed 1008 when its token expires; responses to relayed requests come back
//! on it.

use super::*;

pub(super) fn listen(
    st: NamespaceState,
    path: &str,
    headers: &HeaderMap,
    query: &[(String, String)],
    upgrade: WebSocketUpgrade,
) -> Response {
    let Some(Checked {
        entity, verdict, ..
    }) = check(&st, path, headers, query, false, Right::Listen)
    else {
        return relay_error(
            StatusCode::NOT_FOUND,
            &format!("Endpoint does not exist: no hybrid connection '{path}'."),
        );
    };
    let expires_at = match verdict {
        Ok(e) => e,
        Err((status, message)) => return relay_error(status, &message),
    };
    if st.shared.hub.listener_count(&entity.key) >= MAX_LISTENERS {
        return relay_error(
            StatusCode::FORBIDDEN,
            &format!(
                "QuotaExceeded: hybrid connection '{}' already has {MAX_LISTENERS} listeners.",
                entity.name
            ),
        );
    }
    // Listeners are told apart by their connection, not by the `sb-hc-id` they chose.
    upgrade
        .max_message_size(CONTROL_MESSAGE_LIMIT)
        .max_frame_size(CONTROL_MESSAGE_LIMIT)
        .on_upgrade(move |socket| control_channel(st, entity, socket, expires_at))
}

pub(super) async fn control_channel(
    st: NamespaceState,
    entity: Entity,
    socket: WebSocket,
    mut expires_at: Option<i64>,
) {
    let key = entity.key.clone();
    let (tx, rx) = mpsc::unbounded_channel::<Vec<Message>>();
    let registration = Hub::register(&st.shared, &key, tx.clone());
    let (sink, mut stream) = socket.split();
    let writer = tokio::spawn(write_batches(sink, rx, |m: &Message| {
        matches!(m, Message::Close(_))
    }));
    let close = |reason: &str| {
        let _ = tx.send(vec![Message::Close(Some(CloseFrame {
            code: 1008,
            reason: reason.to_string().into(),
        }))]);
    };
    let grace = st.shared.options.token_grace_secs;
    // A response JSON may be followed by its body as the next binary message.
    let mut awaiting_body: Option<(String, HttpReply)> = None;
    loop {
        // The channel lives as long as its token (plus grace) unless renewed.
        let wait = expires_at
            .map(|e| {
                Duration::from_secs(
                    u64::try_from(e + grace - chrono::Utc::now().timestamp()).unwrap_or(0),
                )
            })
            .unwrap_or(Duration::from_secs(24 * 3600));
        let message = tokio::select! {
            m = stream.next() => m,
            _ = tokio::time::sleep(wait) => {
                close("The token has expired: renew it with renewToken before it does");
                break;
            }
        };
        let message = match message {
            Some(Ok(m)) => m,
            Some(Err(e)) => {
                if let Some(frame) = violation_close(&e) {
                    let _ = tx.send(vec![Message::Close(Some(frame))]);
                }
                break;
            }
            None => break,
        };
        match message {
            Message::Text(text) => match ControlMessage::parse(&text) {
                Some(ControlMessage::Response(r)) => {
                    let request_id = r.request_id.clone();
                    let has_body = r.body;
                    let reply = reply_from(r);
                    if has_body {
                        awaiting_body = Some((request_id, reply));
                    } else if let Some(tx) = st.shared.hub.replies.lock().remove(&request_id) {
                        let _ = tx.send(reply);
                    }
                }
                Some(ControlMessage::RenewToken(t)) => {
                    match authorize_any_host(&st, &entity, Some(t.token.as_str())) {
                        Some(expiry) => expires_at = expiry,
                        None => {
                            // An invalid renewed token ends the channel: 1008, policy violation.
                            close("The renewed token is not valid");
                            break;
                        }
                    }
                }
                _ => {}
            },
            Message::Binary(bytes) => {
                if let Some((request_id, mut reply)) = awaiting_body.take() {
                    reply.body = bytes.to_vec();
                    if let Some(tx) = st.shared.hub.replies.lock().remove(&request_id) {
                        let _ = tx.send(reply);
                    }
                }
                // A stray empty binary message (hyco-https after body:false) is ignored.
            }
            Message::Close(_) => break,
            _ => {}
        }
    }
    drop(registration);
    drop(tx);
    let mut writer = writer;
    if tokio::time::timeout(Duration::from_secs(2), &mut writer)
        .await
        .is_err()
    {
        // Senders still hold the channel; end it so they see the listener is gone.
        writer.abort();
    }
}

pub(super) fn reply_from(r: control::Response) -> HttpReply {
    HttpReply {
        status: r.status_code,
        description: r.status_description,
        headers: r.response_headers,
        body: Vec::new(),
    }
}
