"""Microsoft.Resources as the SDKs and the Azure CLI use it: providers (az provider show/list),
resources across a subscription or a group with a resourceType filter and pages (az resource
list), and the api-versions the public REST specs list."""

import requests
from azure.mgmt.resource.resources import ResourceManagementClient

from helpers import admin


def client(info):
    return ResourceManagementClient(admin(info), info["subscription_id"], base_url=info["resource_manager"])


def test_providers_are_read_with_microsoft_resources_api_versions(info):
    rm = client(info)
    relay = rm.providers.get("Microsoft.Relay")
    assert relay.namespace == "Microsoft.Relay" and relay.registration_state == "Registered"
    assert "namespaces" in {t.resource_type for t in relay.resource_types}
    namespaces = {p.namespace for p in rm.providers.list()}
    assert {"Microsoft.Relay", "Microsoft.ManagedIdentity", "Microsoft.SignalRService"} <= namespaces


def test_resources_are_listed_by_subscription_and_group_with_a_type_filter(info):
    rm = client(info)
    everything = list(rm.resources.list())
    # Types as Azure spells them (Microsoft.Relay/Namespaces); ARM compares them ignoring case.
    types = {r.type.lower() for r in everything}
    assert "microsoft.relay/namespaces" in types, types
    relays = list(rm.resources.list(filter="resourceType eq 'Microsoft.Relay/namespaces'"))
    assert relays and all(r.type.lower() == "microsoft.relay/namespaces" for r in relays)
    assert len(relays) < len(everything)
    in_group = list(rm.resources.list_by_resource_group("rg-relay"))
    assert in_group and all("/resourceGroups/rg-relay/" in r.id for r in in_group)
    # Only top-level resources, as ARM lists them: no hybrid connection among them.
    assert not any(r.type.lower().endswith("/hybridconnections") for r in everything)


def test_every_api_version_the_specs_list_is_taken_and_an_unknown_one_is_named(info):
    token = admin(info).get_token("https://management.azure.com/.default").token
    h = {"Authorization": f"Bearer {token}"}
    sub = f"{info['resource_manager']}/subscriptions/{info['subscription_id']}"
    r = requests.get(f"{sub}/providers/Microsoft.ManagedIdentity/userAssignedIdentities", params={"api-version": "2025-05-31-preview"}, headers=h)
    assert r.status_code == 200, r.text  # az identity list sends it
    r = requests.get(f"{sub}/providers/Microsoft.Relay/namespaces", params={"api-version": "2001-01-01"}, headers=h)
    assert r.status_code == 400, r.text
    e = r.json()["error"]
    # For a resource provider's type Azure answers NoRegisteredProviderFound naming the type.
    assert e["code"] == "NoRegisteredProviderFound" and "for type 'namespaces'" in e["message"] and "2021-11-01" in e["message"], e
    r = requests.get(f"{sub}/resourcegroups", params={"api-version": "2001-01-01"}, headers=h)
    assert r.status_code == 400 and r.json()["error"]["code"] == "InvalidApiVersionParameter", r.text


def test_a_list_the_caller_may_read_only_part_of_is_filtered_and_one_it_holds_nothing_in_is_403(emulator, info):
    """ARM filters a collection by what the caller may read: orders-backend (Azure Relay Sender
    on one hybrid connection only) lists the subscription's SignalR resources and resource groups
    without a 403; a principal holding no role in the subscription is refused with
    AuthorizationFailed."""
    from helpers import secret_credential

    def get(credential, path):
        token = credential.get_token("https://management.azure.com/.default").token
        return requests.get(f"{info['resource_manager']}/subscriptions/{info['subscription_id']}{path}", headers={"Authorization": f"Bearer {token}"})

    backend = emulator.principal("orders-backend")
    cred = secret_credential(info, backend["client_id"], backend["client_secret"])
    r = get(cred, "/providers/Microsoft.SignalRService/signalR?api-version=2024-03-01")
    assert r.status_code == 200 and r.json()["value"] == [], r.text
    r = get(cred, "/resourcegroups?api-version=2022-09-01")
    assert r.status_code == 200, r.text
    nobody = emulator.principal("reporting-no-role")
    r = get(secret_credential(info, nobody["client_id"], nobody["client_secret"]), "/providers/Microsoft.SignalRService/signalR?api-version=2024-03-01")
    assert r.status_code == 403 and r.json()["error"]["code"] == "AuthorizationFailed", r.text
    r = get(secret_credential(info, nobody["client_id"], nobody["client_secret"]), "/resources?api-version=2021-04-01")
    assert r.status_code == 403 and r.json()["error"]["code"] == "AuthorizationFailed", r.text
