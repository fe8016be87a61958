#!/usr/bin/env bash
# Starts the local PostgreSQL and Redis from Debian's packages when they are installed but not running,
# and installs them (as root, with apt-get) when they are missing. Never stops or restarts anything: a Redis
# that is already running keeps its settings (the apps warn at start when it has no persistence).
# Redis is started durable: an append-only file fsynced every second (a Redis crash loses at most ≈ 1 s of
# accepted jobs, which the proxies' journals still hold), kept in $REDIS_DIR.
set -euo pipefail

pg_up() { (exec 3<>/dev/tcp/127.0.0.1/5432) 2>/dev/null; }
redis_up() { (exec 3<>/dev/tcp/127.0.0.1/6379) 2>/dev/null; }
apt_install() {
  if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
    echo "cannot install $* here: install it with your package manager" >&2
    return 1
  fi
  [ -n "${APT_UPDATED:-}" ] || { apt-get update -qq; APT_UPDATED=1; }
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

if pg_up; then
  echo "postgresql: running on 127.0.0.1:5432"
else
  command -v pg_ctlcluster >/dev/null || apt_install postgresql
  version=$(ls /etc/postgresql | sort -V | tail -n 1)
  if ! pg_lsclusters -h 2>/dev/null | grep -q "^$version main"; then pg_createcluster "$version" main; fi
  pg_ctlcluster --skip-systemctl-redirect "$version" main start
  # Trust auth on loopback for the postgres user, as the project's defaults expect.
  hba="/etc/postgresql/$version/main/pg_hba.conf"
  if [ -w "$hba" ] && ! grep -q "tokenmeter-local" "$hba"; then
    sed -i '1i host all all 127.0.0.1/32 trust # tokenmeter-local\nhost all all ::1/128 trust # tokenmeter-local' "$hba"
    pg_ctlcluster --skip-systemctl-redirect "$version" main reload
  fi
  for _ in $(seq 1 30); do pg_up && break; sleep 0.5; done
  pg_up && echo "postgresql: started" || { echo "postgresql did not start" >&2; exit 1; }
fi

if redis_up; then
  echo "redis: running on 127.0.0.1:6379"
else
  command -v redis-server >/dev/null || apt_install redis-server
  redis_dir="${REDIS_DIR:-${XDG_STATE_HOME:-$HOME/.local/state}/tokenmeter/redis}"
  mkdir -p "$redis_dir"
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --dir "$redis_dir" --save "" \
    --appendonly yes --appendfsync everysec
  for _ in $(seq 1 30); do redis_up && break; sleep 0.2; done
  redis_up && echo "redis: started" || { echo "redis did not start" >&2; exit 1; }
fi
