#!/usr/bin/env bash
# Build the podman node image for the local provider: Debian minbase + systemd + python3,
# made with debootstrap and imported with `podman import`. The image is tagged with a hash of
# this recipe, so it is rebuilt only when the recipe (this file) or the release changes.
#
# usage: scripts/build-node-image.sh [RELEASE]        RELEASE: trixie (default) | bookworm
# env:   GRIDCLOUD_DEBIAN_MIRROR  (default http://deb.debian.org/debian)
#        GRIDCLOUD_IMAGE_NAME     (default localhost/gridcloud-node)
#        GRIDCLOUD_FORCE_REBUILD=1 rebuilds even when the image exists
set -euo pipefail

release=${1:-trixie}
case "$release" in
  trixie|bookworm) ;;
  *) echo "build-node-image: unsupported release '$release' (use trixie or bookworm)" >&2; exit 2 ;;
esac
mirror=${GRIDCLOUD_DEBIAN_MIRROR:-http://deb.debian.org/debian}
image=${GRIDCLOUD_IMAGE_NAME:-localhost/gridcloud-node}

# Packages on top of minbase. Everything else a role needs is installed by the role itself.
packages=systemd,systemd-sysv,dbus,python3,python3-apt,iproute2,iputils-ping,procps,ca-certificates,util-linux,mount,less,sudo,locales
recipe_hash=$(sha256sum "$0" | cut -c1-12)
tag="$release-$recipe_hash"

if [ -z "${GRIDCLOUD_FORCE_REBUILD:-}" ] && podman image exists "$image:$tag"; then
  podman tag "$image:$tag" "$image:$release"
  echo "build-node-image: $image:$tag is up to date (tagged $image:$release)"
  exit 0
fi

work=$(mktemp -d /var/tmp/gridcloud-image.XXXXXX)
trap 'rm -rf "$work"' EXIT
rootfs=$work/rootfs
echo "build-node-image: debootstrap $release into $rootfs (this takes about 90 s)"
debootstrap --variant=minbase --include="$packages" "$release" "$rootfs" "$mirror" >"$work/debootstrap.log" 2>&1 || {
  tail -n 30 "$work/debootstrap.log" >&2
  echo "build-node-image: debootstrap failed (log above)" >&2
  exit 1
}

# A container node: no getty, no udev-driven units, no kernel-only mounts.
for unit in getty.target console-getty.service systemd-udevd.service systemd-udev-trigger.service \
            systemd-modules-load.service sys-kernel-config.mount sys-kernel-debug.mount \
            sys-kernel-tracing.mount systemd-remount-fs.service systemd-firstboot.service \
            systemd-networkd-wait-online.service apt-daily.timer apt-daily-upgrade.timer \
            e2scrub_all.timer fstrim.timer; do
  ln -sf /dev/null "$rootfs/etc/systemd/system/$unit"
done
echo 'container' > "$rootfs/etc/hostname"
# bookworm's minbase has no /etc/hosts; the common role adds the cluster's nodes to it.
[ -s "$rootfs/etc/hosts" ] || printf '127.0.0.1\tlocalhost\n::1\t\tlocalhost ip6-localhost ip6-loopback\n' \
  > "$rootfs/etc/hosts"
: > "$rootfs/etc/machine-id"
printf 'deb %s %s main\n' "$mirror" "$release" > "$rootfs/etc/apt/sources.list"
rm -f "$rootfs"/etc/apt/sources.list.d/*.sources
# Keep downloaded packages: the local provider mounts a per-node cache over /var/cache/apt/archives.
printf 'Binary::apt::APT::Keep-Downloaded-Packages "true";\nAPT::Keep-Downloaded-Packages "true";\n' \
  > "$rootfs/etc/apt/apt.conf.d/10gridcloud-keep-debs"
printf 'Acquire::Retries "3";\n' > "$rootfs/etc/apt/apt.conf.d/10gridcloud-retries"
sed -i 's/^# *en_US.UTF-8/en_US.UTF-8/' "$rootfs/etc/locale.gen" && chroot "$rootfs" locale-gen >/dev/null
rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
# No package lists in the image: mark them stale so the first apt task updates them.
rm -f "$rootfs"/var/lib/apt/periodic/update-success-stamp
touch -d '2000-01-01' "$rootfs/var/lib/apt/lists"

tar -C "$rootfs" -c . | podman import \
  --change 'CMD ["/sbin/init"]' --change 'ENV container=podman' \
  --change "LABEL gridcloud.release=$release" --change "LABEL gridcloud.recipe=$recipe_hash" \
  - "$image:$tag" >/dev/null
podman tag "$image:$tag" "$image:$release"
echo "build-node-image: built $image:$tag (tagged $image:$release)"
