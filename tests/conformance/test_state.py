"""What clients change survives a restart with the same state folder; so does the CA."""

from azure.mgmt.relay.models import HybridConnection, HybridConnectionProperties

from conftest import Emulator
from helpers import admin, relay_client


def test_changes_and_the_ca_survive_a_restart(tmp_path, monkeypatch):
    state = tmp_path / "state"
    first = Emulator(state)
    try:
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", first.info["ca_cert"])
        ca = open(first.info["ca_cert"]).read()
        relay = relay_client(first.info, admin(first.info))
        relay.hybrid_connections.create_or_update("rg-relay", "northwind-relay", "survivor", HybridConnection(properties=HybridConnectionProperties(user_metadata="still here")))
        endpoint = relay.namespaces.get("rg-relay", "northwind-relay").service_bus_endpoint
    finally:
        first.stop()
    second = Emulator(state)
    try:
        assert open(second.info["ca_cert"]).read() == ca
        assert second.info["admin"] == first.info["admin"]
        relay = relay_client(second.info, admin(second.info))
        assert relay.hybrid_connections.get("rg-relay", "northwind-relay", "survivor").user_metadata == "still here"
        assert relay.namespaces.get("rg-relay", "northwind-relay").service_bus_endpoint == endpoint
    finally:
        second.stop()
