# What the benchmarks comparing hako with the real Docker engine share, sourced by them
# after `cd` to the repository root: dependencies and fixtures, the release build, a temp
# dir with both engines on their own sockets and data roots, and the removal of all of it
# on exit, whatever happens.
#
#   bench_parse_runs "$@"              the simpler benchmarks' one option, --runs N (RUNS).
#   bench_prepare images|registry...   deps, then the fixture images or the registry;
#                                      builds target/release/hako unless HAKO_BIN is set.
#                                      Sets HAKO, ROOTFS, shared.
#   bench_start_engines NAME           temp dirs, cleanup trap, then `hako daemon` and
#                                      dockerd (no bridge, no iptables). Sets work, run,
#                                      hako_sock, peer_sock, hako_pid, docker_pid, pids.

export PATH="$HOME/.cargo/bin:$PATH"
shared=${HAKO_SHARED:-$(cd .. && pwd)/shared}

bench_parse_runs() {
  while [ $# -gt 0 ]; do
    case "$1" in
      --runs) RUNS=$2; shift ;;
      *) echo "usage: $0 [--runs N]" >&2; exit 2 ;;
    esac
    shift
  done
}

bench_prepare() {
  bash scripts/install-deps.sh --bench
  "$shared/fixtures/install-deps" >/dev/null
  local what
  for what in "$@"; do
    case "$what" in
      images) "$shared/fixtures/make-images" --quiet ;;
      registry) "$shared/fixtures/registry" start >/dev/null ;;
    esac
  done
  if [ -z "${HAKO_BIN:-}" ]; then
    cargo build --release --locked -p hako >/dev/null 2>&1 || cargo build --release --locked -p hako
  fi
  HAKO=${HAKO_BIN:-$PWD/target/release/hako}
  ROOTFS=${HAKO_FIXTURES_DIR:-/var/cache/hako-fixtures}/rootfs/busybox-amd64.tar
}

bench_cleanup() {
  set +e
  local s p
  for s in "$hako_sock" "$peer_sock"; do
    [ -S "$s" ] || continue
    DOCKER_HOST=unix://$s docker rm -f $(DOCKER_HOST=unix://$s docker ps -aq 2>/dev/null) >/dev/null 2>&1
  done
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
  for p in "${pids[@]}"; do while kill -0 "$p" 2>/dev/null; do sleep 0.1; done; done
  # containerd started by dockerd exits with it; its mounts go with the data root.
  grep -o "$work[^ ]*" /proc/self/mountinfo | sort -r | xargs -r -n1 umount -l 2>/dev/null
  rm -rf "$work" "$run"
  rmdir /sys/fs/cgroup/*/"$bench_cgroup" 2>/dev/null
}

bench_start_engines() {
  local name=$1
  bench_cgroup=hako-$name
  work=$(mktemp -d "/tmp/hako-$name.XXXXXX")
  run=$(mktemp -d /tmp/hb.XXXXXX)          # short: monitor socket paths live under it
  hako_sock=$work/hako.sock
  peer_sock=$work/docker.sock
  pids=()
  trap bench_cleanup EXIT
  "$HAKO" daemon --socket "$hako_sock" --data-root "$work/hako" --exec-root "$run" \
    --cgroup-parent "$bench_cgroup" --log-level warn >"$work/hako.log" 2>&1 &
  pids+=($!)
  hako_pid=$!
  dockerd --host "unix://$peer_sock" --data-root "$work/docker" --exec-root "$work/docker-exec" \
    --pidfile "$work/docker.pid" --iptables=false --ip6tables=false --bridge=none \
    --log-level warn >"$work/docker.log" 2>&1 &
  pids+=($!)
  docker_pid=$!
  local _
  for _ in $(seq 1 200); do
    [ -S "$hako_sock" ] && [ -S "$peer_sock" ] && \
      DOCKER_HOST=unix://$peer_sock docker version >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  echo "the engines did not start: see $work/hako.log and $work/docker.log" >&2
  return 1
}
