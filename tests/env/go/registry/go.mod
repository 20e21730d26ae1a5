// registry: the test environment's OCI registry (go-containerregistry's registry, basic auth, loopback only).
module driftless.dev/tests/env/registry

go 1.26.0

require github.com/google/go-containerregistry v0.22.1
