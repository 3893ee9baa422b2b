//! WebSocket senders (`connect`) joined to a listener: the `accept` message, the listener's
//! rendezvous (or rejection), and the piping of messages between the two; the rendezvous of large
//! HTTP requests and responses.

use super::*;

pub(super) async fn connect(
    st: NamespaceState,
    path: &str,
    headers: HeaderMap,
    query: Vec<(String, String)>,
    remote: Option<SocketAddr>,
    upgrade: WebSocketUpgrade,
) -> Response {
    let Some(Checked {
        entity,
        suffix,
        verdict,
        base,
    }) = check(&st, path, &headers, &query, false, Right::Send)
    else {
        return relay_error(
            StatusCode::NOT_FOUND,
            &format!("Endpoint does not exist: no hybrid connection '{path}'."),
        );
    };
    if let Err((status, message)) = verdict {
        return relay_error(status, &message);
    }
    let Some(listener) = st.shared.hub.pick(&entity.key) else {
        return relay_error(
            StatusCode::NOT_FOUND,
            &format!(
                "Endpoint does not exist: no listener is connected to hybrid connection '{}'.",
                entity.name
            ),
        );
    };
    let id = param(&query, "sb-hc-id")
        .map(str::to_string)
        .unwrap_or_else(|| format!("{}_G0", uuid::Uuid::new_v4()));
    let app_query: Vec<String> = query
        .iter()
        .filter(|(k, _)| !k.starts_with("sb-hc-"))
        .map(|(k, v)| {
            format!(
                "{}={}",
                url::form_urlencoded::byte_serialize(k.as_bytes()).collect::<String>(),
                url::form_urlencoded::byte_serialize(v.as_bytes()).collect::<String>()
            )
        })
        .collect();
    let mut address = format!("{base}/$hc/{}{suffix}?", entity.name);
    for q in &app_query {
        address.push_str(q);
        address.push('&');
    }
    address.push_str(&format!("sb-hc-action=accept&sb-hc-id={id}"));
    let mut connect_headers = relayed_headers(&headers, &["servicebusauthorization"]);
    if !connect_headers
        .iter()
        .any(|(k, _)| k == "Sec-WebSocket-Version")
    {
        connect_headers.push(("Sec-WebSocket-Version".into(), "13".into()));
    }
    let (tx, rx) = oneshot::channel();
    st.shared.hub.accepts.lock().insert(id.clone(), tx);
    let accept = ControlMessage::Accept(control::Accept {
        address,
        id: id.clone(),
        connect_headers,
        remote_endpoint: Some(remote_endpoint(remote)),
    });
    if listener
        .send(vec![Message::Text(accept.to_text().into())])
        .is_err()
    {
        st.shared.hub.accepts.lock().remove(&id);
        return relay_error(
            StatusCode::NOT_FOUND,
            &format!(
                "Endpoint does not exist: the listener of '{}' went away.",
                entity.name
            ),
        );
    }
    let outcome = tokio::time::timeout(RENDEZVOUS_TIMEOUT, rx).await;
    st.shared.hub.accepts.lock().remove(&id);
    match outcome {
        Ok(Ok(Rendezvous::Accepted {
            socket: listener_socket,
            protocol,
        })) => {
            let upgrade = match protocol {
                Some(p) => upgrade.protocols([p]),
                None => upgrade,
            };
            upgrade.on_upgrade(move |sender_socket| pipe(sender_socket, *listener_socket))
        }
        Ok(Ok(Rendezvous::Rejected {
            status,
            description,
        })) => relay_error(
            StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST),
            &description,
        ),
        _ => relay_error(
            StatusCode::GATEWAY_TIMEOUT,
            &format!(
                "The listener of '{}' did not accept the connection in time.",
                entity.name
            ),
        ),
    }
}

pub(super) fn accept(
    st: NamespaceState,
    query: &[(String, String)],
    headers: &HeaderMap,
    upgrade: WebSocketUpgrade,
) -> Response {
    let Some(id) = param(query, "sb-hc-id") else {
        return relay_error(
            StatusCode::BAD_REQUEST,
            "The accept address has no sb-hc-id.",
        );
    };
    let Some(waiting) = st.shared.hub.accepts.lock().remove(id) else {
        return relay_error(
            StatusCode::FORBIDDEN,
            "The rendezvous address is not valid or has expired.",
        );
    };
    let status = param(query, "sb-hc-statusCode").or_else(|| param(query, "statusCode"));
    if let Some(status) = status {
        let description = param(query, "sb-hc-statusDescription")
            .or_else(|| param(query, "statusDescription"))
            .unwrap_or("Rejected by the listener")
            .to_string();
        let _ = waiting.send(Rendezvous::Rejected {
            status: status.parse().unwrap_or(400),
            description,
        });
        return (StatusCode::GONE, "Rejected").into_response();
    }
    let protocol = headers
        .get("sec-websocket-protocol")
        .and_then(|v| v.to_str().ok())
        .and_then(|p| p.split(',').next())
        .map(|p| p.trim().to_string());
    let upgrade = match &protocol {
        Some(p) => upgrade.protocols([p.clone()]),
        None => upgrade,
    };
    upgrade.on_upgrade(move |socket| async move {
        let _ = waiting.send(Rendezvous::Accepted {
            socket: Box::new(socket),
            protocol,
        });
    })
}

