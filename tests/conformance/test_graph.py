"""Microsoft Graph v1.0: principals by id, in batches, and group closure."""

import requests

from helpers import admin


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
