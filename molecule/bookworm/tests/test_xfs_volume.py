"""The frontend's xfs volume on Debian 12."""

testinfra_hosts = ["ansible://molbw-frontend001"]


def test_xfs_volume_is_mounted_by_stable_path(host):
    mount = host.mount_point("/srv/data")
    assert mount.exists
    assert mount.filesystem == "xfs"
    assert mount.device == "/dev/disk/by-id/gridcloud-data"
    # nofail is for the boot (systemd), so it is in fstab, not among the kernel's mount options
    fstab = [line.split() for line in host.file("/etc/fstab").content_string.splitlines()
             if line.strip() and not line.startswith("#")]
    entry = [fields for fields in fstab if fields[1] == "/srv/data"]
    assert len(entry) == 1
    assert entry[0][0] == "/dev/disk/by-id/gridcloud-data"
    assert entry[0][2] == "xfs"
    assert "nofail" in entry[0][3].split(",")
