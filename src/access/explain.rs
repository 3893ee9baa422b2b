//! Relay access, explained: for a principal and an entity, may it Listen, Send or Manage (or do
//! any action), and through what — role assignments (at which scope, through which group, by
//! which pattern), SAS rules, anonymity — or what blocks it. Pure: the caller fetches the facts.

use serde::Serialize;

use super::{ActionKind, Snapshot, Subject, Target, builtin, evaluate};

pub const LISTEN: &str = "Microsoft.Relay/namespaces/messages/listen/action";
pub const SEND: &str = "Microsoft.Relay/namespaces/messages/send/action";

/// What is asked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ask {
    Listen,
    Send,
    Manage,
    /// Any ARM action or data action.
    Action(String),
}

impl Ask {
    pub fn parse(text: &str) -> Self {
        match text.to_ascii_lowercase().as_str() {
            "listen" => Ask::Listen,
            "send" => Ask::Send,
            "manage" => Ask::Manage,
            _ => Ask::Action(text.to_string()),
        }
    }

    /// The RBAC action and whether it is a data action, for an entity of `entity_type`
    /// (e.g. `Microsoft.Relay/namespaces/hybridConnections`).
    pub fn rbac(&self, entity_type: &str) -> (String, ActionKind) {
        match self {
            Ask::Listen => (LISTEN.into(), ActionKind::DataAction),
            Ask::Send => (SEND.into(), ActionKind::DataAction),
            Ask::Manage => (format!("{entity_type}/write"), ActionKind::Action),
            Ask::Action(a) => {
                // A data action is one that a built-in role names among its DataActions (broad
                // patterns such as `Microsoft.Relay/*` say nothing about which actions are data).
                let data = builtin::all()
                    .iter()
                    .flat_map(|r| r.permissions.iter())
                    .flat_map(|p| p.data_actions.iter())
                    .filter(|d| !(d.ends_with("/*") && d.split('/').count() < 4))
                    .any(|d| super::action_matches(d, a));
                (
                    a.clone(),
                    if data {
                        ActionKind::DataAction
                    } else {
                        ActionKind::Action
                    },
                )
            }
        }
    }

    fn sas_right(&self) -> Option<&'static str> {
        match self {
            Ask::Listen => Some("Listen"),
            Ask::Send => Some("Send"),
            Ask::Manage => Some("Manage"),
            Ask::Action(a) if a.eq_ignore_ascii_case(LISTEN) => Some("Listen"),
            Ask::Action(a) if a.eq_ignore_ascii_case(SEND) => Some("Send"),
            Ask::Action(_) => None,
        }
    }
}

/// A SAS rule that applies to the entity (its own, or its namespace's).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SasRule {
    pub name: String,
    /// The rule's ARM id; its scope is the entity or the namespace.
    pub id: String,
    pub scope: String,
    pub rights: Vec<String>,
}

/// The entity and its Relay-specific facts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entity {
    pub id: String,
    /// `Microsoft.Relay/namespaces/hybridConnections` and the like (for RBAC actions).
    pub action_type: String,
    /// `false` lets anyone send.
    pub requires_client_authorization: Option<bool>,
    pub sas_rules: Vec<SasRule>,
}

/// One way the action is granted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Grant {
    Role {
        role_name: String,
        role_definition_id: String,
        assignment_id: String,
        scope: String,
        /// How the scope reaches the entity: entity, namespace, resource group, subscription,
        /// management group, root.
        scope_level: String,
        via_group: Option<String>,
        /// From the principal's own group to `via_group`, when the membership is nested.
        #[serde(skip_serializing_if = "Vec::is_empty")]
        group_chain: Vec<String>,
        matched: String,
        /// An ABAC condition, shown but not evaluated.
        #[serde(skip_serializing_if = "Option::is_none")]
        condition: Option<String>,
        /// Made less than the service's propagation time ago (Relay 5 min, SignalR 30 min): the
        /// service may not honour it yet.
        may_be_propagating: bool,
    },
    Sas {
        rule: String,
        scope: String,
        rights: Vec<String>,
    },
    Anonymous,
}

/// One thing that takes the action away (a deny assignment, or a role's NotActions).
pub use super::Block as Blocker;

