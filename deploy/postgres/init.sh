#!/usr/bin/env bash
# One database and one role per service: each service owns its database and no other role may
# connect to it. The PostgreSQL image runs this once, from /docker-entrypoint-initdb.d, when its
# data directory is empty; running it again changes nothing but the passwords.
#
# Passwords come from <SERVICE>_DB_PASSWORD, with no default: one that is unset stops the script
# before any role is made. The service's <SERVICE>_DATABASE_URL must carry the same password.
# CRM_DATABASES overrides the list of databases (space separated).
set -euo pipefail

databases="${CRM_DATABASES:-offers orders payments notifications}"

for name in $databases; do
  var="$(printf '%s' "$name" | tr '[:lower:]-' '[:upper:]_')_DB_PASSWORD"
  if [ -z "${!var:-}" ]; then
    echo "set $var, the $name role's password: no role gets a password anyone could guess" >&2
    exit 1
  fi
done

for name in $databases; do
  var="$(printf '%s' "$name" | tr '[:lower:]-' '[:upper:]_')_DB_PASSWORD"
  # Handed to psql through the environment, never on its command line.
  export CRM_ROLE_PASSWORD="${!var}"
  psql --no-psqlrc --quiet -v ON_ERROR_STOP=1 -v name="$name" \
       --username "${POSTGRES_USER:-postgres}" --dbname "${POSTGRES_DB:-postgres}" <<'SQL'
\getenv password CRM_ROLE_PASSWORD
SELECT format('CREATE ROLE %I LOGIN', :'name')
 WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'name') \gexec
ALTER ROLE :"name" WITH LOGIN PASSWORD :'password';
SELECT format('CREATE DATABASE %I OWNER %I ENCODING %L', :'name', :'name', 'UTF8')
 WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = :'name') \gexec
REVOKE ALL ON DATABASE :"name" FROM PUBLIC;
GRANT ALL ON DATABASE :"name" TO :"name";
SQL
  echo "database and role \"$name\" ready"
done
unset CRM_ROLE_PASSWORD
