#!/usr/bin/env bash
# Build the node DISK image for the libvirt provider, the way a cloud's generic image is made:
# Debian minbase (debootstrap) plus a kernel, openssh-server, sudo and cloud-init (NoCloud), DHCP on
# every en* link through systemd-networkd, no root password and no ssh key: cloud-init adds the
# cluster's user and key at first boot from the provider's NoCloud seed.
#
# Boot: direct kernel boot. The disk is one ext4 filesystem (no partition table, no bootloader) and
# the image's own kernel and initrd are copied beside it; the domain boots them with root=/dev/vda.
# Why: no loop partitions, grub-install or chroot device mounts in the build (it runs in a container
# without udev), and it is what was measured to boot here. The guest's /boot still holds the same
# kernel, so moving to a bootloader later changes only this script and the domain XML.
#
# Output, in GRIDCLOUD_VM_IMAGE_DIR (default /var/lib/gridcloud/images), named by release and a hash
# of this recipe, so a change of this file makes a new image and never rewrites one that a cluster's
# copy-on-write overlays still use as their backing file:
#   gridcloud-vm-<release>-<hash>.qcow2   the disk (read-only: overlays are made on top of it)
#   gridcloud-vm-<release>-<hash>.vmlinuz / .initrd   the kernel and initrd to boot it with
#   gridcloud-vm-<release>-<hash>.json    what the provider reads: those paths, the kernel command
#                                         line, the cloud user, the recipe hash
#   gridcloud-vm-<release>.json           a link to the current one (the provider resolves it and
#                                         names the hashed qcow2 as backing file, never the link)
#
# usage: scripts/build-vm-image.sh [RELEASE]      RELEASE: trixie (default) | bookworm
# env:   GRIDCLOUD_DEBIAN_MIRROR   (default http://deb.debian.org/debian)
#        GRIDCLOUD_VM_IMAGE_DIR    (default /var/lib/gridcloud/images)
#        GRIDCLOUD_VM_IMAGE_SIZE   virtual size of the disk (default 4G; overlays may be larger:
#                                  cloud-init grows the filesystem at first boot)
#        GRIDCLOUD_FORCE_REBUILD=1 rebuilds even when the image exists
set -euo pipefail

release=${1:-trixie}
case "$release" in
  trixie|bookworm) ;;
  *) echo "build-vm-image: unsupported release '$release' (use trixie or bookworm)" >&2; exit 2 ;;
