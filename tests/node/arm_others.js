// The other Node management clients a user scripts against the emulator, with their default
// credential scope (`${endpoint}/.default`): role assignments (list for a scope, create,
// delete), resource groups and resources, user-assigned identities, SignalR. Prints one JSON line.
// usage: node arm_others.js READY_FILE
const fs = require('fs');
const crypto = require('crypto');
const { ClientSecretCredential } = require('@azure/identity');
const { AuthorizationManagementClient } = require('@azure/arm-authorization');
const { ResourceManagementClient } = require('@azure/arm-resources');
const { ManagedServiceIdentityClient } = require('@azure/arm-msi');
const { SignalRManagementClient } = require('@azure/arm-signalr');

async function all(iterable) {
  const out = [];
  for await (const x of iterable) out.push(x);
  return out;
}

async function main() {
  const ready = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
  const credential = new ClientSecretCredential(ready.tenant_id, ready.admin.client_id, ready.admin.client_secret, {
    authorityHost: ready.authority_host,
    disableInstanceDiscovery: true,
  });
  const options = { endpoint: ready.resource_manager };
  const sub = ready.subscription_id;
  const authz = new AuthorizationManagementClient(credential, sub, options);
  const scope = `/subscriptions/${sub}/resourceGroups/rg-relay`;
  const listener = `/subscriptions/${sub}/providers/Microsoft.Authorization/roleDefinitions/26e0b698-aa6d-4085-9386-aadae190014d`;
  const erin = ready.principals.find((p) => p.display_name === 'Erin Evans');
  const name = crypto.randomUUID();
  const made = await authz.roleAssignments.create(scope, name, {
    roleDefinitionId: listener,
    principalId: erin.object_id,
    principalType: 'User',
  });
  const atScope = (await all(authz.roleAssignments.listForScope(scope))).map((a) => a.name);
  await authz.roleAssignments.delete(scope, name);
  const afterDelete = (await all(authz.roleAssignments.listForScope(scope))).map((a) => a.name);
  const resources = new ResourceManagementClient(credential, sub, options);
  const groups = (await all(resources.resourceGroups.list())).map((g) => g.name);
  const inGroup = (await all(resources.resources.listByResourceGroup('rg-relay'))).map((r) => r.type);
  const relay = await resources.providers.get('Microsoft.Relay');
  const msi = new ManagedServiceIdentityClient(credential, sub, options);
  const identities = (await all(msi.userAssignedIdentities.listBySubscription())).map((i) => i.name);
  const signalr = new SignalRManagementClient(credential, sub, options);
  const hubs = (await all(signalr.signalR.listBySubscription())).map((s) => s.name);
  console.log(JSON.stringify({
    made: made.name === name, listed: atScope.includes(name), deleted: !afterDelete.includes(name),
    groups, inGroup, relayRegistered: relay.registrationState, identities, hubs,
  }));
}

main().catch((e) => {
  console.error(e && (e.message || e));
  process.exit(1);
});
