"""The data plane against Microsoft's own Node packages, hyco-ws and hyco-https, and plain HTTPS."""

import os
import pathlib
import shutil
import signal
import subprocess
import time
import uuid

import pytest
import requests
from azure.mgmt.relay.models import AuthorizationRule, AuthorizationRuleProperties, HybridConnection, HybridConnectionProperties

from conftest import BINARY, ROOT
from helpers import admin, authorization_client, relay_client, secret_credential

NODE_DIR = ROOT / "tests" / "node"
NODE = shutil.which("node")

if not (NODE and (NODE_DIR / "node_modules" / "hyco-ws").exists()):
    if os.environ.get("CI"):
        raise RuntimeError("node and tests/node/node_modules are required in CI (run `npm ci --prefix tests/node`)")
    pytest.skip("node or the hyco packages are missing (npm ci --prefix tests/node)", allow_module_level=True)


@pytest.fixture(scope="module")
def entity(emulator, info):
    """A fresh hybrid connection with a Listen rule and a Send rule."""
    relay = relay_client(info, admin(info))
    rg, ns, name = "rg-relay", "northwind-relay", "hyco"
    relay.hybrid_connections.create_or_update(rg, ns, name, HybridConnection(properties=HybridConnectionProperties(requires_client_authorization=True)))
    for rule, rights in (("listen", ["Listen"]), ("send", ["Send"])):
        relay.hybrid_connections.create_or_update_authorization_rule(rg, ns, name, rule, AuthorizationRule(properties=AuthorizationRuleProperties(rights=rights)))
    keys = {rule: relay.hybrid_connections.list_keys(rg, ns, name, rule) for rule in ("listen", "send")}
    endpoint = relay.namespaces.get(rg, ns).service_bus_endpoint  # https://localhost:PORT/
    host = endpoint.split("//")[1].rstrip("/")
    scope = relay.hybrid_connections.get(rg, ns, name).id
    yield {"name": name, "host": host, "keys": keys, "scope": scope}
    relay.hybrid_connections.delete(rg, ns, name)


