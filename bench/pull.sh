#!/usr/bin/env bash
# Cold pull of the fixture `layered` image (5 layers, ~51 MiB, one 50 MiB incompressible
# layer) from the fixture registry on loopback, unpacked and ready to run:
# hako vs the real Docker engine (Debian's docker.io, own socket and data root) vs
# `skopeo copy` to a directory (download only, no unpack). Before each run the image and
# its layers are removed (hako: rmi collects blobs and snapshots; docker: rmi; skopeo: rm
# -rf). Also reports the hako daemon's peak RSS growth during one pull (VmHWM after
# clear_refs) against its idle RSS.
#
#   bench/pull.sh [--runs N]       (HAKO_BIN=path skips the release build)
#
# Needs root, ../shared/fixtures, hyperfine, skopeo and docker.io.
#
# 2026-11-23, 2-core VM under load ~12 from four parallel builds, hako DEBUG build
# (HAKO_BIN=target-image/debug/hako; the release build did not fit the disk then), 5 runs:
# hako 1212 ms median, docker 20.10 2026 ms (hako/docker 0.60), skopeo dir: 938 ms
# (hako/skopeo 1.29, skopeo does not unpack); daemon RSS idle 21.5 MiB, +0.1 MiB peak
# during a pull.
# 2026-11-23 again, RELEASE build, load ~5 (other builds), 5 runs: hako 484 ms median,
# Docker 20.10 1176 ms (hako/docker 0.41), skopeo dir 537 ms (hako/skopeo 0.90); daemon
# RSS idle 15.5 MiB, +0 MiB peak during a pull.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
RUNS=10
bench_parse_runs "$@"

bench_prepare registry
IMAGE=127.0.0.1:5000/layered:latest
bench_start_engines pullbench
export HAKO_SOCK=$hako_sock PEER_SOCK=$peer_sock HAKO IMAGE WORK=$work

hyperfine --style basic --runs "$RUNS" --export-json "$work/pull.json" \
  -n hako --prepare "HAKO_HOST=unix://\$HAKO_SOCK \$HAKO rmi -f \$IMAGE >/dev/null 2>&1 || true" \
  "HAKO_HOST=unix://\$HAKO_SOCK \$HAKO pull -q \$IMAGE" \
  -n docker --prepare "DOCKER_HOST=unix://\$PEER_SOCK docker rmi -f \$IMAGE >/dev/null 2>&1 || true" \
  "DOCKER_HOST=unix://\$PEER_SOCK docker pull -q \$IMAGE" \
  -n skopeo --prepare "rm -rf \$WORK/skopeo" \
  "skopeo copy -q --src-tls-verify=false docker://\$IMAGE dir:\$WORK/skopeo"

python3 - "$work/pull.json" <<'PY'
import json, sys
r = {x["command"]: x for x in json.load(open(sys.argv[1]))["results"]}
h = r["hako"]["median"] * 1000
for name in ("hako", "docker", "skopeo"):
    m = r[name]["median"] * 1000
    print(f"{name:7s} median {m:7.1f} ms  (hako/{name} = {h / m:.2f})")
PY

# Peak memory of the daemon during one cold pull.
HAKO_HOST=unix://$hako_sock "$HAKO" rmi -f "$IMAGE" >/dev/null 2>&1 || true
idle=$(awk '/VmRSS/ {print $2}' "/proc/$hako_pid/status")
echo 5 >"/proc/$hako_pid/clear_refs"
HAKO_HOST=unix://$hako_sock "$HAKO" pull -q "$IMAGE" >/dev/null
peak=$(awk '/VmHWM/ {print $2}' "/proc/$hako_pid/status")
echo "hako daemon RSS: idle ${idle} KiB, peak during pull ${peak} KiB (+$(( (peak - idle) / 1024 )) MiB)"
