#!/usr/bin/env bash
# A real Kafka-protocol broker for integration tests and local runs: tansu
# (https://github.com/tansu-io/tansu), a single Rust binary storing topics in SQLite.
#
# Usage:
#   scripts/tansu.sh install      installs tansu 0.6.0 into ${CARGO_HOME:-$HOME/.cargo}/bin
#                                 unless that version is already on PATH; prints the version
#                                 (builds in ${TANSU_BUILD_DIR:-$HOME/.cache/tansu-build})
#   scripts/tansu.sh check        prints the installed tansu version; exit 1 if tansu is
#                                 not installed (nothing is built)
#   scripts/tansu.sh start DIR [PORT]
#                                 starts a broker with its SQLite database in DIR/tansu.db
#                                 on PORT (default: a free loopback port); prints "PORT PID"
#                                 once the port accepts connections (log appended to
#                                 DIR/tansu.log). Starting again with the same DIR and PORT
#                                 restarts a stopped broker with its topics, records and
#                                 consumer groups.
#   scripts/tansu.sh topic PORT NAME PARTITIONS
#                                 creates a topic (the CreateTopics request) on the broker
#   scripts/tansu.sh stop PID     stops a broker started by `start` (SIGTERM, then SIGKILL
#                                 after 10 s); returns once the process is gone
#
# Example:
#   read -r port pid < <(scripts/tansu.sh start "$(mktemp -d)")
#   convolens run --until-idle --brokers "127.0.0.1:$port" --topic events --lake /tmp/lake
#   scripts/tansu.sh stop "$pid"
set -euo pipefail

version="0.6.0"
cargo_bin="${CARGO_HOME:-$HOME/.cargo}/bin"
# Newly installed binaries must be found even if the caller's PATH lacks cargo's bin.
export PATH="$PATH:$cargo_bin"

die() {
    echo "tansu.sh: $*" >&2
    exit 1
}

installed_version() {
    # `tansu --version` prints e.g. "tansu 0.6.0"; anything else counts as not installed.
    tansu --version 2>/dev/null | awk '{print $NF}' || true
}

install() {
    if [[ "$(installed_version)" != "$version" ]]; then
        echo "tansu.sh: installing tansu $version (takes several minutes)" >&2
        # A fixed build directory (not cargo's temporary one) lets an interrupted install
        # resume where it stopped instead of starting over.
        CARGO_TARGET_DIR="${TANSU_BUILD_DIR:-$HOME/.cache/tansu-build}" \
            cargo install tansu --version "$version" --locked --features libsql,dynostore \
            --root "${CARGO_HOME:-$HOME/.cargo}"
    fi
    tansu --version
}

free_port() {
    # Binding port 0 lets the kernel choose; the port is free again once the socket closes.
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

port_open() {
    python3 - "$1" <<'EOF'
import socket, sys
try:
    socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=0.5).close()
except OSError:
    sys.exit(1)
EOF
}

check() {
    command -v tansu >/dev/null || die "tansu is not installed; run: scripts/tansu.sh install"
    local installed
    installed="$(installed_version)"
    [[ "$installed" == "$version" ]] ||
        echo "tansu.sh: tansu $installed is installed, the tests expect $version" >&2
    echo "$installed"
}

# True while PID names a live process. A zombie (exited, not yet reaped: the broker is
# started in the background, so its parent may be gone and PID 1 may not reap) counts as
# gone; `kill -0` alone would say it is alive.
alive() {
    local pid="$1" state
    kill -0 "$pid" 2>/dev/null || return 1
    if [[ -r "/proc/$pid/stat" ]]; then
        state="$(sed -E 's/^.*\) ([A-Za-z]).*$/\1/' "/proc/$pid/stat" 2>/dev/null || true)"
        [[ "$state" != "Z" && "$state" != "X" ]] || return 1
    fi
    return 0
}

start() {
    local dir="${1:-}" port="${2:-}"
    [[ -n "$dir" ]] || die "usage: tansu.sh start DIR [PORT]"
    command -v tansu >/dev/null || die "tansu is not installed; run: scripts/tansu.sh install"
    mkdir -p "$dir"
    if [[ -z "$port" ]]; then
        port="$(free_port)"
    elif ! [[ "$port" =~ ^[0-9]+$ ]]; then
        die "PORT must be a number, got $port"
    elif port_open "$port"; then
        die "port $port is already in use"
    fi
    # The SQLite URL is relative to the working directory, hence the cd.
    (
        cd "$dir"
        exec tansu broker \
            --listener-url "tcp://127.0.0.1:$port" \
            --advertised-listener-url "tcp://127.0.0.1:$port" \
            --storage-engine "sqlite://tansu.db" \
            >>tansu.log 2>&1
    ) &
    local pid=$!
    # Up to 30 s: the first start creates the database schema.
    for _ in $(seq 1 150); do
        if port_open "$port"; then
            echo "$port $pid"
            return 0
        fi
        if ! alive "$pid"; then
            tail -n 20 "$dir/tansu.log" >&2 || true
            die "tansu exited before accepting connections (log: $dir/tansu.log)"
        fi
        sleep 0.2
    done
    kill "$pid" 2>/dev/null || true
    die "tansu did not accept connections on port $port within 30 s (log: $dir/tansu.log)"
}

topic() {
    local port="${1:-}" name="${2:-}" partitions="${3:-}"
    [[ "$port" =~ ^[0-9]+$ && -n "$name" && "$partitions" =~ ^[0-9]+$ ]] ||
        die "usage: tansu.sh topic PORT NAME PARTITIONS"
    command -v tansu >/dev/null || die "tansu is not installed; run: scripts/tansu.sh install"
    tansu topic create --broker "tcp://127.0.0.1:$port" --partitions "$partitions" "$name" >/dev/null
}

stop() {
    local pid="${1:-}"
    [[ "$pid" =~ ^[0-9]+$ ]] || die "usage: tansu.sh stop PID"
    alive "$pid" || return 0
    kill "$pid" 2>/dev/null || return 0
    # Give it 10 s to shut down cleanly before forcing it.
    for _ in $(seq 1 50); do
        alive "$pid" || return 0
        sleep 0.2
    done
    kill -9 "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do
        alive "$pid" || return 0
        sleep 0.1
    done
    die "tansu (pid $pid) did not exit"
}

case "${1:-}" in
    install) install ;;
    check) check ;;
    start) start "${2:-}" "${3:-}" ;;
    topic) topic "${2:-}" "${3:-}" "${4:-}" ;;
    stop) stop "${2:-}" ;;
    *) die "usage: tansu.sh install | check | start DIR [PORT] | topic PORT NAME PARTITIONS | stop PID" ;;
esac
