#!/usr/bin/env bash
# Fuzz the live API with schemathesis (v4): a server on a temporary database holding the demo council, an admin
# key, every route, checks not_a_server_error + response_schema_conformance (and the other defaults that judge the
# server, see CHECKS). Two passes, each through schemathesis' phases (examples, coverage, fuzzing, stateful):
#   1. the service's own OpenAPI document (ids as the schema allows: mostly ids that do not exist);
#   2. REAL ids: the same document with every id path parameter restricted to records that exist (the instance,
#      its learners, settings, localities, teams, a scenario, finished runs of each kind, a download), made by
#      scripts/fuzz_seed.py after seeding those runs, so requests reach the routes' logic, not only their 404s.
# Exits non-zero on any 5xx, schema violation, server-log traceback, or fewer requests than MIN_REQUESTS.
#   scripts/schemathesis.sh [MAX_EXAMPLES_PER_OPERATION] [sqlite|postgres]   (defaults 20, sqlite)
#   FUZZ_POSTGRES_URL (default postgresql://postgres@127.0.0.1:5432/test): the server on which a temporary
#   database is created and dropped for the postgres run. FUZZ_PHASES (default all four) limits the phases of the
#   two main passes (CI: examples,fuzzing, a few minutes); MIN_REQUESTS (default 1000) the requests wanted.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
ST=${ST:-.venv/bin/schemathesis}
EXAMPLES=${1:-20}
DATABASE=${2:-sqlite}
WORK=$(mktemp -d)
PORT=$($PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
PG_SERVER=${FUZZ_POSTGRES_URL:-postgresql://postgres@127.0.0.1:5432/test}
PG_NAME="placeplan_fuzz_$$"
if [[ "$DATABASE" == "postgres" ]]; then
  $PY -c "import psycopg,sys; psycopg.connect(sys.argv[1], autocommit=True).execute(f'CREATE DATABASE \"{sys.argv[2]}\"')" \
    "$PG_SERVER" "$PG_NAME"
  export DATABASE_URL="${PG_SERVER%/*}/$PG_NAME"
else
  export DATABASE_URL="sqlite:///$WORK/fuzz.db"
fi
# One solve worker; downloads answer 202 after 2 s rather than holding a fuzz request for 20 s.
export PLACEPLAN_RUN_WORKERS=1 PLACEPLAN_DOWNLOAD_WAIT_SECONDS=2
SERVER_PID=""
cleanup() {
  if [[ -n "$SERVER_PID" ]]; then kill -TERM -- "-$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
  if [[ "$DATABASE" == "postgres" ]]; then
    $PY -c "import psycopg,sys; psycopg.connect(sys.argv[1], autocommit=True).execute(f'DROP DATABASE IF EXISTS \"{sys.argv[2]}\" WITH (FORCE)')" \
      "$PG_SERVER" "$PG_NAME" || true
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT

KEY=$($PY scripts/fuzz_seed.py prepare)

setsid $PY -m uvicorn api.main:create_app --factory --host 127.0.0.1 --port "$PORT" --log-level warning \
  >"$WORK/server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 120); do
  curl -sf "http://127.0.0.1:$PORT/api/v1/health" >/dev/null && break
  sleep 0.5
done
$PY scripts/fuzz_seed.py runs "http://127.0.0.1:$PORT" "$KEY" "$WORK/real-ids.json"

CHECKS=not_a_server_error,response_schema_conformance,status_code_conformance,content_type_conformance
COMMON=(-H "Authorization: Bearer $KEY" --checks "$CHECKS" --workers 1 --seed 2026 --request-timeout 60
        --generation-deterministic --continue-on-failure --suppress-health-check all)
PHASES=(--phases "${FUZZ_PHASES:-examples,coverage,fuzzing,stateful}")
STATUS=0
# Pass 1, every route except the demo builder (each new seed builds a whole council, so it gets a few examples
# only) and key revocation: GET /me returns the caller's key id, and the stateful phase would follow that link to
# DELETE /keys/{key_id} and revoke the fuzzer's own key, leaving the rest of the run testing only 401s.
$ST run "http://127.0.0.1:$PORT/openapi.json" "${COMMON[@]}" "${PHASES[@]}" -n "$EXAMPLES" --exclude-path /api/v1/demo \
  --exclude-path '/api/v1/keys/{key_id}' --report ndjson --report-ndjson-path "$WORK/main.ndjson" || STATUS=$?
# Pass 2, real ids (fuzz_seed.py left out the routes that would delete the seeded instance or the key).
$ST run "$WORK/real-ids.json" --url "http://127.0.0.1:$PORT" "${COMMON[@]}" "${PHASES[@]}" -n "$EXAMPLES" \
  --report ndjson --report-ndjson-path "$WORK/real.ndjson" || STATUS=$?
$ST run "http://127.0.0.1:$PORT/openapi.json" "${COMMON[@]}" -n 3 --include-path /api/v1/demo \
  --phases examples,fuzzing --report ndjson --report-ndjson-path "$WORK/demo.ndjson" || STATUS=$?
# Last, key revocation on its own (it may revoke the fuzzer's key: nothing runs after it).
$ST run "http://127.0.0.1:$PORT/openapi.json" "${COMMON[@]}" -n "$EXAMPLES" --include-path '/api/v1/keys/{key_id}' \
  --report ndjson --report-ndjson-path "$WORK/keys.ndjson" || STATUS=$?

MIN_REQUESTS=${MIN_REQUESTS:-1000}
$PY - "$MIN_REQUESTS" "$DATABASE" "$WORK"/*.ndjson <<'PYEOF' || STATUS=1
import collections, json, os, sys
minimum, database, paths = int(sys.argv[1]), sys.argv[2], sys.argv[3:]
requests = server_errors = 0
by_pass = collections.Counter()
by_phase = collections.Counter()
for path in paths:
    for line in open(path):
        event = json.loads(line).get("ScenarioFinished")
        if not event:
            continue
        phase = str(event.get("phase") or (event.get("recorder") or {}).get("phase") or "?")
        for interaction in ((event.get("recorder") or {}).get("interactions") or {}).values():
            requests += 1
            by_pass[os.path.basename(path).split(".")[0]] += 1
            by_phase[phase] += 1
            response = interaction.get("response") or {}
            server_errors += int(response.get("status_code", 0) >= 500)
print(f"schemathesis ({database}): {requests} requests sent, {server_errors} answered 5xx (minimum wanted: "
      f"{minimum}); by pass {dict(by_pass)}; by phase {dict(by_phase)}")
sys.exit(0 if requests >= minimum and server_errors == 0 else 1)
PYEOF
if grep -q "Traceback\|Internal Server Error\|unhandled error" "$WORK/server.log"; then
  echo "server log shows errors:"; grep -n -A5 "Traceback\|unhandled error" "$WORK/server.log" | head -60
  STATUS=1
fi
exit $STATUS
