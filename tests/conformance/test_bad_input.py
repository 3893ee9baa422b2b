"""Bad input gets Azure's status and error shape, and the emulator keeps serving."""

import base64
import json
import time

import pytest
import requests

from helpers import ARM_SCOPE, admin, claims

API = "api-version=2026-01-01"


@pytest.fixture(scope="module")
def arm(info):
    token = admin(info).get_token(ARM_SCOPE).token
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {token}"
    base = f"{info['resource_manager']}/subscriptions/{info['subscription_id']}"
    return session, base, token


def error_of(response):
    body = response.json()
    return body["error"]["code"], body["error"]["message"]


def still_serving(arm):
    session, base, _ = arm
    assert session.get(f"{base}/resourceGroups/rg-relay/providers/Microsoft.Relay/namespaces/northwind-relay?{API}").status_code == 200


def test_malformed_json(arm):
    session, base, _ = arm
    r = session.put(f"{base}/resourceGroups/rg-relay-test/providers/Microsoft.Relay/namespaces/northwind-relay-test/hybridConnections/x?{API}", data="{not json", headers={"Content-Type": "application/json"})
    assert r.status_code == 400 and error_of(r)[0] == "InvalidRequestContent"
    still_serving(arm)


def test_missing_and_unknown_api_version(arm):
    session, base, _ = arm
    r = session.get(f"{base}/resourceGroups/rg-relay/providers/Microsoft.Relay/namespaces/northwind-relay")
    assert r.status_code == 400 and error_of(r)[0] == "MissingApiVersionParameter"
    r = session.get(f"{base}/resourceGroups/rg-relay/providers/Microsoft.Relay/namespaces/northwind-relay?api-version=2099-01-01")
    assert r.status_code == 400 and error_of(r)[0] == "NoRegisteredProviderFound"
    for version in ("2017-04-01", "2021-11-01", "2024-01-01", "2026-01-01"):
        r = session.get(f"{base}/resourceGroups/rg-relay/providers/Microsoft.Relay/namespaces/northwind-relay?api-version={version}")
        assert r.status_code == 200, version
        assert ("minimumTlsVersion" in r.json()["properties"]) == (version == "2026-01-01")
    still_serving(arm)


def test_unknown_resources(arm):
    session, base, _ = arm
    r = session.get(f"{base}/resourceGroups/rg-relay/providers/Microsoft.Relay/namespaces/no-such-namespace?{API}")
    assert r.status_code == 404 and error_of(r)[0] == "ResourceNotFound"
    r = session.get(f"{base}/resourceGroups/no-such-group/providers/Microsoft.Relay/namespaces/northwind-relay?{API}")
    assert r.status_code == 404 and error_of(r)[0] == "ResourceGroupNotFound"
    r = session.get(f"{base}/resourceGroups/rg-relay/providers/Microsoft.Relay/namespaces/northwind-relay/queues?{API}")
    assert r.status_code == 404 and error_of(r)[0] == "InvalidResourceType"
    r = session.put(f"{base}/resourceGroups/rg-relay/providers/Microsoft.Relay/namespaces/no-such-namespace/hybridConnections/x?{API}", json={})
    assert r.status_code == 404 and error_of(r)[0] == "ParentResourceNotFound"
    r = requests.get(f"{base.rsplit('/', 1)[0]}/00000000-0000-0000-0000-000000000000?api-version=2022-12-01", headers=session.headers)
    assert r.status_code == 404 and error_of(r)[0] == "SubscriptionNotFound"
    still_serving(arm)


def forge(token, **changes):
    header, payload, signature = token.split(".")
    c = claims(token)
    c.update(changes)
    body = base64.urlsafe_b64encode(json.dumps(c).encode()).decode().rstrip("=")
    return f"{header}.{body}.{signature}"


def test_forged_expired_and_wrong_audience_tokens_get_401(info, arm):
    session, base, token = arm
    url = f"{base}/resourceGroups/rg-relay/providers/Microsoft.Relay/namespaces/northwind-relay?{API}"
    cases = {
        "forged": forge(token, oid="someone-else"),
        "expired": forge(token, exp=int(time.time()) - 3600),
        "garbage": "abc.def.ghi",
    }
    for what, bad in cases.items():
        r = requests.get(url, headers={"Authorization": f"Bearer {bad}"})
        assert r.status_code == 401, what
        assert error_of(r)[0] == "InvalidAuthenticationToken", what
        assert r.headers["WWW-Authenticate"].startswith("Bearer authorization_uri="), what
    graph_token = admin(info).get_token("https://graph.microsoft.com/.default").token
    r = requests.get(url, headers={"Authorization": f"Bearer {graph_token}"})
    assert r.status_code == 401 and "wrong audience" in error_of(r)[1]
    r = requests.get(url)
    assert r.status_code == 401 and error_of(r)[0] == "AuthenticationFailed"
    still_serving(arm)


def test_bad_filter_and_bad_role_assignment_names(info, arm):
    session, base, _ = arm
    r = session.get(f"{base}/providers/Microsoft.Authorization/roleAssignments?api-version=2022-04-01&$filter=principalId eq abc")
    assert r.status_code == 400 and "is not supported" in error_of(r)[1]
    r = session.put(f"{base}/providers/Microsoft.Authorization/roleAssignments/not-a-guid?api-version=2022-04-01", json={"properties": {"roleDefinitionId": "x", "principalId": "y"}})
    assert r.status_code == 400 and error_of(r)[0] == "InvalidRoleAssignmentId"
    still_serving(arm)


def test_bad_token_requests_get_entra_errors(info):
    token_url = f"{info['authority_host']}/{info['tenant_id']}/oauth2/v2.0/token"
    r = requests.post(token_url, data={"grant_type": "client_credentials", "client_id": info["admin"]["client_id"], "client_secret": info["admin"]["client_secret"], "scope": "https://example.invalid/.default"})
    assert r.status_code == 400 and r.json()["error"] == "invalid_resource" and r.json()["error_codes"] == [500011]
    r = requests.post(token_url, data={"grant_type": "password"})
    assert r.json()["error"] == "unsupported_grant_type"
    r = requests.get(f"{info['authority_host']}/not-a-tenant/v2.0/.well-known/openid-configuration")
    assert r.status_code == 400 and "AADSTS90002" in r.json()["error_description"]
    config = requests.get(f"{info['authority_host']}/{info['tenant_id']}/v2.0/.well-known/openid-configuration").json()
    keys = requests.get(config["jwks_uri"]).json()["keys"]
    assert keys[0]["kty"] == "RSA" and keys[0]["use"] == "sig"
