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
                scope: "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Relay/namespaces/ns"
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
        e.grants
            .iter()
            .any(|g| matches!(g, Grant::Sas { rule, .. } if rule == "RootManageSharedAccessKey"))
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
