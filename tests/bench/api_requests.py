"""Requests the API server counted between two reads of its /metrics, per app.

As a program: api_requests.py BEFORE AFTER APPS, where BEFORE and AFTER hold the
apiserver_request_total lines of the cluster(s) (`kubectl get --raw /metrics`,
concatenated for several clusters) read before and after one tool's run. Prints
two lines, each "total N: VERB n, ..." per app:

  all    every request of the run: the tool's and the controllers' (ReplicaSets,
         Pods, bindings, status updates), which are the same whoever applies;
  tool   the requests on what the tools themselves read and write: the app's
         kinds, ConfigMaps (driftless's inventory) and Namespaces, main resource
         only (no status or other subresource). The controllers write those
         kinds' status only, so this is the tool's, but for the fleet bench's own
         LIST of Deployments while it waits for kubectl's to be Available.

Server-side apply is the verb APPLY; its dry runs are counted apart as
"APPLY dry-run".
"""
import re
import sys
from collections import Counter

TOOL_RESOURCES = {"serviceaccounts", "deployments", "services", "ingresses", "configmaps", "namespaces"}
LINE = re.compile(r"^apiserver_request_total\{(.*)\} ([0-9.e+]+)$")
LABEL = re.compile(r'(\w+)="((?:[^"\\]|\\.)*)"')
ORDER = ["GET", "LIST", "WATCH", "APPLY", "APPLY dry-run", "PATCH", "POST", "PUT", "DELETE"]


def read(path):
    """Counter of (verb, tool?) -> requests, summed over the clusters in the file."""
    counts = Counter()
    with open(path) as f:
        for line in f:
            m = LINE.match(line.strip())
            if not m:
                continue
            labels = dict(LABEL.findall(m.group(1)))
            verb = labels.get("verb", "?")
            if labels.get("dry_run"):
                verb += " dry-run"
            tool = labels.get("resource") in TOOL_RESOURCES and not labels.get("subresource")
            counts[(verb, tool)] += float(m.group(2))
    return counts


def line(verbs, apps):
    named = [v for v in ORDER if verbs.get(v)] + sorted(v for v in verbs if v not in ORDER and verbs[v])
    parts = [f"{v} {verbs[v] / apps:.2f}" for v in named]
    return f"total {sum(verbs.values()) / apps:.2f}: " + ", ".join(parts)


def main():
    before, after, apps = read(sys.argv[1]), read(sys.argv[2]), int(sys.argv[3])
    delta = {k: after[k] - before.get(k, 0) for k in after}
    every, tool = Counter(), Counter()
    for (verb, of_tool), n in delta.items():
        every[verb] += n
        if of_tool:
            tool[verb] += n
    print("all  " + line(every, apps))
    print("tool " + line(tool, apps))


if __name__ == "__main__":
    main()
