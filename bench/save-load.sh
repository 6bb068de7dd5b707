#!/usr/bin/env bash
# `save -o` and `load -i` of the fixture `layered` image (5 layers, ~51 MiB uncompressed,
# pulled from the fixture registry as gzip layers): hako vs the real Docker engine
# (Debian's docker.io, own socket and data root). Save writes to a file on the same disk;
# before each load the image is removed, so the load stores and unpacks every layer.
#
#   bench/save-load.sh [--runs N]       (HAKO_BIN=path skips the release build)
#
# Needs root, ../shared/fixtures, hyperfine and docker.io.
#
# 2026-11-23, 2-core VM shared with other builds (load 4-19), hako release build, dockerd
# 20.10.24, medians: 3 runs: save 239 vs 542 ms, load 415 vs 705 ms, save+load 654 vs
# 1246 ms (docker/hako 1.91); 5 runs: save 227 vs 543 ms, load 493 vs 1125 ms, save+load
# 720 vs 1668 ms (2.32). Re-measure on a quiet machine.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
RUNS=5
bench_parse_runs "$@"

bench_prepare registry
IMAGE=127.0.0.1:5000/layered:latest
bench_start_engines slbench
export HAKO_SOCK=$hako_sock PEER_SOCK=$peer_sock HAKO IMAGE WORK=$work
HAKO_HOST=unix://$hako_sock "$HAKO" pull -q "$IMAGE" >/dev/null
DOCKER_HOST=unix://$peer_sock docker pull -q "$IMAGE" >/dev/null

h="HAKO_HOST=unix://\$HAKO_SOCK \$HAKO"
d="DOCKER_HOST=unix://\$PEER_SOCK docker"
hyperfine --style basic --runs "$RUNS" --export-json "$work/save.json" \
  -n hako "$h save -o \$WORK/hako.tar \$IMAGE" \
  -n docker "$d save -o \$WORK/docker.tar \$IMAGE"
hyperfine --style basic --runs "$RUNS" --export-json "$work/load.json" \
  -n hako --prepare "$h rmi -f \$IMAGE >/dev/null" "$h load -q -i \$WORK/hako.tar" \
  -n docker --prepare "$d rmi -f \$IMAGE >/dev/null" "$d load -q -i \$WORK/docker.tar"

python3 - "$work/save.json" "$work/load.json" <<'PY'
import json, sys
med = {}
for verb, path in (("save", sys.argv[1]), ("load", sys.argv[2])):
    for x in json.load(open(path))["results"]:
        med[(verb, x["command"])] = x["median"] * 1000
for verb in ("save", "load"):
    h, d = med[(verb, "hako")], med[(verb, "docker")]
    print(f"{verb}: hako {h:7.1f} ms  docker {d:7.1f} ms  (docker/hako {d / h:.2f})")
h = med[("save", "hako")] + med[("load", "hako")]
d = med[("save", "docker")] + med[("load", "docker")]
print(f"save+load: hako {h:7.1f} ms  docker {d:7.1f} ms  (docker/hako {d / h:.2f})")
PY
