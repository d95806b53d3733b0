#!/usr/bin/env bash
# Starts what the tests need and is installed on this machine but not running: PostgreSQL.
# It never installs a database server; without one the PostgreSQL tests say they were skipped
# (and fail instead when WEBPIG_REQUIRE_POSTGRES=1, as in CI).
set -uo pipefail
url="${WEBPIG_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/test}"
if command -v pg_isready >/dev/null 2>&1 && ! pg_isready -q -d "$url" 2>/dev/null; then
  if command -v pg_ctlcluster >/dev/null 2>&1 && [ -d /etc/postgresql ]; then
    for version in $(ls /etc/postgresql); do
      echo "starting PostgreSQL $version (it was stopped)"
      pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
    done
    for _ in $(seq 1 20); do pg_isready -q -d "$url" && break; sleep 0.5; done
  fi
fi
exit 0
