//! Azure's documented RBAC behaviour, case by case.

use super::builtin::*;
use super::*;

const SUB: &str = "/subscriptions/11111111-1111-1111-1111-111111111111";
const RG: &str = "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-relay";
const NS: &str = "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-relay/providers/Microsoft.Relay/namespaces/contoso";
const HC: &str = "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-relay/providers/Microsoft.Relay/namespaces/contoso/hybridConnections/orders";
const OTHER_HC: &str = "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-relay/providers/Microsoft.Relay/namespaces/contoso/hybridConnections/billing";
const LISTEN: &str = "Microsoft.Relay/namespaces/messages/listen/action";
const SEND: &str = "Microsoft.Relay/namespaces/messages/send/action";
const ALICE: &str = "aaaaaaaa-0000-0000-0000-000000000001";
const OPS: &str = "aaaaaaaa-0000-0000-0000-0000000000g1";
const MG: &str = "/providers/Microsoft.Management/managementGroups/contoso-root";

fn assign(name: &str, scope: &str, role: &str, principal: &str) -> RoleAssignment {
    RoleAssignment {
        name: name.to_string(),
        scope: scope.to_string(),
        role_definition_id: role.to_string(),
        principal_id: principal.to_string(),
        principal_type: PrincipalType::User,
        description: None,
        condition: None,
        condition_version: None,
        created_on: None,
        updated_on: None,
        created_by: None,
    }
}

fn custom_no_send() -> RoleDefinition {
    RoleDefinition {
        id: "cccccccc-0000-0000-0000-000000000001".into(),
        role_name: "Relay listen but never send".into(),
        description: String::new(),
        role_type: RoleType::CustomRole,
        permissions: vec![Permission {
            actions: vec![],
            not_actions: vec![],
            data_actions: vec!["Microsoft.Relay/*".into()],
            not_data_actions: vec!["Microsoft.Relay/*/send/action".into()],
        }],
        assignable_scopes: vec![SUB.into()],
        created_at_scope: Some(SUB.into()),
        created_on: None,
        updated_on: None,
    }
}

fn deny_send_everyone_but(excluded: &[&str], scope: &str, children: bool) -> DenyAssignment {
    DenyAssignment {
        name: "dddddddd-0000-0000-0000-000000000001".into(),
        deny_assignment_name: "no sending".into(),
        description: String::new(),
        scope: scope.into(),
        permissions: vec![Permission {
            data_actions: vec!["Microsoft.Relay/namespaces/messages/send/action".into()],
            ..Default::default()
        }],
        do_not_apply_to_child_scopes: !children,
        principals: vec![DenyPrincipal {
            id: EVERYONE.into(),
            principal_type: "SystemDefined".into(),
            display_name: None,
        }],
        exclude_principals: excluded
            .iter()
            .map(|id| DenyPrincipal {
                id: id.to_string(),
                principal_type: "User".into(),
                display_name: None,
            })
            .collect(),
        is_system_protected: true,
    }
}

pub(super) struct Case {
    what: &'static str,
    assignments: Vec<RoleAssignment>,
    denies: Vec<DenyAssignment>,
    groups: Vec<String>,
    target: &'static str,
    action: &'static str,
    kind: ActionKind,
    allowed: bool,
}

fn run(case: &Case) -> Verdict {
    let mut definitions = roles();
    definitions.push(custom_no_send());
    let snapshot = Snapshot {
        definitions: &definitions,
        assignments: &case.assignments,
        deny_assignments: &case.denies,
    };
    let mgs = vec![MG.to_string()];
    evaluate(
        &snapshot,
        &Subject {
            principal_id: ALICE,
            groups: &case.groups,
        },
        &Target {
            scope: case.target,
            management_groups: &mgs,
        },
        case.action,
        case.kind,
    )
}

mod rbac_table;

use rbac_table::{rbac_table_1, rbac_table_2};

#[test]
fn rbac_cases_follow_azure_documented_semantics() {
    let mut cases = rbac_table_1();
    cases.extend(rbac_table_2());
    for case in &cases {
        let verdict = run(case);
        assert_eq!(verdict.allowed, case.allowed, "{}: {verdict:?}", case.what);
    }
}

#[test]
fn a_verdict_names_the_assignment_group_and_pattern_that_granted_it() {
    let case = Case {
        what: "",
        assignments: vec![assign("a1", RG, RELAY_LISTENER, OPS)],
        denies: vec![],
        groups: vec![OPS.into()],
        target: HC,
        action: LISTEN,
        kind: ActionKind::DataAction,
        allowed: true,
    };
    let verdict = run(&case);
    assert_eq!(verdict.grants.len(), 1);
    let grant = &verdict.grants[0];
    assert_eq!(grant.role_name, "Azure Relay Listener");
    assert_eq!(grant.scope, RG);
    assert_eq!(grant.via_group.as_deref(), Some(OPS));
    assert_eq!(grant.matched, "Microsoft.Relay/*/listen/action");
    assert_eq!(
        grant.assignment_id,
        format!("{RG}/providers/Microsoft.Authorization/roleAssignments/a1")
    );
}

