"""Bootstrap of the harness cloud with openstacksdk, idempotently (run by harness.sh up).

  bootstrap.py identity    service project, service users, project and user gridcloud, endpoints
  bootstrap.py resources   flavor, image, network and subnet of the gridcloud project

Reads the clouds gridcloud-harness-admin and gridcloud-harness from OS_CLIENT_CONFIG_FILE and
the passwords from HARNESS_SERVICE_PW and HARNESS_GRIDCLOUD_PW.
"""

import os
import sys
import time

import openstack

IP = "127.0.0.1"
ENDPOINTS = {
    # service type: (name, url)
    "placement": ("placement", "http://%s:18778" % IP),
    "compute": ("nova", "http://%s:18774/v2.1" % IP),
    "image": ("glance", "http://%s:19292" % IP),
    "volumev3": ("cinder", "http://%s:18776/v3/%%(project_id)s" % IP),
    "block-storage": ("cinder", "http://%s:18776/v3/%%(project_id)s" % IP),
    "network": ("neutron", "http://%s:19696" % IP),
}
SERVICE_USERS = ("nova", "placement", "glance", "cinder", "neutron")
FLAVOR = "harness.small"    # 1 vCPU, 512 MiB, 1 GiB disk
IMAGE = "harness-tiny"      # a 1 MiB raw image (Nova's fake driver never boots it)
NETWORK = "gridcloud-net"
SUBNET = "gridcloud-subnet"
CIDR = "10.77.0.0/24"


def log(msg):
    print("[bootstrap] %s" % msg, file=sys.stderr, flush=True)


def role(conn, name):
    return conn.identity.find_role(name) or conn.identity.create_role(name=name)


def identity():
    conn = openstack.connect(cloud="gridcloud-harness-admin")
    ident = conn.identity
    domain = ident.find_domain("default")
    projects = {}
    for name in ("service", "gridcloud"):
        projects[name] = ident.find_project(name, domain_id=domain.id) or ident.create_project(
            name=name, domain_id=domain.id, description="gridcloud harness")
    roles = {name: role(conn, name) for name in ("admin", "member", "reader", "service")}

    def user(name, password, project, role_names):
        found = ident.find_user(name, domain_id=domain.id)
        if found:
            ident.update_user(found, password=password)
        else:
            found = ident.create_user(name=name, password=password, domain_id=domain.id,
                                      default_project_id=project.id)
        for r in role_names:
            ident.assign_project_role_to_user(project, found, roles[r])

    for name in SERVICE_USERS:
        user(name, os.environ["HARNESS_SERVICE_PW"], projects["service"], ("admin", "service"))
    user("gridcloud", os.environ["HARNESS_GRIDCLOUD_PW"], projects["gridcloud"], ("member",))

    region = "RegionOne"
    for stype, (name, url) in ENDPOINTS.items():
        service = next(iter(ident.services(type=stype)), None) or ident.create_service(
            name=name, type=stype, description="gridcloud harness")
        have = {e.interface: e for e in ident.endpoints(service_id=service.id)}
        for interface in ("public", "internal", "admin"):
            if interface not in have:
                ident.create_endpoint(service_id=service.id, interface=interface, url=url,
                                      region_id=region)
            elif have[interface].url != url:
                ident.update_endpoint(have[interface], url=url)
    log("identity: projects service and gridcloud, %d service users, %d endpoints' services"
        % (len(SERVICE_USERS), len(ENDPOINTS)))


def wait(what, check, timeout=120):
    deadline = time.monotonic() + timeout
    while True:
        try:
            if check():
                return
        except openstack.exceptions.SDKException as exc:
            last = exc
        else:
            last = None
        if time.monotonic() > deadline:
            raise SystemExit("bootstrap: %s within %ss (%s)" % (what, timeout, last))
        time.sleep(2)


def resources():
    admin = openstack.connect(cloud="gridcloud-harness-admin")
    user = openstack.connect(cloud="gridcloud-harness")
    if not admin.compute.find_flavor(FLAVOR):
        admin.compute.create_flavor(name=FLAVOR, vcpus=1, ram=512, disk=1, is_public=True)

    image = admin.image.find_image(IMAGE)
    if image is not None and image.status != "active":
        admin.image.delete_image(image)
        image = None
    if image is None:
        image = admin.image.create_image(
            name=IMAGE, disk_format="raw", container_format="bare", visibility="public",
            data=b"\0" * (1024 * 1024), use_import=False, allow_duplicates=False)
    wait("image %s active" % IMAGE,
         lambda: admin.image.get_image(image.id).status == "active")

    net = user.network.find_network(NETWORK)
    if net is None:
        net = user.network.create_network(name=NETWORK)
    if user.network.find_subnet(SUBNET) is None:
        user.network.create_subnet(name=SUBNET, network_id=net.id, ip_version=4, cidr=CIDR,
                                   enable_dhcp=False)

    # the services the tests need, reported up by their own APIs
    wait("nova-compute up", lambda: any(
        s.binary == "nova-compute" and s.state == "up" for s in admin.compute.services()))
    wait("cinder-volume up", lambda: any(
        s.binary == "cinder-volume" and s.state == "up"
        for s in admin.block_storage.services()))
    wait("a hypervisor in placement", lambda: len(list(admin.placement.resource_providers())) > 0)
    log("resources: flavor %s, image %s, network %s (%s)" % (FLAVOR, IMAGE, NETWORK, CIDR))


if __name__ == "__main__":
    {"identity": identity, "resources": resources}[sys.argv[1]]()
