"""azure-identity against the emulated Entra ID and managed-identity endpoints."""

import threading
import time
import urllib.parse

import pytest
import requests
from azure.core.exceptions import ClientAuthenticationError
from azure.identity import DeviceCodeCredential, ManagedIdentityCredential

from helpers import ARM_SCOPE, admin, claims, relay_client, secret_credential

AZURE_CLI = "04b07795-8ddb-461a-bbee-02f9e1bf7b46"


def test_client_secret_credential_gets_an_arm_token_with_azure_claims(info):
    token = admin(info).get_token(ARM_SCOPE)
    c = claims(token.token)
    assert c["aud"] == "https://management.azure.com"
    assert c["tid"] == info["tenant_id"]
    assert c["oid"] == info["admin"]["object_id"]
    assert c["appid"] == info["admin"]["client_id"]
    assert c["idtyp"] == "app"
    assert c["iss"] == f"{info['authority_host']}/{info['tenant_id']}/"
    assert token.expires_on > time.time() + 3000


def test_a_wrong_client_secret_is_refused_with_aadsts7000215(info):
    cred = secret_credential(info, info["admin"]["client_id"], "not-the-secret")
    with pytest.raises(ClientAuthenticationError) as e:
        cred.get_token(ARM_SCOPE)
    assert "AADSTS7000215" in str(e.value)


def test_an_unknown_client_is_refused_with_aadsts700016(info):
    cred = secret_credential(info, "11111111-2222-3333-4444-555555555555", "x")
    with pytest.raises(ClientAuthenticationError) as e:
        cred.get_token(ARM_SCOPE)
    assert "AADSTS700016" in str(e.value)


def sign_in_on_the_page(url, user_code, username, password, delay=0.0):
    time.sleep(delay)
    return requests.post(url, data={"user_code": user_code, "username": username, "password": password})


def test_device_code_sign_in_completed_through_the_verification_form(emulator, info):
    carol = emulator.principal("Carol Chen")
    seen = {}

    def prompt(verification_uri, user_code, expires_on):
        seen["uri"] = verification_uri
        page = requests.get(verification_uri)
        assert page.status_code == 200
        for field in ('name="user_code"', 'name="username"', 'name="password"'):
            assert field in page.text
        # A wrong password and an unknown code are refused on the page.
        assert sign_in_on_the_page(verification_uri, user_code, carol["username"], "wrong").status_code == 401
        assert sign_in_on_the_page(verification_uri, "NOPE12345", carol["username"], carol["password"]).status_code == 400
        # The right password, a little later: the client is kept waiting (authorization_pending).
        def approve():
            seen["result"] = sign_in_on_the_page(verification_uri, user_code, carol["username"], carol["password"], delay=1.5)

        threading.Thread(target=approve).start()

    cred = DeviceCodeCredential(
        client_id=AZURE_CLI,
        tenant_id=info["tenant_id"],
        authority=info["authority_host"],
        disable_instance_discovery=True,
        prompt_callback=prompt,
        timeout=60,
    )
    token = cred.get_token(ARM_SCOPE)
    assert seen["result"].status_code == 200 and "signed in" in seen["result"].text
    assert seen["uri"].startswith(info["authority_host"])
    c = claims(token.token)
    assert c["oid"] == carol["object_id"]
    assert c["upn"] == carol["username"]
    assert c["idtyp"] == "user"
    # Carol reaches ARM through Platform Team, nested in Engineering (Reader on the management
    # group, Azure Relay Owner on rg-relay): she sees every namespace.
    names = sorted(n.name for n in relay_client(info, cred).namespaces.list())
    assert names == ["northwind-relay", "northwind-relay-test"]


def test_device_code_flow_errors_are_entra_shaped(info):
    base = f"{info['authority_host']}/{info['tenant_id']}/oauth2/v2.0"
    code = requests.post(f"{base}/devicecode", data={"client_id": AZURE_CLI, "scope": f"{ARM_SCOPE} offline_access"}).json()
    assert code["interval"] == 1 and code["expires_in"] > 0 and code["user_code"] in code["message"]
    poll = lambda: requests.post(f"{base}/token", data={"grant_type": "urn:ietf:params:oauth:grant-type:device_code", "client_id": AZURE_CLI, "device_code": code["device_code"]})
    first = poll()
    assert first.status_code == 400 and first.json()["error"] == "authorization_pending"
    assert first.json()["error_codes"] == [70016]
    assert poll().json()["error"] == "slow_down"
    requests.post(code["verification_uri"], data={"user_code": code["user_code"], "action": "deny"})
    time.sleep(1.1)
    assert poll().json()["error"] == "access_denied"
    bad = requests.post(f"{base}/token", data={"grant_type": "urn:ietf:params:oauth:grant-type:device_code", "client_id": AZURE_CLI, "device_code": "nope"})
    assert bad.json()["error"] == "invalid_grant"
    confidential = requests.post(f"{base}/devicecode", data={"client_id": info["admin"]["client_id"], "scope": ARM_SCOPE})
    assert confidential.status_code == 401 and confidential.json()["error"] == "invalid_client"


