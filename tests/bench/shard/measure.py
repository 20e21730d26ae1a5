#!/usr/bin/env python3
"""The measurements of tests/bench/shard/run (see there): starts the replicas,
samples their status every second, kills one, starts a joiner, prints figures."""
import argparse
import json
import math
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request

parser = argparse.ArgumentParser()
parser.add_argument("--driftless", required=True)
parser.add_argument("--work", required=True)
parser.add_argument("--kubeconfig", required=True)
parser.add_argument("--namespace", required=True)
parser.add_argument("--pipelines", type=int, default=3000)
parser.add_argument("--replicas", type=int, default=3)
parser.add_argument("--lease-duration", default="15s")
parser.add_argument("--renew-interval", default="5s")
args = parser.parse_args()
N, R, WORK = args.pipelines, args.replicas, args.work
SETTLE_TIMEOUT = 1800
violations = []


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Replica:
    def __init__(self, identity):
        self.identity, self.port = identity, free_port()
        self.state = os.path.join(WORK, "state-" + identity)
        config = os.path.join(WORK, identity + ".yaml")
        kube = f"kubeconfig: {args.kubeconfig}"
        with open(config, "w") as f:
            f.write(f"""apiVersion: driftless.dev/v1alpha1
kind: Config
listen: 127.0.0.1:{self.port}
concurrency: 16
highAvailability:
  enabled: true
  mode: shard
  identity: {identity}
  leaseDuration: {args.lease_duration}
  renewInterval: {args.renew_interval}
  membership: {{type: kube, {kube}, leaseNamespace: {args.namespace}}}
sources: [{{name: repo, type: path, path: repo, interval: 1h}}]
pipelines:
  - name: app-{{{{folder}}}}
    source: repo
    forEachFolder: apps/*
    interval: 1h
    sink: {{type: kube, {kube}, namespace: {args.namespace}}}
""")
        self.log = open(os.path.join(WORK, identity + ".log"), "w")
        self.process = subprocess.Popen([args.driftless, "--config", config, "--state-dir", self.state, "run"],
                                        cwd=WORK, stdout=self.log, stderr=subprocess.STDOUT)
        self.peak_rss = 0

    def status(self):
        """pipeline -> (leader, state), or None while the replica does not answer."""
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/api/v1/pipelines", timeout=10) as r:
                body = json.load(r)
        except OSError:
            return None
        self.sample_memory()
        members = body.get("replica", {}).get("members", [])
        return members, {p["name"]: (p.get("leader", False), p.get("state")) for p in body.get("pipelines", [])}

    def sample_memory(self):
        try:
            with open(f"/proc/{self.process.pid}/status") as f:
                for line in f:
                    if line.startswith("VmHWM:"):
                        self.peak_rss = max(self.peak_rss, int(line.split()[1]) // 1024)
        except OSError:
            pass

    def cpu_seconds(self):
        try:
            with open(f"/proc/{self.process.pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        except OSError:
            return float("nan")

    def audit_lines(self):
        """The pipelines of each line of the audit log, in order."""
        try:
            with open(os.path.join(self.state, "audit.log")) as f:
                return [json.loads(line).get("pipeline") for line in f if line.strip()]
        except OSError:
            return []


def sample(replicas):
    """pipeline -> set of replicas leading it (ready or not), pipeline -> ready by its leader,
    and whether every replica answered and names exactly the live replicas as members."""
    leaders, ready, agreed = {}, {}, True
    names = sorted(r.identity for r in replicas)
    for r in replicas:
        got = r.status()
        if got is None:
            agreed = False
            continue
        members, pipelines = got
        agreed = agreed and sorted(members) == names
        for name, (leader, state) in pipelines.items():
            if leader:
                leaders.setdefault(name, set()).add(r.identity)
                ready[name] = ready.get(name, False) or state == "ready"
    return leaders, ready, agreed


def settle(replicas, label, watch_gaps=False):
    """Samples until every pipeline is ready under exactly one of `replicas` and
    they agree on the members; returns (seconds, pipeline -> owner, longest gap)."""
    start = time.monotonic()
    unled_since, longest_gap = {}, 0.0
    while time.monotonic() - start < SETTLE_TIMEOUT:
        leaders, ready, agreed = sample(replicas)
        now = time.monotonic()
        if watch_gaps:
            for name in [f"app-{i:04d}" for i in range(N)]:
                if leaders.get(name):
                    if name in unled_since:
                        longest_gap = max(longest_gap, now - unled_since.pop(name))
                else:
                    unled_since.setdefault(name, now)
        settled = agreed and len(leaders) == N and all(len(v) == 1 for v in leaders.values()) and all(ready.values())
        if settled:
            if watch_gaps:
                longest_gap = max([longest_gap] + [now - t for t in unled_since.values()])
            return now - start, {name: next(iter(v)) for name, v in leaders.items()}, longest_gap
        time.sleep(1)
    sys.exit(f"{label}: not settled after {SETTLE_TIMEOUT} s; logs in {WORK}")


def shares(owners):
    out = {}
    for owner in owners.values():
        out[owner] = out.get(owner, 0) + 1
    return out


def print_shares(owners, members):
    """Each share against N/members; rendezvous hashing makes a share binomial(N, 1/members)."""
    fair = N / members
    sigma = math.sqrt(N * (1 / members) * (1 - 1 / members))
    for identity, count in sorted(shares(owners).items()):
        print(f"  {identity}: {count} pipelines ({(count - fair) / fair * 100:+.1f}% of N/{members}, "
              f"{(count - fair) / sigma:+.1f} standard deviations)")
        if abs(count - fair) > 6 * sigma:
            violations.append(f"{identity} holds {count} of {N}: more than 6 standard deviations from {fair:.0f}")


def acted_twice(replicas, marks):
    """Pipelines with an audit line in more than one replica since `marks`."""
    by = {}
    for r in replicas:
        for pipeline in r.audit_lines()[marks.get(r.identity, 0):]:
            by.setdefault(pipeline, set()).add(r.identity)
    return {p: s for p, s in by.items() if len(s) > 1}


def marks_of(replicas):
    return {r.identity: len(r.audit_lines()) for r in replicas}


os.makedirs(os.path.join(WORK, "repo", "apps"))
for i in range(N):
    folder = os.path.join(WORK, "repo", "apps", f"{i:04d}")
    os.makedirs(folder)
    with open(os.path.join(folder, "cm.yaml"), "w") as f:
        f.write(f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm-{i:04d}\n"
                f"  annotations: {{example.com/owner: \"team-{i % 7}\"}}\ndata:\n  value: \"one\"\n")

# Stopped (SIGTERM, as by the run script's caller): the replicas are stopped too, below.
signal.signal(signal.SIGTERM, lambda *_: sys.exit(f"stopped; logs in {WORK}"))
replicas = [Replica(f"replica-{chr(ord('a') + k)}") for k in range(R)]
try:
    print(f"{N} pipelines, {R} replicas, leaseDuration {args.lease_duration}, renewInterval {args.renew_interval}")
    seconds, owners, _ = settle(replicas, "start")
    print(f"1. start: every pipeline ready under one replica after {seconds:.1f} s")
    print_shares(owners, R)

    victim = replicas[1]
    survivors = [r for r in replicas if r is not victim]
    marks = marks_of(survivors)
    victim.process.send_signal(signal.SIGKILL)
    victim.process.wait()
    seconds, after_kill, _ = settle(survivors, "after kill -9")
    moved = [p for p, owner in owners.items() if owner == victim.identity]
    wrongly_moved = [p for p, owner in owners.items() if owner != victim.identity and after_kill[p] != owner]
    twice = acted_twice(survivors, marks)
    print(f"2. kill -9 of {victim.identity}: its {len(moved)} pipelines led by the others after {seconds:.1f} s; "
          f"{len(wrongly_moved)} others moved; {len(twice)} acted on by two replicas")
    print_shares(after_kill, R - 1)
    if wrongly_moved:
        violations.append(f"{len(wrongly_moved)} pipelines moved although their replica lives, e.g. {wrongly_moved[:3]}")
    if twice:
        violations.append(f"acted on by two replicas after the kill: {sorted(twice)[:3]}")

    joiner = Replica(f"replica-{chr(ord('a') + R)}")
    replicas.append(joiner)
    members = survivors + [joiner]
    marks = marks_of(members)
    seconds, after_join, gap = settle(members, "after the join", watch_gaps=True)
    taken = [p for p, owner in after_join.items() if owner == joiner.identity]
    between = [p for p, owner in after_join.items() if owner != joiner.identity and owner != after_kill[p]]
    twice = acted_twice(members, marks)
    print(f"3. {joiner.identity} joined: it leads its {len(taken)} pipelines after {seconds:.1f} s; the longest a "
          f"pipeline had no replica leading it was {gap:.1f} s (sampled every second); {len(between)} moved between "
          f"the others; {len(twice)} acted on by two replicas")
    print_shares(after_join, R)
    if between:
        violations.append(f"{len(between)} pipelines moved between replicas that stayed, e.g. {between[:3]}")
    if twice:
        violations.append(f"acted on by two replicas after the join: {sorted(twice)[:3]}")
    for r in members:
        print(f"  {r.identity}: {r.cpu_seconds():.1f} CPU s, peak RSS {r.peak_rss} MiB")
finally:
    for r in replicas:
        if r.process.poll() is None:
            r.process.send_signal(signal.SIGTERM)
    for r in replicas:
        try:
            r.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            r.process.kill()
print("load after: " + " ".join(open("/proc/loadavg").read().split()[:3]))
for v in violations:
    print("VIOLATION:", v)
sys.exit(1 if violations else 0)
