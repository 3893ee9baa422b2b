//! A value fetched in the background, as rerun's `RequestedObject`: not asked for yet (absent
//! from its map), pending (keeping the previous value, so the UI shows it while it refreshes),
//! ready, failed (keeping the previous value too), or stale (shown, and asked for again).

use std::collections::HashMap;

use crate::report::Report;

/// A value fetched in the background: pending (keeping what was there), ready, or failed.
#[derive(Debug, Clone)]
pub enum Fetch<T> {
    Pending(Option<T>),
    Ready(T),
    Failed(Report, Option<T>),
    /// Shown while it is fetched again (after a change).
    Stale(T),
}

impl<T> Fetch<T> {
    pub fn value(&self) -> Option<&T> {
        match self {
            Fetch::Pending(v) | Fetch::Failed(_, v) => v.as_ref(),
            Fetch::Ready(v) | Fetch::Stale(v) => Some(v),
        }
    }

    /// Whether a tab that shows it should ask for it (again).
    pub fn wanted(f: Option<&Fetch<T>>) -> bool {
        matches!(f, None | Some(Fetch::Stale(_)))
    }

    pub fn stale(self) -> Option<Fetch<T>> {
        self.take().map(Fetch::Stale)
    }

    pub fn resolve(previous: Option<Fetch<T>>, result: Result<T, Report>) -> Fetch<T> {
        match result {
            Ok(v) => Fetch::Ready(v),
            Err(e) => Fetch::Failed(e, previous.and_then(Fetch::take)),
        }
    }

    pub fn take(self) -> Option<T> {
        match self {
            Fetch::Pending(v) | Fetch::Failed(_, v) => v,
            Fetch::Ready(v) | Fetch::Stale(v) => Some(v),
        }
    }
}

/// Marks `key` pending in `map` (keeping what it held) when it is wanted, or always when `force`;
/// true when the caller should now fetch it. The one way every view asks for a value.
pub fn begin<T>(map: &mut HashMap<String, Fetch<T>>, key: &str, force: bool) -> bool {
    if !force && !Fetch::wanted(map.get(key)) {
        return false;
    }
    let previous = map.remove(key).and_then(Fetch::take);
    map.insert(key.to_string(), Fetch::Pending(previous));
    true
}

/// Puts a result in `map`, keeping the previous value beside a failure.
pub fn finish<T>(map: &mut HashMap<String, Fetch<T>>, key: String, result: Result<T, Report>) {
    let previous = map.remove(&key);
    map.insert(key, Fetch::resolve(previous, result));
}
