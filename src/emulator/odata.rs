//! The part of OData's `$filter` that Microsoft Graph's clients send for directory objects:
//! `prop eq 'v'`, `startswith(prop,'v')` and `coll/any(c:c eq 'v')`, joined by `or` (Graph
//! compares strings ignoring case). Anything else is refused by name, so the caller answers
//! Graph's `Request_UnsupportedQuery` instead of a silently wrong list.

use serde_json::Value;

/// One comparison of a filter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cond {
    Eq(String, String),
    StartsWith(String, String),
    /// `collection/any(c:c eq 'v')`.
    AnyEq(String, String),
}

impl Cond {
    pub fn property(&self) -> &str {
        match self {
            Cond::Eq(p, _) | Cond::StartsWith(p, _) | Cond::AnyEq(p, _) => p,
        }
    }

    fn holds(&self, object: &Value) -> bool {
        let lower = |s: &str| s.to_lowercase();
        match self {
            Cond::Eq(p, v) => object[p].as_str().is_some_and(|s| lower(s) == lower(v)),
            Cond::StartsWith(p, v) => object[p]
                .as_str()
                .is_some_and(|s| lower(s).starts_with(&lower(v))),
            Cond::AnyEq(p, v) => object[p].as_array().is_some_and(|items| {
                items
                    .iter()
                    .filter_map(Value::as_str)
                    .any(|s| lower(s) == lower(v))
            }),
        }
    }
}

/// A filter: its comparisons, any of which may hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Filter(pub Vec<Cond>);

impl Filter {
    pub fn matches(&self, object: &Value) -> bool {
        self.0.iter().any(|c| c.holds(object))
    }
}

/// Parses a filter; the error says what part is not understood.
pub fn parse(filter: &str) -> Result<Filter, String> {
    let mut conds = Vec::new();
    for part in split_or(filter) {
        conds.push(cond(part.trim()).ok_or_else(|| format!("'{}'", part.trim()))?);
    }
    if conds.is_empty() {
        return Err("an empty filter".into());
    }
    Ok(Filter(conds))
}

/// The parts of a filter between ` or ` (outside string literals).
fn split_or(filter: &str) -> Vec<&str> {
    let (mut parts, mut start, mut quoted) = (Vec::new(), 0, false);
    let bytes = filter.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\'' => quoted = !quoted,
            // Four bytes compared, not the rest of the filter lowered at each space (a long
            // filter of spaces would take quadratic time).
            b' ' if !quoted
                && bytes
                    .get(i..i + 4)
                    .is_some_and(|w| w.eq_ignore_ascii_case(b" or ")) =>
            {
                parts.push(&filter[start..i]);
                i += 4;
                start = i;
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    parts.push(&filter[start..]);
    parts
}

/// A string literal that is the whole of `s` (its doubled quotes undone).
fn literal(s: &str) -> Option<String> {
    let inner = s.trim().strip_prefix('\'')?.strip_suffix('\'')?;
    // A lone quote inside would have ended the literal.
    if inner.replace("''", "").contains('\'') {
        return None;
    }
    Some(inner.replace("''", "'"))
}

fn property(s: &str) -> Option<String> {
    let s = s.trim();
    (!s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
        .then(|| s.to_string())
}

fn cond(s: &str) -> Option<Cond> {
    if let Some(args) = s
        .strip_prefix("startswith(")
        .or_else(|| s.strip_prefix("startsWith("))
        .and_then(|r| r.strip_suffix(')'))
    {
        let (p, v) = args.split_once(',')?;
        return Some(Cond::StartsWith(property(p)?, literal(v)?));
    }
    if let Some((coll, rest)) = s.split_once("/any(") {
        let body = rest.strip_suffix(')')?;
        let (var, test) = body.split_once(':')?;
        let var = property(var)?;
        let value = test.trim().strip_prefix(var.as_str())?.trim_start();
        let value = value.strip_prefix("eq ")?;
        return Some(Cond::AnyEq(property(coll)?, literal(value)?));
    }
    let (p, v) = s.split_once(" eq ")?;
    Some(Cond::Eq(property(p)?, literal(v)?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_filters_graphs_clients_send_are_understood() {
        assert_eq!(
            parse("displayName eq 'O''Brien'").unwrap(),
            Filter(vec![Cond::Eq("displayName".into(), "O'Brien".into())])
        );
        assert_eq!(
            parse("startswith(displayName,'car') or startswith(userPrincipalName,'car')").unwrap(),
            Filter(vec![
                Cond::StartsWith("displayName".into(), "car".into()),
                Cond::StartsWith("userPrincipalName".into(), "car".into()),
            ])
        );
        assert_eq!(
            parse("servicePrincipalNames/any(c:c eq 'api://x')").unwrap(),
            Filter(vec![Cond::AnyEq(
                "servicePrincipalNames".into(),
                "api://x".into()
            )])
        );
        // " or " inside a literal is part of the value.
        assert_eq!(parse("displayName eq 'this or that'").unwrap().0.len(), 1);
    }

    #[test]
    fn comparisons_far_apart_are_found() {
        // (400,000 spaces: the splitter reads each byte once; lowering the rest of the filter
        // at each space, as it did, took minutes here.)
        let long = format!(
            "displayName eq 'a'{}or displayName eq 'b'",
            " ".repeat(400_000)
        );
        assert_eq!(parse(&long).unwrap().0.len(), 2);
    }

    #[test]
    fn what_is_not_understood_is_named() {
        assert_eq!(parse("displayName eq x").unwrap_err(), "'displayName eq x'");
        assert!(parse("displayName ne 'x'").is_err());
        assert!(parse("").is_err());
        assert!(parse("displayName eq 'a'b'").is_err());
    }

    #[test]
    fn comparisons_ignore_case_as_graph_does() {
        let carol = json!({"displayName": "Carol Evans", "servicePrincipalNames": ["API://X"]});
        assert!(
            parse("startswith(displayName,'CAR')")
                .unwrap()
                .matches(&carol)
        );
        assert!(
            parse("displayName eq 'carol evans'")
                .unwrap()
                .matches(&carol)
        );
        assert!(
            parse("servicePrincipalNames/any(c:c eq 'api://x')")
                .unwrap()
                .matches(&carol)
        );
        assert!(
            !parse("startswith(displayName,'Evans')")
                .unwrap()
                .matches(&carol)
        );
    }
}
