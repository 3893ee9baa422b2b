"""MSAL for Python, unchanged, against the emulator's Entra ID: a confidential client with its
token cache, and a public client's device flow then silent refresh (what the Azure CLI does)."""

import threading

import msal
import requests

from helpers import ARM_SCOPE, claims

AZURE_CLI = "04b07795-8ddb-461a-bbee-02f9e1bf7b46"


def authority(info):
    return f"{info['authority_host']}/{info['tenant_id']}"


def test_a_confidential_client_gets_a_token_and_serves_the_next_from_its_cache(info):
    app = msal.ConfidentialClientApplication(
        info["admin"]["client_id"],
        client_credential=info["admin"]["client_secret"],
        authority=authority(info),
        instance_discovery=False,
    )
    first = app.acquire_token_for_client(scopes=[ARM_SCOPE])
    assert "access_token" in first, first
    assert first["token_source"] == "identity_provider"
    assert claims(first["access_token"])["appid"] == info["admin"]["client_id"]
    second = app.acquire_token_for_client(scopes=[ARM_SCOPE])
    assert second["token_source"] == "cache" and second["access_token"] == first["access_token"]
    wrong = msal.ConfidentialClientApplication(
        info["admin"]["client_id"], client_credential="nope", authority=authority(info), instance_discovery=False
    ).acquire_token_for_client(scopes=[ARM_SCOPE])
    assert wrong.get("error") == "invalid_client" and "AADSTS7000215" in wrong.get("error_description", "")


def test_a_public_client_signs_in_by_device_flow_then_refreshes_silently(emulator, info):
    erin = emulator.principal("Erin Evans")
    app = msal.PublicClientApplication(AZURE_CLI, authority=authority(info), instance_discovery=False)
    flow = app.initiate_device_flow(scopes=[ARM_SCOPE])
    assert "user_code" in flow, flow
    approve = threading.Timer(
        1.0,
        lambda: requests.post(flow["verification_uri"], data={"user_code": flow["user_code"], "username": erin["username"], "password": erin["password"]}),
    )
    approve.start()
    result = app.acquire_token_by_device_flow(flow)
    approve.join()
    assert "access_token" in result, result
    assert claims(result["access_token"])["upn"] == erin["username"]
    [account] = app.get_accounts()
    assert account["username"] == erin["username"]
    # Another resource, silently: MSAL redeems the refresh token it kept.
    silent = app.acquire_token_silent(["https://graph.microsoft.com/.default"], account=account)
    assert silent and silent["token_source"] == "identity_provider", silent
    assert claims(silent["access_token"])["aud"] == "https://graph.microsoft.com"
    again = app.acquire_token_silent([ARM_SCOPE], account=account)
    assert again["token_source"] == "cache"
