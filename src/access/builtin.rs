//! Azure's built-in role definitions that matter to Relay and SignalR users, exact to GUID and
//! permissions (as published in the Azure built-in roles reference).

use super::model::{Permission, RoleDefinition, RoleType};

pub const OWNER: &str = "8e3af657-a8ff-443c-a75c-2fe8c4bcb635";
pub const CONTRIBUTOR: &str = "b24988ac-6180-42a0-ab88-20f7382dd24c";
pub const READER: &str = "acdd72a7-3385-48ef-bd42-f606fba81ae7";
pub const USER_ACCESS_ADMINISTRATOR: &str = "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9";
pub const RBAC_ADMINISTRATOR: &str = "f58310d9-a9f6-439a-9e8d-f62e7b41a168";
pub const RELAY_OWNER: &str = "2787bf04-f1f5-4bfe-8383-c8a24483ee38";
pub const RELAY_LISTENER: &str = "26e0b698-aa6d-4085-9386-aadae190014d";
pub const RELAY_SENDER: &str = "26baccc8-eea7-41f1-98f4-1762cc7f685d";
pub const SIGNALR_APP_SERVER: &str = "420fcaa2-552c-430f-98ca-3264be4806c7";
pub const SIGNALR_REST_API_OWNER: &str = "fd53cd77-2268-407a-8f46-7e7863d0f521";
pub const SIGNALR_REST_API_READER: &str = "ddde6b66-c0df-4114-a159-3618637b3035";
pub const SIGNALR_SERVICE_OWNER: &str = "7e4f1700-ea5a-4f59-8f37-079cfe29dce3";
pub const SIGNALR_CONTRIBUTOR: &str = "8cf5e20a-e4b2-4e9d-b3a1-5ceb692c2761";

fn role(
    id: &str,
    name: &str,
    description: &str,
    actions: &[&str],
    not_actions: &[&str],
    data_actions: &[&str],
) -> RoleDefinition {
    let strings = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    RoleDefinition {
        id: id.to_string(),
        role_name: name.to_string(),
        description: description.to_string(),
        role_type: RoleType::BuiltInRole,
        permissions: vec![Permission {
            actions: strings(actions),
            not_actions: strings(not_actions),
            data_actions: strings(data_actions),
            not_data_actions: Vec::new(),
        }],
        assignable_scopes: vec!["/".to_string()],
        created_at_scope: None,
        created_on: Some("2015-02-02T21:55:09.8806423Z".to_string()),
        updated_on: Some("2024-03-01T00:00:00.0000000Z".to_string()),
    }
}

/// Every built-in role, made once.
pub fn all() -> &'static [RoleDefinition] {
    static ALL: std::sync::LazyLock<Vec<RoleDefinition>> = std::sync::LazyLock::new(build);
    &ALL
}

/// Every built-in role the emulator knows, in a stable order.
pub fn roles() -> Vec<RoleDefinition> {
    all().to_vec()
}

fn build() -> Vec<RoleDefinition> {
    let mut roles = general_roles();
    roles.extend(service_roles());
    roles
}

/// Owner, Contributor, Reader and User Access Administrator.
fn general_roles() -> Vec<RoleDefinition> {
    vec![
        role(
            OWNER,
            "Owner",
            "Grants full access to manage all resources, including the ability to assign roles in Azure RBAC.",
            &["*"],
            &[],
            &[],
        ),
        role(
            CONTRIBUTOR,
            "Contributor",
            "Grants full access to manage all resources, but does not allow you to assign roles in Azure RBAC, manage assignments in Azure Blueprints, or share image galleries.",
            &["*"],
            &[
                "Microsoft.Authorization/*/Delete",
                "Microsoft.Authorization/*/Write",
                "Microsoft.Authorization/elevateAccess/Action",
                "Microsoft.Blueprint/blueprintAssignments/write",
                "Microsoft.Blueprint/blueprintAssignments/delete",
                "Microsoft.Compute/galleries/share/action",
                "Microsoft.Purview/consents/write",
                "Microsoft.Purview/consents/delete",
                "Microsoft.Resources/deploymentStacks/manageDenySetting/action",
                "Microsoft.Subscription/cancel/action",
                "Microsoft.Subscription/enable/action",
            ],
            &[],
        ),
        role(
            READER,
            "Reader",
            "View all resources, but does not allow you to make any changes.",
            &["*/read"],
            &[],
            &[],
        ),
        role(
            USER_ACCESS_ADMINISTRATOR,
            "User Access Administrator",
            "Lets you manage user access to Azure resources.",
            &["*/read", "Microsoft.Authorization/*", "Microsoft.Support/*"],
            &[],
            &[],
        ),
        role(
            RBAC_ADMINISTRATOR,
            "Role Based Access Control Administrator",
            "Manage access to Azure resources by assigning roles using Azure RBAC. This role does not allow you to manage access using other ways, such as Azure Policy.",
            &[
                "Microsoft.Authorization/roleAssignments/write",
                "Microsoft.Authorization/roleAssignments/delete",
                "*/read",
                "Microsoft.Support/*",
            ],
            &[],
            &[],
        ),
    ]
}

