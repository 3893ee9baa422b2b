"""The peer of the tree-load bench: a serial walk of a resource group with the official
azure-mgmt-relay and azure-mgmt-authorization clients. Prints one JSON line."""

import json
import os
import sys
import time

from azure.identity import ClientSecretCredential
from azure.mgmt.authorization import AuthorizationManagementClient
from azure.mgmt.relay import RelayAPIMgmtClient

ready = json.load(open(sys.argv[1]))
group = sys.argv[2]
os.environ["REQUESTS_CA_BUNDLE"] = ready["ca_cert"]
cred = ClientSecretCredential(ready["tenant_id"], ready["admin"]["client_id"], ready["admin"]["client_secret"], authority=ready["authority_host"], disable_instance_discovery=True)
relay = RelayAPIMgmtClient(cred, ready["subscription_id"], base_url=ready["resource_manager"])
auth = AuthorizationManagementClient(cred, ready["subscription_id"], base_url=ready["resource_manager"])
cred.get_token("https://management.azure.com/.default")  # sign in outside the timing, as ours does

start = time.perf_counter()
count = 0
for ns in relay.namespaces.list_by_resource_group(group):
    count += 1
    count += sum(1 for _ in relay.hybrid_connections.list_by_namespace(group, ns.name))
    count += sum(1 for _ in relay.wcf_relays.list_by_namespace(group, ns.name))
count += sum(1 for _ in auth.role_assignments.list_for_scope(f"/subscriptions/{ready['subscription_id']}/resourceGroups/{group}"))
print(json.dumps({"seconds": time.perf_counter() - start, "items": count}))
