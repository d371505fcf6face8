#!/usr/bin/env bash
# make shell: rasa shell against the running bot server (starts one for the session if none runs).
source "$(dirname "$0")/common.sh"
if ! curl -fsS -o /dev/null "http://$HOST:$BOT_PORT/health" 2>/dev/null; then
  trap 'stop_all' EXIT INT TERM
  start_bot || exit 1
fi
train_if_needed || exit 1
"$RASA" shell --model models/ipm.tar.gz --endpoints endpoints.yml --port "${SHELL_PORT:-5006}"
