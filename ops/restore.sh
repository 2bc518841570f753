#!/usr/bin/env bash
# Qinglian database restore from a dump made by ops/backup.sh.
#
#   ops/restore.sh --yes [--no-acl] [--no-attachments] DUMP_FILE TARGET
#
# DUMP_FILE  a .dump file; DUMP_FILE.sha256 must sit next to it and match.
# TARGET     the database to overwrite: a URL (postgresql:// or
#            postgresql+psycopg://, password moved to PGPASSWORD), a libpq
#            conninfo string, or a bare database name (host/user then come
#            from PGHOST/PGUSER/...).
#            Connect as the OWNER role (qinglian_owner) to a database it owns:
#            with --no-owner every restored object belongs to the connecting
#            role, and `flask db upgrade` must be able to alter them later.
# --yes      required: the restore DROPS and recreates every object in the
#            dump (pg_restore --clean --if-exists). Without it nothing is done.
# --no-acl   skip the dumped GRANTs (e.g. the app role has another name on the
#            target cluster); `flask db upgrade` grants the app role afresh.
# --no-attachments
#            leave the attachments' storage directory as it is.
#
# Attachments: when DUMP_FILE.attachments.tar sits next to the dump (ops/backup.sh
# writes it) and its checksum in DUMP_FILE.sha256 matches, its files are put back
# into the storage directory (QINGLIAN_ATTACHMENTS_DIR, default
# $QINGLIAN_INSTANCE_PATH/attachments, default instance/attachments of this
# checkout) after the database: each stored file as it was at the backup, sealed as
# it was (the same QINGLIAN_FIELD_KEYS open it). Files stored after the backup stay
# (their rows are gone with the restore; nothing refers to them).
#
# Stop qinglian-web, qinglian-worker@* and qinglian-cron first. The restore runs
# in one transaction: on any error nothing changes.
set -euo pipefail
umask 077

prog=${0##*/}
log() { printf '%s %s: %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$prog" "$*"; }
die() { printf '%s: error: %s\n' "$prog" "$*" >&2; exit 1; }
usage() { printf 'usage: %s --yes [--no-acl] [--no-attachments] DUMP_FILE TARGET\n' "$prog" >&2; exit 2; }

yes=0
attachments=1
acl_opt=()
args=()
while [[ $# -gt 0 ]]; do
  case $1 in
    --yes) yes=1 ;;
    --no-acl) acl_opt=(--no-acl) ;;
    --no-attachments) attachments=0 ;;
    -h | --help) sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0"; exit 0 ;;
    --) shift; args+=("$@"); break ;;
    -*) printf '%s: unknown option: %s\n' "$prog" "$1" >&2; usage ;;
    *) args+=("$1") ;;
  esac
  shift
