#!/usr/bin/env bash
# SCIM over HTTP: the throughput of `scim_server --store memory` answering Okta's lookup
# (GET /scim/v2/Users?filter=userName eq "...", a different user each request) against an axum
# server answering every request with the same response bytes (benches/http_constant.rs: same
# axum, same runtime), both loaded by wrk in the same run: 2 threads, 16 connections, on
# loopback, for a bounded time. Reports requests per second and the ratio (issue 13: >= 0.50).
#
# Usage: bash benches/scim_http.sh [SECONDS=10] [USERS=10000]     (needs wrk, curl, python3)
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_PER_RUN=${1:-10}
USERS=${2:-10000}
TOKEN=scim-http-bench-token-0123456789abcdef
for tool in wrk curl python3; do
  command -v "$tool" >/dev/null || { echo "scim_http: $tool is needed (apt-get install $tool)"; exit 2; }
done

cargo build --release --example scim_server --quiet
CONSTANT=$(cargo bench --bench http_constant --no-run 2>&1 | sed -n 's/.*Executable .*(\(.*\))/\1/p' | tail -1)
[ -x "$CONSTANT" ] || { echo "scim_http: could not build benches/http_constant.rs"; exit 2; }

WORK=$(mktemp -d)
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$WORK"; }
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_up() { for _ in $(seq 100); do curl -s -o /dev/null "$1" && return 0; sleep 0.1; done; echo "scim_http: $1 never answered"; exit 1; }

P1=$(free_port)
target/release/examples/scim_server --listen "127.0.0.1:$P1" --store memory --token "$TOKEN" \
  --claim-domain example.com >"$WORK/scim.log" 2>&1 &
PIDS+=($!)
wait_up "http://127.0.0.1:$P1/scim/v2/ServiceProviderConfig"

# Users as Okta pushes them.
python3 - "$P1" "$TOKEN" "$USERS" <<'PY'
import http.client, json, sys
port, token, n = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
c = http.client.HTTPConnection("127.0.0.1", port)
h = {"Authorization": "Bearer " + token, "Content-Type": "application/scim+json"}
for i in range(n):
    body = {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": f"user{i}@example.com",
            "name": {"givenName": f"First{i}", "familyName": f"Last{i}"},
            "emails": [{"primary": True, "value": f"user{i}@example.com", "type": "work"}],
            "displayName": f"First{i} Last{i}", "locale": "en-US", "externalId": f"00u{i:017x}", "active": True}
    c.request("POST", "/scim/v2/Users", json.dumps(body), h)
    r = c.getresponse(); r.read()
    if r.status != 201:
        sys.exit(f"seeding user {i}: HTTP {r.status}")
PY

LOOKUP="/scim/v2/Users?filter=userName%20eq%20%22user7%40example.com%22"
curl -s -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$P1$LOOKUP" >"$WORK/body.json"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["totalResults"]==1, d' "$WORK/body.json"

P2=$(free_port)
"$CONSTANT" --serve "127.0.0.1:$P2" "$WORK/body.json" >"$WORK/constant.log" 2>&1 &
PIDS+=($!)
wait_up "http://127.0.0.1:$P2/"

cat >"$WORK/lookup.lua" <<LUA
-- A different user per request, as Okta looks each one up before provisioning it.
counter = 0
request = function()
  counter = counter + 7919
  local i = counter % $USERS
  return wrk.format("GET", "/scim/v2/Users?filter=userName%20eq%20%22user" .. i .. "%40example.com%22",
    { ["Authorization"] = "Bearer $TOKEN" })
end
LUA

run() { # URL -> requests/sec
  wrk -t2 -c16 -d"${SECONDS_PER_RUN}s" --latency -s "$WORK/lookup.lua" "$1" >"$WORK/wrk.out"
  if grep -q "Non-2xx" "$WORK/wrk.out"; then cat "$WORK/wrk.out"; echo "scim_http: errors under load"; exit 1; fi
  awk '/Requests\/sec/ {print $2}' "$WORK/wrk.out"
}
echo "scim_http: $USERS users, wrk -t2 -c16 -d${SECONDS_PER_RUN}s"
SCIM=$(run "http://127.0.0.1:$P1")
grep -E "Latency|99%" "$WORK/wrk.out" | sed 's/^/  scim_server     /'
BASE=$(run "http://127.0.0.1:$P2")
grep -E "Latency|99%" "$WORK/wrk.out" | sed 's/^/  constant axum   /'
python3 - "$SCIM" "$BASE" <<'PY'
import sys
s, b = float(sys.argv[1]), float(sys.argv[2])
print(f"scim_server --store memory lookup: {s:,.0f} req/s")
print(f"constant axum handler (same body): {b:,.0f} req/s")
print(f"ratio: {s / b:.2f} (issue 13 asks >= 0.50)")
PY
