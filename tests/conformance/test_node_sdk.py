"""The Node Azure SDK, unchanged, against the emulator: @azure/identity and @azure/arm-relay as a
user scripts them (list across pages, create, a rule, listKeys, regenerateKeys, delete)."""

import json
import os
import shutil
import subprocess

import pytest

from conftest import ROOT

NODE = shutil.which("node")
NODE_DIR = ROOT / "tests" / "node"
if not (NODE and (NODE_DIR / "node_modules" / "@azure" / "arm-relay").exists()):
    if os.environ.get("CI"):
        raise RuntimeError("node and tests/node/node_modules are required in CI (run `npm ci --prefix tests/node`)")
    pytest.skip("node or @azure/arm-relay is missing (npm ci --prefix tests/node)", allow_module_level=True)


def test_the_node_arm_relay_client_manages_hybrid_connections(emulator):
    env = dict(os.environ, NODE_EXTRA_CA_CERTS=emulator.info["ca_cert"])
    out = subprocess.run([NODE, str(NODE_DIR / "arm_relay.js"), str(emulator.ready_path)], cwd=NODE_DIR, env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-3000:]
    seen = json.loads(out.stdout.strip().splitlines()[-1])
    assert "northwind-relay" in seen["namespaces"]
    assert seen["created"]["metadata"] == "from node"
    assert seen["created"]["type"].lower() == "microsoft.relay/namespaces/hybridconnections"
    assert seen["keyChanged"] and seen["secondaryKept"]
    assert any(n.startswith("node-") for n in seen["listed"]) and "orders" in seen["listed"]


def test_the_node_authorization_resources_msi_and_signalr_clients(emulator):
    env = dict(os.environ, NODE_EXTRA_CA_CERTS=emulator.info["ca_cert"])
    out = subprocess.run([NODE, str(NODE_DIR / "arm_others.js"), str(emulator.ready_path)], cwd=NODE_DIR, env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-3000:]
    seen = json.loads(out.stdout.strip().splitlines()[-1])
    assert seen["made"] and seen["listed"] and seen["deleted"], seen
    assert "rg-relay" in seen["groups"]
    assert any(t.lower() == "microsoft.relay/namespaces" for t in seen["inGroup"]), seen
    assert seen["relayRegistered"] == "Registered"
    assert "id-orders-sender" in seen["identities"]
    assert "northwind-signalr" in seen["hubs"]