done
[[ ${#args[@]} -eq 2 ]] || usage
dump=${args[0]}
target=${args[1]}

for tool in pg_restore psql sha256sum; do
  command -v "$tool" >/dev/null || die "$tool not found (install postgresql-client-15 / coreutils)"
done

# --- the dump ---------------------------------------------------------------------
[[ -f $dump ]] || die "no such file: $dump"
[[ -f $dump.sha256 ]] || die "no checksum file $dump.sha256; refusing to restore an unverified dump"
expected=$(awk 'NR==1 {print $1}' "$dump.sha256")
[[ $expected =~ ^[0-9a-f]{64}$ ]] || die "$dump.sha256 does not hold a sha256 checksum"
actual=$(sha256sum -- "$dump" | awk '{print $1}')
[[ $actual == "$expected" ]] || die "checksum MISMATCH for $dump (expected $expected, got $actual)"
log "checksum OK: $dump (sha256 $actual)"
pg_restore --list -- "$dump" >/dev/null || die "pg_restore cannot read $dump"

# --- the attachments archive (checked before anything changes) -----------------------
archive=$dump.attachments.tar
attachments_dir=${QINGLIAN_ATTACHMENTS_DIR:-${QINGLIAN_INSTANCE_PATH:-$(cd -- "$(dirname -- "$0")/.." && pwd)/instance}/attachments}
if [[ $attachments -eq 1 && -f $archive ]]; then
  command -v tar >/dev/null || die "tar not found"
  wanted=$(awk -v f="${archive##*/}" '$2 == f {print $1}' "$dump.sha256")
  [[ $wanted =~ ^[0-9a-f]{64}$ ]] || die "$dump.sha256 has no checksum of ${archive##*/}; refusing an unverified archive"
  got=$(sha256sum -- "$archive" | awk '{print $1}')
  [[ $got == "$wanted" ]] || die "checksum MISMATCH for $archive (expected $wanted, got $got)"
  tar --list --file="$archive" >/dev/null || die "tar cannot read $archive"
  log "checksum OK: $archive; its files go to $attachments_dir after the database"
elif [[ $attachments -eq 1 ]]; then
  log "no $archive next to the dump: the attachments directory is left as it is"
  attachments=0
fi

# --- the target -----------------------------------------------------------------
if [[ $target =~ ^postgres(ql)?(\+[A-Za-z0-9_]+)?:// ]]; then
  target=$(printf '%s' "$target" | sed -E 's#^postgres(ql)?(\+[A-Za-z0-9_]+)?://#postgresql://#')
  if [[ $target =~ ^postgresql://([^:@/]*):([^@/]*)@(.*)$ ]]; then
    pw=${BASH_REMATCH[2]}
    pw=${pw//\\/\\\\}                             # keep literal backslashes
    PGPASSWORD=$(printf '%b' "${pw//%/\\x}")  # percent-decoding
    export PGPASSWORD
    target="postgresql://${BASH_REMATCH[1]}@${BASH_REMATCH[3]}"
  fi
elif [[ $target == *=* ]]; then
  [[ $target != *password=* ]] || die "put the password in PGPASSWORD or ~/.pgpass, not in the conninfo"
fi

info=$(psql -X -w -A -t -q -F '|' --dbname="$target" \
  -c "SELECT current_database(), current_user, coalesce(host(inet_server_addr()), 'local socket'), r.rolsuper OR r.rolbypassrls, d.datdba = r.oid
        FROM pg_roles r, pg_database d WHERE r.rolname = current_user AND d.datname = current_database()") \
  || die "cannot connect to the target database"
IFS='|' read -r dbname dbuser dbhost privileged is_owner <<<"$info"

log "target: database '$dbname' on $dbhost as '$dbuser'"
if [[ $privileged == t ]]; then
  log "WARNING: '$dbuser' is a superuser/BYPASSRLS role: the restored objects will belong to it,"
  log "WARNING: not to the owner role. Prefer connecting as the owner role (qinglian_owner)."
elif [[ $is_owner != t ]]; then
  log "WARNING: '$dbuser' does not own database '$dbname'; dropping or creating objects may fail."
fi

if [[ $yes -ne 1 ]]; then
  printf '%s: this would DROP and recreate every object of %s in database "%s" on %s.\n' "$prog" "$dump" "$dbname" "$dbhost" >&2
  printf '%s: stop qinglian-web, qinglian-worker@* and qinglian-cron, then re-run with --yes.\n' "$prog" >&2
  exit 2
fi

# --- restore --------------------------------------------------------------------
started=$SECONDS
log "restoring (pg_restore --clean --if-exists --no-owner --single-transaction${acl_opt:+ --no-acl})"
pg_restore -w --clean --if-exists --no-owner "${acl_opt[@]}" --single-transaction --exit-on-error \
  --dbname="$target" -- "$dump" \
  || die "pg_restore failed; the transaction was rolled back, the database is unchanged"
log "restored $dump into '$dbname' in $((SECONDS - started)) s"

if [[ $attachments -eq 1 ]]; then
  mkdir -p -- "$attachments_dir"
  # Over what is there (a mount point stays a mount point): each file as it was at the backup.
  tar --extract --overwrite --no-same-owner --file="$archive" --directory="$attachments_dir" \
    || die "the database is restored but the attachments could not be; re-run with the same archive"
  log "restored $(tar --list --file="$archive" | grep -c '\.sealed$' || true) attachment file(s) into $attachments_dir"
fi

cat <<EOF

Next steps (the restore is not finished until these are done):
  1. Re-apply the row-level-security policies and the app role's grants, as the
     owner role, against the restored database:
       DATABASE_MIGRATION_URL=postgresql+psycopg://qinglian_owner:...@HOST/$dbname \\
         /opt/qinglian/.venv/bin/flask --app wsgi db upgrade
     (or: systemctl start qinglian-migrate.service)
  2. Check the audit trail's hash chains against the checkpoints saved with the dump:
       flask --app wsgi audit verify --checkpoints $dump.checkpoints.jsonl
     (QINGLIAN_AUDIT_KEY must be the one in use when the dump was made). The events
     written after the dump are lost with the restore, so the published checkpoint
     file (QINGLIAN_AUDIT_CHECKPOINT_FILE) now anchors heads the database no longer
     reaches: move it aside (keep it as the record of what was lost) before the
     verification job runs, or every chain it names is reported as cut.
  3. QINGLIAN_FIELD_KEYS must still list every key used when the dump was made,
     or the encrypted fields cannot be read.
  4. Start qinglian-web, qinglian-worker@* and qinglian-cron; check /healthz.
EOF