def node(script, *args):
    env = dict(os.environ, NODE_EXTRA_CA_CERTS=os.environ["REQUESTS_CA_BUNDLE"])
    return subprocess.Popen([NODE, str(NODE_DIR / script), *args], cwd=NODE_DIR, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def wait_for_line(process, text, timeout=20):
    deadline = time.time() + timeout
    while time.time() < deadline:
        line = process.stdout.readline()
        if text in line:
            return
        if process.poll() is not None:
            raise RuntimeError(f"exited: {process.stderr.read()}")
    raise RuntimeError(f"no '{text}' within {timeout} s")


def cli(info, *args, stdin=None, env=None):
    return subprocess.run([str(BINARY), *args, "--emulator", str(pathlib.Path(info["state_dir"]) / "ready.json")], capture_output=True, text=True, timeout=60, input=stdin, env=env)


def our_listener(info, *args, env=None):
    """`relay-explorer listen --stop-on-eof ARGS` with stdin kept open (it ends when stdin closes)."""
    return subprocess.Popen([str(BINARY), "listen", "--stop-on-eof", *args, "--emulator", str(pathlib.Path(info["state_dir"]) / "ready.json")], env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def listen_url(entity):
    return f"wss://{entity['host']}/$hc/{entity['name']}?sb-hc-action=listen"


def test_hyco_ws_listener_with_our_sender(info, entity):
    k = entity["keys"]["listen"]
    listener = node("hyco_ws_listener.js", listen_url(entity), f"http://localhost/{entity['name']}", k.key_name, k.primary_key)
    try:
        wait_for_line(listener, "listening")
        out = cli(info, "send", "--connection-string", entity["keys"]["send"].primary_connection_string, "--message", "hello", "--message", "ünïcødé ✓")
        assert out.returncode == 0, out.stderr
        assert out.stdout.splitlines() == ["hello", "ünïcødé ✓"]
    finally:
        listener.stdin.close()
        listener.wait(10)


def test_a_listener_started_in_the_background_keeps_running_until_sigterm(info, entity):
    # `relay-explorer listen … &` in a script has /dev/null for stdin: it serves until stopped.
    ours = subprocess.Popen([str(BINARY), "listen", "--echo", "--connection-string", entity["keys"]["listen"].primary_connection_string, "--emulator", str(pathlib.Path(info["state_dir"]) / "ready.json")], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        wait_for_line(ours, "online")
        for message in ["first", "second"]:
            out = cli(info, "send", "--connection-string", entity["keys"]["send"].primary_connection_string, "--message", message)
            assert out.returncode == 0, out.stderr
            assert out.stdout.strip() == message
        assert ours.poll() is None, "the listener is still running"
        ours.send_signal(signal.SIGTERM)
        assert ours.wait(10) == 0
    finally:
        ours.kill()


def test_our_listener_with_the_hyco_ws_sender(info, entity):
    ours = our_listener(info, "--echo", "--connection-string", entity["keys"]["listen"].primary_connection_string)
    try:
        wait_for_line(ours, "online")
        k = entity["keys"]["send"]
        url = f"wss://{entity['host']}/$hc/{entity['name']}?sb-hc-action=connect"
        sender = node("hyco_ws_sender.js", url, url, k.key_name, k.primary_key, "one", "two")
        out, err = sender.communicate(timeout=30)
        assert sender.returncode == 0, err
        assert out.splitlines() == ["one", "two"]
    finally:
        ours.stdin.close()
        ours.wait(10)
    log = ours.stdout.read()
    assert "message" in log and ": one" in log


@pytest.mark.parametrize("size", [0, 1, 64 * 1024, 1024 * 1024])
def test_hyco_https_listener_with_our_sender_and_plain_https(info, entity, size, tmp_path):
    k = entity["keys"]["listen"]
    listener = node("hyco_https_listener.js", listen_url(entity), f"http://localhost/{entity['name']}", k.key_name, k.primary_key)
    try:
        wait_for_line(listener, "listening")
        body = bytes(i % 251 for i in range(size))
        # a plain HTTPS client with a SAS token from our CLI
        token = cli(info, "sas", "--connection-string", entity["keys"]["send"].primary_connection_string).stdout.strip()
        r = requests.post(f"https://{entity['host']}/{entity['name']}/items?x=1", data=body, headers={"ServiceBusAuthorization": token}, timeout=30)
        assert r.status_code == 200, r.text
        assert r.content == body
        assert r.headers["x-method"] == "POST" and r.headers["x-url"] == f"/{entity['name']}/items?x=1"
        # our sender
        f = tmp_path / "body.txt"
        f.write_text("x" * size)
        out = cli(info, "send", "--http", "--method", "PUT", "--path", "/put", "--body-file", str(f), "--connection-string", entity["keys"]["send"].primary_connection_string)
        assert out.returncode == 0, out.stderr
        assert out.stdout.startswith("HTTP/1.1 200 OK")
        assert out.stdout.count("x") == size
    finally:
        listener.stdin.close()
        listener.wait(10)


def test_a_listeners_reason_phrase_reaches_the_sender_over_http_1_1(info, entity):
    """hyco-https `writeHead(202, 'Taken')` reaches a sender as `202 Taken` (the relay passes the
    listener's statusDescription on), and the namespace port speaks HTTP/1.1 as the relay does,
    even to a client that offers HTTP/2."""
    import socket
    import ssl

    k = entity["keys"]["listen"]
    listener = node("hyco_https_listener.js", listen_url(entity), f"http://localhost/{entity['name']}", k.key_name, k.primary_key)
    try:
        wait_for_line(listener, "listening")
        token = cli(info, "sas", "--connection-string", entity["keys"]["send"].primary_connection_string).stdout.strip()
        r = requests.get(f"https://{entity['host']}/{entity['name']}/taken", headers={"ServiceBusAuthorization": token}, timeout=30)
        assert (r.status_code, r.reason) == (202, "Taken")
        assert r.raw.version == 11
    finally:
        listener.stdin.close()
        listener.wait(10)
    host, port = entity["host"].rsplit(":", 1)
    ctx = ssl.create_default_context(cafile=os.environ["REQUESTS_CA_BUNDLE"])
    ctx.set_alpn_protocols(["h2", "http/1.1"])
    with socket.create_connection((host, int(port)), timeout=10) as raw, ctx.wrap_socket(raw, server_hostname=host) as tls:
        assert tls.selected_alpn_protocol() == "http/1.1"


@pytest.mark.parametrize("size", [0, 1, 64 * 1024, 1024 * 1024])
def test_our_http_listener_with_plain_https(info, entity, size):
    ours = our_listener(info, "--http", "--echo", "--connection-string", entity["keys"]["listen"].primary_connection_string)
    try:
        wait_for_line(ours, "online")
        token = cli(info, "sas", "--connection-string", entity["keys"]["send"].primary_connection_string).stdout.strip()
        body = bytes(i % 249 for i in range(size))
        r = requests.post(f"https://{entity['host']}/{entity['name']}/echo", data=body, headers={"ServiceBusAuthorization": token, "Content-Type": "application/octet-stream"}, timeout=30)
        assert r.status_code == 200, r.text
        assert r.content == body
        assert "via" in r.headers
    finally:
        ours.stdin.close()
        ours.wait(10)


def test_no_listener_and_wrong_rights_are_one_sentence(info, entity):
    out = cli(info, "send", "--connection-string", entity["keys"]["send"].primary_connection_string, "--message", "anyone?")
    assert out.returncode != 0
    assert "no listener is connected to hybrid connection 'hyco'" in out.stderr
    out = cli(info, "send", "--connection-string", entity["keys"]["listen"].primary_connection_string, "--message", "x")
    assert out.returncode != 0 and "has no Send right" in out.stderr


@pytest.mark.parametrize("size", [0, 1, 64 * 1024, 1024 * 1024])
def test_binary_frames_of_every_size_both_ways(info, entity, size, tmp_path):
    # hyco-ws sender -> our echo listener: the reply is checked byte for byte in Node.
    ours = our_listener(info, "--echo", "--connection-string", entity["keys"]["listen"].primary_connection_string)
    try:
        wait_for_line(ours, "online")
        k = entity["keys"]["send"]
        url = f"wss://{entity['host']}/$hc/{entity['name']}?sb-hc-action=connect"
        sender = node("hyco_ws_sender.js", url, url, k.key_name, k.primary_key, f"bin:{size}", "after")
        out, err = sender.communicate(timeout=30)
        assert sender.returncode == 0, err
        assert out.splitlines() == [f"bin:{size} ok", "after"]
    finally:
        ours.stdin.close()
        ours.wait(10)
    # our sender (--message-file) -> the hyco-ws echo listener
    k = entity["keys"]["listen"]
    listener = node("hyco_ws_listener.js", listen_url(entity), f"http://localhost/{entity['name']}", k.key_name, k.primary_key)
    try:
        wait_for_line(listener, "listening")
        f = tmp_path / "message.bin"
        f.write_bytes(bytes(i % 253 for i in range(size)))
        out = cli(info, "send", "--connection-string", entity["keys"]["send"].primary_connection_string, "--message", "text first", "--message-file", str(f))
        assert out.returncode == 0, out.stderr
        assert out.stdout.splitlines() == ["text first", f"({size} binary bytes)"]
    finally:
        listener.stdin.close()
        listener.wait(10)


RELAY_LISTENER = "26e0b698-aa6d-4085-9386-aadae190014d"
RELAY_SENDER = "26baccc8-eea7-41f1-98f4-1762cc7f685d"


@pytest.fixture
def entra(emulator, info, entity):
    """orders-backend with Azure Relay Listener and Sender on the entity: its Relay token, and
    the environment that signs our CLI in as it."""
    app = emulator.principal("orders-backend")
    auth = authorization_client(info, admin(info))
    names = []
    for role in (RELAY_LISTENER, RELAY_SENDER):
        name = str(uuid.uuid4())
        auth.role_assignments.create(entity["scope"], name, {
            "role_definition_id": f"/subscriptions/{info['subscription_id']}/providers/Microsoft.Authorization/roleDefinitions/{role}",
            "principal_id": app["object_id"],
            "principal_type": "ServicePrincipal",
        })
        names.append(name)
    token = secret_credential(info, app["client_id"], app["client_secret"]).get_token("https://relay.azure.net/.default").token
    env = dict(os.environ, AZURE_TENANT_ID=info["tenant_id"], AZURE_CLIENT_ID=app["client_id"], AZURE_CLIENT_SECRET=app["client_secret"])
    yield {"token": token, "env": env}
    for name in names:
        auth.role_assignments.delete(entity["scope"], name)


def test_hyco_peers_with_entra_tokens(info, entity, entra):
    target = ["--namespace", entity["host"], "--entity", entity["name"], "--auth", "client-secret"]
    # the hyco-ws listener presents the JWT; our sender signs in with the app's secret
    listener = node("hyco_ws_listener.js", listen_url(entity), "-", "-", entra["token"])
    try:
        wait_for_line(listener, "listening")
        out = cli(info, "send", *target, "--message", "by entra", env=entra["env"])
        assert out.returncode == 0, out.stderr
        assert out.stdout.splitlines() == ["by entra"]
    finally:
        listener.stdin.close()
        listener.wait(10)
    # our listener signs in with the secret; the hyco-ws sender presents the JWT
    ours = our_listener(info, "--echo", *target, env=entra["env"])
    try:
        wait_for_line(ours, "online")
        url = f"wss://{entity['host']}/$hc/{entity['name']}?sb-hc-action=connect"
        sender = node("hyco_ws_sender.js", url, "-", "-", entra["token"], "jwt", "bin:1024")
        out, err = sender.communicate(timeout=30)
        assert sender.returncode == 0, err
        assert out.splitlines() == ["jwt", "bin:1024 ok"]
    finally:
        ours.stdin.close()
        ours.wait(10)
    # the hyco-https listener presents the JWT; a plain HTTPS client sends one too
    listener = node("hyco_https_listener.js", listen_url(entity), "-", "-", entra["token"])
    try:
        wait_for_line(listener, "listening")
        r = requests.post(f"https://{entity['host']}/{entity['name']}/jwt", data=b"entra body", headers={"ServiceBusAuthorization": entra["token"]}, timeout=30)
        assert r.status_code == 200, r.text
        assert r.content == b"entra body"
        out = cli(info, "send", *target, "--http", "--method", "POST", "--body", "cli body", env=entra["env"])
        assert out.returncode == 0, out.stderr
        assert out.stdout.splitlines() == ["HTTP/1.1 200 OK", "cli body"]
    finally:
        listener.stdin.close()
        listener.wait(10)


def test_an_entra_identity_without_the_role_is_refused_by_name(emulator, info, entity):
    app = emulator.principal("reporting-no-role")
    env = dict(os.environ, AZURE_TENANT_ID=info["tenant_id"], AZURE_CLIENT_ID=app["client_id"], AZURE_CLIENT_SECRET=app["client_secret"])
    # stdin stays open: the listener ends on the refusal, not on end of input
    ours = our_listener(info, "--namespace", entity["host"], "--entity", entity["name"], "--auth", "client-secret", env=env)
    try:
        ours.wait(timeout=30)
    finally:
        ours.kill()
    err = ours.stderr.read()
    assert ours.returncode != 0
    assert "Microsoft.Relay/namespaces/messages/listen/action" in err
    # with stdin closed at once (as from /dev/null), the refusal is still told
    out = cli(info, "listen", "--namespace", entity["host"], "--entity", entity["name"], "--auth", "client-secret", stdin="", env=env)
    assert out.returncode != 0
    assert "Microsoft.Relay/namespaces/messages/listen/action" in out.stderr
    token = secret_credential(info, app["client_id"], app["client_secret"]).get_token("https://relay.azure.net/.default").token
    r = requests.post(f"https://{entity['host']}/{entity['name']}/x", data=b"", headers={"ServiceBusAuthorization": token}, timeout=30)
    assert r.status_code == 403
    assert "Microsoft.Relay/namespaces/messages/send/action" in r.text
