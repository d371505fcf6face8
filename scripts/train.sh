#!/usr/bin/env bash
# make train: train the Rasa model if data/config changed (starts the bot server for embeddings if needed).
source "$(dirname "$0")/common.sh"
if ! curl -fsS -o /dev/null "http://$HOST:$BOT_PORT/health" 2>/dev/null; then
  trap 'stop_all' EXIT INT TERM
  start_bot || exit 1
fi
train_if_needed
