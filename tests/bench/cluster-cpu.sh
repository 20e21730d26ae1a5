# Sourced by the benchmarks that drive the tests/env cluster.
# cluster_cpu: CPU seconds used so far by the cluster's processes (API server,
# etcd, controllers, scheduler, kwok) of $DRIFTLESS_ENV_DIR: the work a tool
# causes on the machine's shared cores. cpu_since T: seconds used since T.
cluster_cpu() {
    local total=0 pid ticks f
    for f in "$DRIFTLESS_ENV_DIR"/pids/kube-*.pid; do
        read -r pid _ <"$f"  # "pid start-time"
        ticks=$(awk '{print $14 + $15}' "/proc/$pid/stat" 2>/dev/null || echo 0)
        total=$((total + ticks))
    done
    awk -v t="$total" -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.1f", t / hz }'
}
cpu_since() { awk -v a="$1" -v b="$(cluster_cpu)" 'BEGIN { printf "%.1f", b - a }'; }
