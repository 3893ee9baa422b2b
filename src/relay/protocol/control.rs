//! The control channel's JSON messages (`shared/spec/hybrid-connections.md` §3–§5), one type for
//! both sides: the service sends `accept` and `request`, the listener answers `response` and
//! `renewToken`. Each message is one JSON object with a single key naming it.

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;

/// One control-channel message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum ControlMessage {
    Accept(Accept),
    Request(Request),
    Response(Response),
    RenewToken(RenewToken),
}

impl ControlMessage {
    /// Parses a text message; `None` for anything that is not one of the four messages (the
    /// service and the official listeners ignore what they do not know).
    pub fn parse(text: &str) -> Option<Self> {
        serde_json::from_str(text).ok()
    }

    /// The message as the JSON text that goes on the wire.
    pub fn to_text(&self) -> String {
        // Serialising these types cannot fail: every field is a string, a number or a map.
        serde_json::to_string(self).unwrap_or_default()
    }
}

/// Where a sender connects from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RemoteEndpoint {
    pub address: String,
    pub port: u16,
}

/// A WebSocket sender waiting to be accepted (or rejected) at `address`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Accept {
    pub address: String,
    pub id: String,
    #[serde(
        default,
        deserialize_with = "string_map",
        serialize_with = "headers_object"
    )]
    pub connect_headers: Headers,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remote_endpoint: Option<RemoteEndpoint>,
}

/// An HTTP request. With no `method` it is rendezvous-only: the listener opens `address` and
/// reads the request there.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Request {
    pub address: String,
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_target: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remote_endpoint: Option<RemoteEndpoint>,
    #[serde(
        default,
        deserialize_with = "string_map",
        serialize_with = "headers_object",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub request_headers: Headers,
    /// True when the body follows as the next binary message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<bool>,
}

/// A listener's answer to a [`Request`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Response {
    pub request_id: String,
    #[serde(deserialize_with = "status_code")]
    pub status_code: u16,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_description: Option<String>,
    #[serde(
        default,
        deserialize_with = "string_map",
        serialize_with = "headers_object"
    )]
    pub response_headers: Headers,
    /// True when the body follows as the next binary message.
    #[serde(default)]
    pub body: bool,
}

/// A fresh token for the control channel, sent before the old one expires.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RenewToken {
    pub token: String,
}

/// Header names to values, in the order they came.
pub type Headers = Vec<(String, String)>;

/// Headers on the wire are a JSON object of strings; a number or `true` that a sloppy client
/// sends is taken as its JSON text, as the service does. `null` is no headers. The order on the
/// wire is kept.
fn string_map<'de, D: Deserializer<'de>>(d: D) -> Result<Headers, D::Error> {
    struct Visit;
    impl<'de> serde::de::Visitor<'de> for Visit {
        type Value = Headers;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("an object of header names to values")
        }
        fn visit_unit<E>(self) -> Result<Headers, E> {
            Ok(Vec::new())
        }
        fn visit_none<E>(self) -> Result<Headers, E> {
            Ok(Vec::new())
        }
        fn visit_map<A: serde::de::MapAccess<'de>>(self, mut m: A) -> Result<Headers, A::Error> {
            let mut out = Vec::new();
            while let Some((k, v)) = m.next_entry::<String, Value>()? {
                let v = match v {
                    Value::String(s) => s,
                    other => other.to_string(),
                };
                out.push((k, v));
            }
            Ok(out)
        }
    }
    d.deserialize_any(Visit)
}

/// `statusCode` is a number, or a string of digits from some listeners (hyco-https).
fn status_code<'de, D: Deserializer<'de>>(d: D) -> Result<u16, D::Error> {
    use serde::de::Error;
    match Value::deserialize(d)? {
        Value::Number(n) => n
            .as_u64()
            .and_then(|n| u16::try_from(n).ok())
            .ok_or_else(|| D::Error::custom(format!("statusCode {n} is not an HTTP status"))),
        Value::String(s) => s
            .trim()
            .parse()
            .map_err(|_| D::Error::custom(format!("statusCode '{s}' is not an HTTP status"))),
        other => Err(D::Error::custom(format!(
            "statusCode {other} is not an HTTP status"
        ))),
    }
}

/// Writes [`Headers`] as the JSON object the wire carries.
fn headers_object<S: serde::Serializer>(headers: &Headers, s: S) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeMap;
    let mut m = s.serialize_map(Some(headers.len()))?;
    for (k, v) in headers {
        m.serialize_entry(k, v)?;
    }
    m.end()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_services_messages_parse_as_the_spec_shows_them() {
        let accept = r#"{"accept":{"address":"wss://ns/$hc/hc?sb-hc-action=accept&sb-hc-id=1","id":"1","connectHeaders":{"Host":"ns","Sec-WebSocket-Version":"13"},"remoteEndpoint":{"address":"10.0.0.1","port":5555}}}"#;
        let Some(ControlMessage::Accept(a)) = ControlMessage::parse(accept) else {
            panic!("not an accept")
        };
        assert_eq!(a.id, "1");
        assert_eq!(
            a.connect_headers[1],
            ("Sec-WebSocket-Version".into(), "13".into())
        );
        assert_eq!(a.remote_endpoint.unwrap().port, 5555);

        let request = r#"{"request":{"address":"wss://x","id":"2","requestTarget":"/a?b=1","method":"POST","requestHeaders":{"Content-Type":"text/plain"},"body":true}}"#;
        let Some(ControlMessage::Request(r)) = ControlMessage::parse(request) else {
            panic!("not a request")
        };
        assert_eq!(r.method.as_deref(), Some("POST"));
        assert_eq!(r.body, Some(true));
        let only = ControlMessage::parse(r#"{"request":{"address":"wss://x","id":"3"}}"#);
        assert!(matches!(
            only,
            Some(ControlMessage::Request(Request { method: None, .. }))
        ));
    }

    #[test]
    fn listeners_answers_are_read_leniently_and_written_exactly() {
        let sloppy = r#"{"response":{"requestId":"2","statusCode":"202","statusDescription":"Taken","responseHeaders":{"Content-Length":5,"X":"y"}}}"#;
        let Some(ControlMessage::Response(r)) = ControlMessage::parse(sloppy) else {
            panic!("not a response")
        };
        assert_eq!(r.status_code, 202);
        assert_eq!(r.status_description.as_deref(), Some("Taken"));
        assert_eq!(r.response_headers[0], ("Content-Length".into(), "5".into()));
        assert!(!r.body);
        assert!(
            ControlMessage::parse(r#"{"response":{"requestId":"2","statusCode":"x"}}"#).is_none()
        );
        assert!(
            ControlMessage::parse(r#"{"response":{"requestId":"2","statusCode":70000}}"#).is_none()
        );
        assert!(ControlMessage::parse("not json").is_none());
        assert!(ControlMessage::parse(r#"{"unknown":{}}"#).is_none());

        let reply = ControlMessage::Response(Response {
            request_id: "2".into(),
            status_code: 200,
            status_description: Some("OK".into()),
            response_headers: vec![("X".into(), "y".into())],
            body: true,
        });
        assert_eq!(
            reply.to_text(),
            r#"{"response":{"requestId":"2","statusCode":200,"statusDescription":"OK","responseHeaders":{"X":"y"},"body":true}}"#
        );
        let renew = ControlMessage::RenewToken(RenewToken { token: "t".into() });
        assert_eq!(renew.to_text(), r#"{"renewToken":{"token":"t"}}"#);
        let back = ControlMessage::parse(&renew.to_text()).unwrap();
        assert_eq!(back, renew);
    }
}