def test_refresh_tokens_are_issued_and_redeemed(emulator, info):
    alice = emulator.principal("Alice Ahmed")
    base = f"{info['authority_host']}/{info['tenant_id']}/oauth2/v2.0"
    code = requests.post(f"{base}/devicecode", data={"client_id": AZURE_CLI, "scope": f"{ARM_SCOPE} offline_access openid profile"}).json()
    assert sign_in_on_the_page(code["verification_uri"], code["user_code"], alice["username"], alice["password"]).status_code == 200
    tokens = requests.post(f"{base}/token", data={"grant_type": "urn:ietf:params:oauth:grant-type:device_code", "client_id": AZURE_CLI, "device_code": code["device_code"]}).json()
    assert {"access_token", "refresh_token", "id_token", "client_info"} <= set(tokens)
    assert claims(tokens["id_token"])["preferred_username"] == alice["username"]
    refreshed = requests.post(f"{base}/token", data={"grant_type": "refresh_token", "client_id": AZURE_CLI, "refresh_token": tokens["refresh_token"], "scope": "https://graph.microsoft.com/.default offline_access"})
    assert refreshed.status_code == 200, refreshed.text
    assert claims(refreshed.json()["access_token"])["aud"] == "https://graph.microsoft.com"
    revoked = requests.post(f"{base}/token", data={"grant_type": "refresh_token", "client_id": AZURE_CLI, "refresh_token": "forged", "scope": ARM_SCOPE})
    assert revoked.status_code == 400 and revoked.json()["error"] == "invalid_grant"


@pytest.fixture
def app_service_identity(info, monkeypatch):
    monkeypatch.setenv("IDENTITY_ENDPOINT", info["managed_identity"]["endpoint"])
    monkeypatch.setenv("IDENTITY_HEADER", info["managed_identity"]["header"])


def test_managed_identity_system_assigned(info, app_service_identity):
    token = ManagedIdentityCredential().get_token(ARM_SCOPE)
    c = claims(token.token)
    assert c["oid"] == info["managed_identity"]["object_id"]
    assert c["appid"] == info["managed_identity"]["client_id"]
    assert c["xms_mirid"].endswith("/virtualMachines/vm-orders-worker")


def test_managed_identity_user_assigned_by_client_id_object_id_and_resource_id(emulator, info, app_service_identity):
    uami = emulator.principal("id-orders-sender")
    for cred in (
        ManagedIdentityCredential(client_id=uami["client_id"]),
        ManagedIdentityCredential(identity_config={"object_id": uami["object_id"]}),
        ManagedIdentityCredential(identity_config={"resource_id": uami["resource_id"]}),
    ):
        assert claims(cred.get_token(ARM_SCOPE).token)["oid"] == uami["object_id"]


def test_managed_identity_unknown_id_gets_azures_400(info, app_service_identity):
    with pytest.raises(ClientAuthenticationError):
        ManagedIdentityCredential(client_id="00000000-1111-2222-3333-444444444444").get_token(ARM_SCOPE)
    endpoint = info["managed_identity"]["endpoint"]
    query = urllib.parse.urlencode({"api-version": "2019-08-01", "resource": "https://management.azure.com", "client_id": "nope"})
    r = requests.get(f"{endpoint}?{query}", headers={"X-IDENTITY-HEADER": info["managed_identity"]["header"]})
    assert r.status_code == 400 and "No ManagedIdentity found" in r.json()["message"]
    wrong_header = requests.get(f"{endpoint}?{query}", headers={"X-IDENTITY-HEADER": "guess"})
    assert wrong_header.status_code == 401


def test_managed_identity_imds_style(info, monkeypatch):
    for name in ("IDENTITY_ENDPOINT", "IDENTITY_HEADER", "MSI_ENDPOINT"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AZURE_POD_IDENTITY_AUTHORITY_HOST", info["imds_endpoint"].split("/metadata")[0])
    token = ManagedIdentityCredential().get_token(ARM_SCOPE)
    assert claims(token.token)["oid"] == info["managed_identity"]["object_id"]
    r = requests.get(info["imds_endpoint"], params={"api-version": "2018-02-01", "resource": "https://management.azure.com"})
    assert r.status_code == 400  # no Metadata: true header
