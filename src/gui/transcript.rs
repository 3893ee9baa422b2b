//! What a console shows and exports: a bounded ring of events (count and bytes both capped, so
//! memory stays flat however long a console runs), and per-second rates and latencies for the
//! plot.

use std::collections::VecDeque;

use serde::Serialize;

/// Which way an event went, seen from the console.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    In,
    Out,
    /// A state change or a note (online, reconnecting, accepted…).
    Info,
}

/// What an event is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    State,
    Connection,
    Text,
    Binary,
    Request,
    Response,
    Error,
}

/// One line of a console.
#[derive(Debug, Clone, Serialize)]
pub struct Entry {
    /// Increases by one per event, also across dropped ones.
    pub seq: u64,
    /// Unix milliseconds.
    pub at_ms: i64,
    pub direction: Direction,
    pub kind: EventKind,
    /// The connection or request it belongs to, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub conn: Option<String>,
    /// A one-line summary (request line, status, state).
    pub summary: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub headers: Vec<(String, String)>,
    /// The payload, cut at [`BODY_CAP`] bytes.
    #[serde(skip)]
    pub body: Vec<u8>,
    /// The payload's full size.
    pub size: usize,
    /// Round-trip milliseconds, for replies and responses.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub latency_ms: Option<f64>,
}

impl Entry {
    pub fn new(direction: Direction, kind: EventKind, summary: impl Into<String>) -> Self {
        Self {
            seq: 0,
            at_ms: chrono::Utc::now().timestamp_millis(),
            direction,
            kind,
            conn: None,
            summary: redact(&summary.into()),
            headers: Vec::new(),
            body: Vec::new(),
            size: 0,
            latency_ms: None,
        }
    }

    pub fn with_conn(mut self, conn: impl Into<String>) -> Self {
        self.conn = Some(conn.into());
        self
    }

    pub fn with_body(mut self, body: &[u8]) -> Self {
        self.size = body.len();
        self.body = body[..body.len().min(BODY_CAP)].to_vec();
        self
    }

    /// Headers, with the values of those that carry credentials masked.
    pub fn with_headers(mut self, headers: Vec<(String, String)>) -> Self {
        self.headers = headers
            .into_iter()
            .map(|(k, v)| {
                let secret = [
                    "authorization",
                    "servicebusauthorization",
                    "sb-hc-token",
                    "cookie",
                ]
                .iter()
                .any(|s| k.eq_ignore_ascii_case(s));
                let v = if secret {
                    "***".to_string()
                } else {
                    redact(&v)
                };
                (k, v)
            })
            .collect();
        self
    }

    pub fn with_latency(mut self, ms: f64) -> Self {
        self.latency_ms = Some(ms);
        self
    }

    /// The body as text, when it is UTF-8.
    pub fn text(&self) -> Option<&str> {
        std::str::from_utf8(&self.body).ok()
    }

    fn cost(&self) -> usize {
        std::mem::size_of::<Self>()
            + self.summary.len()
            + self.body.len()
            + self
                .headers
                .iter()
                .map(|(k, v)| k.len() + v.len() + 48)
                .sum::<usize>()
            + self.conn.as_ref().map_or(0, String::len)
    }

    /// The JSON line written to an exported transcript.
    pub fn json_line(&self) -> String {
        let mut v = serde_json::to_value(self).unwrap_or_default();
        if !self.body.is_empty() {
            match self.text() {
                Some(t) => v["body"] = serde_json::Value::String(t.to_string()),
                None => {
                    use base64::Engine as _;
                    v["body_base64"] = serde_json::Value::String(
                        base64::engine::general_purpose::STANDARD.encode(&self.body),
                    );
                }
            }
            if self.size > self.body.len() {
                v["body_truncated"] = serde_json::Value::Bool(true);
            }
        }
        v.to_string()
    }
}

