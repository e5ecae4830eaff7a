#!/usr/bin/env bash
# A real single-node SLURM cluster on this machine, for CI and for developers (run as root).
#
#   scripts/slurm-cluster.sh up       install (apt-get) if needed, configure, start, wait until the node is idle
#   scripts/slurm-cluster.sh status   daemons, node and queue
#   scripts/slurm-cluster.sh down     cancel our jobs, stop the daemons by PID
#
# Daemons: munged, mariadbd + slurmdbd (so `sacct`, which submitit polls, works), slurmctld, slurmd.
# No cgroups (containers and CI runners rarely delegate them): proctrack/linuxproc, task/none.
# The node is this host with the CPUs and memory `slurmd -C` reports. Runtime state (PID files, logs,
# spool) lives in $SLURM_CLUSTER_DIR (default /tmp/fcnn-slurm); the config goes where the client
# commands look for it, /etc/slurm/slurm.conf, and is never written over if some other tool wrote it.
set -euo pipefail

STATE=${SLURM_CLUSTER_DIR:-/tmp/fcnn-slurm}
CONF_DIR=/etc/slurm
CONF=$CONF_DIR/slurm.conf
DBD_CONF=$CONF_DIR/slurmdbd.conf
MARK="# written by scripts/slurm-cluster.sh (fcnn-hocp-suite)"
CLUSTER=fcnnsuite
PARTITION=debug
PACKAGES=(munge slurm-wlm slurmctld slurmd slurmdbd slurm-client mariadb-server)
DB_PASS=fcnnsuite-local-only   # the database listens on a local socket only (skip-networking)

