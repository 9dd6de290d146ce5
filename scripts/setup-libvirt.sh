#!/usr/bin/env bash
# Make this machine able to run the libvirt provider (real VMs: qemu, TCG where KVM is not usable):
#   - apt packages: qemu, libvirt, dnsmasq (libvirt's DHCP/DNS per network), qemu-img, and what
#     scripts/build-vm-image.sh and the NoCloud seed need (debootstrap, e2fsprogs, xorriso)
#   - virtlogd and libvirtd running: through systemd when it is PID 1, otherwise started by hand
#     (build machines and many containers have no systemd), each only when not already running
#   - a check that `virsh -c qemu:///system version` answers
#   - the VM disk image for RELEASES (default trixie; scripts/build-vm-image.sh, cached by recipe)
#   - whether KVM is usable (a probe through libvirt), written where the provider reads it; the
#     answer is kept (GRIDCLOUD_KVM_PROBE=1 probes again)
# No libvirt network is defined here: the provider makes one per cluster.
# Safe to run again: every step checks before it acts. `make vm-setup` runs scripts/setup.sh first.
set -euo pipefail

log() { printf '\n==> %s\n' "$*"; }
die() { echo "setup-libvirt: $*" >&2; exit 1; }

[ "$(id -u)" -eq 0 ] || die "needs root (it installs packages and starts libvirtd)"

# --no-install-recommends keeps the host small, so everything the provider uses is named: the
# network driver's dnsmasq-base and iptables (NAT), debootstrap/e2fsprogs/qemu-utils for the
# image, xorriso for the NoCloud seed (an ISO labelled cidata), ssh to reach the nodes.
apt_packages=(qemu-system-x86 qemu-utils libvirt-daemon-system libvirt-clients dnsmasq-base
              iptables debootstrap e2fsprogs xorriso openssh-client)
missing=()
for pkg in "${apt_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' \
    || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  log "installing apt packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Is a daemon running? Its pidfile names a live process with the expected name. A stale pidfile
# (left by a killed daemon or a machine restart without systemd) does not count.
running() {
  local name=$1 pidfile=$2 pid
  [ -s "$pidfile" ] || return 1
  pid=$(cat "$pidfile")
  [ -n "$pid" ] && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = "$name" ]
}

# /dev/kvm as udev and systemd-tmpfiles leave it on a Debian host: group kvm, 0660 (libvirt's qemu
# user is in group kvm). Without udev it stays root-only, and then libvirtd probes qemu with KVM
# (as root) but finds KVM unusable for its qemu user, takes its capability cache for stale and
# probes again at every define: 30-90 s per `virsh define` instead of 0.03 s (measured here).
if [ -c /dev/kvm ] && getent group kvm >/dev/null && [ "$(stat -c %G /dev/kvm)" != kvm ]; then
  echo "setup-libvirt: /dev/kvm to group kvm, mode 0660 (what udev does on a Debian host)"
  chgrp kvm /dev/kvm
  chmod 0660 /dev/kvm
fi

if [ "$(cat /proc/1/comm 2>/dev/null)" = systemd ]; then
  log "starting virtlogd and libvirtd through systemd"
  systemctl start virtlogd.socket libvirtd.socket 2>/dev/null || true
  systemctl start virtlogd.service libvirtd.service
else
  # Without systemd nothing starts the daemons or their sockets: start them by hand, daemonised
  # (-d), in the order libvirtd needs (it hands qemu's console logs to virtlogd).
  for daemon in virtlogd libvirtd; do
    if running "$daemon" "/run/$daemon.pid"; then
      echo "setup-libvirt: $daemon already running (pid $(cat "/run/$daemon.pid"))"
    else
      log "starting $daemon by hand (systemd is not PID 1)"
      rm -f "/run/$daemon.pid"
      "$daemon" -d
      for _ in $(seq 1 50); do running "$daemon" "/run/$daemon.pid" && break; sleep 0.2; done
      running "$daemon" "/run/$daemon.pid" \
        || die "$daemon did not start (see its log under /var/log/libvirt)"
    fi
  done
fi

# libvirtd accepts connections a moment after it has written its pidfile.
for _ in $(seq 1 50); do
  virsh -c qemu:///system version >/dev/null 2>&1 && break
  sleep 0.2