/// Masks token values in query strings and SAS tokens (`sb-hc-token=`, `sig=`, `token=`).
pub fn redact(text: &str) -> String {
    if !text.contains('=') {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    'outer: while !rest.is_empty() {
        for key in ["sb-hc-token=", "sig=", "token="] {
            if let Some(i) = rest.find(key) {
                let after = i + key.len();
                let end = rest[after..]
                    .find(|c: char| c == '&' || c.is_whitespace() || c == '"')
                    .map_or(rest.len(), |e| after + e);
                out.push_str(&rest[..after]);
                out.push_str("***");
                rest = &rest[end..];
                continue 'outer;
            }
        }
        out.push_str(rest);
        break;
    }
    out
}

/// Bodies are kept up to this many bytes each.
pub const BODY_CAP: usize = 16 * 1024;
/// At most this many events are kept…
pub const MAX_ENTRIES: usize = 100_000;
/// …and at most this many bytes of them.
pub const MAX_BYTES: usize = 48 * 1024 * 1024;

/// The bounded ring of a console's events.
#[derive(Debug, Default)]
pub struct Transcript {
    entries: VecDeque<Entry>,
    bytes: usize,
    next_seq: u64,
    dropped: u64,
    /// `next_seq` at the last clear: what came before is not counted.
    cleared_at: u64,
}

impl Transcript {
    pub fn push(&mut self, mut e: Entry) {
        e.seq = self.next_seq;
        self.next_seq += 1;
        self.bytes += e.cost();
        self.entries.push_back(e);
        while self.entries.len() > MAX_ENTRIES || self.bytes > MAX_BYTES {
            let Some(old) = self.entries.pop_front() else {
                break;
            };
            self.bytes -= old.cost();
            self.dropped += 1;
        }
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn get(&self, i: usize) -> Option<&Entry> {
        self.entries.get(i)
    }

    pub fn by_seq(&self, seq: u64) -> Option<&Entry> {
        let first = self.entries.front()?.seq;
        self.entries
            .get(usize::try_from(seq.checked_sub(first)?).ok()?)
    }

    pub fn iter(&self) -> impl Iterator<Item = &Entry> {
        self.entries.iter()
    }

    /// Events that fell out of the ring.
    pub fn dropped(&self) -> u64 {
        self.dropped
    }

    /// All events ever pushed.
    /// Events since the last clear (shown and dropped).
    pub fn total(&self) -> u64 {
        self.next_seq - self.cleared_at
    }

    /// Events ever pushed: changes with every push, also across a clear (a cache key).
    pub fn pushed(&self) -> u64 {
        self.next_seq
    }

    pub fn bytes(&self) -> usize {
        self.bytes
    }

    pub fn clear(&mut self) {
        self.entries.clear();
        self.bytes = 0;
        self.dropped = 0;
        self.cleared_at = self.next_seq;
    }

    /// The transcript as JSON lines (what "Export" writes).
    pub fn to_json_lines(&self) -> String {
        let mut out = String::new();
        if self.dropped > 0 {
            out.push_str(
                &serde_json::json!({"note": format!("{} older events were dropped to keep memory bounded", self.dropped)})
                    .to_string(),
            );
            out.push('\n');
        }
        for e in &self.entries {
            out.push_str(&e.json_line());
            out.push('\n');
        }
        out
    }
}

/// One second of traffic.
#[derive(Debug, Clone, Copy, Default)]
pub struct Second {
    pub at: i64,
    pub messages_in: u32,
    pub messages_out: u32,
    pub latency_sum_ms: f64,
    pub latency_count: u32,
}

/// Per-second counts for the plot, the last [`RATE_WINDOW`] seconds.
#[derive(Debug, Default)]
pub struct Rates {
    seconds: VecDeque<Second>,
}

pub const RATE_WINDOW: usize = 120;

impl Rates {
    fn slot(&mut self, now: i64) -> &mut Second {
        if self.seconds.back().is_none_or(|s| s.at != now) {
            self.seconds.push_back(Second {
                at: now,
                ..Default::default()
            });
            while self.seconds.len() > RATE_WINDOW {
                self.seconds.pop_front();
            }
        }
        // Just pushed or already there.
        let last = self.seconds.len() - 1;
        &mut self.seconds[last]
    }

