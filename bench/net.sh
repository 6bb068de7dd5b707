#!/usr/bin/env bash
# Networking: hako against the real Docker engine (Debian's docker.io) in one run.
#  1. `run --rm busybox true` on each engine's default bridge (veth, address, NAT):
#     hyperfine medians.
#  2. A published port on loopback: busybox httpd in a container behind `-p 18080:80`,
#     loaded with ApacheBench (`ab -n REQUESTS -c 16`, bounded in count and time) against
#     127.0.0.1:18080; requests/s and p99. Docker is measured with its userland proxy on
#     (its default) and off (DNAT with route_localnet).
# Every engine runs in a network namespace of its own (entered with nsenter, which leaves
# the mount namespace and so the cgroup mounts alone): bridges, veths and NAT rules stay in
# there and go when the namespace is deleted at exit, whatever happens.
#
#   bench/net.sh [--runs N] [--requests N]      (HAKO_BIN=path skips the release build)
#
# Needs root, ../shared/fixtures (busybox rootfs), hyperfine, ab (apache2-utils) and
# docker.io: installed by scripts/install-deps.sh --bench.
#
# 2026-11-23, 2-core VM (load ~1.5 at start, other builds running), release build, 20 runs,
# ab -n 10000 -c 16: run --rm on the default bridge hako 22.3 ms median (--network none
# 18.3 ms), Docker 20.10 379.8 ms (hako/docker 0.06). Published port on 127.0.0.1: hako
# 4188 req/s p99 6 ms; Docker 2174 req/s p99 12 ms with its userland proxy, 3177 req/s p99
# 10 ms without (hako/docker 1.93 and 1.32).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
shared=${HAKO_SHARED:-$(cd .. && pwd)/shared}
RUNS=20
REQUESTS=20000
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) RUNS=$2; shift ;;
    --requests) REQUESTS=$2; shift ;;
    *) echo "usage: bench/net.sh [--runs N] [--requests N]" >&2; exit 2 ;;
  esac
  shift
done

bash scripts/install-deps.sh --bench
"$shared/fixtures/install-deps" >/dev/null
"$shared/fixtures/make-images" --quiet
if [ -z "${HAKO_BIN:-}" ]; then
  cargo build --release --locked -p hako >/dev/null 2>&1 || cargo build --release --locked -p hako
fi
HAKO=${HAKO_BIN:-$PWD/target/release/hako}
ROOTFS=${HAKO_FIXTURES_DIR:-/var/cache/hako-fixtures}/rootfs/busybox-amd64.tar

work=$(mktemp -d /tmp/hako-netbench.XXXXXX)
run=$(mktemp -d /tmp/hn.XXXXXX)          # short: monitor socket paths live under it
tag=$$
engines=(hako proxy noproxy)             # hako, docker with and without userland proxy
pids=()
cleanup() {
  set +e
  for e in "${engines[@]}"; do
    local s=$work/$e.sock
    [ -S "$s" ] || continue
    DOCKER_HOST=unix://$s docker rm -f $(DOCKER_HOST=unix://$s docker ps -aq 2>/dev/null) >/dev/null 2>&1
  done
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
  for p in "${pids[@]}"; do while kill -0 "$p" 2>/dev/null; do sleep 0.1; done; done
  grep -o "$work[^ ]*" /proc/self/mountinfo | sort -r | xargs -r -n1 umount -l 2>/dev/null
  for e in "${engines[@]}"; do ip netns del "hnb-$e-$tag" 2>/dev/null; done
  rm -rf "$work" "$run"
  rmdir /sys/fs/cgroup/*/hako-netbench 2>/dev/null
  rmdir /sys/fs/cgroup/*/docker 2>/dev/null # the peers' parent, if nothing else uses it
}
trap cleanup EXIT

in_ns() { local e=$1; shift; nsenter --net="/run/netns/hnb-$e-$tag" "$@"; }
echo "== starting engines, each in its own network namespace"
for e in "${engines[@]}"; do
  ip netns add "hnb-$e-$tag"
  in_ns "$e" ip link set lo up
done
# nsenter execs the daemon in place, so `$!` is the daemon itself (cleanup kills it).
nsenter --net="/run/netns/hnb-hako-$tag" "$HAKO" daemon --socket "$work/hako.sock" --data-root "$work/hako" \
  --exec-root "$run" --cgroup-parent hako-netbench --log-level warn >"$work/hako.log" 2>&1 &
