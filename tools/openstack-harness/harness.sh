#!/usr/bin/env bash
# A minimal but real OpenStack control plane on this machine, for the openstack provider's
# integration tests (tests/openstack). Not part of the collection.
#
#   tools/openstack-harness/harness.sh up       # install (once), configure, start; idempotent
#   tools/openstack-harness/harness.sh status   # each service's API version, one line each
#   tools/openstack-harness/harness.sh down     # stop everything it started (data is kept)
#   tools/openstack-harness/harness.sh purge    # down, then remove build/openstack-harness
#
# MariaDB and RabbitMQ come from Debian (apt) and run as private instances with their data
# under build/openstack-harness (the host's own services, if any, are not touched). Keystone,
# Placement, Nova (fake virt driver, no VMs), Glance (file store), Cinder (fake volume driver) and the
# Neutron API (ML2, no agents: tools/openstack-harness/ml2_bind_all binds every port) come from
# PyPI (requirements.txt) into build/openstack-venv. Everything listens on 127.0.0.1 only.
# Passwords are generated at the first `up` into build/openstack-harness/secrets.env.
# Logs: build/openstack-harness/logs/<service>.log. clouds.yaml: build/openstack-harness/clouds.yaml
# with the clouds gridcloud-harness (project gridcloud, role member) and gridcloud-harness-admin.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
H="${HARNESS_DIR:-$ROOT/build/openstack-harness}"
VENV="${HARNESS_VENV:-$ROOT/build/openstack-venv}"
ETC="$H/etc"
LOG="$H/logs"
RUN="$H/run"
WAIT="${HARNESS_WAIT:-120}"        # seconds any one service may take to answer
IP=127.0.0.1

# ports: the usual ones plus 10000-ish, so that they do not clash with a real service
P_MYSQL=13306
P_RABBIT=15673
P_RABBIT_DIST=25673
P_EPMD=14369
P_KEYSTONE=15000
P_PLACEMENT=18778
P_NOVA=18774
P_GLANCE=19292
P_CINDER=18776
P_NEUTRON=19696

APT_PACKAGES=(mariadb-server mariadb-client rabbitmq-server python3-venv python3-dev gcc
              libffi-dev libssl-dev curl)

