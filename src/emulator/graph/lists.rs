//! Lists of users, groups and service principals as Graph pages them: `$filter`, `$top` and
//! `@odata.nextLink`, `$select`, `$count` (which Graph answers only with
//! `ConsistencyLevel: eventual`).

use std::collections::HashMap;

use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Json, Response};
use serde_json::{Value, json};

use super::super::Shared;
use super::super::odata;
use super::super::world::World;
use super::{directory_object, graph_error};

/// The objects of a collection.
fn all(world: &World, kind: &str) -> Vec<Value> {
    let ids: Vec<&str> = match kind {
        "users" => world.users.iter().map(|u| u.object_id.as_str()).collect(),
        "groups" => world.groups.iter().map(|g| g.object_id.as_str()).collect(),
        _ => world
            .applications
            .iter()
            .map(|a| a.object_id.as_str())
            .chain(
                world
                    .managed_identities
                    .iter()
                    .map(|m| m.object_id.as_str()),
            )
            .collect(),
    };
    ids.into_iter()
        .filter_map(|id| directory_object(world, id))
        .collect()
}

/// Whether the request asked for Graph's advanced queries (`$count`) the way Graph requires.
fn eventual(headers: &HeaderMap) -> bool {
    headers
        .get("consistencylevel")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("eventual"))
}

fn count_needs_eventual() -> Response {
    graph_error(
        StatusCode::BAD_REQUEST,
        "Request_BadRequest",
        "$count is not currently supported without the header ConsistencyLevel: eventual.",
    )
}

/// `GET /users/$count`: the number, as text.
pub(super) fn count(world: &World, kind: &str, headers: &HeaderMap) -> Response {
    if !eventual(headers) {
        return count_needs_eventual();
    }
    (
        [(axum::http::header::CONTENT_TYPE, "text/plain")],
        all(world, kind).len().to_string(),
    )
        .into_response()
}

/// An object with only the properties `$select` names (and its OData annotations).
pub(super) fn selected(mut object: Value, query: &HashMap<String, String>) -> Value {
    let Some(select) = query.get("$select") else {
        return object;
    };
    let wanted: Vec<&str> = select.split(',').map(str::trim).collect();
    if let Some(map) = object.as_object_mut() {
        map.retain(|k, _| k.starts_with('@') || wanted.iter().any(|w| w.eq_ignore_ascii_case(k)));
    }
    object
}

/// The properties a `$filter` may compare, by collection (those Graph lets clients filter on).
fn filterable(kind: &str) -> &'static [&'static str] {
    match kind {
        "users" => &[
            "id",
            "displayName",
            "userPrincipalName",
            "mail",
            "givenName",
            "surname",
        ],
        "groups" => &["id", "displayName"],
        _ => &[
            "id",
            "displayName",
            "appId",
            "servicePrincipalNames",
            "servicePrincipalType",
        ],
    }
}

/// `GET /users`, `/groups` or `/servicePrincipals`: all, or those a `$filter` keeps (`eq`,
/// `startswith`, `any`, joined by `or`; Graph compares ignoring case), a page of `$top`
/// (Graph's default 100, at most 999) with an `@odata.nextLink` to the rest. Any other filter
/// is Graph's `Request_UnsupportedQuery`, never a silent full list.
pub(super) fn list_principals(
    shared: &Shared,
    world: &World,
    kind: &str,
    query: &HashMap<String, String>,
    headers: &HeaderMap,
) -> Response {
    let counted = query
        .get("$count")
        .is_some_and(|c| c.eq_ignore_ascii_case("true"));
    if counted && !eventual(headers) {
        return count_needs_eventual();
    }
    let all = all(world, kind).into_iter();
    let items: Vec<Value> = match query.get("$filter") {
        None => all.collect(),
        Some(text) => {
            let unsupported = |what: String| {
                graph_error(
                    StatusCode::BAD_REQUEST,
                    "Request_UnsupportedQuery",
                    &format!(
                        "Unsupported query: {what} in $filter={}. On /{kind} this emulator supports eq, startswith and any on {}, joined by 'or'.",
                        excerpt(text),
                        filterable(kind).join(", ")
                    ),
                )
            };
            let filter = match odata::parse(text) {
                Ok(f) => f,
                Err(what) => return unsupported(excerpt(&what)),
            };
            if let Some(c) = filter
                .0
                .iter()
                .find(|c| !filterable(kind).contains(&c.property()))
            {
                return unsupported(format!("the property '{}'", excerpt(c.property())));
            }
            all.filter(|o| filter.matches(o)).collect()
        }
    };
    let top = match query.get("$top").map(|t| t.parse::<usize>()) {
        None => 100,
        Some(Ok(t @ 1..=999)) => t,
        Some(_) => {
            return graph_error(
                StatusCode::BAD_REQUEST,
                "Request_BadRequest",
                &format!(
                    "Invalid page size specified: '{}'. Must be between 1 and 999 inclusive.",
                    excerpt(&query["$top"])
                ),
            );
        }
    };
    let skip: usize = query
        .get("$skiptoken")
        .and_then(|s| s.parse().ok())
        .unwrap_or(0)
        .min(items.len());
    let end = (skip + top).min(items.len());
    let page: Vec<Value> = items[skip..end]
        .iter()
        .map(|o| selected(o.clone(), query))
        .collect();
    let mut body = json!({
        "@odata.context": format!("https://graph.microsoft.com/v1.0/$metadata#{kind}"),
        "value": page,
    });
    if counted {
        body["@odata.count"] = json!(items.len());
    }
    if end < items.len() {
        let mut url = url::Url::parse(&format!("{}/v1.0/{kind}", shared.endpoints.graph))
            .expect("the Graph endpoint is a valid URL");
        {
            let mut q = url.query_pairs_mut();
            for (k, v) in query {
                if k != "$skiptoken" {
                    q.append_pair(k, v);
                }
            }
            q.append_pair("$skiptoken", &end.to_string());
        }
        body["@odata.nextLink"] = json!(url.to_string());
    }
    Json(body).into_response()
}

/// At most 80 characters of what a client sent, for an error message.
fn excerpt(s: &str) -> String {
    match s.char_indices().nth(80) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_string(),
    }
}