    pub fn record(&mut self, e: &Entry) {
        let now = e.at_ms.div_euclid(1000);
        let s = self.slot(now);
        match (e.direction, e.kind) {
            (Direction::In, EventKind::Text | EventKind::Binary | EventKind::Request) => {
                s.messages_in += 1
            }
            (Direction::In, EventKind::Response) => s.messages_in += 1,
            (Direction::Out, EventKind::Text | EventKind::Binary | EventKind::Request) => {
                s.messages_out += 1
            }
            (Direction::Out, EventKind::Response) => s.messages_out += 1,
            _ => {}
        }
        if let Some(l) = e.latency_ms {
            s.latency_sum_ms += l;
            s.latency_count += 1;
        }
    }

    pub fn seconds(&self) -> impl Iterator<Item = &Second> {
        self.seconds.iter()
    }

    /// Messages per second (in, out) over the last complete second.
    pub fn current(&self, now: i64) -> (u32, u32) {
        self.seconds
            .iter()
            .rev()
            .find(|s| s.at == now - 1)
            .map_or((0, 0), |s| (s.messages_in, s.messages_out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ring_keeps_the_newest_events_within_its_caps() {
        let mut t = Transcript::default();
        for i in 0..(MAX_ENTRIES + 10) {
            t.push(Entry::new(Direction::In, EventKind::Text, format!("m{i}")).with_body(b"x"));
        }
        assert_eq!(t.len(), MAX_ENTRIES);
        assert_eq!(t.dropped(), 10);
        assert_eq!(t.get(0).unwrap().summary, "m10");
        assert_eq!(t.by_seq(11).unwrap().summary, "m11");
        let mut big = Transcript::default();
        for _ in 0..(MAX_BYTES / BODY_CAP + 100) {
            big.push(
                Entry::new(Direction::In, EventKind::Binary, "b").with_body(&[0u8; BODY_CAP * 2]),
            );
        }
        assert!(big.bytes() <= MAX_BYTES);
        assert_eq!(
            big.get(0).unwrap().size,
            BODY_CAP * 2,
            "the full size is kept"
        );
        assert_eq!(big.get(0).unwrap().body.len(), BODY_CAP, "the body is cut");
    }

    #[test]
    fn credentials_never_reach_the_transcript() {
        let e = Entry::new(
            Direction::In,
            EventKind::Request,
            "GET /orders?sb-hc-token=SharedAccessSignature%20sr%3Dx%26sig%3Dabc&x=1",
        )
        .with_headers(vec![
            (
                "ServiceBusAuthorization".into(),
                "SharedAccessSignature sr=a&sig=zzz&se=1".into(),
            ),
            ("Accept".into(), "text/plain".into()),
        ]);
        assert_eq!(e.summary, "GET /orders?sb-hc-token=***&x=1");
        assert_eq!(e.headers[0].1, "***");
        assert_eq!(e.headers[1].1, "text/plain");
        assert_eq!(
            redact("SharedAccessSignature sr=a&sig=s3cr3t&se=9"),
            "SharedAccessSignature sr=a&sig=***&se=9"
        );
        assert_eq!(redact("no secrets here"), "no secrets here");
    }

    #[test]
    fn export_is_one_json_object_per_line() {
        let mut t = Transcript::default();
        t.push(Entry::new(Direction::Out, EventKind::Text, "hello").with_body(b"hello"));
        t.push(Entry::new(Direction::In, EventKind::Binary, "bin").with_body(&[0xff, 0]));
        let text = t.to_json_lines();
        let lines: Vec<serde_json::Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines[0]["body"], "hello");
        assert_eq!(lines[0]["direction"], "out");
        assert_eq!(lines[1]["body_base64"], "/wA=");
    }
}