pids+=($!)
for e in proxy noproxy; do
  proxy=true; [ "$e" = noproxy ] && proxy=false
  nsenter --net="/run/netns/hnb-$e-$tag" dockerd --host "unix://$work/$e.sock" --data-root "$work/$e" \
    --exec-root "$work/$e-exec" --pidfile "$work/$e.pid" --userland-proxy=$proxy \
    --log-level warn >"$work/$e.log" 2>&1 &
  pids+=($!)
done
for e in "${engines[@]}"; do
  for _ in $(seq 1 300); do
    DOCKER_HOST=unix://$work/$e.sock docker version >/dev/null 2>&1 && break
    sleep 0.1
  done
  DOCKER_HOST=unix://$work/$e.sock docker version >/dev/null 2>&1 ||
    { echo "$e did not start:"; cat "$work/$e.log"; exit 1; }
done
H() { HAKO_HOST=unix://$work/hako.sock "$HAKO" "$@"; }
D() { local e=$1; shift; DOCKER_HOST=unix://$work/$e.sock docker "$@"; }
H import "$ROOTFS" busybox:latest >/dev/null
for e in proxy noproxy; do D "$e" import "$ROOTFS" busybox:latest >/dev/null; done
echo "hako: $(H version --format '{{.Server.Version}}'); docker: $(D proxy version --format '{{.Server.Version}}')"

median() { python3 -c 'import json,sys; r=json.load(open(sys.argv[1]))["results"]; print(" ".join("%.1f" % (x["median"]*1000) for x in r))' "$1"; }
echo "== run --rm busybox true on the default bridge ($RUNS runs each)"
hyperfine --style none --warmup 3 --runs "$RUNS" --export-json "$work/bridge.json" \
  "HAKO_HOST=unix://$work/hako.sock $HAKO run --rm busybox true" \
  "DOCKER_HOST=unix://$work/proxy.sock docker run --rm busybox true" \
  "HAKO_HOST=unix://$work/hako.sock $HAKO run --rm --network none busybox true" >/dev/null
read -r hako_ms docker_ms hako_none_ms < <(median "$work/bridge.json")

echo "== published port: ab -n $REQUESTS -c 16 http://127.0.0.1:18080/"
SERVE='mkdir -p /www && echo hako-netbench > /www/index.html && exec httpd -f -p 80 -h /www'
load() { # engine -> "requests/s p99_ms"
  local e=$1
  for _ in $(seq 1 100); do
    in_ns "$e" curl -fsS -m 1 http://127.0.0.1:18080/ 2>/dev/null | grep -q hako-netbench && break
    sleep 0.1
  done
  in_ns "$e" ab -q -n 500 -c 16 http://127.0.0.1:18080/ >/dev/null 2>&1 # warm-up
  in_ns "$e" ab -q -n "$REQUESTS" -c 16 -s 10 -t 60 http://127.0.0.1:18080/ >"$work/ab-$e.txt" 2>&1
  local rps p99 failed
  rps=$(awk '/^Requests per second:/ {print $4}' "$work/ab-$e.txt")
  p99=$(awk '$1 == "99%" {print $2}' "$work/ab-$e.txt")
  failed=$(awk '/^Failed requests:/ {print $3}' "$work/ab-$e.txt")
  [ "${failed:-1}" = 0 ] || { echo "$e: failed requests:"; cat "$work/ab-$e.txt" >&2; }
  echo "$rps $p99"
}
H run -d --name web -p 18080:80 busybox sh -c "$SERVE" >/dev/null
read -r hako_rps hako_p99 < <(load hako)
for e in proxy noproxy; do
  D "$e" run -d --name web -p 18080:80 busybox sh -c "$SERVE" >/dev/null
done
read -r proxy_rps proxy_p99 < <(load proxy)
read -r noproxy_rps noproxy_p99 < <(load noproxy)

ratio() { python3 -c "import sys; print('%.2f' % (float(sys.argv[1]) / float(sys.argv[2])))" "$1" "$2"; }
echo
echo "run --rm busybox true, default bridge (median ms): hako $hako_ms, docker $docker_ms, hako/docker $(ratio "$hako_ms" "$docker_ms"); hako with --network none $hako_none_ms"
printf '%-28s %12s %8s\n' "published port 127.0.0.1" "requests/s" "p99 ms"
printf '%-28s %12s %8s\n' hako "$hako_rps" "$hako_p99"
printf '%-28s %12s %8s\n' "docker (userland proxy)" "$proxy_rps" "$proxy_p99"
printf '%-28s %12s %8s\n' "docker (no userland proxy)" "$noproxy_rps" "$noproxy_p99"
echo "hako/docker requests/s: $(ratio "$hako_rps" "$proxy_rps") (proxy), $(ratio "$hako_rps" "$noproxy_rps") (no proxy)"