done
virsh -c qemu:///system version || die "libvirtd does not answer on qemu:///system"

# The VM disk images (scripts/build-vm-image.sh caches them by recipe: a rerun is instant).
here=$(cd "$(dirname "$0")" && pwd)
releases=${RELEASES:-${RELEASE:-trixie}}
for release in $releases; do
  log "VM image for release $release"
  bash "$here/build-vm-image.sh" "$release"
done

# Is KVM usable? /dev/kvm opening is not enough: without nested virtualisation a KVM guest hangs.
# Probe through libvirt with what a node boots: the image's kernel, no disk and no initrd, so it
# panics at once on the missing root filesystem; panic=1 makes that a reboot and on_reboot=destroy
# ends the domain. A domain that is gone within the time limit ran; one still there hangs. The same
# probe with type qemu (TCG) must pass, or the probe itself is broken and says nothing about KVM.
# The answer goes to $accel_file, where the provider reads it (its setting domain_type: auto).
accel_file=${GRIDCLOUD_LIBVIRT_ACCEL_FILE:-/var/lib/gridcloud/libvirt-domain-type}
image_dir=${GRIDCLOUD_VM_IMAGE_DIR:-/var/lib/gridcloud/images}
probe() {
  local type=$1 kernel=$2 name=gridcloud-accel-probe-$1 xml
  xml=$(mktemp /tmp/gridcloud-accel-probe.XXXXXX.xml)
  cat > "$xml" <<EOF
<domain type='$type'>
  <name>$name</name>
  <memory unit='MiB'>256</memory>
  <vcpu>1</vcpu>
  <os>
    <type arch='x86_64' machine='q35'>hvm</type>
    <kernel>$kernel</kernel>
    <cmdline>console=ttyS0 panic=1 root=/dev/gridcloud-probe-none</cmdline>
  </os>
  <on_poweroff>destroy</on_poweroff>
  <on_reboot>destroy</on_reboot>
  <on_crash>destroy</on_crash>
  <devices><serial type='pty'/><memballoon model='none'/></devices>
</domain>
EOF
  virsh -c qemu:///system destroy "$name" >/dev/null 2>&1 || true
  if ! virsh -c qemu:///system create "$xml" >/dev/null 2>&1; then
    rm -f "$xml"
    return 1
  fi
  rm -f "$xml"
  for _ in $(seq 1 60); do
    virsh -c qemu:///system domstate "$name" >/dev/null 2>&1 || return 0
    sleep 1
  done
  virsh -c qemu:///system destroy "$name" >/dev/null 2>&1 || true
  return 1
}
# The probe costs a minute where KVM hangs (it waits out the limit): its answer is kept, and
# probed again only when asked (GRIDCLOUD_KVM_PROBE=1, for example after enabling nested
# virtualisation) or when the file is missing.
if [ -s "$accel_file" ] && [ -z "${GRIDCLOUD_KVM_PROBE:-}" ]; then
  domain_type=$(cat "$accel_file")
  echo "setup-libvirt: domain type $domain_type, probed before ($accel_file;" \
       "GRIDCLOUD_KVM_PROBE=1 probes again)"
else
  manifest=$(readlink -f "$image_dir/gridcloud-vm-${releases%% *}.json")
  kernel=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["kernel"])' \
           "$manifest")
  log "probing KVM through libvirt (a guest kernel that must panic and end within 60 s)"
  if [ -e /dev/kvm ] && probe kvm "$kernel"; then
    domain_type=kvm
  elif probe qemu "$kernel"; then
    domain_type=qemu
  else
    die "even a TCG guest did not run: see /var/log/libvirt/qemu/gridcloud-accel-probe-qemu.log"
  fi
  mkdir -p "$(dirname "$accel_file")"
  echo "$domain_type" > "$accel_file"
  if [ "$domain_type" = kvm ]; then
    echo "setup-libvirt: KVM is usable: domain type kvm, written to $accel_file"
  else
    echo "setup-libvirt: KVM is not usable here: domain type qemu (TCG), written to $accel_file"
  fi
fi
log "libvirt ready: virsh -c qemu:///system"
