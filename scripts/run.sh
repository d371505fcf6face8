#!/usr/bin/env bash
# make run: bot server + (re)train when needed + Rasa server; Ctrl-C stops both.
source "$(dirname "$0")/common.sh"
trap 'echo; log "stopping"; stop_all; exit 0' INT TERM
trap 'stop_all' EXIT
log "loading the demo catalogs and customers into an empty database"
"$BOT_PY" -m bot -q demo load --if-empty >>"$ROOT/var/log/demo-load.log" 2>&1 \
  || { log "demo data failed to load; see var/log/demo-load.log"; exit 1; }
start_bot || exit 1
train_if_needed || exit 1
start_rasa || exit 1
cat >&2 <<MSG

  ipm-bot is running.
    chat widget (demo page):  http://$HOST:$BOT_PORT/widget/
    REST channel:             curl -s http://$HOST:$RASA_PORT/webhooks/rest/webhook -d '{"sender":"me","message":"你好"}'
    embeddings API:           http://$HOST:$BOT_PORT/v1/embeddings
    metrics:                  http://$HOST:$BOT_PORT/metrics
  Press Ctrl-C to stop.

MSG
wait -n "$BOT_PID" "$RASA_PID"
log "a server exited; see var/log/"
exit 1
