#!/usr/bin/env bash
# Push of the fixture `layered` image (5 layers, ~51 MiB, one 50 MiB incompressible layer:
# sent in 16 MiB chunks, the others whole) to the fixture registry on loopback. `layered`
# is loaded from its archive, so no blob can be mounted from another repository; each run
# pushes it under a fresh repository (the previous tag removed first, so the image has no
# repository on that registry to mount from), i.e. every blob is uploaded every time.
# Also reports the hako daemon's peak RSS growth during one push against its idle RSS.
# The Docker engine is left out: it remembers where it pushed a layer and mounts it from
# there next time, so only its first push would upload.
#
#   bench/push.sh [--runs N]       (HAKO_BIN=path skips the release build)
#
# Needs root, ../shared/fixtures, hyperfine and docker.io (for bench/lib.sh's peer).
#
# 2026-11-23, 2-core VM, load ~1.5-2, DEBUG builds (HAKO_BIN), 10 runs each, alternated:
# before chunking (725a760, every blob one PUT) 360.1 and 339.2 ms median; with 16 MiB
# chunks 346.9 and 364.6 ms median: no difference beyond the noise. The registry spends
# ~300 ms on the 50 MiB blob either way (one PUT of 303 ms, or four PATCHes of 76-101 ms
# and 12-21 ms plus a closing PUT of ~37 ms, from its log). Daemon RSS: +0 MiB during a
# push (blobs are streamed from the content store, chunks too).
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
RUNS=10
bench_parse_runs "$@"

bench_prepare images registry
bench_start_engines pushbench
archive=${HAKO_FIXTURES_DIR:-/var/cache/hako-fixtures}/archives/layered.tar
HAKO_HOST=unix://$hako_sock "$HAKO" load -q -i "$archive" >/dev/null
export HAKO_HOST=unix://$hako_sock HAKO WORK=$work
# A fresh repository per run: untag the last one, tag the next.
prepare='[ -f $WORK/ref ] && $HAKO rmi $(cat $WORK/ref) >/dev/null; echo 127.0.0.1:5000/hako-bench-push-$$-$(date +%s%N):t >$WORK/ref; $HAKO tag layered:latest $(cat $WORK/ref)'

hyperfine --style basic --runs "$RUNS" --export-json "$work/push.json" \
  -n hako --prepare "$prepare" '$HAKO push $(cat $WORK/ref) >/dev/null'

python3 - "$work/push.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))["results"][0]
print(f"hako push layered: median {r['median'] * 1000:.1f} ms, min {r['min'] * 1000:.1f} ms, max {r['max'] * 1000:.1f} ms")
PY

# Peak memory of the daemon during one push.
sh -c "$prepare"
idle=$(awk '/VmRSS/ {print $2}' "/proc/$hako_pid/status")
echo 5 >"/proc/$hako_pid/clear_refs"
"$HAKO" push "$(cat "$work/ref")" >/dev/null
peak=$(awk '/VmHWM/ {print $2}' "/proc/$hako_pid/status")
echo "hako daemon RSS: idle ${idle} KiB, peak during push ${peak} KiB (+$(( (peak - idle) / 1024 )) MiB)"
