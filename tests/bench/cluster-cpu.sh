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
# cluster_cpu_each: "name seconds" for each kind of cluster process (apiserver, etcd,
# controller-manager, scheduler, kwok), summed over the clusters.
# cpu_each_since FILE: what each used since FILE (an earlier cluster_cpu_each), one line.
cluster_cpu_each() {
    local pid f name
    for f in "$DRIFTLESS_ENV_DIR"/pids/kube-*.pid; do
        read -r pid _ <"$f"
        name=$(basename "$f" .pid)
        name=${name#kube-}
        name=${name#[0-9]*-}
        awk -v n="$name" '{print n, $14 + $15}' "/proc/$pid/stat" 2>/dev/null
    done | awk -v hz="$(getconf CLK_TCK)" '{t[$1] += $2} END {for (n in t) printf "%s %.1f\n", n, t[n] / hz}' | sort
}
cpu_each_since() {
    cluster_cpu_each | awk 'NR == FNR {a[$1] = $2; next} {printf "%s%s %.1f", (n++ ? ", " : ""), $1, $2 - a[$1]} END {print ""}' "$1" -
}
