#!/usr/bin/env bash
# Creates the files docker-compose.yml mounts as secrets (once; existing files are kept).
set -euo pipefail
dir="$(cd "$(dirname "$0")" && pwd)/secrets"
mkdir -p "$dir"
umask 077
[ -s "$dir/api-secret-key" ] || head -c 32 /dev/urandom | base64 > "$dir/api-secret-key"
if [ ! -s "$dir/api-tokens" ]; then
  token="$(head -c 24 /dev/urandom | base64 | tr -d '/+=' )"
  printf '%s,admin,admin\n' "$token" > "$dir/api-tokens"
  printf '%s\n' "$token" > "$dir/admin.token"
fi
echo "secrets in $dir (admin token: $dir/admin.token)"
