"""The apps of Flux's own benchmark, shared by tests/bench/fleet and tests/bench/peers/flux:
each a ServiceAccount, Deployment, Service and Ingress named after the app, without a
namespace (the tool applying them chooses it).

As a program: apps.py DIR N writes DIR/apps/app-0001/app.yaml ... DIR/apps/app-N/app.yaml.
"""
import os
import sys


def app(name):
    return f"""apiVersion: v1
kind: ServiceAccount
metadata:
  name: {name}
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {name}
  labels: {{app: {name}}}
spec:
  replicas: 1
  selector:
    matchLabels: {{app: {name}}}
  template:
    metadata:
      labels: {{app: {name}}}
    spec:
      serviceAccountName: {name}
      containers:
        - name: app
          image: ghcr.io/stefanprodan/podinfo:6.7.1
          ports: [{{containerPort: 9898}}]
          resources: {{requests: {{cpu: 10m, memory: 16Mi}}}}
---
apiVersion: v1
kind: Service
metadata:
  name: {name}
spec:
  selector: {{app: {name}}}
  ports: [{{port: 80, targetPort: 9898}}]
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: {name}
spec:
  rules:
    - host: {name}.example.com
      http:
        paths:
          - path: /
            pathType: Prefix
            backend: {{service: {{name: {name}, port: {{number: 80}}}}}}
"""


def write_apps(directory, count):
    for i in range(1, count + 1):
        name = f"app-{i:04d}"
        folder = os.path.join(directory, "apps", name)
        os.makedirs(folder)
        with open(os.path.join(folder, "app.yaml"), "w") as f:
            f.write(app(name))


if __name__ == "__main__":
    write_apps(sys.argv[1], int(sys.argv[2]))
