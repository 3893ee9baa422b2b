"""azure-mgmt-authorization against the emulated Microsoft.Authorization."""

import uuid

import pytest
from azure.core.exceptions import HttpResponseError

from helpers import admin, authorization_client

RELAY_LISTENER = "26e0b698-aa6d-4085-9386-aadae190014d"
RELAY_OWNER = "2787bf04-f1f5-4bfe-8383-c8a24483ee38"


@pytest.fixture(scope="module")
def auth(info):
    return authorization_client(info, admin(info))


def scope_of(info, *parts):
    return "/".join([f"/subscriptions/{info['subscription_id']}", *parts])


def test_built_in_definitions_by_name_and_by_id(info, auth):
    found = list(auth.role_definitions.list(scope_of(info), filter="roleName eq 'Azure Relay Listener'"))
    assert [d.name for d in found] == [RELAY_LISTENER]
    assert found[0].permissions[0].data_actions == ["Microsoft.Relay/*/listen/action"]
    owner = auth.role_definitions.get_by_id(f"/providers/Microsoft.Authorization/roleDefinitions/{RELAY_OWNER}")
    assert owner.role_name == "Azure Relay Owner"
    assert owner.role_type == "BuiltInRole"
    custom = list(auth.role_definitions.list(scope_of(info), filter="type eq 'CustomRole'"))
    assert [d.role_name for d in custom] == ["Relay Listen-Only Operator"]


def test_assignments_create_list_and_delete(emulator, info, auth):
    frank = emulator.principal("Frank Fischer")
    hc = scope_of(info, "resourceGroups/rg-relay/providers/Microsoft.Relay/namespaces/northwind-relay/hybridConnections/orders")
    name = str(uuid.uuid4())
    made = auth.role_assignments.create(
        hc,
        name,
        {
            "role_definition_id": f"/subscriptions/{info['subscription_id']}/providers/Microsoft.Authorization/roleDefinitions/{RELAY_LISTENER}",
            "principal_id": frank["object_id"],
            "principal_type": "User",
        },
    )
    assert made.name == name and made.principal_id == frank["object_id"]
    at_scope = list(auth.role_assignments.list_for_scope(hc, filter="atScope()"))
    assert name in [a.name for a in at_scope]
    # atScope() includes what is inherited from above (the admin's Owner on the subscription)
    assert any(a.scope == scope_of(info) for a in at_scope)
    mine = list(auth.role_assignments.list_for_scope(scope_of(info), filter=f"principalId eq '{frank['object_id']}'"))
    assert [a.name for a in mine] == [name]
    with pytest.raises(HttpResponseError) as e:
        auth.role_assignments.create(hc, str(uuid.uuid4()), {"role_definition_id": made.role_definition_id, "principal_id": frank["object_id"], "principal_type": "User"})
    assert e.value.status_code == 409 and e.value.error.code == "RoleAssignmentExists"
    auth.role_assignments.delete(hc, name)
    assert list(auth.role_assignments.list_for_scope(scope_of(info), filter=f"principalId eq '{frank['object_id']}'")) == []


def test_assigned_to_includes_nested_groups(emulator, info, auth):
    carol = emulator.principal("Carol Chen")
    got = list(auth.role_assignments.list_for_scope(scope_of(info, "resourceGroups/rg-relay"), filter=f"assignedTo('{carol['object_id']}')"))
    engineering = emulator.principal("Engineering")["object_id"]
    assert engineering in [a.principal_id for a in got]


def test_assignment_errors(emulator, info, auth):
    with pytest.raises(HttpResponseError) as e:
        auth.role_assignments.create(scope_of(info), str(uuid.uuid4()), {"role_definition_id": f"/providers/Microsoft.Authorization/roleDefinitions/{RELAY_LISTENER}", "principal_id": str(uuid.uuid4())})
    assert e.value.error.code == "PrincipalNotFound"
    with pytest.raises(HttpResponseError) as e:
        list(auth.role_assignments.list_for_scope(scope_of(info), filter="roleDefinitionId eq 'x'"))
    assert e.value.status_code == 400


def test_deny_assignments_are_readable(info, auth):
    scope = scope_of(info, "resourceGroups/rg-relay/providers/Microsoft.Relay/namespaces/northwind-relay/hybridConnections/inventory")
    denies = list(auth.deny_assignments.list_for_scope(scope))
    assert [d.deny_assignment_name for d in denies] == ["Freeze inventory sends"]
    assert denies[0].principals[0].id == "00000000-0000-0000-0000-000000000000"
