// The Node Azure SDK against the emulator: @azure/identity's ClientSecretCredential and
// @azure/arm-relay's RelayAPI, as a user scripts them (no credentialScopes: the client asks for
// `${endpoint}/.default`). Prints one JSON line of what it saw.
// usage: node arm_relay.js READY_FILE
const fs = require('fs');
const { ClientSecretCredential } = require('@azure/identity');
const { RelayAPI } = require('@azure/arm-relay');

async function main() {
  const ready = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
  const credential = new ClientSecretCredential(ready.tenant_id, ready.admin.client_id, ready.admin.client_secret, {
    authorityHost: ready.authority_host,
    disableInstanceDiscovery: true,
  });
  const relay = new RelayAPI(credential, ready.subscription_id, { endpoint: ready.resource_manager });
  const namespaces = [];
  for await (const ns of relay.namespaces.list()) namespaces.push(ns.name);
  const name = `node-${process.pid}`;
  const hc = await relay.hybridConnections.createOrUpdate('rg-relay', 'northwind-relay', name, {
    requiresClientAuthorization: true,
    userMetadata: 'from node',
  });
  await relay.hybridConnections.createOrUpdateAuthorizationRule('rg-relay', 'northwind-relay', name, 'sender', {
    rights: ['Send'],
  });
  const keys = await relay.hybridConnections.listKeys('rg-relay', 'northwind-relay', name, 'sender');
  const renewed = await relay.hybridConnections.regenerateKeys('rg-relay', 'northwind-relay', name, 'sender', {
    keyType: 'PrimaryKey',
  });
  const listed = [];
  for await (const h of relay.hybridConnections.listByNamespace('rg-relay', 'northwind-relay')) listed.push(h.name);
  await relay.hybridConnections.delete('rg-relay', 'northwind-relay', name);
  console.log(JSON.stringify({
    namespaces,
    created: { name: hc.name, type: hc.type, metadata: hc.userMetadata },
    keyChanged: keys.primaryKey !== renewed.primaryKey,
    secondaryKept: keys.secondaryKey === renewed.secondaryKey,
    listed,
  }));
}

main().catch((e) => {
  console.error(e && (e.message || e));
  process.exit(1);
});
