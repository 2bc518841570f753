#!/usr/bin/env bash
# Qinglian database backup: pg_dump in custom format (-Fc) to a timestamped file,
# with a sha256 checksum file next to it, then deletes dumps past the retention.
#
#   ops/backup.sh [BACKUP_DIR]
#
# Connection (first one set wins; postgresql+psycopg:// URLs are accepted):
#   BACKUP_DATABASE_URL     the backup role (BYPASSRLS, read-only; ops/postgres/init-roles.sql)
#   DATABASE_MIGRATION_URL  the owner role - NOTE: tables are FORCE ROW LEVEL SECURITY, so
#                           pg_dump as the owner fails on tables holding rows; use it only
#                           for an empty database or point it at a superuser
#   PGHOST/PGPORT/PGUSER/PGDATABASE/PGPASSWORD/~/.pgpass  (e.g. `sudo -u postgres
#                           env PGDATABASE=qinglian ops/backup.sh ...` on the DB host)
# A password inside the URL is moved to PGPASSWORD, so it never shows in `ps`.
#
# Target directory: the argument, else BACKUP_DIR.
# Retention: BACKUP_RETENTION_DAYS (default 190; 0 = never delete).
#   The audit trail must be kept at least 180 days (GB/T 22239 level 3,
#   QINGLIAN_AUDIT_RETENTION_DAYS), and the dumps are the copy of it that survives
#   a lost database, so retention below 180 days is refused.
#
# Next to the dump: DUMP.checkpoints.jsonl, the audit chains' signed checkpoints
# (one JSON object a line), so a later cut of the live audit trail shows against
# it: `flask --app wsgi audit verify --checkpoints DUMP.checkpoints.jsonl`. The
# .sha256 file covers both files (sha256sum -c).
#
# Next to it as well: DUMP.attachments.tar, the attachments' storage directory
# (QINGLIAN_ATTACHMENTS_DIR, default $QINGLIAN_INSTANCE_PATH/attachments, default
# instance/attachments of this checkout), taken right after the dump so that every
# file a dumped row names is in it. The files are sealed (SM4-GCM) and stay sealed in
# the archive; a file uploaded while the backup runs may be in the archive without its
# row (harmless), never the other way round. BACKUP_ATTACHMENTS=0 leaves it out.
#
# Not in the dump: the field-encryption keys (QINGLIAN_FIELD_KEYS,
# QINGLIAN_MATCHING_KEY), the audit key (QINGLIAN_AUDIT_KEY) and the other files under
# QINGLIAN_INSTANCE_PATH - back those up separately, the keys kept apart from the dumps:
# without QINGLIAN_FIELD_KEYS the attachments cannot be opened either.
#
# Exit status is non-zero on any failure; nothing half-written is left behind.
set -euo pipefail
umask 077

prog=${0##*/}
log() { printf '%s %s: %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$prog" "$*"; }
die() { printf '%s: error: %s\n' "$prog" "$*" >&2; exit 1; }

case "${1:-}" in
  -h | --help) sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0"; exit 0 ;;
  -*) die "unknown option: $1 (usage: $prog [BACKUP_DIR])" ;;