log() { printf '[slurm-cluster] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

need_root() { [ "$(id -u)" = 0 ] || die "run as root (it installs packages and starts system daemons)"; }

install_packages() {
  local missing=()
  for bin in munged slurmctld slurmd slurmdbd sinfo sacct mariadbd; do
    command -v "$bin" >/dev/null 2>&1 || [ -x "/usr/sbin/$bin" ] || missing+=("$bin")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  log "installing ${PACKAGES[*]} (missing: ${missing[*]})"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${PACKAGES[@]}" >"$STATE/apt.log" 2>&1 \
    || { tail -20 "$STATE/apt.log" >&2; die "apt-get install failed (full log: $STATE/apt.log)"; }
}

# mariadbd writes its own PID file and log as user mysql, so it gets a directory it owns
pid_file() { if [ "$1" = mariadbd ]; then echo "$STATE/db/mariadbd.pid"; else echo "$STATE/$1.pid"; fi; }

# PID of a daemon from its PID file, if that process is alive.
pid_of() {
  local f pid
  f=$(pid_file "$1")
  [ -s "$f" ] || return 1
  pid=$(cat "$f")
  kill -0 "$pid" 2>/dev/null && echo "$pid"
}

wait_for() {  # wait_for SECONDS DESCRIPTION COMMAND...
  local secs=$1 what=$2; shift 2
  local deadline=$((SECONDS + secs))
  until "$@" >/dev/null 2>&1; do
    [ $SECONDS -lt $deadline ] || return 1
    sleep 0.2
  done
}

write_config() {
  if [ -f "$CONF" ] && ! grep -qF "$MARK" "$CONF"; then
    die "$CONF exists and was not written by this script; refusing to overwrite a real cluster's config"
  fi
  mkdir -p "$CONF_DIR" "$STATE"/{ctld,spool,log}
  local node host name
  host=$(hostname -s)
  # `slurmd -C` prints this node's real line: NodeName=... CPUs=... RealMemory=...
  node=$(slurmd -C | head -n 1)
  [[ $node == NodeName=* ]] || die "slurmd -C did not print a node line: $node"
  name=${node%% *}; name=${name#NodeName=}
  cat >"$CONF.tmp" <<EOF
$MARK
ClusterName=$CLUSTER
SlurmctldHost=$host(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
StateSaveLocation=$STATE/ctld
SlurmdSpoolDir=$STATE/spool
SlurmctldPidFile=$STATE/slurmctld.pid
SlurmdPidFile=$STATE/slurmd.pid
SlurmctldLogFile=$STATE/log/slurmctld.log
SlurmdLogFile=$STATE/log/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
# no cgroups: track processes through /proc, no task binding
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/backfill
ReturnToService=2
JobRequeue=1
MpiDefault=none
KillWait=5
MinJobAge=300
# accounting through slurmdbd, so sacct (which submitit polls for job states) answers
AccountingStorageType=accounting_storage/slurmdbd
AccountingStorageHost=localhost
JobAcctGatherType=jobacct_gather/none
# loopback addresses: the cluster works even where the hostname does not resolve
$node NodeAddr=127.0.0.1 State=UNKNOWN
PartitionName=$PARTITION Nodes=$name Default=YES MaxTime=INFINITE State=UP
EOF
  mv "$CONF.tmp" "$CONF"

  cat >"$DBD_CONF.tmp" <<EOF
$MARK
AuthType=auth/munge
DbdHost=localhost
SlurmUser=root
PidFile=$STATE/slurmdbd.pid
LogFile=$STATE/log/slurmdbd.log
StorageType=accounting_storage/mysql
StorageHost=localhost
StorageUser=slurm
StoragePass=$DB_PASS
StorageLoc=slurm_acct_db
EOF
  chmod 600 "$DBD_CONF.tmp"
  mv "$DBD_CONF.tmp" "$DBD_CONF"
}

start_munge() {
  if [ -S /run/munge/munge.socket.2 ] && munge -n </dev/null | unmunge >/dev/null 2>&1; then
    log "munged already answering"; return 0
  fi
  [ -s /etc/munge/munge.key ] || { mungekey --create --keyfile=/etc/munge/munge.key; chown munge:munge /etc/munge/munge.key; chmod 400 /etc/munge/munge.key; }
  install -d -o munge -g munge -m 755 /run/munge
  runuser -u munge -- /usr/sbin/munged
  cp /run/munge/munged.pid "$STATE/munged.pid"
  wait_for 10 munged bash -c 'munge -n </dev/null | unmunge' || die "munged does not answer (log: /var/log/munge/munged.log)"
}

start_db() {
  pid_of mariadbd >/dev/null && return 0
  install -d -o mysql -g mysql -m 755 /run/mysqld "$STATE/db"
  # local socket only; no TCP port is opened
  /usr/sbin/mariadbd --user=mysql --skip-networking --socket=/run/mysqld/mysqld.sock \
    --pid-file="$STATE/db/mariadbd.pid" --log-error="$STATE/db/mariadbd.log" >/dev/null 2>&1 &
  wait_for 30 mariadb mysqladmin --socket=/run/mysqld/mysqld.sock ping \
    || die "mariadbd did not start (log: $STATE/db/mariadbd.log)"
  mysql --socket=/run/mysqld/mysqld.sock <<EOF
CREATE USER IF NOT EXISTS 'slurm'@'localhost' IDENTIFIED BY '$DB_PASS';
GRANT ALL ON slurm_acct_db.* TO 'slurm'@'localhost';
EOF
}

start_slurm() {
  if ! pid_of slurmdbd >/dev/null; then
    /usr/sbin/slurmdbd
    wait_for 30 slurmdbd sacctmgr -i list cluster || die "slurmdbd does not answer (log: $STATE/log/slurmdbd.log)"
  fi
  sacctmgr -i list cluster format=cluster -n | grep -qw "$CLUSTER" || sacctmgr -i add cluster "$CLUSTER" >/dev/null
  pid_of slurmctld >/dev/null || /usr/sbin/slurmctld
  pid_of slurmd >/dev/null || /usr/sbin/slurmd
  wait_for 60 "node idle" node_idle || { status; die "the node did not become idle (logs: $STATE/log)"; }
}

node_idle() { sinfo -h -N -o '%t' 2>/dev/null | grep -Eq '^(idle|mix|alloc)$'; }

up() {
  need_root
  mkdir -p "$STATE"
  install_packages
  write_config
  start_munge
  start_db
  start_slurm
  log "up: $(sinfo -h -N -o '%N %t cpus=%c mem=%mMB partition=%P')"
}

stop_pid() {  # stop_pid NAME: SIGTERM the PID in its file, wait, then SIGKILL
  local name=$1 pid
  pid=$(pid_of "$name") || { rm -f "$(pid_file "$name")"; return 0; }
  kill "$pid"
  for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
  if kill -0 "$pid" 2>/dev/null; then log "$name ($pid) ignored SIGTERM; SIGKILL"; kill -9 "$pid"; fi
  rm -f "$(pid_file "$name")"
  log "stopped $name ($pid)"
}

down() {
  need_root
  if pid_of slurmctld >/dev/null; then
    # jobs of this throwaway cluster would outlive slurmd (no cgroups), so cancel them first
    scancel --full --user=root 2>/dev/null || true
    wait_for 15 "queue empty" bash -c '[ -z "$(squeue -h -o %i)" ]' || log "jobs still listed: $(squeue -h -o '%i %T' | tr '\n' ' ')"
  fi
  stop_pid slurmd
  stop_pid slurmctld
  stop_pid slurmdbd
  stop_pid mariadbd
  stop_pid munged
}

status() {
  local name pid rc=0
  for name in munged mariadbd slurmdbd slurmctld slurmd; do
    if pid=$(pid_of "$name"); then echo "$name: running (pid $pid)"; else echo "$name: not running"; rc=1; fi
  done
  if [ $rc = 0 ]; then
    sinfo -N -o '%N %P %t %c %m' || rc=1
    squeue -o '%i %j %T %M %R' || rc=1
  fi
  return $rc
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  status) status ;;
  *) echo "usage: $0 up|down|status   (state in \$SLURM_CLUSTER_DIR, default /tmp/fcnn-slurm)" >&2; exit 2 ;;
esac
