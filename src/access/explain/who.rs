//! The who-can matrix: every principal, SAS rule and "anyone" × Listen / Send / Manage.

use serde::Serialize;

use super::Blocker;
use super::{Ask, Entity, Grant, anonymous_allowed, explain, sas_grants, scope_level};
use crate::access::{Snapshot, Subject};

/// A row of the who-can matrix.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WhoRow {
    /// An object id, a SAS rule name, or `*` for anyone.
    pub principal: String,
    /// `user`, `group`, `servicePrincipal`, `managedIdentity`, `sas`, `anonymous`.
    pub kind: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    pub listen: Cell,
    pub send: Cell,
    pub manage: Cell,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Cell {
    pub allowed: bool,
    pub grants: Vec<Grant>,
    pub blocked_by: Vec<Blocker>,
}

/// A principal for the matrix: its object id, kind, name and transitive groups.
#[derive(Debug, Clone)]
pub struct Principal {
    pub id: String,
    pub kind: String,
    pub display_name: Option<String>,
    pub groups: Vec<String>,
}

/// Every principal (and SAS rule, and anyone) × Listen / Send / Manage.
pub fn who_can(
    snapshot: &Snapshot<'_>,
    principals: &[Principal],
    management_groups: &[String],
    entity: &Entity,
) -> Vec<WhoRow> {
    let asks = [Ask::Listen, Ask::Send, Ask::Manage];
    let mut rows: Vec<WhoRow> = principals
        .iter()
        .map(|p| {
            let subject = Subject {
                principal_id: &p.id,
                groups: &p.groups,
            };
            let cell = |ask: &Ask| {
                let e = explain(snapshot, &subject, management_groups, entity, ask);
                let grants: Vec<Grant> = e
                    .grants
                    .into_iter()
                    .filter(|g| matches!(g, Grant::Role { .. }))
                    .collect();
                Cell {
                    allowed: e.allowed && !grants.is_empty(),
                    grants,
                    blocked_by: e.blocked_by,
                }
            };
            WhoRow {
                principal: p.id.clone(),
                kind: p.kind.clone(),
                display_name: p.display_name.clone(),
                listen: cell(&asks[0]),
                send: cell(&asks[1]),
                manage: cell(&asks[2]),
            }
        })
        .collect();
    for rule in &entity.sas_rules {
        let cell = |ask: &Ask| {
            let grants: Vec<Grant> = sas_grants(
                &Entity {
                    sas_rules: vec![rule.clone()],
                    ..entity.clone()
                },
                ask,
            );
            Cell {
                allowed: !grants.is_empty(),
                grants,
                blocked_by: Vec::new(),
            }
        };
        let display = format!(
            "SAS rule '{}' ({})",
            rule.name,
            scope_level(&rule.scope, &entity.id)
        );
        rows.push(WhoRow {
            principal: rule.name.clone(),
            kind: "sas".into(),
            display_name: Some(display),
            listen: cell(&asks[0]),
            send: cell(&asks[1]),
            manage: cell(&asks[2]),
        });
    }
    let anyone = |ask: &Ask| {
        let allowed = anonymous_allowed(entity, ask);
        Cell {
            allowed,
            grants: if allowed {
                vec![Grant::Anonymous]
            } else {
                Vec::new()
            },
            blocked_by: Vec::new(),
        }
    };
    rows.push(WhoRow {
        principal: "*".into(),
        kind: "anonymous".into(),
        display_name: None,
        listen: anyone(&asks[0]),
        send: anyone(&asks[1]),
        manage: anyone(&asks[2]),
    });
    rows
}