#[test]
fn a_blocked_verdict_names_the_deny_and_the_not_actions() {
    let case = Case {
        what: "",
        assignments: vec![assign(
            "a1",
            NS,
            "cccccccc-0000-0000-0000-000000000001",
            ALICE,
        )],
        denies: vec![deny_send_everyone_but(&[], SUB, true)],
        groups: vec![],
        target: HC,
        action: SEND,
        kind: ActionKind::DataAction,
        allowed: false,
    };
    let verdict = run(&case);
    assert!(verdict.denied_by_assignment());
    assert!(verdict.blocked_by.iter().any(|b| matches!(b, Block::NotActions { excluded_by, .. } if excluded_by == "Microsoft.Relay/*/send/action")));
}

#[test]
fn conditional_grants_are_shown_but_do_not_allow_on_their_own() {
    let mut a = assign("a1", HC, RELAY_SENDER, ALICE);
    a.condition = Some("@Resource[x] StringEquals 'y'".into());
    let case = Case {
        what: "",
        assignments: vec![a],
        denies: vec![],
        groups: vec![],
        target: HC,
        action: SEND,
        kind: ActionKind::DataAction,
        allowed: false,
    };
    let verdict = run(&case);
    assert!(!verdict.allowed);
    assert_eq!(verdict.grants.len(), 1);
    assert!(verdict.grants[0].condition.is_some());
}

#[test]
fn wildcards_span_segments() {
    for (pattern, action, expected) in [
        ("*", "Microsoft.Relay/namespaces/write", true),
        (
            "*/read",
            "Microsoft.Relay/namespaces/hybridConnections/read",
            true,
        ),
        ("*/read", "Microsoft.Relay/namespaces/write", false),
        ("Microsoft.Relay/*/listen/action", LISTEN, true),
        ("Microsoft.Relay/*/listen/action", SEND, false),
        (
            "Microsoft.Relay/*",
            "Microsoft.Relayx/namespaces/read",
            false,
        ),
        (
            "Microsoft.Authorization/*/Write",
            "Microsoft.Authorization/roleAssignments/write",
            true,
        ),
        (
            "Microsoft.Relay/namespaces/read",
            "Microsoft.Relay/namespaces/read/extra",
            false,
        ),
        (
            "Microsoft.SignalRService/SignalR/hub/*",
            "Microsoft.SignalRService/SignalR/hub/send/action",
            true,
        ),
        ("a*b*c", "a-x-b-y-c", true),
        ("a*b*c", "a-x-c-y-b", false),
    ] {
        assert_eq!(
            action_matches(pattern, action),
            expected,
            "{pattern} vs {action}"
        );
    }
}

#[test]
fn built_in_roles_are_exact() {
    let all = roles();
    let by_name = |n: &str| all.iter().find(|r| r.role_name == n).unwrap();
    assert_eq!(
        by_name("Azure Relay Owner").id,
        "2787bf04-f1f5-4bfe-8383-c8a24483ee38"
    );
    assert_eq!(
        by_name("Azure Relay Listener").id,
        "26e0b698-aa6d-4085-9386-aadae190014d"
    );
    assert_eq!(
        by_name("Azure Relay Sender").id,
        "26baccc8-eea7-41f1-98f4-1762cc7f685d"
    );
    assert_eq!(
        by_name("SignalR App Server").id,
        "420fcaa2-552c-430f-98ca-3264be4806c7"
    );
    assert_eq!(by_name("Owner").permissions[0].actions, vec!["*"]);
    assert_eq!(by_name("Reader").permissions[0].actions, vec!["*/read"]);
    let mut ids: Vec<_> = all.iter().map(|r| r.id.clone()).collect();
    ids.dedup();
    assert_eq!(ids.len(), all.len());
}

#[test]
fn the_hint_names_the_least_privileged_built_in_role() {
    let name = |a: &str, k| least_privileged_role(a, k).map(|r| r.role_name);
    assert_eq!(
        name(LISTEN, ActionKind::DataAction).as_deref(),
        Some("Azure Relay Listener")
    );
    assert_eq!(
        name(SEND, ActionKind::DataAction).as_deref(),
        Some("Azure Relay Sender")
    );
    assert_eq!(
        name("Microsoft.Relay/namespaces/read", ActionKind::Action).as_deref(),
        Some("Reader")
    );
    assert_eq!(
        name(
            "Microsoft.Relay/namespaces/authorizationRules/listKeys/action",
            ActionKind::Action
        )
        .as_deref(),
        Some("Azure Relay Owner")
    );
    assert_eq!(
        name(
            "Microsoft.Authorization/roleAssignments/write",
            ActionKind::Action
        )
        .as_deref(),
        Some("Role Based Access Control Administrator")
    );
    assert_eq!(
        name(
            "Microsoft.SignalRService/SignalR/serverConnection/write",
            ActionKind::DataAction
        )
        .as_deref(),
        Some("SignalR App Server")
    );
    let hint = crate::access::explain::Hint::MissingPermission(
        crate::access::explain::MissingPermission {
            action: SEND.into(),
            kind: ActionKind::DataAction,
            scope: Some("/x".into()),
        },
    );
    assert!(
        hint.to_string()
            .contains("'Azure Relay Sender'; assign it on /x")
    );
}
