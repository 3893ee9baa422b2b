"""azure-mgmt-relay against the emulated Resource Manager."""

import pytest
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError

from azure.mgmt.relay.models import AuthorizationRule, AuthorizationRuleProperties, HybridConnection, HybridConnectionProperties, RegenerateAccessKeyParameters, WcfRelay, WcfRelayProperties

from helpers import admin, app, relay_client


def rule(*rights):
    return AuthorizationRule(properties=AuthorizationRuleProperties(rights=list(rights)))


@pytest.fixture(scope="module")
def relay(info):
    return relay_client(info, admin(info))


RG = "rg-relay-test"


def test_namespace_create_get_list_across_pages_and_delete(info, relay):
    created = relay.namespaces.begin_create_or_update(
        RG, "sdk-made-namespace", {"location": "westeurope", "sku": {"name": "Standard", "tier": "Standard"}, "tags": {"made": "by-sdk"}}
    ).result()
    assert created.name == "sdk-made-namespace"
    assert created.provisioning_state == "Succeeded"
    assert created.service_bus_endpoint.startswith("https://localhost:")
    got = relay.namespaces.get(RG, "sdk-made-namespace")
    assert got.tags == {"made": "by-sdk"} and got.sku.name == "Standard"
    # three namespaces now, two per page: the SDK follows nextLink
    names = sorted(n.name for n in relay.namespaces.list())
    assert names == ["northwind-relay", "northwind-relay-test", "sdk-made-namespace"]
    assert sorted(n.name for n in relay.namespaces.list_by_resource_group(RG)) == ["northwind-relay-test", "sdk-made-namespace"]
    # the default rule exists from the start
    rules = [r.name for r in relay.namespaces.list_authorization_rules(RG, "sdk-made-namespace")]
    assert rules == ["RootManageSharedAccessKey"]
    relay.namespaces.begin_delete(RG, "sdk-made-namespace").result()
    with pytest.raises(ResourceNotFoundError):
        relay.namespaces.get(RG, "sdk-made-namespace")


def test_hybrid_connections_create_get_list_and_delete(relay):
    for i in range(5):
        hc = relay.hybrid_connections.create_or_update(
            RG, "northwind-relay-test", f"hc-{i}", HybridConnection(properties=HybridConnectionProperties(requires_client_authorization=i % 2 == 0, user_metadata=f"number {i}"))
        )
        assert hc.name == f"hc-{i}"
    got = relay.hybrid_connections.get(RG, "northwind-relay-test", "hc-1")
    assert got.requires_client_authorization is False
    assert got.user_metadata == "number 1"
    assert got.listener_count == 0
    listed = sorted(h.name for h in relay.hybrid_connections.list_by_namespace(RG, "northwind-relay-test"))
    assert listed == ["echo", "hc-0", "hc-1", "hc-2", "hc-3", "hc-4"]
    for i in range(5):
        relay.hybrid_connections.delete(RG, "northwind-relay-test", f"hc-{i}")
    assert [h.name for h in relay.hybrid_connections.list_by_namespace(RG, "northwind-relay-test")] == ["echo"]


def test_wcf_relays_create_get_list_and_delete(relay):
    made = relay.wcf_relays.create_or_update(RG, "northwind-relay-test", "billing", WcfRelay(properties=WcfRelayProperties(relay_type="Http", requires_client_authorization=True)))
    assert made.relay_type == "Http"
    assert relay.wcf_relays.get(RG, "northwind-relay-test", "billing").requires_transport_security is True
    assert [w.name for w in relay.wcf_relays.list_by_namespace(RG, "northwind-relay-test")] == ["billing"]
    relay.wcf_relays.delete(RG, "northwind-relay-test", "billing")
    assert list(relay.wcf_relays.list_by_namespace(RG, "northwind-relay-test")) == []


def test_rules_keys_and_regeneration(relay):
    ns = "northwind-relay-test"
    made = relay.namespaces.create_or_update_authorization_rule(RG, ns, "sender", rule("Send"))
    assert made.rights == ["Send"]
    keys = relay.namespaces.list_keys(RG, ns, "sender")
    assert keys.key_name == "sender"
    assert keys.primary_connection_string.startswith("Endpoint=sb://localhost:")
    assert f"SharedAccessKey={keys.primary_key}" in keys.primary_connection_string
    regenerated = relay.namespaces.regenerate_keys(RG, ns, "sender", RegenerateAccessKeyParameters(key_type="PrimaryKey"))
    assert regenerated.primary_key != keys.primary_key
    assert regenerated.secondary_key == keys.secondary_key
    # entity-level rule: its connection string names the entity
    relay.hybrid_connections.create_or_update_authorization_rule(RG, ns, "echo", "listener", rule("Listen"))
    hc_keys = relay.hybrid_connections.list_keys(RG, ns, "echo", "listener")
    assert hc_keys.primary_connection_string.endswith(";EntityPath=echo")
    assert [r.name for r in relay.hybrid_connections.list_authorization_rules(RG, ns, "echo")] == ["listener"]
    relay.hybrid_connections.delete_authorization_rule(RG, ns, "echo", "listener")
    relay.namespaces.delete_authorization_rule(RG, ns, "sender")
    with pytest.raises(ResourceNotFoundError):
        relay.namespaces.get_authorization_rule(RG, ns, "sender")


def test_invalid_rights_are_refused(relay):
    with pytest.raises(HttpResponseError) as e:
        relay.namespaces.create_or_update_authorization_rule(RG, "northwind-relay-test", "bad", rule("Manage"))
    assert e.value.status_code == 400


def test_a_principal_without_rights_gets_403(emulator, info):
    nobody = relay_client(info, app(emulator, "reporting-no-role"))
    with pytest.raises(HttpResponseError) as e:
        list(nobody.namespaces.list())
    assert e.value.status_code == 403
    assert e.value.error.code == "AuthorizationFailed"
    assert "Microsoft.Relay/namespaces/read" in e.value.message


def test_a_sender_can_read_its_entity_but_not_its_keys(emulator, info):
    backend = relay_client(info, app(emulator, "orders-backend"))
    hc = backend.hybrid_connections.get("rg-relay", "northwind-relay", "orders")
    assert hc.requires_client_authorization is True
    with pytest.raises(HttpResponseError) as e:
        backend.hybrid_connections.list_keys("rg-relay", "northwind-relay", "orders", "sender")
    assert e.value.status_code == 403
    assert "listKeys/action" in e.value.message