esac
[[ $# -le 1 ]] || die "usage: $prog [BACKUP_DIR]"

for tool in pg_dump pg_restore psql sha256sum flock tar; do
  command -v "$tool" >/dev/null || die "$tool not found (install postgresql-client-15 / coreutils / util-linux)"
done

# --- where to ---------------------------------------------------------------
dir=${1:-${BACKUP_DIR:-}}
[[ -n $dir ]] || die "no target directory: pass it as the argument or set BACKUP_DIR"
retention=${BACKUP_RETENTION_DAYS:-190}
[[ $retention =~ ^[0-9]+$ ]] || die "BACKUP_RETENTION_DAYS must be a whole number of days, got '$retention'"
if ((retention > 0 && retention < 180)); then
  die "BACKUP_RETENTION_DAYS=$retention is below the 180-day audit retention; use >= 180 (or 0 to keep everything)"
fi

# --- connection ---------------------------------------------------------------
url=${BACKUP_DATABASE_URL:-${DATABASE_MIGRATION_URL:-}}
source_var=BACKUP_DATABASE_URL
[[ -n ${BACKUP_DATABASE_URL:-} ]] || source_var=DATABASE_MIGRATION_URL
conn=()
if [[ -n $url ]]; then
  # SQLAlchemy driver suffix -> plain libpq URL.
  url=$(printf '%s' "$url" | sed -E 's#^postgres(ql)?\+[A-Za-z0-9_]+://#postgresql://#; s#^postgres://#postgresql://#')
  [[ $url == postgresql://* ]] || die "$source_var is not a PostgreSQL URL"
  # Move the password out of the URL (and so out of the process list).
  if [[ $url =~ ^postgresql://([^:@/]*):([^@/]*)@(.*)$ ]]; then
    pw=${BASH_REMATCH[2]}
    pw=${pw//\\/\\\\}                             # keep literal backslashes
    PGPASSWORD=$(printf '%b' "${pw//%/\\x}")  # percent-decoding
    export PGPASSWORD
    url="postgresql://${BASH_REMATCH[1]}@${BASH_REMATCH[3]}"
  fi
  conn=(--dbname="$url")
  log "source: $source_var ($url)"
else
  log "source: libpq environment (PGHOST=${PGHOST:-<socket>} PGUSER=${PGUSER:-$(id -un)} PGDATABASE=${PGDATABASE:-<user name>})"
fi

# Connectivity check, and the real database name for the file name.
info=$(psql -X -w -A -t -q "${conn[@]}" -c "SELECT current_database(), current_user, current_setting('server_version')" -F '|') \
  || die "cannot connect to the database"
IFS='|' read -r dbname dbuser server_version <<<"$info"
[[ -n $dbname ]] || die "could not determine the database name"
log "database '$dbname' as '$dbuser' (server $server_version), pg_dump $(pg_dump --version | awk '{print $3}')"

# --- dump -------------------------------------------------------------------
mkdir -p -- "$dir"
dir=$(cd -- "$dir" && pwd)
exec 9>"$dir/.backup.lock"
flock -n 9 || die "another backup is running in $dir"

safe_name=$(printf '%s' "$dbname" | tr -c 'A-Za-z0-9_.-' '_')
stamp=$(date -u +%Y%m%dT%H%M%SZ)
base="$safe_name-$stamp.dump"
final="$dir/$base"
partial="$dir/.$base.partial"
sum_partial="$dir/.$base.sha256.partial"
checkpoints_partial="$dir/.$base.checkpoints.jsonl.partial"
attachments_partial="$dir/.$base.attachments.tar.partial"
[[ ! -e $final ]] || die "$final already exists"

cleanup() { rm -f -- "$partial" "$sum_partial" "$checkpoints_partial" "$attachments_partial"; }
trap cleanup EXIT

started=$SECONDS
log "dumping to $final"
if ! pg_dump -w --format=custom --compress=6 --file="$partial" "${conn[@]}"; then
  printf '%s: pg_dump failed. If it says "query would be affected by row-level security policy":\n' "$prog" >&2
  printf '%s: the tables are FORCE ROW LEVEL SECURITY, so only the backup role (BYPASSRLS)\n' "$prog" >&2
  printf '%s: or a superuser can dump them - set BACKUP_DATABASE_URL (see init-roles.sql).\n' "$prog" >&2
  exit 1
fi

# The archive must be readable by pg_restore before it counts as a backup.
listing=$(pg_restore --list -- "$partial") || die "pg_restore cannot read the new dump; not keeping it"
entries=$(grep -cv '^;' <<<"$listing" || true)  # 0 for an empty database, which is fine

# The audit chains' signed checkpoints as a plain file (core/audit: Checkpoint.from_json reads it back);
# none before migration 0014.
checkpoints_sql="SELECT json_build_object('chain', chain, 'seq', seq, 'hash', hash, 'keyed_from', keyed_from,
  'signed_at', to_char(signed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"+00:00\"'),
  'signature', signature) FROM audit_checkpoints ORDER BY chain, seq"
has_checkpoints=$(psql -X -w -A -t -q "${conn[@]}" -c "SELECT to_regclass('public.audit_checkpoints') IS NOT NULL") \
  || die "cannot look for the audit checkpoints"
if [[ $has_checkpoints == t ]]; then
  psql -X -w -A -t -q "${conn[@]}" -c "$checkpoints_sql" >"$checkpoints_partial" \
    || die "cannot export the audit checkpoints"
fi

# The attachments' storage directory, after the dump (see the header): as stored, sealed; the files being
# written (hidden .partial files) are not files yet.
attachments_dir=${QINGLIAN_ATTACHMENTS_DIR:-${QINGLIAN_INSTANCE_PATH:-$(cd -- "$(dirname -- "$0")/.." && pwd)/instance}/attachments}
if [[ ${BACKUP_ATTACHMENTS:-1} == 0 ]]; then
  log "attachments: left out (BACKUP_ATTACHMENTS=0)"
elif [[ -d $attachments_dir ]]; then
  tar --create --file="$attachments_partial" --directory="$attachments_dir" --exclude='.*.partial' . \
    || die "cannot archive the attachments directory $attachments_dir"
  log "attachments: $(tar --list --file="$attachments_partial" | grep -c '\.sealed$' || true) file(s) from $attachments_dir"
else
  log "attachments: no directory $attachments_dir (nothing uploaded yet); none archived"
fi

hash=$(sha256sum -- "$partial" | awk '{print $1}')
printf '%s  %s\n' "$hash" "$base" >"$sum_partial"
if [[ -f $checkpoints_partial ]]; then
  printf '%s  %s\n' "$(sha256sum -- "$checkpoints_partial" | awk '{print $1}')" "$base.checkpoints.jsonl" >>"$sum_partial"
  mv -- "$checkpoints_partial" "$final.checkpoints.jsonl"
  log "wrote $final.checkpoints.jsonl ($(grep -c . "$final.checkpoints.jsonl" || true) audit checkpoints)"
fi
if [[ -f $attachments_partial ]]; then
  printf '%s  %s\n' "$(sha256sum -- "$attachments_partial" | awk '{print $1}')" "$base.attachments.tar" >>"$sum_partial"
  mv -- "$attachments_partial" "$final.attachments.tar"
  log "wrote $final.attachments.tar ($(numfmt --to=iec --suffix=B "$(stat -c %s -- "$final.attachments.tar")"))"
fi
mv -- "$partial" "$final"
mv -- "$sum_partial" "$final.sha256"
size=$(numfmt --to=iec --suffix=B "$(stat -c %s -- "$final")")
log "wrote $final ($size, $entries archive entries, $((SECONDS - started)) s)"
log "wrote $final.sha256 (sha256 $hash)"

# --- retention ------------------------------------------------------------------
if ((retention > 0)); then
  deleted=0
  while IFS= read -r -d '' old; do
    [[ $old == "$final" ]] && continue
    rm -f -- "$old" "$old.sha256" "$old.checkpoints.jsonl" "$old.attachments.tar"
    log "deleted $old (older than $retention days)"
    deleted=$((deleted + 1))
  done < <(find "$dir" -maxdepth 1 -type f -name "$safe_name-*.dump" -mtime +"$retention" -print0)
  log "retention $retention days: $deleted old dump(s) deleted"
else
  log "retention disabled (BACKUP_RETENTION_DAYS=0): nothing deleted"
fi
log "done"
