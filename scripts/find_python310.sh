#!/usr/bin/env bash
# Prints the path of a Python 3.8–3.10 interpreter for the Rasa environment, or explains how to get one.
set -u
candidates=()
[ -n "${PYTHON310:-}" ] && candidates+=("$PYTHON310")
candidates+=(python3.10 python3.9 python3.8)
if command -v pyenv >/dev/null 2>&1; then
  root=$(pyenv root)
  for d in "$root"/versions/3.10.* "$root"/versions/3.9.* "$root"/versions/3.8.*; do
    [ -x "$d/bin/python" ] && candidates+=("$d/bin/python")
  done
fi
for c in "${candidates[@]}"; do
  p=$(command -v "$c" 2>/dev/null) || continue
  if "$p" -c 'import sys; sys.exit(0 if (3, 8) <= sys.version_info[:2] <= (3, 10) else 1)' 2>/dev/null; then
    echo "$p"; exit 0
  fi
done
cat >&2 <<'MSG'
error: no Python 3.8–3.10 found. Rasa Open Source 3.6 (the dialogue engine) runs only on Python <= 3.10.
Get one, then re-run `make install`:
  - pyenv:   pyenv install 3.10.13
  - Debian/Ubuntu: apt-get install python3.10 python3.10-venv   (deadsnakes PPA on newer Ubuntu)
  - or point to an interpreter: make install PYTHON310=/path/to/python3.10
MSG
exit 1