esac
mirror=${GRIDCLOUD_DEBIAN_MIRROR:-http://deb.debian.org/debian}
outdir=${GRIDCLOUD_VM_IMAGE_DIR:-/var/lib/gridcloud/images}
size=${GRIDCLOUD_VM_IMAGE_SIZE:-4G}
cloud_user=debian
start=$SECONDS

# Stage 1, debootstrap: the node image's packages (scripts/build-node-image.sh), so roles see the
# same base on both providers. Stage 2, apt inside the chroot: what a VM needs and a container does
# not (kernel, initramfs, udev, ssh, cloud-init, networkd's resolver for DNS from DHCP). Stage 2 is
# apt's job, not debootstrap's --include: debootstrap does not resolve virtual packages and
# alternatives, and cloud-init's Python dependencies fail to configure through it.
packages=systemd,systemd-sysv,dbus,python3,python3-apt,iproute2,iputils-ping,procps,ca-certificates
packages+=,util-linux,mount,less,sudo,locales
vm_packages=(linux-image-amd64 initramfs-tools udev kmod openssh-server cloud-init systemd-resolved
             e2fsprogs)
# trixie moved the kernel's sysctl defaults out of systemd into a package that systemd only
# recommends; without its net.ipv4.ping_group_range a user (the cloud user) cannot ping, as
# iputils-ping has neither setuid nor file capabilities. bookworm's systemd still ships them.
[ "$release" = bookworm ] || vm_packages+=(linux-sysctl-defaults)
recipe_hash=$(sha256sum "$0" | cut -c1-12)
name=gridcloud-vm-$release-$recipe_hash
manifest=$outdir/$name.json

for tool in debootstrap mkfs.ext4 qemu-img flock; do
  command -v "$tool" >/dev/null || {
    echo "build-vm-image: $tool not found: run scripts/setup-libvirt.sh (make vm-setup) first" >&2
    exit 1
  }
done
mkdir -p "$outdir"
chmod 0755 "$outdir"
# One build at a time per cache dir: two runs (a user and a test) must not both write the image.
exec 9>"$outdir/.build.lock"
flock 9

if [ -z "${GRIDCLOUD_FORCE_REBUILD:-}" ] && [ -s "$manifest" ] && [ -s "$outdir/$name.qcow2" ]; then
  ln -sfn "$name.json" "$outdir/gridcloud-vm-$release.json"
  echo "build-vm-image: $outdir/$name.qcow2 is up to date ($((SECONDS - start)) s)"
  exit 0
fi

work=$(mktemp -d /var/tmp/gridcloud-vm-image.XXXXXX)
mounted=()
# Unmount before removing: rm -rf must never walk into the chroot's /proc, /sys or /dev.
unmount_all() {
  local i
  for ((i = ${#mounted[@]} - 1; i >= 0; i--)); do umount -l "${mounted[i]}" 2>/dev/null || true; done
  mounted=()
}
cleanup() {
  unmount_all
  if findmnt -rn -o TARGET | grep -q "^$work/"; then
    echo "build-vm-image: $work still has mounts; left in place" >&2
  else
    rm -rf "$work"
  fi
}
trap cleanup EXIT
rootfs=$work/rootfs
echo "build-vm-image: debootstrap $release (about 90 s)"
debootstrap --variant=minbase --include="$packages" "$release" "$rootfs" "$mirror" \
  >"$work/debootstrap.log" 2>&1 || {
  tail -n 30 "$work/debootstrap.log" >&2
  cp -f "$rootfs/debootstrap/debootstrap.log" "$outdir/$name.debootstrap.log" 2>/dev/null || true
  echo "build-vm-image: debootstrap failed (log above; $outdir/$name.debootstrap.log)" >&2
  exit 1
}
echo "build-vm-image: debootstrap done ($((SECONDS - start)) s); installing ${vm_packages[*]}"

# apt in the chroot needs /proc, /sys and a /dev (the kernel's postinst builds the initrd). Not the
# host's own: a maintainer script in the chroot once changed the group of the host's /dev/kvm
# through a bind mount of /dev. So a private /dev on tmpfs with the few nodes apt uses, sysfs
# read-only, and /proc/sys read-only; and no service may start in the chroot (policy-rc.d 101).
mount -t proc proc "$rootfs/proc"; mounted+=("$rootfs/proc")
mount --bind "$rootfs/proc/sys" "$rootfs/proc/sys"; mounted+=("$rootfs/proc/sys")
mount -o remount,bind,ro "$rootfs/proc/sys"
mount -t sysfs -o ro sysfs "$rootfs/sys"; mounted+=("$rootfs/sys")
mount -t tmpfs -o mode=0755,nosuid dev "$rootfs/dev"; mounted+=("$rootfs/dev")
mknod -m 0666 "$rootfs/dev/null" c 1 3
mknod -m 0666 "$rootfs/dev/zero" c 1 5
mknod -m 0666 "$rootfs/dev/full" c 1 7
mknod -m 0666 "$rootfs/dev/random" c 1 8
mknod -m 0666 "$rootfs/dev/urandom" c 1 9
mknod -m 0666 "$rootfs/dev/tty" c 5 0
ln -s /proc/self/fd "$rootfs/dev/fd"
ln -s /proc/self/fd/0 "$rootfs/dev/stdin"
ln -s /proc/self/fd/1 "$rootfs/dev/stdout"
ln -s /proc/self/fd/2 "$rootfs/dev/stderr"
printf '#!/bin/sh\nexit 101\n' > "$rootfs/usr/sbin/policy-rc.d"
chmod 0755 "$rootfs/usr/sbin/policy-rc.d"
printf 'deb %s %s main\n' "$mirror" "$release" > "$rootfs/etc/apt/sources.list"
if ! chroot "$rootfs" sh -c 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
       --no-install-recommends "$@"' apt "${vm_packages[@]}" >"$work/apt.log" 2>&1; then
  tail -n 30 "$work/apt.log" >&2
  echo "build-vm-image: installing the VM packages failed (log above)" >&2
  exit 1
fi
rm -f "$rootfs/usr/sbin/policy-rc.d"
unmount_all
echo "build-vm-image: VM packages installed ($((SECONDS - start)) s)"

# The root filesystem is the whole disk, found by its label (the kernel command line says
# root=/dev/vda: the root disk is always the domain's first virtio disk).
printf 'LABEL=gridcloud-root / ext4 defaults,errors=remount-ro 0 1\n' > "$rootfs/etc/fstab"

# Network: systemd-networkd, DHCP on every en* link (virtio NICs are enp1s0 and so on), DNS through
# systemd-resolved. cloud-init's own network rendering is off: its renderer choice differs between
# cloud-init 22 (bookworm) and 25 (trixie), and one fixed unit behaves the same on both.
cat > "$rootfs/etc/systemd/network/10-gridcloud-en.network" <<'EOF'
[Match]
Name=en*

[Network]
DHCP=yes

[DHCPv4]
# dnsmasq of the cluster's libvirt network registers this name, so nodes resolve each other.
SendHostname=yes
EOF
chroot "$rootfs" systemctl enable systemd-networkd.service systemd-resolved.service >/dev/null 2>&1
# Wait for one configured link, not all: a second NIC without DHCP must not delay boot by 2 min.
mkdir -p "$rootfs/etc/systemd/system/systemd-networkd-wait-online.service.d"
cat > "$rootfs/etc/systemd/system/systemd-networkd-wait-online.service.d/gridcloud.conf" <<'EOF'
[Service]
ExecStart=
ExecStart=/usr/lib/systemd/systemd-networkd-wait-online --any --timeout=120
EOF

# cloud-init: NoCloud only (probing other datasources costs minutes of timeouts), network left to
# the unit above, the image's apt sources kept (cloud-init would otherwise rewrite them and add
# mirrors the cluster may not reach).
cat > "$rootfs/etc/cloud/cloud.cfg.d/90-gridcloud.cfg" <<EOF
datasource_list: [ NoCloud, None ]
network:
  config: disabled
apt:
  preserve_sources_list: true
system_info:
  default_user:
    name: $cloud_user
EOF

# No ssh host keys in the image: every VM makes its own at first boot (cloud-init's ssh module).
rm -f "$rootfs"/etc/ssh/ssh_host_*
# No root password (debootstrap leaves root locked), no authorized_keys anywhere.
chroot "$rootfs" passwd -l root >/dev/null
rm -rf "$rootfs/root/.ssh"
# machine-id made at first boot, so two VMs from one image differ (DHCP client ids too).
: > "$rootfs/etc/machine-id"
rm -f "$rootfs/var/lib/dbus/machine-id"
echo 'localhost' > "$rootfs/etc/hostname"
[ -s "$rootfs/etc/hosts" ] || printf '127.0.0.1\tlocalhost\n::1\t\tlocalhost ip6-localhost ip6-loopback\n' \
  > "$rootfs/etc/hosts"

# apt as in the node image: one mirror, kept .debs, retries; no timers that take the dpkg lock
# while a role installs packages.
printf 'deb %s %s main\n' "$mirror" "$release" > "$rootfs/etc/apt/sources.list"
rm -f "$rootfs"/etc/apt/sources.list.d/*.sources
printf 'Binary::apt::APT::Keep-Downloaded-Packages "true";\nAPT::Keep-Downloaded-Packages "true";\n' \
  > "$rootfs/etc/apt/apt.conf.d/10gridcloud-keep-debs"
printf 'Acquire::Retries "3";\n' > "$rootfs/etc/apt/apt.conf.d/10gridcloud-retries"
for unit in apt-daily.timer apt-daily-upgrade.timer; do
  ln -sf /dev/null "$rootfs/etc/systemd/system/$unit"
done
# The domain boots the kernel and initrd copied beside the disk (below), never the guest's /boot:
# an initramfs rebuilt in the guest is not used, and a package with an initramfs hook (xfsprogs,
# nfs-common, ...) rebuilt it for minutes under TCG. The guest does not rebuild it.
sed -i 's/^update_initramfs=.*/update_initramfs=no/' "$rootfs/etc/initramfs-tools/update-initramfs.conf"
grep -qx 'update_initramfs=no' "$rootfs/etc/initramfs-tools/update-initramfs.conf" || {
  echo "build-vm-image: could not turn off initramfs updates in the guest" >&2
  exit 1
}
sed -i 's/^# *en_US.UTF-8/en_US.UTF-8/' "$rootfs/etc/locale.gen" && chroot "$rootfs" locale-gen >/dev/null
rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
rm -f "$rootfs"/var/lib/apt/periodic/update-success-stamp
touch -d '2000-01-01' "$rootfs/var/lib/apt/lists"
# debootstrap copies the build host's resolv.conf; systemd-resolved's stub takes its place.
ln -sfn ../run/systemd/resolve/stub-resolv.conf "$rootfs/etc/resolv.conf"

# The kernel and initrd beside the disk. Debian installs vmlinuz 0600; libvirt's qemu user reads it.
kernel=$(find "$rootfs/boot" -maxdepth 1 -name 'vmlinuz-*' | sort -V | tail -n 1)
initrd=$(find "$rootfs/boot" -maxdepth 1 -name 'initrd.img-*' | sort -V | tail -n 1)
if [ -z "$kernel" ] || [ -z "$initrd" ]; then
  echo "build-vm-image: no kernel or initrd in the rootfs" >&2
  exit 1
fi
kernel_version=${kernel##*/vmlinuz-}
install -m 0644 "$kernel" "$work/$name.vmlinuz"
install -m 0644 "$initrd" "$work/$name.initrd"

# mkfs.ext4 -d copies the tree (owners, modes, xattrs such as file capabilities) without mounting.
truncate -s "$size" "$work/disk.raw"
mkfs.ext4 -q -L gridcloud-root -d "$rootfs" "$work/disk.raw"
qemu-img convert -O qcow2 "$work/disk.raw" "$work/$name.qcow2"
chmod 0444 "$work/$name.qcow2"

cat > "$work/$name.json" <<EOF
{
  "release": "$release",
  "recipe": "$recipe_hash",
  "disk": "$outdir/$name.qcow2",
  "disk_format": "qcow2",
  "virtual_size": "$size",
  "kernel": "$outdir/$name.vmlinuz",
  "initrd": "$outdir/$name.initrd",
  "kernel_version": "$kernel_version",
  "cmdline": "root=/dev/vda rw console=ttyS0,115200n8 net.ifnames=1",
  "cloud_user": "$cloud_user",
  "datasource": "NoCloud"
}
EOF
# The manifest last: its presence says the image is complete.
mv -f "$work/$name.qcow2" "$work/$name.vmlinuz" "$work/$name.initrd" "$outdir/"
mv -f "$work/$name.json" "$manifest"
ln -sfn "$name.json" "$outdir/gridcloud-vm-$release.json"
echo "build-vm-image: built $outdir/$name.qcow2 (kernel $kernel_version, $(du -h "$outdir/$name.qcow2" | cut -f1)) in $((SECONDS - start)) s"
