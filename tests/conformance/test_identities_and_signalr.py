"""azure-mgmt-msi for user-assigned identities; SignalR resources with their identity block."""

import requests
from azure.mgmt.msi import ManagedServiceIdentityClient
from azure.mgmt.msi.models import Identity

from helpers import ARM_SCOPE, admin


def test_user_assigned_identities_are_listed_created_and_deleted(emulator, info):
    msi = ManagedServiceIdentityClient(admin(info), info["subscription_id"], base_url=info["resource_manager"])
    listed = {i.name: i for i in msi.user_assigned_identities.list_by_subscription()}
    seeded = emulator.principal("id-orders-sender")
    assert listed["id-orders-sender"].client_id == seeded["client_id"]
    assert listed["id-orders-sender"].principal_id == seeded["object_id"]
    made = msi.user_assigned_identities.create_or_update("rg-apps", "id-made-by-sdk", Identity(location="westeurope"))
    assert made.client_id and made.principal_id and made.tenant_id == info["tenant_id"]
    # Like in Azure, the new identity is a service principal in the directory at once.
    graph_token = admin(info).get_token("https://graph.microsoft.com/.default").token
    sp = requests.get(f"{info['graph']}/v1.0/servicePrincipals/{made.principal_id}", headers={"Authorization": f"Bearer {graph_token}"})
    assert sp.status_code == 200 and sp.json()["servicePrincipalType"] == "ManagedIdentity"
    msi.user_assigned_identities.delete("rg-apps", "id-made-by-sdk")
    assert "id-made-by-sdk" not in [i.name for i in msi.user_assigned_identities.list_by_resource_group("rg-apps")]


def test_signalr_resources_carry_their_identity(info):
    token = admin(info).get_token(ARM_SCOPE).token
    base = f"{info['resource_manager']}/subscriptions/{info['subscription_id']}"
    listed = requests.get(f"{base}/providers/Microsoft.SignalRService/signalR?api-version=2024-03-01", headers={"Authorization": f"Bearer {token}"}).json()["value"]
    assert [s["name"] for s in listed] == ["northwind-signalr"]
    one = requests.get(f"{base}/resourceGroups/rg-apps/providers/Microsoft.SignalRService/SignalR/northwind-signalr?api-version=2024-03-01", headers={"Authorization": f"Bearer {token}"}).json()
    assert one["type"] == "Microsoft.SignalRService/SignalR"
    assert one["identity"]["type"] == "SystemAssigned"
    assert one["sku"]["name"] == "Standard_S1"