/// The verdict with its proof.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Explanation {
    /// Through Azure RBAC (not conditional, not denied), or anonymously.
    pub allowed: bool,
    pub action: String,
    pub data_action: bool,
    pub grants: Vec<Grant>,
    pub blocked_by: Vec<Blocker>,
}

/// Where a scope sits relative to the entity.
pub fn scope_level(scope: &str, entity_id: &str) -> &'static str {
    let s = scope.trim_end_matches('/').to_ascii_lowercase();
    let e = entity_id.trim_end_matches('/').to_ascii_lowercase();
    let parts = s.split('/').filter(|p| !p.is_empty()).count();
    if s.is_empty() {
        "root"
    } else if s.starts_with("/providers/microsoft.management/managementgroups/") {
        "management group"
    } else if s == e {
        "entity"
    } else {
        match parts {
            2 => "subscription",
            4 => "resource group",
            8 => "namespace",
            _ => "resource",
        }
    }
}

/// Explains `ask` for `subject` on `entity`.
pub fn explain(
    snapshot: &Snapshot<'_>,
    subject: &Subject<'_>,
    management_groups: &[String],
    entity: &Entity,
    ask: &Ask,
) -> Explanation {
    let (action, kind) = ask.rbac(&entity.action_type);
    let target = Target {
        scope: &entity.id,
        management_groups,
    };
    let verdict = evaluate(snapshot, subject, &target, &action, kind);
    let mut grants: Vec<Grant> = verdict
        .grants
        .iter()
        .map(|g| Grant::Role {
            role_name: g.role_name.clone(),
            role_definition_id: g.role_definition_id.clone(),
            assignment_id: g.assignment_id.clone(),
            scope: g.scope.clone(),
            scope_level: scope_level(&g.scope, &entity.id).to_string(),
            via_group: g.via_group.clone(),
            group_chain: Vec::new(),
            matched: g.matched.clone(),
            condition: g.condition.clone(),
            may_be_propagating: propagating(
                g.created_on.as_deref(),
                &entity.action_type,
                chrono::Utc::now(),
            ),
        })
        .collect();
    grants.extend(sas_grants(entity, ask));
    let anonymous = anonymous_allowed(entity, ask);
    if anonymous {
        grants.push(Grant::Anonymous);
    }
    let blocked_by = verdict.blocked_by.clone();
    Explanation {
        allowed: verdict.allowed || anonymous,
        action,
        data_action: kind == ActionKind::DataAction,
        grants,
        blocked_by,
    }
}

/// The documented propagation time of role assignments for a service.
pub fn propagation_minutes(action_type: &str) -> i64 {
    if action_type
        .to_ascii_lowercase()
        .starts_with("microsoft.signalrservice")
    {
        30
    } else {
        5
    }
}