/// Relays messages both ways; a Close from one side is passed on, and the other direction keeps
/// flowing until that side closes too (half-close). A side that breaks the WebSocket protocol is
/// closed with the code for what it did, and the other side is told it went away.
pub(super) async fn pipe(a: WebSocket, b: WebSocket) {
    let (a_tx, a_rx) = a.split();
    let (b_tx, b_rx) = b.split();
    let (a_broke, a_told) = oneshot::channel::<CloseFrame>();
    let (b_broke, b_told) = oneshot::channel::<CloseFrame>();
    tokio::join!(
        forward(a_rx, b_tx, a_broke, b_told),
        forward(b_rx, a_tx, b_broke, a_told)
    );
}

/// One direction of [`pipe`]: messages of `from` go to `to`. When `from` breaks the protocol,
/// `broke` hands its close frame to the other direction (which owns `from`'s sink); when `to`'s
/// side broke it, `told` brings the close frame to send it.
async fn forward(
    mut from: futures::stream::SplitStream<WebSocket>,
    mut to: futures::stream::SplitSink<WebSocket, Message>,
    broke: oneshot::Sender<CloseFrame>,
    mut told: oneshot::Receiver<CloseFrame>,
) {
    let mut broke = Some(broke);
    let mut other_done = false;
    loop {
        let m = tokio::select! {
            m = from.next() => m,
            told = &mut told, if !other_done => {
                other_done = true;
                if let Ok(frame) = told {
                    let _ = to.send(Message::Close(Some(frame))).await;
                    return;
                }
                continue;
            }
        };
        match m {
            Some(Ok(m)) => {
                let closing = matches!(m, Message::Close(_));
                if to.send(m).await.is_err() || closing {
                    return;
                }
            }
            Some(Err(e)) => {
                if let (Some(frame), Some(broke)) = (violation_close(&e), broke.take()) {
                    let _ = broke.send(frame);
                    let _ = to
                        .send(Message::Close(Some(CloseFrame {
                            code: 1001,
                            reason: "The other side broke the WebSocket protocol.".into(),
                        })))
                        .await;
                }
                return;
            }
            None => return,
        }
    }
}

pub(super) fn request_rendezvous(
    st: NamespaceState,
    query: &[(String, String)],
    upgrade: WebSocketUpgrade,
) -> Response {
    let Some(id) = param(query, "sb-hc-id") else {
        return relay_error(
            StatusCode::BAD_REQUEST,
            "The request address has no sb-hc-id.",
        );
    };
    let pending = st.shared.hub.rendezvous_requests.lock().remove(id);
    let pending = match pending {
        Some(p) => p,
        // The request went inline and the listener answers a large response by rendezvous.
        None => match st.shared.hub.replies.lock().remove(id) {
            Some(reply) => PendingHttp {
                request: None,
                body: Vec::new(),
                reply,
            },
            None => {
                return relay_error(
                    StatusCode::FORBIDDEN,
                    "The rendezvous address is not valid or has expired.",
                );
            }
        },
    };
    upgrade.on_upgrade(move |socket| async move {
        let (mut tx, mut rx) = socket.split();
        if let Some(request) = pending.request {
            let has_body = request.body == Some(true);
            if tx
                .send(Message::Text(
                    ControlMessage::Request(request).to_text().into(),
                ))
                .await
                .is_err()
            {
                return;
            }
            if has_body && tx.send(Message::Binary(pending.body.into())).await.is_err() {
                return;
            }
        }
        let mut reply: Option<HttpReply> = None;
        while let Some(m) = rx.next().await {
            let m = match m {
                Ok(m) => m,
                Err(e) => {
                    if let Some(frame) = violation_close(&e) {
                        let _ = tx.send(Message::Close(Some(frame))).await;
                    }
                    return;
                }
            };
            match m {
                Message::Text(text) => {
                    let Some(ControlMessage::Response(r)) = ControlMessage::parse(&text) else {
                        continue;
                    };
                    let has_body = r.body;
                    let parsed = reply_from(r);
                    if has_body {
                        reply = Some(parsed);
                    } else {
                        let _ = pending.reply.send(parsed);
                        break;
                    }
                }
                // Fragments arrive as one message; an empty final frame ends the body.
                Message::Binary(bytes) => {
                    if let Some(mut r) = reply.take() {
                        r.body.extend_from_slice(&bytes);
                        let _ = pending.reply.send(r);
                        break;
                    }
                }
                Message::Close(_) => break,
                _ => {}
            }
        }
        let _ = tx.send(Message::Close(None)).await;
    })
}
