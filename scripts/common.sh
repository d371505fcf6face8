# Shared shell functions for make run / make shell / make train / make test. Source, don't run.
# Environment: BOT_PORT (5055), RASA_PORT (5005), HOST (127.0.0.1).
set -u
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
BOT_PY="$ROOT/.venv/bin/python"
RASA="$ROOT/.venv-rasa/bin/rasa"
HOST=${HOST:-127.0.0.1}
BOT_PORT=${BOT_PORT:-5055}
RASA_PORT=${RASA_PORT:-5005}
export PYTHONPATH="$ROOT${PYTHONPATH:+:$PYTHONPATH}"
# One thread per server process: on small machines two threads can be 10x slower under load.
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-1} MKL_NUM_THREADS=${MKL_NUM_THREADS:-1}
export TF_CPP_MIN_LOG_LEVEL=3 RASA_TELEMETRY_ENABLED=false HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1
export SQLALCHEMY_SILENCE_UBER_WARNING=1 TOKENIZERS_PARALLELISM=false PYTHONWARNINGS=ignore
export IPM_EMBEDDINGS_URL=${IPM_EMBEDDINGS_URL:-http://$HOST:$BOT_PORT}
export IPM_SERVER__PORT=$BOT_PORT IPM_SERVER__HOST=$HOST
export IPM_SERVER__RASA_URL=${IPM_SERVER__RASA_URL:-http://$HOST:$RASA_PORT}
mkdir -p "$ROOT/var/log" "$ROOT/models"

log() { printf '\033[1m[ipm]\033[0m %s\n' "$*" >&2; }

# wait_http URL SECONDS PID: wait until URL answers 200, the process dies, or time runs out.
wait_http() {
  local url=$1 limit=$2 pid=${3:-} waited=0
  while [ "$waited" -lt "$limit" ]; do
    if curl -fsS -o /dev/null --max-time 2 "$url" 2>/dev/null; then return 0; fi
    if [ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null; then return 1; fi
    sleep 1; waited=$((waited + 1))
  done
  return 1
}

port_busy() { curl -s -o /dev/null --max-time 1 "http://$HOST:$1/" 2>/dev/null; }

BOT_PID=""
RASA_PID=""

start_bot() {
  if port_busy "$BOT_PORT"; then
    log "port $BOT_PORT is already in use: stop the other process or set BOT_PORT"; return 1
  fi
  log "starting the bot server on http://$HOST:$BOT_PORT (log: var/log/bot.log)"
  "$BOT_PY" -m actions --host "$HOST" --port "$BOT_PORT" >>"$ROOT/var/log/bot.log" 2>&1 &
  BOT_PID=$!
  if ! wait_http "http://$HOST:$BOT_PORT/health" 180 "$BOT_PID"; then
    log "the bot server did not become healthy; last lines of var/log/bot.log:"; tail -n 20 "$ROOT/var/log/bot.log" >&2
    return 1
  fi
}

# The model is retrained only when what it is built from changed.
model_fingerprint() {
  cat config.yml domain.yml $(find data/nlu data/rules data/stories -name '*.yml' | sort) \
      $(find nlu_models bot/understanding -name '*.py' -o -name '*.json' -o -name '*.npz' | sort) \
    | sha256sum | cut -c1-16
  curl -fsS "http://$HOST:$BOT_PORT/v1/models" 2>/dev/null | sha256sum | cut -c1-8
}

train_if_needed() {
  local fp; fp=$(model_fingerprint | tr -d '\n ')
  if [ -f models/ipm.tar.gz ] && [ "$(cat models/.fingerprint 2>/dev/null)" = "$fp" ]; then
    log "model is up to date (models/ipm.tar.gz)"; return 0
  fi
  log "training the Rasa model (data or config changed)"
  local started=$SECONDS
  "$RASA" train --config config.yml --domain domain.yml --data data/nlu data/rules data/stories \
    --out models --fixed-model-name ipm --force 2>&1 | tee "$ROOT/var/log/train.log" | grep -E "^Your Rasa model|Error|error" >&2 || true
  if [ ! -f models/ipm.tar.gz ] || ! grep -q "Your Rasa model is trained" "$ROOT/var/log/train.log"; then
    log "training failed; see var/log/train.log"; return 1
  fi
  echo "$fp" > models/.fingerprint
  log "trained in $((SECONDS - started)) s"
}

start_rasa() {
  log "starting the Rasa server on http://$HOST:$RASA_PORT (log: var/log/rasa.log)"
  "$RASA" run --model models/ipm.tar.gz --interface "$HOST" --port "$RASA_PORT" \
    --credentials credentials.yml --endpoints endpoints.yml --cors "*" >>"$ROOT/var/log/rasa.log" 2>&1 &
  RASA_PID=$!
  if ! wait_http "http://$HOST:$RASA_PORT/" 240 "$RASA_PID"; then
    log "the Rasa server did not start; last lines of var/log/rasa.log:"; tail -n 20 "$ROOT/var/log/rasa.log" >&2
    return 1
  fi
}

stop_all() {
  local pid
  for pid in $RASA_PID $BOT_PID; do
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then kill -TERM "$pid" 2>/dev/null || true; fi
  done
  for pid in $RASA_PID $BOT_PID; do
    [ -n "$pid" ] && wait "$pid" 2>/dev/null || true
  done
  RASA_PID=""; BOT_PID=""
}
