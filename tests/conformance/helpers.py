import base64
import json

from azure.identity import ClientSecretCredential
from azure.mgmt.authorization import AuthorizationManagementClient
from azure.mgmt.relay import RelayAPIMgmtClient

ARM_SCOPE = "https://management.azure.com/.default"


def secret_credential(info, client_id, secret):
    return ClientSecretCredential(
        info["tenant_id"], client_id, secret, authority=info["authority_host"], disable_instance_discovery=True
    )


def admin(info):
    return secret_credential(info, info["admin"]["client_id"], info["admin"]["client_secret"])


def app(emulator, name):
    p = emulator.principal(name)
    return secret_credential(emulator.info, p["client_id"], p["client_secret"])


def relay_client(info, credential):
    return RelayAPIMgmtClient(credential, info["subscription_id"], base_url=info["resource_manager"])


def authorization_client(info, credential):
    return AuthorizationManagementClient(credential, info["subscription_id"], base_url=info["resource_manager"])


def claims(token):
    payload = token.split(".")[1]
    payload += "=" * (-len(payload) % 4)
    return json.loads(base64.urlsafe_b64decode(payload))
