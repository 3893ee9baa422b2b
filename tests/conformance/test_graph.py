"""Microsoft Graph v1.0: principals by id, in batches, and group closure."""

import requests

from helpers import admin, claims


def graph(info, credential=None):
    token = (credential or admin(info)).get_token("https://graph.microsoft.com/.default").token
    s = requests.Session()
    s.headers["Authorization"] = f"Bearer {token}"
    return s, f"{info['graph']}/v1.0"


def test_get_by_ids_names_every_kind_of_principal(emulator, info):
    s, base = graph(info)
    ids = [emulator.principal(n)["object_id"] for n in ("Alice Ahmed", "Engineering", "orders-backend", "id-orders-sender")]
    got = s.post(f"{base}/directoryObjects/getByIds", json={"ids": ids + ["00000000-0000-0000-0000-00000000dead"]}).json()["value"]
    kinds = {o["displayName"]: o["@odata.type"] for o in got}
    assert kinds == {
        "Alice Ahmed": "#microsoft.graph.user",
        "Engineering": "#microsoft.graph.group",
        "orders-backend": "#microsoft.graph.servicePrincipal",
        "id-orders-sender": "#microsoft.graph.servicePrincipal",
    }
    mi = next(o for o in got if o["displayName"] == "id-orders-sender")
    assert mi["servicePrincipalType"] == "ManagedIdentity" and mi["appId"] == emulator.principal("id-orders-sender")["client_id"]


def test_transitive_member_of_follows_nested_groups(emulator, info):
    s, base = graph(info)
    carol = emulator.principal("Carol Chen")["object_id"]
    groups = {g["displayName"] for g in s.get(f"{base}/users/{carol}/transitiveMemberOf").json()["value"]}
    assert groups == {"Platform Team", "Engineering"}
    direct = {g["displayName"] for g in s.get(f"{base}/users/{carol}/memberOf").json()["value"]}
    assert direct == {"Platform Team"}


def test_lookups_and_errors(emulator, info):
    s, base = graph(info)
    uami = emulator.principal("id-orders-sender")
    found = s.get(f"{base}/servicePrincipals", params={"$filter": f"appId eq '{uami['client_id']}'"}).json()["value"]
    assert [f["id"] for f in found] == [uami["object_id"]]
    r = s.get(f"{base}/users/00000000-0000-0000-0000-00000000dead")
    assert r.status_code == 404 and r.json()["error"]["code"] == "Request_ResourceNotFound"
    assert s.get(f"{base}/me").status_code == 400  # app-only token
    assert requests.get(f"{base}/users/{uami['object_id']}").status_code == 401


def test_the_emulators_own_graph_and_arm_urls_are_aliases_of_azures_audiences(emulator, info, monkeypatch):
    """The Azure CLI asks for a token for `microsoftGraphResourceId` of /metadata/endpoints (the
    emulator's Graph URL) and calls that same URL; the Node ARM clients ask for
    `${endpoint}/.default`. Azure's audiences are https://graph.microsoft.com and
    https://management.azure.com: the emulator takes its own URLs as aliases of them."""
    from azure.identity import ManagedIdentityCredential

    cred = admin(info)
    uami = emulator.principal("id-orders-sender")
    for scope in (f"{info['graph']}/.default", f"{info['graph']}//.default"):
        token = cred.get_token(scope).token
        assert claims(token)["aud"] == "https://graph.microsoft.com", scope
        r = requests.get(
            f"{info['graph']}/v1.0/servicePrincipals",
            params={"$filter": f"appId eq '{uami['client_id']}'"},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert r.status_code == 200, r.text
    token = cred.get_token(f"{info['resource_manager']}/.default").token
    assert claims(token)["aud"] == "https://management.azure.com"
    r = requests.get(
        f"{info['resource_manager']}/subscriptions?api-version=2022-12-01",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert r.status_code == 200, r.text
    # The managed-identity endpoint too.
    monkeypatch.setenv("IDENTITY_ENDPOINT", info["managed_identity"]["endpoint"])
    monkeypatch.setenv("IDENTITY_HEADER", info["managed_identity"]["header"])
    token = ManagedIdentityCredential().get_token(info["graph"]).token
    assert claims(token)["aud"] == "https://graph.microsoft.com"


def test_the_paths_and_queries_the_azure_cli_and_the_sdks_send_for_principals(emulator, info):
    """az ad sp show --id <appId> (servicePrincipals(appId='…')), az role assignment list's
    principal lookups, the SDKs' checkMemberGroups / getMemberObjects, /organization, $select,
    $count with ConsistencyLevel: eventual — each as Graph answers it."""
    s, base = graph(info)
    app = emulator.principal("orders-backend")
    carol = emulator.principal("Carol Chen")
    eng = emulator.principal("Engineering")
    team = emulator.principal("Platform Team")
    r = s.get(f"{base}/servicePrincipals(appId='{app['client_id']}')")
    assert r.status_code == 200, r.text
    assert r.json()["id"] == app["object_id"]
    assert s.get(f"{base}/servicePrincipals(appId='00000000-0000-0000-0000-00000000dead')").status_code == 404
    found = s.get(f"{base}/servicePrincipals", params={"$filter": f"servicePrincipalNames/any(c:c eq '{app['client_id']}')"}).json()["value"]
    assert [f["id"] for f in found] == [app["object_id"]]
    users = s.get(f"{base}/users", params={"$filter": f"userPrincipalName eq '{carol['username']}'"}).json()["value"]
    assert [u["id"] for u in users] == [carol["object_id"]]
    # Group membership, transitively (Carol is in Platform Team, which is in Engineering).
    r = s.post(f"{base}/users/{carol['object_id']}/checkMemberGroups", json={"groupIds": [eng["object_id"], emulator.principal("Order Senders")["object_id"]]})
    assert r.status_code == 200, r.text
    assert r.json()["value"] == [eng["object_id"]]
    r = s.post(f"{base}/directoryObjects/{carol['object_id']}/getMemberObjects", json={"securityEnabledOnly": True})
    assert r.status_code == 200, r.text
    assert sorted(r.json()["value"]) == sorted([eng["object_id"], team["object_id"]])
    # The tenant.
    org = s.get(f"{base}/organization").json()["value"]
    assert org[0]["id"] == info["tenant_id"] and any(d["isDefault"] for d in org[0]["verifiedDomains"])
    # $select keeps what was asked for.
    one = s.get(f"{base}/users/{carol['object_id']}", params={"$select": "displayName,id"}).json()
    assert {k for k in one if not k.startswith("@odata")} == {"displayName", "id"}
    listed = s.get(f"{base}/groups", params={"$select": "id"}).json()["value"]
    assert listed and all({k for k in g if not k.startswith("@odata")} == {"id"} for g in listed)
    # $count needs ConsistencyLevel: eventual, as in Graph.
    r = s.get(f"{base}/users", params={"$count": "true"})
    assert r.status_code == 400 and r.json()["error"]["code"] == "Request_BadRequest", r.text
    r = s.get(f"{base}/users", params={"$count": "true"}, headers={"ConsistencyLevel": "eventual"})
    assert r.status_code == 200 and r.json()["@odata.count"] == len(r.json()["value"])
    r = s.get(f"{base}/users/$count", headers={"ConsistencyLevel": "eventual"})
    assert r.status_code == 200 and int(r.text) == len(s.get(f"{base}/users").json()["value"])
