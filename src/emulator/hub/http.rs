//! HTTP senders: a request relayed to a listener as a `request` message (inline up to 64 kB, by
//! rendezvous above) and its `response` relayed back, with the relay's hop-by-hop rules.

use super::*;

pub(super) const HOP_BY_HOP: &[&str] = &[
    "connection",
    "content-length",
    "host",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "close",
    "servicebusauthorization",
    "keep-alive",
    "proxy-connection",
];

pub(super) async fn http_request(
    st: NamespaceState,
    parts: axum::http::request::Parts,
    body: Body,
    remote: Option<SocketAddr>,
) -> Response {
    let query = query_pairs(parts.uri.query());
    let path = parts.uri.path().to_string();
    let Some(Checked {
        entity,
        verdict,
        base,
        ..
    }) = check(&st, &path, &parts.headers, &query, true, Right::Send)
    else {
        return relay_error(
            StatusCode::NOT_FOUND,
            &format!("Endpoint does not exist: no hybrid connection at '{path}'."),
        );
    };
    if parts.method == Method::CONNECT {
        return relay_error(StatusCode::METHOD_NOT_ALLOWED, "CONNECT is not relayed.");
    }
    let used_authorization = parts.headers.get("servicebusauthorization").is_none()
        && param(&query, "sb-hc-token").is_none();
    if let Err((status, message)) = verdict {
        return relay_error(status, &message);
    }
    let Some(listener) = st.shared.hub.pick(&entity.key) else {
        return relay_error(
            StatusCode::BAD_GATEWAY,
            &format!(
                "No listener is connected to hybrid connection '{}'.",
                entity.name
            ),
        );
    };
    let Ok(bytes) = axum::body::to_bytes(body, 64 * 1024 * 1024).await else {
        return relay_error(
            StatusCode::PAYLOAD_TOO_LARGE,
            "The request body is larger than 64 MiB.",
        );
    };
    let id = format!("{}_G0", uuid::Uuid::new_v4());
    // The request target, without sb-hc-* parameters.
    let kept: Vec<&str> = parts
        .uri
        .query()
        .unwrap_or("")
        .split('&')
        .filter(|p| !(p.is_empty() || p.starts_with("sb-hc-") && p.contains('=')))
        .collect();
    let target = if kept.is_empty() {
        path.clone()
    } else {
        format!("{path}?{}", kept.join("&"))
    };
    let mut drop: Vec<&str> = HOP_BY_HOP.to_vec();
    if used_authorization && entity.requires_client_authorization {
        drop.push("authorization");
    }
    let address = format!(
        "{base}/$hc/{}?sb-hc-action=request&sb-hc-id={id}",
        entity.name
    );
    // As the service does: a body flag only when there are body bytes.
    let has_body = !bytes.is_empty();
    let request = control::Request {
        address: address.clone(),
        id: id.clone(),
        request_target: Some(target),
        method: Some(parts.method.as_str().to_string()),
        remote_endpoint: Some(remote_endpoint(remote)),
        request_headers: relayed_headers(&parts.headers, &drop),
        body: Some(has_body),
    };
    let (tx, rx) = oneshot::channel();
    if bytes.len() <= INLINE_LIMIT {
        st.shared.hub.replies.lock().insert(id.clone(), tx);
        let mut batch = vec![Message::Text(
            ControlMessage::Request(request).to_text().into(),
        )];
        if has_body {
            batch.push(Message::Binary(bytes.clone()));
        }
        if listener.send(batch).is_err() {
            st.shared.hub.replies.lock().remove(&id);
            return relay_error(StatusCode::BAD_GATEWAY, "The listener went away.");
        }
    } else {
        st.shared.hub.rendezvous_requests.lock().insert(
            id.clone(),
            PendingHttp {
                request: Some(request),
                body: bytes.to_vec(),
                reply: tx,
            },
        );
        let only = ControlMessage::Request(control::Request {
            address,
            id: id.clone(),
            ..Default::default()
        });
        if listener
            .send(vec![Message::Text(only.to_text().into())])
            .is_err()
        {
            st.shared.hub.rendezvous_requests.lock().remove(&id);
            return relay_error(StatusCode::BAD_GATEWAY, "The listener went away.");
        }
    }
    // Wait for the reply, but not for a listener that has gone away meanwhile.
    let gone = listener.closed();
    let outcome = tokio::select! {
        o = tokio::time::timeout(RESPONSE_TIMEOUT, rx) => Some(o),
        _ = gone => None,
    };
    st.shared.hub.replies.lock().remove(&id);
    st.shared.hub.rendezvous_requests.lock().remove(&id);
    let Some(outcome) = outcome else {
        return relay_error(
            StatusCode::BAD_GATEWAY,
            "The listener went away before it answered.",
        );
    };
    let Ok(Ok(reply)) = outcome else {
        let mut r = (StatusCode::GATEWAY_TIMEOUT, axum::Json(json!({"error": {"code": "GatewayTimeout", "message": "The request was routed to the listener but the listener did not respond in the required time."}}))).into_response();
        r.headers_mut()
            .insert("content-type", HeaderValue::from_static("application/json"));
        return r;
    };
    relayed_response(&st, reply)
}

/// The listener's answer as the sender gets it: a final status, its headers less the hop-by-hop
/// ones, `Via` the relay.
fn relayed_response(st: &NamespaceState, reply: HttpReply) -> Response {
    // A listener's answer must be a final HTTP status: 1xx (101 would claim an upgrade that
    // never happens) and nonsense are not relayed.
    if !(200..=599).contains(&reply.status) {
        return relay_error(
            StatusCode::BAD_GATEWAY,
            &format!(
                "The listener answered with status {}, which is not a final HTTP status.",
                reply.status
            ),
        );
    }
    let mut response = Response::builder()
        .status(StatusCode::from_u16(reply.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR));
    for (k, v) in &reply.headers {
        if !HOP_BY_HOP.contains(&k.to_ascii_lowercase().as_str()) {
            response = response.header(k, v);
        }
    }
    let host = st.shared.endpoints.host.clone();
    response = response.header("via", format!("1.1 {host}"));
    // The listener's statusDescription is the reason phrase the sender reads (`202 Taken`);
    // one that could not be a reason phrase (a control character) leaves the standard one.
    if let Some(phrase) = reply
        .description
        .as_deref()
        .filter(|d| !d.is_empty())
        .and_then(|d| hyper::ext::ReasonPhrase::try_from(d.as_bytes().to_vec()).ok())
    {
        response = response.extension(phrase);
    }
    response
        .body(Body::from(Bytes::from(reply.body)))
        .unwrap_or_else(|_| {
            relay_error(
                StatusCode::BAD_GATEWAY,
                "The listener sent an invalid response.",
            )
        })
}
