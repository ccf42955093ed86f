#!/usr/bin/env bash
# Two server instances on one PostgreSQL against one (issue 11: aggregate GET-by-filter
# throughput ≥ 1.6× one instance's, "2 cores permitting"). A private PostgreSQL from the
# system's binaries in a temporary directory (fsync off), the release example server twice on
# it, 1,000 users seeded through the first; then wrk against one instance with CONNS
# connections, and against both at once with CONNS/2 each (the sum), in one run. Bounded: every
# wrk run lasts DURATION; servers and PostgreSQL are stopped by their pids on exit.
#
#   DURATION=5s bench/loopback/instances.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
DURATION=${DURATION:-10s}
CONNS=${CONNS:-16}
USERS=${USERS:-1000}
export TOKEN=bench-token-0123456789abcdef0123456789abcdef
cargo build --release -q --example server
pg_bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
[ -n "$pg_bin" ] || { echo "no PostgreSQL binaries (apt-get install postgresql)" >&2; exit 1; }
work=$(mktemp -d)
pids=()
as_pg() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    as_pg "$pg_bin/pg_ctl" -D "$work/pg" -m fast stop >/dev/null 2>&1 || true
    rm -rf "$work"
}
trap cleanup EXIT
[ "$(id -u)" -ne 0 ] || chown postgres "$work"
as_pg "$pg_bin/initdb" -D "$work/pg" -A trust -U postgres -E UTF8 --no-sync >/dev/null
port=$((20000 + RANDOM % 30000))
as_pg "$pg_bin/pg_ctl" -D "$work/pg" -l "$work/pg.log" -w -t 60 \
    -o "-p $port -c listen_addresses=127.0.0.1 -c unix_socket_directories=$work -c fsync=off -c synchronous_commit=off" \
    start >/dev/null
url="postgres://postgres@127.0.0.1:$port/postgres"

start() { # name port
    target/release/examples/server --listen "127.0.0.1:$2" --tenant "default=env:TOKEN" \
        --quiet --db "$url" >"$work/$1.log" 2>&1 &
    pids+=($!)
    for _ in $(seq 1 100); do
        curl -s -o /dev/null "http://127.0.0.1:$2/healthz" && return 0
        sleep 0.1
    done
    echo "$1 did not start:" >&2
    cat "$work/$1.log" >&2
    exit 1
}
start one 18190
start two 18191

python3 - "$USERS" <<'PY'
import json, os, sys, urllib.request
for i in range(int(sys.argv[1])):
    body = json.dumps({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "userName": f"user{i}@example.com", "active": True,
        "emails": [{"primary": True, "type": "work", "value": f"user{i}@example.com"}]}).encode()
    req = urllib.request.Request("http://127.0.0.1:18190/scim/v2/Users", data=body,
        method="POST", headers={"Content-Type": "application/scim+json",
        "Authorization": "Bearer " + os.environ["TOKEN"]})
    urllib.request.urlopen(req).read()
PY

filter="/scim/v2/Users?filter=userName%20eq%20%22user500@example.com%22"
run() { # port connections → req/s (fails on any non-2xx answer)
    local out
    out=$(wrk -t1 "-c$2" "-d$DURATION" -H "Authorization: Bearer $TOKEN" \
        "http://127.0.0.1:$1$filter")
    if grep -q "Non-2xx" <<<"$out"; then echo "non-2xx answers: $out" >&2; exit 1; fi
    awk '/^Requests\/sec/ {print $2}' <<<"$out"
}
single=$(run 18190 "$CONNS")
half=$((CONNS / 2))
run 18190 "$half" >"$work/a" &
a=$!
run 18191 "$half" >"$work/b" &
b=$!
wait "$a" "$b"
both=$(python3 -c "print(round($(cat "$work/a") + $(cat "$work/b"), 2))")
echo "| GET by filter, $CONNS connections | one instance (req/s) | two instances (sum) | ratio |"
echo "|---|---|---|---|"
echo "| $DURATION | $single | $both ($(cat "$work/a") + $(cat "$work/b")) | $(python3 -c "print(f'{$both / $single:.2f}×')") |"
