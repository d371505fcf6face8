#!/usr/bin/env bash
# make test: every test, in order of cost. Exits non-zero on the first failing stage.
source "$(dirname "$0")/common.sh"
set -o pipefail
# Test servers use their own ports, so a `make run` in another terminal is not disturbed.
BOT_PORT=${TEST_BOT_PORT:-5155}; RASA_PORT=${TEST_RASA_PORT:-5105}
export IPM_SERVER__PORT=$BOT_PORT IPM_EMBEDDINGS_URL=http://$HOST:$BOT_PORT
export IPM_SERVER__RASA_URL=http://$HOST:$RASA_PORT
export IPM_DATABASE__URL=${TEST_DATABASE_URL:-sqlite:///$ROOT/var/test-ipm.db}

# PostgreSQL and Redis back the production path: their tests run whenever the servers answer.
if [ -z "${IPM_TEST_POSTGRES_URL:-}" ] && pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then
  export IPM_TEST_POSTGRES_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test
fi
if [ -z "${IPM_TEST_REDIS_URL:-}" ] && redis-cli -h 127.0.0.1 ping >/dev/null 2>&1; then
  export IPM_TEST_REDIS_URL=redis://127.0.0.1:6379/15
fi
[ -n "${IPM_TEST_POSTGRES_URL:-}" ] || log "PostgreSQL not reachable: its tests will be skipped"
[ -n "${IPM_TEST_REDIS_URL:-}" ] || log "Redis not reachable: its tests will be skipped"

stage() { log "== $* =="; }
trap 'stop_all' EXIT INT TERM

stage "1/5 bot library, actions, server (pytest, Python 3.11)"
"$BOT_PY" -m pytest -q -m "not e2e" tests || exit 1

stage "2/5 Rasa components (train -> persist -> load -> predict) and the tracker store (pytest, Python 3.10)"
start_bot || exit 1
"$ROOT/.venv-rasa/bin/python" -m pytest -q -p no:cacheprovider -W ignore::pytest.PytestConfigWarning tests/nlu_models tests/rasa_plugins || exit 1

stage "3/5 rasa data validate --fail-on-warnings"
"$RASA" data validate --fail-on-warnings --config config.yml --domain domain.yml \
  --data data/nlu data/rules data/stories 2>&1 | tail -n 5 || exit 1

stage "4/5 rasa test on tests/test_stories.yml (both languages)"
train_if_needed || exit 1
rm -rf results/stories
"$RASA" test core --model models/ipm.tar.gz --stories tests/test_stories.yml \
  --fail-on-prediction-errors --out results/stories 2>&1 | tail -n 15
status=${PIPESTATUS[0]}
if [ "$status" -ne 0 ]; then
  log "rasa test failed; failed stories:"; cat results/stories/failed_test_stories.yml >&2 2>/dev/null
  exit 1
fi
stop_all

stage "5/5 end to end: both servers, 5-turn conversations over REST in each language"
IPM_E2E=1 "$BOT_PY" -m pytest -q -m e2e tests || exit 1
log "all tests passed"
