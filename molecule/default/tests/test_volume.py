"""The frontend's volume: formatted ext4 once, mounted by its stable device path."""

# Only the frontend has a volume in this scenario.
testinfra_hosts = ["ansible://mol-frontend001"]


def test_frontend_volume_is_mounted_ext4(host):
    mount = host.mount_point("/srv/shared")
    assert mount.exists
    assert mount.filesystem == "ext4"
    assert mount.device == "/dev/disk/by-id/gridcloud-shared"
    fstab = host.file("/etc/fstab").content_string
    assert "/dev/disk/by-id/gridcloud-shared /srv/shared ext4" in fstab
    size = int(host.check_output("blockdev --getsize64 /dev/disk/by-id/gridcloud-shared"))
    assert size == 1024 ** 3
