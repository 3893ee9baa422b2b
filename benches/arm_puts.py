"""ARM PUT throughput against a running emulator binary (sequential and 8 concurrent clients).

Usage: .venv/bin/python benches/arm_puts.py target/release/relay-explorer
"""
import json,subprocess,sys,time,tempfile,os,requests,concurrent.futures as cf
binary=sys.argv[1]
d=tempfile.mkdtemp(); ready=os.path.join(d,'ready.json')
p=subprocess.Popen([binary,'emulator','--state-dir',os.path.join(d,'s'),'--ready-file',ready],stdout=subprocess.DEVNULL,stderr=subprocess.DEVNULL)
try:
    while not os.path.exists(ready): time.sleep(0.05)
    time.sleep(0.2)
    r=json.load(open(ready)); ca=r['ca_cert']
    t=requests.post(f"{r['authority_host']}/{r['tenant_id']}/oauth2/v2.0/token",data={'grant_type':'client_credentials','client_id':r['admin']['client_id'],'client_secret':r['admin']['client_secret'],'scope':'https://management.azure.com/.default'},verify=ca).json()['access_token']
    ns=f"{r['resource_manager'].rstrip('/')}/subscriptions/{r['subscription_id']}/resourceGroups/rg-relay/providers/Microsoft.Relay/namespaces/northwind-relay"
    def put(session,name):
        x=session.put(f"{ns}/hybridConnections/{name}?api-version=2024-01-01",json={'properties':{}},headers={'Authorization':'Bearer '+t},verify=ca); assert x.ok, x.text
    for conc in (1,8):
        n=200
        sessions=[requests.Session() for _ in range(conc)]
        start=time.time()
        with cf.ThreadPoolExecutor(conc) as ex:
            list(ex.map(lambda i: put(sessions[i%conc], f"b{conc}-{i}"), range(n)))
        el=time.time()-start
        print(f"concurrency {conc}: {n/el:.0f} PUTs/s")
finally:
    p.kill()