/// Role Based Access Control Administrator and the roles of the services the explorer knows
/// (Relay, SignalR, managed identities), in the order `all()` keeps.
fn service_roles() -> Vec<RoleDefinition> {
    vec![
        role(
            RELAY_OWNER,
            "Azure Relay Owner",
            "Allows for full access to Azure Relay resources.",
            &["Microsoft.Relay/*"],
            &[],
            &["Microsoft.Relay/*"],
        ),
        role(
            RELAY_LISTENER,
            "Azure Relay Listener",
            "Allows for listen access to Azure Relay resources.",
            &[
                "Microsoft.Relay/*/wcfRelays/read",
                "Microsoft.Relay/*/hybridConnections/read",
            ],
            &[],
            &["Microsoft.Relay/*/listen/action"],
        ),
        role(
            RELAY_SENDER,
            "Azure Relay Sender",
            "Allows for send access to Azure Relay resources.",
            &[
                "Microsoft.Relay/*/wcfRelays/read",
                "Microsoft.Relay/*/hybridConnections/read",
            ],
            &[],
            &["Microsoft.Relay/*/send/action"],
        ),
        role(
            SIGNALR_APP_SERVER,
            "SignalR App Server",
            "Lets your app server access SignalR Service with AAD auth options.",
            &[],
            &[],
            &[
                "Microsoft.SignalRService/SignalR/auth/accessKey/action",
                "Microsoft.SignalRService/SignalR/serverConnection/write",
                "Microsoft.SignalRService/SignalR/clientConnection/write",
            ],
        ),
        role(
            SIGNALR_REST_API_OWNER,
            "SignalR REST API Owner",
            "Full access to Azure SignalR Service REST APIs",
            &[],
            &[],
            &[
                "Microsoft.SignalRService/SignalR/auth/clientToken/action",
                "Microsoft.SignalRService/SignalR/hub/*",
                "Microsoft.SignalRService/SignalR/group/*",
                "Microsoft.SignalRService/SignalR/clientConnection/*",
                "Microsoft.SignalRService/SignalR/user/*",
            ],
        ),
        role(
            SIGNALR_REST_API_READER,
            "SignalR REST API Reader",
            "Read-only access to Azure SignalR Service REST APIs",
            &[],
            &[],
            &[
                "Microsoft.SignalRService/SignalR/group/read",
                "Microsoft.SignalRService/SignalR/clientConnection/read",
                "Microsoft.SignalRService/SignalR/user/read",
            ],
        ),
        role(
            SIGNALR_SERVICE_OWNER,
            "SignalR Service Owner",
            "Full access to Azure SignalR Service REST APIs",
            &[],
            &[],
            &["Microsoft.SignalRService/SignalR/*"],
        ),
        role(
            SIGNALR_CONTRIBUTOR,
            "SignalR/Web PubSub Contributor",
            "Create, Read, Update, and Delete SignalR service resources",
            &[
                "Microsoft.SignalRService/*",
                "Microsoft.Authorization/*/read",
                "Microsoft.Insights/alertRules/*",
                "Microsoft.Resources/deployments/*",
                "Microsoft.Resources/subscriptions/resourceGroups/read",
                "Microsoft.Support/*",
            ],
            &[],
            &[],
        ),
    ]
}

/// Built-in roles from least to most privileged (a curated order: data-only roles first, then
/// read, then service-wide, then management-wide).
const LEAST_PRIVILEGE_ORDER: &[&str] = &[
    RELAY_LISTENER,
    RELAY_SENDER,
    SIGNALR_APP_SERVER,
    SIGNALR_REST_API_READER,
    READER,
    SIGNALR_REST_API_OWNER,
    RELAY_OWNER,
    SIGNALR_SERVICE_OWNER,
    SIGNALR_CONTRIBUTOR,
    RBAC_ADMINISTRATOR,
    USER_ACCESS_ADMINISTRATOR,
    CONTRIBUTOR,
    OWNER,
];

/// The built-in roles a Relay or SignalR user assigns, least privileged first.
pub fn assignable_in_order() -> Vec<RoleDefinition> {
    let all = all();
    LEAST_PRIVILEGE_ORDER
        .iter()
        .filter_map(|id| all.iter().find(|r| r.id == *id).cloned())
        .collect()
}

/// The least privileged built-in role that grants `action` (what to ask for after a 403).
pub fn least_privileged_role(action: &str, kind: super::ActionKind) -> Option<RoleDefinition> {
    let all = all();
    LEAST_PRIVILEGE_ORDER
        .iter()
        .filter_map(|id| all.iter().find(|r| r.id == *id))
        .find_map(|r| {
            r.permissions
                .iter()
                .any(|p| {
                    let (allow, not) = match kind {
                        super::ActionKind::Action => (&p.actions, &p.not_actions),
                        super::ActionKind::DataAction => (&p.data_actions, &p.not_data_actions),
                    };
                    allow.iter().any(|a| super::action_matches(a, action))
                        && !not.iter().any(|n| super::action_matches(n, action))
                })
                .then(|| r.clone())
        })
}
