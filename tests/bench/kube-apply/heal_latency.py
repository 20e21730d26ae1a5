#!/usr/bin/env python3
"""heal_latency.py ENV_FILE NAMESPACE NAME_PREFIX COUNT TRIALS

Deletes managed ConfigMaps one at a time through the API and measures how long
the running driftless daemon takes to re-create each (polling every 10 ms).
Prints one latency in milliseconds per line."""
import http.client
import os
import ssl
import sys
import time

env = dict(line.strip().split("=", 1) for line in open(sys.argv[1]) if "=" in line)
namespace, prefix, count, trials = sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
pki = os.path.dirname(env["KUBE_CA_FILE"])
context = ssl.create_default_context(cafile=env["KUBE_CA_FILE"])
context.load_cert_chain(os.path.join(pki, "admin.crt"), os.path.join(pki, "admin.key"))
host = env["KUBE_APISERVER_URL"].removeprefix("https://")
connection = http.client.HTTPSConnection(host, context=context)


def request(method, path):
    connection.request(method, path)
    response = connection.getresponse()
    response.read()
    return response.status


for trial in range(trials):
    name = f"{prefix}{(trial * 197) % count:05d}"
    path = f"/api/v1/namespaces/{namespace}/configmaps/{name}"
    if request("GET", path) != 200:
        sys.exit(f"{name} does not exist before the trial")
    start = time.monotonic()
    if request("DELETE", path) != 200:
        sys.exit(f"cannot delete {name}")
    while request("GET", path) != 200:
        if time.monotonic() - start > 60:
            sys.exit(f"{name} was not re-created within 60 s")
        time.sleep(0.01)
    print(round((time.monotonic() - start) * 1000))
    time.sleep(0.2)