log() { printf '[harness %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# wait_for <what> <seconds> <command...>: run the command until it succeeds, or fail naming it
wait_for() {
    local what=$1 seconds=$2 start=$SECONDS
    shift 2
    until "$@" >/dev/null 2>&1; do
        if (( SECONDS - start >= seconds )); then
            die "$what did not come up within ${seconds}s; see $LOG/"
        fi
        sleep 1
    done
    log "$what is up ($(( SECONDS - start ))s)"
}

running() { [[ -f "$RUN/$1.pid" ]] && kill -0 "$(cat "$RUN/$1.pid")" 2>/dev/null; }

# start <name> <command...>: in its own session (process group), output to logs/<name>.log
start() {
    local name=$1
    shift
    if running "$name"; then
        log "$name runs already (pid $(cat "$RUN/$name.pid"))"
        return
    fi
    setsid "$@" >>"$LOG/$name.log" 2>&1 < /dev/null &
    echo $! >"$RUN/$name.pid"
    log "started $name (pid $!)"
}

stop() {
    local name=$1 pid
    [[ -f "$RUN/$name.pid" ]] || return 0
    pid=$(cat "$RUN/$name.pid")
    if kill -0 "$pid" 2>/dev/null; then
        kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
        for _ in $(seq 1 30); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
        if kill -0 "$pid" 2>/dev/null; then
            kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
        fi
        log "stopped $name"
    fi
    rm -f "$RUN/$name.pid"
}

http_ok() { curl -fsS --max-time 5 -o /dev/null "$1"; }

# ------------------------------------------------------------------------------ install
install_apt() {
    local missing=()
    for p in "${APT_PACKAGES[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
    done
    if ((${#missing[@]})); then
        log "apt-get install ${missing[*]}"
        apt-get update -q >/dev/null
        # the packages' own services are not wanted: the harness runs private instances
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >"$LOG/apt.log" 2>&1 \
            || die "apt-get install failed; see $LOG/apt.log"
    fi
}

install_venv() {
    local stamp="$VENV/.harness-requirements"
    local want
    want=$(cat "$HERE/requirements.txt" "$HERE/ml2_bind_all/pyproject.toml" \
           "$HERE/ml2_bind_all/gridcloud_harness_ml2/__init__.py" | sha256sum | cut -d' ' -f1)
    if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
        return
    fi
    [[ -x "$VENV/bin/python" ]] || python3 -m venv "$VENV"
    log "pip install -r tools/openstack-harness/requirements.txt into $VENV (about 2 minutes)"
    "$VENV/bin/pip" install -q -r "$HERE/requirements.txt" >"$LOG/pip.log" 2>&1 \
        || die "pip install failed; see $LOG/pip.log"
    # built from a copy: pip's in-tree build would leave build/ and *.egg-info in the checkout
    rm -rf "$H/src/ml2_bind_all"
    mkdir -p "$H/src"
    cp -r "$HERE/ml2_bind_all" "$H/src/ml2_bind_all"
    "$VENV/bin/pip" install -q "$H/src/ml2_bind_all" >>"$LOG/pip.log" 2>&1 \
        || die "pip install of the ML2 driver failed; see $LOG/pip.log"
    echo "$want" >"$stamp"
}

secrets() {
    if [[ ! -f "$H/secrets.env" ]]; then
        umask 077
        {
            for v in DB_PW RABBIT_PW ADMIN_PW SERVICE_PW GRIDCLOUD_PW; do
                echo "$v=$(head -c 18 /dev/urandom | base64 | tr -d '/+=')"
            done
        } >"$H/secrets.env"
        umask 022
    fi
    # shellcheck disable=SC1091
    . "$H/secrets.env"
}

# ------------------------------------------------------------------------------ configuration
db() { echo "mysql+pymysql://openstack:$DB_PW@$IP:$P_MYSQL/$1?charset=utf8"; }
TRANSPORT() { echo "rabbit://openstack:$RABBIT_PW@$IP:$P_RABBIT/"; }

authtoken() {   # [keystone_authtoken] of service user $1
    cat <<EOF
[keystone_authtoken]
www_authenticate_uri = http://$IP:$P_KEYSTONE
auth_url = http://$IP:$P_KEYSTONE
auth_type = password
project_domain_name = Default
user_domain_name = Default
project_name = service
username = $1
password = $SERVICE_PW
service_token_roles = service
service_token_roles_required = true
EOF
}

service_auth() {   # a [section] that authenticates as service user $2
    cat <<EOF
[$1]
auth_url = http://$IP:$P_KEYSTONE
auth_type = password
project_domain_name = Default
user_domain_name = Default
project_name = service
username = $2
password = $SERVICE_PW
region_name = RegionOne
EOF
}

write_configs() {
    mkdir -p "$ETC"/{keystone,placement,nova,glance,cinder,neutron/plugins/ml2,rabbitmq} \
             "$H"/{nova/instances,glance/images,glance/staging,glance/tasks,cinder,neutron,locks}
    local transport
    transport=$(TRANSPORT)

    cat >"$ETC/rabbitmq/rabbitmq.conf" <<EOF
listeners.tcp.1 = $IP:$P_RABBIT
loopback_users = none
EOF
    echo '[].' >"$ETC/rabbitmq/enabled_plugins"

    cat >"$ETC/keystone/keystone.conf" <<EOF
[DEFAULT]
use_stderr = true
[database]
connection = $(db keystone)
[token]
provider = fernet
[fernet_tokens]
key_repository = $ETC/keystone/fernet-keys
[fernet_receipts]
key_repository = $ETC/keystone/fernet-keys
[credential]
key_repository = $ETC/keystone/credential-keys
[cache]
enabled = false
EOF

    cat >"$ETC/placement/placement.conf" <<EOF
[DEFAULT]
use_stderr = true
[placement_database]
connection = $(db placement)
[api]
auth_strategy = keystone
$(authtoken placement)
EOF

    # nova's WSGI app loads its paste pipeline from the first of its config files
    cp "$VENV/etc/nova/api-paste.ini" "$ETC/nova/api-paste.ini"
    cat >"$ETC/nova/nova.conf" <<EOF
[DEFAULT]
use_stderr = true
transport_url = $transport
# the fake driver with one stable node (its uuid kept in state_path/compute_id), so that
# nova-compute can be restarted; the plain FakeDriver makes a new node uuid at each start
compute_driver = fake.FakeDriverWithoutFakeNodes
host = harness-compute
my_ip = $IP
state_path = $H/nova
instances_path = $H/nova/instances
[api]
auth_strategy = keystone
[api_database]
connection = $(db nova_api)
[database]
connection = $(db nova)
[wsgi]
api_paste_config = $ETC/nova/api-paste.ini
$(authtoken nova)
$(service_auth placement nova)
$(service_auth neutron nova)
$(service_auth service_user nova)
send_service_user_token = true
[cinder]
os_region_name = RegionOne
[glance]
region_name = RegionOne
[scheduler]
discover_hosts_in_cells_interval = -1
workers = 1
[conductor]
workers = 1
[vnc]
enabled = false
[oslo_messaging_notifications]
driver = noop
[oslo_concurrency]
lock_path = $H/locks
[compute]
resource_provider_association_refresh = 10
EOF

    cat >"$ETC/glance/glance-api.conf" <<EOF
[DEFAULT]
use_stderr = true
enabled_backends = fs:file
worker_self_reference_url = http://$IP:$P_GLANCE
[database]
connection = $(db glance)
[glance_store]
default_backend = fs
[fs]
filesystem_store_datadir = $H/glance/images
[os_glance_staging_store]
filesystem_store_datadir = $H/glance/staging
[os_glance_tasks_store]
filesystem_store_datadir = $H/glance/tasks
[paste_deploy]
flavor = keystone
config_file = $VENV/etc/glance/glance-api-paste.ini
$(authtoken glance)
[oslo_concurrency]
lock_path = $H/locks
EOF

    cat >"$ETC/cinder/cinder.conf" <<EOF
[DEFAULT]
use_stderr = true
transport_url = $transport
auth_strategy = keystone
enabled_backends = fake
state_path = $H/cinder
my_ip = $IP
api_paste_config = $VENV/etc/cinder/api-paste.ini
resource_query_filters_file = $VENV/etc/cinder/resource_filters.json
host = harness-volume
[database]
connection = $(db cinder)
[fake]
volume_driver = cinder.tests.fake_driver.FakeLoggingVolumeDriver
volume_backend_name = fake
target_helper = fake
$(authtoken cinder)
$(service_auth nova cinder)
[oslo_concurrency]
lock_path = $H/locks
EOF

    cat >"$ETC/neutron/neutron.conf" <<EOF
[DEFAULT]
use_stderr = true
core_plugin = ml2
# the L3 API (routers, floating IPs) as on nearly every cloud; no L3 agent serves it
service_plugins = router
auth_strategy = keystone
transport_url = $transport
api_paste_config = $VENV/etc/neutron/api-paste.ini
notify_nova_on_port_status_changes = false
notify_nova_on_port_data_changes = false
state_path = $H/neutron
api_workers = 1
rpc_workers = 0
[database]
connection = $(db neutron)
$(authtoken neutron)
$(service_auth nova neutron)
$(service_auth placement neutron)
[oslo_concurrency]
lock_path = $H/locks
EOF
    cat >"$ETC/neutron/plugins/ml2/ml2_conf.ini" <<EOF
[ml2]
type_drivers = flat,vxlan
tenant_network_types = vxlan
mechanism_drivers = gridcloud_bind_all
extension_drivers = port_security
[ml2_type_vxlan]
vni_ranges = 1:1000
[securitygroup]
enable_security_group = true
EOF
}

# ------------------------------------------------------------------------------ MariaDB, RabbitMQ
mysql_root() { mariadb --no-defaults --socket="$RUN/mysqld.sock" -uroot "$@"; }

start_mariadb() {
    if [[ ! -d "$H/mysql/mysql" ]]; then
        log "initialising MariaDB in $H/mysql"
        mariadb-install-db --no-defaults --datadir="$H/mysql" --user=root \
            --auth-root-authentication-method=socket >"$LOG/mariadb-install.log" 2>&1 \
            || die "mariadb-install-db failed; see $LOG/mariadb-install.log"
    fi
    start mariadb mariadbd --no-defaults --datadir="$H/mysql" --user=root \
        --socket="$RUN/mysqld.sock" --pid-file="$RUN/mysqld.pid.d" --port=$P_MYSQL \
        --bind-address=$IP --skip-name-resolve --max-connections=1000 \
        --innodb-buffer-pool-size=256M --character-set-server=utf8mb4 \
        --log-error="$LOG/mariadb.err"
    wait_for MariaDB "$WAIT" mysql_root -e 'select 1'
    local sql="CREATE USER IF NOT EXISTS 'openstack'@'$IP' IDENTIFIED BY '$DB_PW';"
    sql+="ALTER USER 'openstack'@'$IP' IDENTIFIED BY '$DB_PW';"
    for d in keystone placement nova_api nova nova_cell0 glance cinder neutron; do
        sql+="CREATE DATABASE IF NOT EXISTS $d; GRANT ALL PRIVILEGES ON $d.* TO 'openstack'@'$IP';"
    done
    mysql_root -e "$sql"
}

rabbit_env() {
    export HOME="$H/rabbitmq" \
        RABBITMQ_NODENAME=harness@localhost \
        RABBITMQ_NODE_IP_ADDRESS=$IP RABBITMQ_NODE_PORT=$P_RABBIT RABBITMQ_DIST_PORT=$P_RABBIT_DIST \
        RABBITMQ_CONFIG_FILE="$ETC/rabbitmq/rabbitmq" \
        RABBITMQ_ENABLED_PLUGINS_FILE="$ETC/rabbitmq/enabled_plugins" \
        RABBITMQ_MNESIA_BASE="$H/rabbitmq/mnesia" RABBITMQ_LOG_BASE="$LOG/rabbitmq" \
        RABBITMQ_PID_FILE="$RUN/rabbitmq.pid.d" \
        RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}" \
        RABBITMQ_CTL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}" \
        ERL_EPMD_ADDRESS=$IP ERL_EPMD_PORT=$P_EPMD
}

rabbitmqctl_h() { ( rabbit_env; /usr/lib/rabbitmq/bin/rabbitmqctl "$@" ); }

start_rabbitmq() {
    mkdir -p "$H/rabbitmq/mnesia" "$LOG/rabbitmq"
    ( rabbit_env; start rabbitmq /usr/lib/rabbitmq/bin/rabbitmq-server )
    wait_for RabbitMQ "$WAIT" rabbitmqctl_h -q await_startup --timeout 5
    if ! rabbitmqctl_h -q list_users | grep -q '^openstack'; then
        rabbitmqctl_h -q add_user openstack "$RABBIT_PW" >/dev/null
    fi
    rabbitmqctl_h -q change_password openstack "$RABBIT_PW" >/dev/null
    rabbitmqctl_h -q set_permissions openstack '.*' '.*' '.*' >/dev/null
}

# ------------------------------------------------------------------------------ OpenStack
# api <name> <port> <wsgi module> [env...]: an API under gunicorn on 127.0.0.1:<port>
api() {
    local name=$1 port=$2 module=$3
    shift 3
    start "$name" env "$@" HARNESS_WSGI_MODULE="$module" HARNESS_WSGI_PROG="$name" \
        "$VENV/bin/gunicorn" --chdir "$HERE" --bind "$IP:$port" --workers 1 \
        --worker-class gthread --threads 8 --timeout 300 --graceful-timeout 5 \
        --name "harness-$name" wsgi_shim:application
}

sync_databases() {
    local b="$VENV/bin"
    log "syncing the databases"
    mkdir -p "$ETC/keystone/fernet-keys" "$ETC/keystone/credential-keys"
    chmod 700 "$ETC/keystone/fernet-keys" "$ETC/keystone/credential-keys"
    local kc=(--config-file "$ETC/keystone/keystone.conf")
    [[ -f "$ETC/keystone/fernet-keys/0" ]] || \
        "$b/keystone-manage" "${kc[@]}" fernet_setup --keystone-user root --keystone-group root
    [[ -f "$ETC/keystone/credential-keys/0" ]] || \
        "$b/keystone-manage" "${kc[@]}" credential_setup --keystone-user root --keystone-group root
    "$b/keystone-manage" "${kc[@]}" db_sync
    "$b/keystone-manage" "${kc[@]}" bootstrap --bootstrap-password "$ADMIN_PW" \
        --bootstrap-admin-url "http://$IP:$P_KEYSTONE/v3/" \
        --bootstrap-internal-url "http://$IP:$P_KEYSTONE/v3/" \
        --bootstrap-public-url "http://$IP:$P_KEYSTONE/v3/" --bootstrap-region-id RegionOne

    "$b/placement-manage" --config-file "$ETC/placement/placement.conf" db sync

    local nc=(--config-file "$ETC/nova/nova.conf")
    "$b/nova-manage" "${nc[@]}" api_db sync
    "$b/nova-manage" "${nc[@]}" cell_v2 map_cell0 --database_connection "$(db nova_cell0)"
    if ! "$b/nova-manage" "${nc[@]}" cell_v2 list_cells 2>/dev/null | grep -q ' cell1 '; then
        "$b/nova-manage" "${nc[@]}" cell_v2 create_cell --name cell1 \
            --transport-url "$(TRANSPORT)" --database_connection "$(db nova)"
    fi
    "$b/nova-manage" "${nc[@]}" db sync

    "$b/glance-manage" --config-file "$ETC/glance/glance-api.conf" db_sync
    "$b/cinder-manage" --config-file "$ETC/cinder/cinder.conf" db sync
    "$b/neutron-db-manage" --config-file "$ETC/neutron/neutron.conf" \
        --config-file "$ETC/neutron/plugins/ml2/ml2_conf.ini" upgrade heads
}

write_clouds_yaml() {
    umask 077
    cat >"$H/clouds.yaml" <<EOF
# written by tools/openstack-harness/harness.sh up; the passwords are this machine's, made at
# the first up (build/openstack-harness/secrets.env)
clouds:
  gridcloud-harness:
    auth:
      auth_url: http://$IP:$P_KEYSTONE/v3
      username: gridcloud
      password: $GRIDCLOUD_PW
      project_name: gridcloud
      user_domain_name: Default
      project_domain_name: Default
    region_name: RegionOne
    interface: public
    identity_api_version: 3
  gridcloud-harness-admin:
    auth:
      auth_url: http://$IP:$P_KEYSTONE/v3
      username: admin
      password: $ADMIN_PW
      project_name: admin
      user_domain_name: Default
      project_domain_name: Default
    region_name: RegionOne
    interface: public
    identity_api_version: 3
EOF
    umask 022
}

bootstrap() {   # bootstrap.py <phase>: identity (users, endpoints) or resources (flavor, image, net)
    OS_CLIENT_CONFIG_FILE="$H/clouds.yaml" HARNESS_SERVICE_PW="$SERVICE_PW" \
        HARNESS_GRIDCLOUD_PW="$GRIDCLOUD_PW" HARNESS_DIR="$H" \
        "$VENV/bin/python" "$HERE/bootstrap.py" "$1"
}

config_digest() {
    [[ -d "$ETC" ]] || return 0
    find "$ETC" -name '*.conf' -o -name '*.ini' | sort | xargs -r cat | sha256sum | cut -d' ' -f1
}

cmd_up() {
    local t0=$SECONDS
    mkdir -p "$H" "$LOG" "$RUN"
    install_apt
    install_venv
    secrets
    local before after
    before=$(config_digest)
    write_configs
    after=$(config_digest)
    if [[ "$before" != "$after" ]] && [[ -n "$before" ]]; then
        log "the configuration changed: restarting the OpenStack services"
        for s in "${SERVICES[@]}"; do
            [[ "$s" == rabbitmq || "$s" == mariadb ]] || stop "$s"
        done
    fi
    write_clouds_yaml
    start_mariadb
    start_rabbitmq
    # the schemas change only with the pinned releases: synced once per requirements.txt
    local synced
    synced=$(sha256sum "$HERE/requirements.txt" | cut -d' ' -f1)
    if [[ "$(cat "$H/db-synced" 2>/dev/null)" != "$synced" ]]; then
        sync_databases >"$LOG/db-sync.log" 2>&1 || die "a database sync failed; see $LOG/db-sync.log"
        echo "$synced" >"$H/db-synced"
    fi

    api keystone $P_KEYSTONE keystone.wsgi.api OS_KEYSTONE_CONFIG_DIR="$ETC/keystone"
    wait_for Keystone "$WAIT" http_ok "http://$IP:$P_KEYSTONE/v3"
    local identity
    identity=$(cat "$HERE/bootstrap.py" "$H/secrets.env" | sha256sum | cut -d' ' -f1)
    if [[ "$(cat "$H/identity-done" 2>/dev/null)" != "$identity" ]]; then
        bootstrap identity
        echo "$identity" >"$H/identity-done"
    fi

    local b="$VENV/bin"
    api placement $P_PLACEMENT placement.wsgi.api OS_PLACEMENT_CONFIG_DIR="$ETC/placement"
    api glance $P_GLANCE glance.wsgi.api OS_GLANCE_CONFIG_DIR="$ETC/glance" \
        OS_GLANCE_CONFIG_FILES=glance-api.conf
    api cinder-api $P_CINDER cinder.wsgi.api HARNESS_WSGI_ARGV="--config-file $ETC/cinder/cinder.conf"
    start cinder-scheduler "$b/cinder-scheduler" --config-file "$ETC/cinder/cinder.conf"
    start cinder-volume "$b/cinder-volume" --config-file "$ETC/cinder/cinder.conf"
    api neutron $P_NEUTRON neutron.wsgi.api OS_NEUTRON_CONFIG_DIR="$ETC/neutron" \
        "OS_NEUTRON_CONFIG_FILES=neutron.conf;plugins/ml2/ml2_conf.ini"
    api nova-api $P_NOVA nova.wsgi.osapi_compute OS_NOVA_CONFIG_DIR="$ETC/nova" \
        "OS_NOVA_CONFIG_FILES=api-paste.ini;nova.conf"
    start nova-conductor "$b/nova-conductor" --config-file "$ETC/nova/nova.conf"
    start nova-scheduler "$b/nova-scheduler" --config-file "$ETC/nova/nova.conf"
    start nova-compute "$b/nova-compute" --config-file "$ETC/nova/nova.conf"

    wait_for Placement "$WAIT" http_ok "http://$IP:$P_PLACEMENT/"
    wait_for Glance "$WAIT" http_ok "http://$IP:$P_GLANCE/versions"
    wait_for Cinder "$WAIT" http_ok "http://$IP:$P_CINDER/"
    wait_for Neutron "$WAIT" http_ok "http://$IP:$P_NEUTRON/"
    wait_for Nova "$WAIT" http_ok "http://$IP:$P_NOVA/"
    wait_for "nova-compute in cell1" "$WAIT" discover_compute
    bootstrap resources
    write_clouds_yaml
    log "harness up in $(( SECONDS - t0 ))s; OS_CLIENT_CONFIG_FILE=$H/clouds.yaml OS_CLOUD=gridcloud-harness"
    cmd_status
}

discover_compute() {
    "$VENV/bin/nova-manage" --config-file "$ETC/nova/nova.conf" cell_v2 discover_hosts >/dev/null 2>&1
    "$VENV/bin/nova-manage" --config-file "$ETC/nova/nova.conf" cell_v2 list_hosts 2>/dev/null \
        | grep -q harness-compute
}

SERVICES=(nova-compute nova-scheduler nova-conductor nova-api neutron cinder-volume
          cinder-scheduler cinder-api glance placement keystone rabbitmq mariadb)

cmd_down() {
    for s in "${SERVICES[@]}"; do
        stop "$s"
    done
    # the private epmd that RabbitMQ started on its own port
    ERL_EPMD_PORT=$P_EPMD epmd -kill >/dev/null 2>&1 || true
}

# status: GET on each endpoint; prints "<service> <url> <version>", exits 1 if any is down
cmd_status() {
    local failed=0 out
    check() {   # check <name> <url> <python expression over the JSON document d>
        if out=$(curl -fsS --max-time 5 -H 'Accept: application/json' "$2" 2>&1 \
                 | python3 -c "import json,sys; d=json.load(sys.stdin); print($3)" 2>&1); then
            printf '%-10s %-34s %s\n' "$1" "$2" "$out"
        else
            printf '%-10s %-34s DOWN\n' "$1" "$2"
            failed=1
        fi
    }
    check keystone "http://$IP:$P_KEYSTONE/v3" "'identity ' + d['version']['id']"
    check placement "http://$IP:$P_PLACEMENT/" \
        "'placement ' + d['versions'][0]['id'] + ' max microversion ' + d['versions'][0]['max_version']"
    check nova "http://$IP:$P_NOVA/v2.1" \
        "'compute ' + d['version']['id'] + ' max microversion ' + d['version']['version']"
    check glance "http://$IP:$P_GLANCE/versions" "'image ' + d['versions'][0]['id']"
    check cinder "http://$IP:$P_CINDER/" \
        "'block-storage ' + [v for v in d['versions'] if v['status'] == 'CURRENT'][0]['id'] + ' max microversion ' + [v for v in d['versions'] if v['status'] == 'CURRENT'][0]['version']"
    check neutron "http://$IP:$P_NEUTRON/" "'network ' + d['versions'][0]['id']"
    for s in "${SERVICES[@]}"; do
        running "$s" || { printf '%-10s process not running\n' "$s"; failed=1; }
    done
    return $failed
}

case "${1:-}" in
    up) cmd_up ;;
    down) cmd_down ;;
    status) cmd_status ;;
    purge) cmd_down; rm -rf "$H" ;;
    *) echo "usage: $0 up|down|status|purge" >&2; exit 2 ;;
esac
