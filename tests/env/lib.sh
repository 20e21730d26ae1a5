# shellcheck shell=bash disable=SC2034
# Shared helpers for tests/env/up, tests/env/down and the smoke tests.

ENV_HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=versions.sh
. "$ENV_HERE/versions.sh"

ENV_USER=${USER:-$(id -un)}
DEFAULT_STATE_DIR=${DRIFTLESS_ENV_DIR:-/tmp/driftless-env-$ENV_USER}

# Where build-tools puts each tool.
KUBE_BIN=$DRIFTLESS_TOOLS_CACHE/kubernetes-$KUBERNETES_VERSION/bin
ETCD_BIN=$DRIFTLESS_TOOLS_CACHE/etcd-$ETCD_VERSION/bin
KWOK_DIR=$DRIFTLESS_TOOLS_CACHE/kwok-$KWOK_VERSION
MINIO_BIN=$DRIFTLESS_TOOLS_CACHE/minio-$MINIO_VERSION/bin
HELM_BIN=$DRIFTLESS_TOOLS_CACHE/helm-$HELM_VERSION-$HELM_BUILD/bin
KUSTOMIZE_BIN=$DRIFTLESS_TOOLS_CACHE/kustomize-$KUSTOMIZE_VERSION/bin
SOPS_BIN=$DRIFTLESS_TOOLS_CACHE/sops-$SOPS_VERSION/bin
AGE_BIN=$DRIFTLESS_TOOLS_CACHE/age-$AGE_VERSION/bin
githttp_key() { cat "$ENV_HERE"/go/githttp/*.go | cksum | cut -d' ' -f1; }
GITHTTP_BIN=$DRIFTLESS_TOOLS_CACHE/githttp-$GITHTTP_VERSION-$(githttp_key)/bin
registry_key() { cat "$ENV_HERE"/go/registry/*.go "$ENV_HERE"/go/registry/go.mod | cksum | cut -d' ' -f1; }
REGISTRY_BIN=$DRIFTLESS_TOOLS_CACHE/registry-$REGISTRY_VERSION-$(registry_key)/bin
kubeyaml_key() { cat "$ENV_HERE"/go/kubeyaml/*.go "$ENV_HERE"/go/kubeyaml/go.mod | cksum | cut -d' ' -f1; }
KUBEYAML_BIN=$DRIFTLESS_TOOLS_CACHE/kubeyaml-$KUBEYAML_VERSION-$(kubeyaml_key)/bin
gotemplate_key() { cat "$ENV_HERE"/go/gotemplate/*.go "$ENV_HERE"/go/gotemplate/go.mod | cksum | cut -d' ' -f1; }
GOTEMPLATE_BIN=$DRIFTLESS_TOOLS_CACHE/gotemplate-$GOTEMPLATE_VERSION-$(gotemplate_key)/bin
flux_key() { cat "$ENV_HERE"/go/flux/*/go.mod | cksum | cut -d' ' -f1; }
FLUX_DIR=$DRIFTLESS_TOOLS_CACHE/flux-$FLUX_SOURCE_CONTROLLER_VERSION-$FLUX_KUSTOMIZE_CONTROLLER_VERSION-$(flux_key)

log() { printf '[env] %s\n' "$*" >&2; }
die() { printf '[env] ERROR: %s\n' "$*" >&2; exit 1; }

# parse_state_dir "$@": sets STATE_DIR and ARGS (the remaining arguments)
parse_state_dir() {
    STATE_DIR=$DEFAULT_STATE_DIR
    ARGS=()
    while [ $# -gt 0 ]; do
        case $1 in
        --state-dir) [ $# -ge 2 ] || die "--state-dir needs a value"; STATE_DIR=$2; shift 2 ;;
        --state-dir=*) STATE_DIR=${1#--state-dir=}; shift ;;
        -h|--help) ARGS+=(--help); shift ;;
        *) ARGS+=("$1"); shift ;;
        esac
    done
    mkdir -p "$(dirname "$STATE_DIR")"
    STATE_DIR=$(cd "$(dirname "$STATE_DIR")" && pwd)/$(basename "$STATE_DIR")
}

# proc_start_time PID: the kernel's start time of PID (field 22 of /proc/PID/stat);
# fails when PID does not exist or is a zombie (exited, not yet reaped)
proc_start_time() {
    local stat
    read -r stat 2>/dev/null <"/proc/$1/stat" || return 1
    stat=${stat##*) }           # drop "pid (comm) "
    # shellcheck disable=SC2086
    set -- $stat
    [ "$1" != Z ] || return 1
    echo "${20}"
}

# group_alive PGID: some process of process group PGID still runs (zombies do not count)
group_alive() {
    local pg=$1 f stat
    for f in /proc/[0-9]*/stat; do
        read -r stat 2>/dev/null <"$f" || continue
        stat=${stat##*) }
        # shellcheck disable=SC2086
        set -- $stat
        [ "$3" = "$pg" ] && [ "$1" != Z ] && return 0
    done
    return 1
}

# pidfile_alive FILE: the process recorded in FILE (pid + start time) still runs
pidfile_alive() {
    local pid start now
    [ -f "$1" ] || return 1
    read -r pid start <"$1" || return 1
    [ -n "$pid" ] || return 1
    now=$(proc_start_time "$pid") || return 1
    [ "$now" = "$start" ]
}

# free_ports N: print N distinct free TCP ports on 127.0.0.1 (held open together while chosen)
free_ports() {
    python3 - "$1" <<'PY'
import socket, sys
socks = []
for _ in range(int(sys.argv[1])):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    socks.append(s)
print(" ".join(str(s.getsockname()[1]) for s in socks))
for s in socks:
    s.close()
PY
}

# wait_port PORT SECONDS: until something accepts TCP connections on 127.0.0.1:PORT
wait_port() {
    local port=$1 deadline=$((SECONDS + $2))
    while [ $SECONDS -lt $deadline ]; do
        if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then return 0; fi
        sleep 0.2
    done
    return 1
}
