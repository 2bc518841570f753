#!/usr/bin/env bash
# Docker entrypoint hook for the postgres:15 image (compose.yaml mounts it into
# /docker-entrypoint-initdb.d/). It runs once, when the data volume is empty, as
# the superuser over the local socket, and applies init-roles.sql.
#
# The passwords reach psql through the environment (QINGLIAN_OWNER_PASSWORD,
# QINGLIAN_APP_PASSWORD, QINGLIAN_BACKUP_PASSWORD; init-roles.sql reads them with
# \getenv), never through the command line.
#
# The image may source this file instead of executing it, so it sets no shell
# options and does not exit; a failing psql fails the entrypoint either way.
psql -X -v ON_ERROR_STOP=1 \
     --username "${POSTGRES_USER:-postgres}" --dbname postgres \
     -f "${QINGLIAN_INIT_SQL:-/opt/qinglian-init/init-roles.sql}"
