#!/usr/bin/env bash
# Benchmarks hako against the real Docker engine (Debian's docker.io) in one run, on the
# same fixture busybox image, and prints medians and ratios. Both engines run on their own
# sockets and data roots under a temp dir; everything started here is stopped on exit.
#
#   bench/run.sh [--runs N] [--quick]      (HAKO_BIN=path skips the release build)
#
# Needs root, ../shared/fixtures (busybox rootfs), hyperfine and docker.io (installed by
# scripts/install-deps.sh --bench).
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
RUNS=30
MANY=50
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) RUNS=$2; shift ;;
    --quick) RUNS=10; MANY=10 ;;
    *) echo "usage: bench/run.sh [--runs N] [--quick]" >&2; exit 2 ;;
  esac
  shift
done

bench_prepare images

echo "== starting engines"
bench_start_engines bench
H() { HAKO_HOST=unix://$hako_sock "$HAKO" "$@"; }
DH() { DOCKER_HOST=unix://$hako_sock docker "$@"; }
DD() { DOCKER_HOST=unix://$peer_sock docker "$@"; }
H import "$ROOTFS" busybox:latest >/dev/null
DD import "$ROOTFS" busybox:latest >/dev/null
echo "hako: $(H version --format '{{.Server.Version}}' 2>/dev/null || echo '?'); docker: $(DD version --format '{{.Server.Version}}')"

results=$work/results.txt
: >"$results"
median() { python3 -c 'import json,sys; r=json.load(open(sys.argv[1]))["results"]; print(" ".join("%.1f" % (x["median"]*1000) for x in r))' "$1"; }
bench() { # name, then commands
  local name=$1; shift
  hyperfine --style none --warmup 3 --runs "$RUNS" --export-json "$work/$name.json" "$@" >/dev/null 2>&1 ||
    hyperfine --style none --warmup 3 --runs "$RUNS" --export-json "$work/$name.json" "$@"
  echo "$name $(median "$work/$name.json")" >>"$results"
}

echo "== run --rm --network none busybox true ($RUNS runs each)"
bench run \
  "HAKO_HOST=unix://$hako_sock $HAKO run --rm --network none busybox true" \
  "DOCKER_HOST=unix://$hako_sock docker run --rm --network none busybox true" \
  "DOCKER_HOST=unix://$peer_sock docker run --rm --network none busybox true"

echo "== exec CONTAINER true"
H run -d --name bench-exec --network none busybox sleep 100000 >/dev/null
DD run -d --name bench-exec --network none busybox sleep 100000 >/dev/null
bench exec \
  "HAKO_HOST=unix://$hako_sock $HAKO exec bench-exec true" \
  "DOCKER_HOST=unix://$peer_sock docker exec bench-exec true"

echo "== memory (idle daemons)"
sleep 1
rss_kib() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }
pss_kib() { awk '/^Pss:/ {print $2}' "/proc/$1/smaps_rollup"; }
mean_pss() { # pids...: mean PSS in KiB
  local sum=0 n=0 p
  for p in "$@"; do sum=$((sum + $(pss_kib "$p"))); n=$((n + 1)); done
  [ "$n" -gt 0 ] && echo $((sum / n)) || echo 0
}
containerd_pid=$(pgrep -f "containerd.*$work" | head -n1 || true)
hako_rss=$(rss_kib "$hako_pid")
docker_rss=$(( $(rss_kib "$docker_pid") + ${containerd_pid:+$(rss_kib "$containerd_pid")}+0 ))
echo "mem daemon_rss_kib $hako_rss $docker_rss" >>"$results"

echo "== $MANY x run -d sleep, then rm -f all"
many() { # engine function
  local fn=$1 start end ids=()
  start=$(date +%s%N)
  for _ in $(seq 1 "$MANY"); do ids+=("$($fn run -d --network none busybox sleep 100000)"); done
  end=$(date +%s%N)
  local run_ms=$(( (end - start) / 1000000 ))
  sleep 1
  # Per-container overhead: the mean PSS of the processes that hold each container.
  if [ "$fn" = H ]; then
    echo "mem monitor_pss_kib_mean $(mean_pss $(pgrep -f "hako monitor $run/c/")) -" >>"$results"
  else
    echo "mem shim_pss_kib_mean $(mean_pss $(pgrep -f "containerd-shim.*$work")) -" >>"$results"
  fi
  start=$(date +%s%N)
  $fn rm -f "${ids[@]}" >/dev/null
  end=$(date +%s%N)
  echo "$run_ms $(( (end - start) / 1000000 ))"
}
read -r h_run h_rm < <(many H)
read -r d_run d_rm < <(many DD)
echo "many run_ms $h_run $d_run" >>"$results"
echo "many rm_ms $h_rm $d_rm" >>"$results"

echo
echo "== results (medians in ms unless stated; ratio = docker / hako)"
python3 - "$results" <<'PY'
import sys
rows = [l.split() for l in open(sys.argv[1]) if l.strip()]
mem = {}
def ratio(a, b):
    a, b = float(a), float(b)
    return f"{b / a:.1f}x" if a > 0 else "n/a"
for r in rows:
    if r[0] == "run":
        hako, dcli_hako, docker = r[1:4]
        print(f"run --rm true      hako CLI {hako:>8} | docker CLI->hako {dcli_hako:>8} | docker CLI->Docker {docker:>8} | Docker/hako {ratio(hako, docker)}, docker CLI Docker/hako {ratio(dcli_hako, docker)}")
    elif r[0] == "exec":
        print(f"exec true          hako CLI {r[1]:>8} | docker CLI->Docker {r[2]:>8} | Docker/hako {ratio(r[1], r[2])}")
    elif r[0] == "mem":
        mem[r[1]] = r[2:]
    elif r[0] == "many":
        print(f"{r[1]:<18} hako {r[2]:>8} | Docker {r[3]:>8} | Docker/hako {ratio(r[2], r[3])}")
if "daemon_rss_kib" in mem:
    h, d = mem["daemon_rss_kib"]
    print(f"daemon RSS KiB     hako {h:>8} | dockerd+containerd {d:>8} | Docker/hako {ratio(h, d)}")
if "monitor_pss_kib_mean" in mem and "shim_pss_kib_mean" in mem:
    h, d = mem["monitor_pss_kib_mean"][0], mem["shim_pss_kib_mean"][0]
    print(f"per-container PSS  hako monitor {h:>6} KiB | containerd shim {d:>6} KiB | Docker/hako {ratio(h, d)}")
PY