/// Was an assignment made within the service's propagation time before `now`?
pub fn propagating(
    created_on: Option<&str>,
    action_type: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> bool {
    created_on
        .and_then(|c| chrono::DateTime::parse_from_rfc3339(c).ok())
        .is_some_and(|c| {
            now.signed_duration_since(c)
                < chrono::Duration::minutes(propagation_minutes(action_type))
        })
}

fn sas_grants(entity: &Entity, ask: &Ask) -> Vec<Grant> {
    let Some(right) = ask.sas_right() else {
        return Vec::new();
    };
    entity
        .sas_rules
        .iter()
        .filter(|r| {
            r.rights
                .iter()
                .any(|x| x.eq_ignore_ascii_case(right) || x.eq_ignore_ascii_case("Manage"))
        })
        .map(|r| Grant::Sas {
            rule: r.name.clone(),
            scope: r.scope.clone(),
            rights: r.rights.clone(),
        })
        .collect()
}

fn anonymous_allowed(entity: &Entity, ask: &Ask) -> bool {
    entity.requires_client_authorization == Some(false) && ask.sas_right() == Some("Send")
}

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

/// One grant as a sentence (`names` turns an object id into a display name).
pub fn describe_grant(g: &Grant, names: &dyn Fn(&str) -> String) -> String {
    match g {
        Grant::Role {
            role_name,
            scope,
            scope_level,
            via_group,
            group_chain,
            matched,
            condition,
            may_be_propagating,
            ..
        } => {
            let group = match (via_group, group_chain.len()) {
                (Some(v), 0 | 1) => format!(", through group {}", names(v)),
                (Some(_), _) => format!(
                    ", through groups {}",
                    group_chain
                        .iter()
                        .map(|g| names(g))
                        .collect::<Vec<_>>()
                        .join(" ⊂ ")
                ),
                (None, _) => String::new(),
            };
            let cond = if condition.is_some() {
                " (conditional, not evaluated)"
            } else {
                ""
            };
            let young = if *may_be_propagating {
                " — assigned minutes ago: it may still be propagating"
            } else {
                ""
            };
            format!("✓ {role_name} at {scope_level} {scope}{group}: matches {matched}{cond}{young}")
        }
        Grant::Sas {
            rule,
            scope,
            rights,
        } => format!(
            "· SAS rule '{rule}' ({}) at {scope}, for whoever holds its key",
            rights.join(", ")
        ),
        Grant::Anonymous => "✓ anyone: the entity accepts anonymous senders".to_string(),
    }
}

/// One blocker as a sentence.
pub fn describe_block(b: &Blocker, names: &dyn Fn(&str) -> String) -> String {
    match b {
        Blocker::Deny {
            name,
            scope,
            matched,
            ..
        } => format!(
            "✗ deny assignment '{name}' at {scope} matches {matched}: it wins over every grant"
        ),
        Blocker::NotActions {
            role_name,
            via_group,
            excluded_by,
            ..
        } => {
            let group = via_group
                .as_ref()
                .map(|v| format!(" (through group {})", names(v)))
                .unwrap_or_default();
            format!("✗ {role_name}{group} excludes it by {excluded_by}")
        }
    }
}

/// For a refusal that no role comes near: the least privileged built-in role that would grant
/// the action, at the narrowest scope.
pub fn refusal_hint(verdict: &Explanation, entity_id: &str) -> Option<String> {
    if verdict.allowed
        || verdict
            .grants
            .iter()
            .any(|g| matches!(g, Grant::Role { .. }))
    {
        return None;
    }
    let kind = if verdict.data_action {
        ActionKind::DataAction
    } else {
        ActionKind::Action
    };
    Some(builtin::missing_permission_hint(
        &verdict.action,
        kind,
        Some(entity_id),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::access::{PrincipalType, RoleAssignment};

    const HC: &str = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Relay/namespaces/ns/hybridConnections/orders";

    fn entity(anonymous: bool) -> Entity {
        Entity {
            id: HC.into(),
            action_type: "Microsoft.Relay/namespaces/hybridConnections".into(),
            requires_client_authorization: Some(!anonymous),
            sas_rules: vec![
                SasRule {
                    name: "listen-only".into(),
                    id: format!("{HC}/authorizationRules/listen-only"),
                    scope: HC.into(),
                    rights: vec!["Listen".into()],
                },
                SasRule {
                    name: "RootManageSharedAccessKey".into(),
                    id: "x".into(),
                    scope:
                        "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Relay/namespaces/ns"
                            .into(),
                    rights: vec!["Listen".into(), "Manage".into(), "Send".into()],
                },
            ],
        }
    }

    fn assignment(scope: &str, role: &str, principal: &str) -> RoleAssignment {
        RoleAssignment {
            name: "a1".into(),
            scope: scope.into(),
            role_definition_id: role.into(),
            principal_id: principal.into(),
            principal_type: PrincipalType::Group,
            description: None,
            condition: None,
            condition_version: None,
            created_on: None,
            updated_on: None,
            created_by: None,
        }
    }

    #[test]
    fn a_grant_through_a_group_names_scope_level_group_and_pattern_and_the_sas_alternatives() {
        let defs = builtin::roles();
        let assignments = vec![assignment(
            "/subscriptions/s/resourceGroups/rg",
            builtin::RELAY_SENDER,
            "g1",
        )];
        let snapshot = Snapshot {
            definitions: &defs,
            assignments: &assignments,
            deny_assignments: &[],
        };
        let groups = vec!["g1".to_string()];
        let e = explain(
            &snapshot,
            &Subject {
                principal_id: "u1",
                groups: &groups,
            },
            &[],
            &entity(false),
            &Ask::Send,
        );
        assert!(e.allowed && e.data_action);
        let Grant::Role {
            scope_level,
            via_group,
            matched,
            ..
        } = &e.grants[0]
        else {
            panic!()
        };
        assert_eq!(scope_level, "resource group");
        assert_eq!(via_group.as_deref(), Some("g1"));
        assert_eq!(matched, "Microsoft.Relay/*/send/action");
        assert!(
            e.grants.iter().any(
                |g| matches!(g, Grant::Sas { rule, .. } if rule == "RootManageSharedAccessKey")
            )
        );
        assert!(
            !e.grants
                .iter()
                .any(|g| matches!(g, Grant::Sas { rule, .. } if rule == "listen-only"))
        );
        let json = serde_json::to_value(&e).unwrap();
        assert_eq!(json["grants"][0]["kind"], "role");
        assert_eq!(json["grants"][1]["kind"], "sas");
    }

    #[test]
    fn anonymous_senders_are_anyone_and_manage_is_a_write() {
        let defs = builtin::roles();
        let snapshot = Snapshot {
            definitions: &defs,
            assignments: &[],
            deny_assignments: &[],
        };
        let none: Vec<String> = Vec::new();
        let e = explain(
            &snapshot,
            &Subject {
                principal_id: "u1",
                groups: &none,
            },
            &[],
            &entity(true),
            &Ask::Send,
        );
        assert!(e.allowed);
        assert!(e.grants.contains(&Grant::Anonymous));
        let l = explain(
            &snapshot,
            &Subject {
                principal_id: "u1",
                groups: &none,
            },
            &[],
            &entity(true),
            &Ask::Listen,
        );
        assert!(!l.allowed);
        assert_eq!(
            Ask::Manage.rbac("Microsoft.Relay/namespaces/hybridConnections"),
            (
                "Microsoft.Relay/namespaces/hybridConnections/write".to_string(),
                ActionKind::Action
            )
        );
        assert_eq!(
            Ask::parse("Microsoft.SignalRService/SignalR/serverConnection/write")
                .rbac("x")
                .1,
            ActionKind::DataAction
        );
        assert_eq!(
            Ask::parse("Microsoft.Relay/namespaces/read").rbac("x").1,
            ActionKind::Action
        );
    }

    #[test]
    fn the_matrix_has_principals_rules_and_anyone() {
        let defs = builtin::roles();
        let assignments = vec![assignment(HC, builtin::RELAY_LISTENER, "u1")];
        let snapshot = Snapshot {
            definitions: &defs,
            assignments: &assignments,
            deny_assignments: &[],
        };
        let rows = who_can(
            &snapshot,
            &[Principal {
                id: "u1".into(),
                kind: "user".into(),
                display_name: None,
                groups: vec![],
            }],
            &[],
            &entity(false),
        );
        assert_eq!(rows.len(), 4);
        assert!(rows[0].listen.allowed && !rows[0].send.allowed);
        assert!(rows[1].listen.allowed && !rows[1].send.allowed && rows[1].kind == "sas");
        assert!(rows[2].manage.allowed);
        assert!(!rows[3].send.allowed && rows[3].principal == "*");
        assert_eq!(
            scope_level("/providers/Microsoft.Management/managementGroups/mg", HC),
            "management group"
        );
        assert_eq!(scope_level("/", HC), "root");
        assert_eq!(
            scope_level(
                "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Relay/namespaces/ns",
                HC
            ),
            "namespace"
        );
    }

    #[test]
    fn young_assignments_are_flagged_by_service() {
        let now = chrono::Utc::now();
        let ago = |m: i64| (now - chrono::Duration::minutes(m)).to_rfc3339();
        assert!(propagating(
            Some(&ago(2)),
            "Microsoft.Relay/namespaces/hybridConnections",
            now
        ));
        assert!(!propagating(
            Some(&ago(6)),
            "Microsoft.Relay/namespaces/hybridConnections",
            now
        ));
        assert!(propagating(
            Some(&ago(20)),
            "Microsoft.SignalRService/SignalR",
            now
        ));
        assert!(!propagating(None, "Microsoft.Relay/namespaces", now));
    }
}
