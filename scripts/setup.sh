#!/usr/bin/env bash
# Installs what Bosun needs on a fresh Debian machine, and starts PostgreSQL and NATS when they
# are not reachable. Idempotent and quiet when everything is already there.
set -euo pipefail
cd "$(dirname "$0")/.."
log() { printf '[setup] %s\n' "$*" >&2; }

# --- Debian packages (real peers and tools the tests and the demo use) -----------------------
need_pkgs=()
have() { command -v "$1" >/dev/null 2>&1; }
have bird || need_pkgs+=(bird2)
have gobgpd || need_pkgs+=(gobgpd)
[ -x /usr/lib/frr/bgpd ] || need_pkgs+=(frr)
have arping || need_pkgs+=(arping)
have ndisc6 || need_pkgs+=(ndisc6)
have nft || need_pkgs+=(nftables)
[ -e /usr/include/pcap.h ] || need_pkgs+=(libpcap-dev)
have ip || need_pkgs+=(iproute2)
have tcpdump || need_pkgs+=(tcpdump)
have kubectl || need_pkgs+=(kubernetes-client)
if [ ${#need_pkgs[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && have apt-get; then
    log "installing Debian packages: ${need_pkgs[*]}"
    apt-get update -qq >/dev/null 2>&1 || true
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_pkgs[@]}" >/tmp/bosun-apt.log 2>&1 \
      || log "apt-get install failed (see /tmp/bosun-apt.log); tests needing ${need_pkgs[*]} will fail"
  else
    log "missing Debian packages (need root + apt-get): ${need_pkgs[*]}"
  fi
fi
# The Debian services must not run on their own: tests start their own daemons in namespaces.
for svc in bird frr gobgpd; do
  if pgrep -x "$svc" >/dev/null 2>&1 && [ -z "$(ip netns identify $(pgrep -x "$svc" | head -1) 2>/dev/null)" ]; then
    (service "$svc" stop || true) >/dev/null 2>&1
  fi
done

# --- npm dependencies ---------------------------------------------------------------------
stamp=node_modules/.bosun-lock-stamp
if [ ! -d node_modules ] || [ ! -f "$stamp" ] || ! cmp -s package-lock.json "$stamp"; then
  log "installing npm dependencies (npm ci)"
  npm ci --no-audit --no-fund --loglevel=error
  cp package-lock.json "$stamp"
fi

# --- PostgreSQL and NATS ------------------------------------------------------------------
port_open() { (exec 3<>/dev/tcp/127.0.0.1/"$1") 2>/dev/null; }
if ! port_open 5432; then
  log "starting PostgreSQL"
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql)" main start || true
fi
if ! port_open 4222; then
  log "starting NATS (JetStream)"
  start-stop-daemon --start --oknodo --background --exec /usr/sbin/nats-server -- \
    -a 127.0.0.1 -p 4222 -js -sd /var/lib/nats-server -l /var/log/nats-server.log || true
fi
for i in $(seq 1 50); do port_open 5432 && port_open 4222 && break; sleep 0.2; done
port_open 5432 || log "PostgreSQL is not reachable on 127.0.0.1:5432"
port_open 4222 || log "NATS is not reachable on 127.0.0.1:4222"
