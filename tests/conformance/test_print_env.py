"""`relay-explorer emulator --print-env READY_FILE`: the shell lines that point a user's own code
at the emulator — the CA for every SDK (SSL_CERT_FILE, REQUESTS_CA_BUNDLE, NODE_EXTRA_CA_CERTS),
the managed-identity endpoint (so DefaultAzureCredential signs in with no secret), the tenant,
subscription and endpoints. The snippet the README shows runs here as it is."""

import os
import shlex
import subprocess
import sys

from conftest import BINARY


def exported(text):
    env = {}
    for line in text.splitlines():
        if line.startswith("export "):
            name, _, value = line[len("export "):].partition("=")
            env[name] = shlex.split(value)[0] if value else ""
    return env


def test_print_env_points_the_sdks_at_the_emulator_and_default_azure_credential_signs_in(emulator, info):
    out = subprocess.run([str(BINARY), "emulator", "--print-env", str(emulator.ready_path)], capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stderr
    env = exported(out.stdout)
    for name in ("SSL_CERT_FILE", "REQUESTS_CA_BUNDLE", "NODE_EXTRA_CA_CERTS"):
        assert env[name] == info["ca_cert"], name
    assert env["IDENTITY_ENDPOINT"] == info["managed_identity"]["endpoint"]
    assert env["AZURE_TENANT_ID"] == info["tenant_id"]
    assert env["AZURE_SUBSCRIPTION_ID"] == info["subscription_id"]
    assert env["RELAY_EMULATOR_RESOURCE_MANAGER"] == info["resource_manager"]
    # No secret is printed: the managed identity needs none.
    assert info["admin"]["client_secret"] not in out.stdout
    snippet = """
import os
from azure.identity import DefaultAzureCredential
from azure.mgmt.relay import RelayAPIMgmtClient
relay = RelayAPIMgmtClient(DefaultAzureCredential(), os.environ["AZURE_SUBSCRIPTION_ID"],
                           base_url=os.environ["RELAY_EMULATOR_RESOURCE_MANAGER"])
print(sorted(hc.name for hc in relay.hybrid_connections.list_by_namespace("rg-relay", "northwind-relay")))
"""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("AZURE_", "IDENTITY_", "MSI_"))}
    run = subprocess.run([sys.executable, "-c", snippet], capture_output=True, text=True, timeout=60, env={**clean, **env})
    assert run.returncode == 0, run.stderr[-2000:]
    # Signed in as the demo VM's identity (Azure Relay Listener on orders): it sees what it may read.
    assert "'orders'" in run.stdout, run.stdout
