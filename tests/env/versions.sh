# shellcheck shell=bash
# The one place where the test environment's tool versions are pinned.
# Sourced by tests/env/build-tools, tests/env/up and friends.
# Changing a version here makes build-tools build it into a new cache folder.

KUBERNETES_VERSION=v1.36.3     # k8s.io/kubernetes; staging modules at v0.36.3 (see go/kubernetes/go.mod)
ETCD_VERSION=v3.6.16           # go.etcd.io/etcd/server/v3 (see go/etcd/go.mod)
KWOK_VERSION=v0.8.0            # sigs.k8s.io/kwok
HELM_VERSION=v3.22.0           # helm.sh/helm/v3
HELM_BUILD=2                   # bump when build_helm's flags change (2: the default KubeVersion of a release)
KUSTOMIZE_VERSION=v5.8.2       # sigs.k8s.io/kustomize/kustomize/v5 (v5.8.3 needs Go 1.27)
SOPS_VERSION=v3.13.3           # github.com/getsops/sops/v3 (differential tests of the sops renderer)
AGE_VERSION=v1.3.2             # filippo.io/age (age and age-keygen, keys for the sops tests)
# MinIO publishes no semver tags; the Go module proxy serves pseudo-versions only.
MINIO_VERSION=v0.0.0-20260212201848-7aac2a2c5b7c   # github.com/minio/minio (see go/minio/go.mod)
GITHTTP_VERSION=1              # our own tests/env/go/githttp; bump when its source changes
REGISTRY_VERSION=1             # our own tests/env/go/registry (go-containerregistry v0.22.1, see its go.mod)
KUBEYAML_VERSION=1             # our own tests/env/go/kubeyaml (kubectl's reader: cli-runtime v0.36.3, see its go.mod)
GOTEMPLATE_VERSION=1           # our own tests/env/go/gotemplate (Argo CD's template engine: sprig v3.3.0, see its go.mod)
# Flux v2.9's controllers, for tests/bench/peers/flux only (built on demand: build-tools flux).
FLUX_SOURCE_CONTROLLER_VERSION=v1.9.6     # github.com/fluxcd/source-controller (see go/flux/source-controller/go.mod)
FLUX_KUSTOMIZE_CONTROLLER_VERSION=v1.9.6  # github.com/fluxcd/kustomize-controller (see go/flux/kustomize-controller/go.mod)

# Where build-tools caches everything (HOME may be unset in CI: ask passwd then).
DRIFTLESS_TOOLS_CACHE=${DRIFTLESS_TOOLS_CACHE:-${HOME:-$(getent passwd "$(id -u)" | cut -d: -f6)}/.cache/driftless/tools}
