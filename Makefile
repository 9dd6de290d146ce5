# gridcloud.arc_cluster - the two commands at the top of the README are `make demo` and `make test`.
SHELL := /bin/bash
RELEASE ?= trixie
DEFINITION ?= examples/local/cluster.yml
ENV := . scripts/env.sh &&

.PHONY: setup image demo demo-destroy test test-checks-and-bookworm test-default-and-storage lint unit molecule integration clean

setup:            ## venv, apt packages, node images (RELEASES="trixie bookworm")
	bash scripts/setup.sh

image:            ## (re)build the node image for RELEASE if its recipe changed
	$(ENV) scripts/build-node-image.sh $(RELEASE)

demo:             ## the main job: set up (RELEASE image only), bring up the cluster from DEFINITION
	RELEASES="$(RELEASE)" bash scripts/setup.sh
	$(ENV) ansible-playbook -i $(DEFINITION) gridcloud.arc_cluster.create

demo-destroy:     ## remove the local cluster (volumes follow their policy)
	$(ENV) ansible-playbook -i $(DEFINITION) gridcloud.arc_cluster.destroy

# Two lanes at once, of about the same length: lint, unit and integration tests and molecule's
# bookworm scenario in one, molecule's default and storage scenarios in the other. Their
# clusters have their own names, networks, apt cache slots and loop devices, and much of either
# lane's time is spent waiting (jobs, pollers, boots), not computing. Each lane's output is
# printed as a whole when the lane ends (--output-sync), so the two never interleave.
test: setup       ## everything CI runs: lint, unit tests, integration tests, molecule
	$(MAKE) -j2 --output-sync=recurse test-checks-and-bookworm test-default-and-storage

test-checks-and-bookworm:  ## lint, unit, integration, then molecule bookworm (one lane of test)
	$(MAKE) -j1 lint unit integration
	$(MAKE) molecule MOLECULE_SCENARIOS=bookworm

test-default-and-storage:  ## molecule default, then storage (the other lane of test)
	$(MAKE) molecule MOLECULE_SCENARIOS="default storage"

# ansible-lint (production profile), then the ecosystem's own checks on a copy of the collection
# laid out as ansible-test wants it, next to only the collections galaxy.yml declares
# (tools/ansible-test.sh): ansible-test sanity and antsibull-docs lint-collection-docs.
lint:             ## ansible-lint, ansible-test sanity, antsibull-docs lint (tools/ansible-test.sh)
	$(ENV) ansible-lint --profile production
	$(ENV) ansible-playbook --syntax-check -i $(DEFINITION) playbooks/create.yml playbooks/destroy.yml
	$(ENV) tools/ansible-test.sh sanity
	$(ENV) tools/ansible-test.sh docs

unit:             ## ansible-test units on the same copy (tests/unit)
	$(ENV) tools/ansible-test.sh units

integration:
	$(ENV) python -m pytest -q -rs --durations=10 tests/integration

# default: the whole cluster (SLURM, NFS-Ganesha, ARC CE, aCT; with ACT_SOURCE=<aCT checkout> a
# job goes through aCT too); storage: CVMFS and kernel NFS; bookworm: Debian 12 (ARC 6, SLURM 22.05).
MOLECULE_SCENARIOS ?= default storage bookworm

molecule:
	$(ENV) for scenario in $(MOLECULE_SCENARIOS); do molecule test -s $$scenario || exit 1; done

clean:
	rm -rf build .venv tests/output

# The openstack provider against a real control plane on this machine (tools/openstack-harness:
# Keystone, Nova with its fake driver, Neutron API, Cinder, Glance, Placement; up 4-7 min
# the first time, 34 s when up; the tests 3-16 min): not in `make test`, which would then
# pass its 45-minute target.
# See docs/openstack-harness.md.
# Elastic workers on podman end to end (tests/elastic): jobs make the nodes, idle removes them,
# a failed resume is cleaned up and retried. Not in `make test` yet (docs/elastic.md).
.PHONY: elastic-test
elastic-test:      ## elastic workers on podman, end to end (tests/elastic)
	$(ENV) python -m pytest -q -rs -p no:cacheprovider tests/elastic
.PHONY: openstack-test openstack-harness-down
openstack-test:   ## bring the OpenStack harness up, then run tests/openstack against it
	tools/openstack-harness/harness.sh up
	$(ENV) python -m pytest -q -p no:cacheprovider tests/openstack

openstack-harness-down:  ## stop the OpenStack harness (its data stays in build/openstack-harness)
	tools/openstack-harness/harness.sh down

# The libvirt provider's host (real VMs; TCG where KVM is not usable): not in `make setup` or
# `make test`. See docs/libvirt-provider.md.
.PHONY: vm-setup vm-image
vm-setup:         ## setup, then libvirt (packages, daemons), the VM image for RELEASE, KVM probe
	RELEASES="$(RELEASE)" bash scripts/setup.sh
	RELEASES="$(RELEASE)" bash scripts/setup-libvirt.sh

vm-image:         ## (re)build the VM disk image for RELEASE if its recipe changed
	bash scripts/build-vm-image.sh $(RELEASE)

# The acceptance run (docs/acceptance.md): the whole main job on the cluster of DEFINITION, any
# provider: create, smoke test, arctest, aCT, NFS, cgroups, idempotence, reboots, resize, destroy.
# Report: build/acceptance/<cluster>/report.txt and acceptance.xml (JUnit). The cluster must not
# exist yet; it is destroyed at the end (ACCEPTANCE_KEEP=1 keeps it; ACCEPTANCE_VOLUME_POLICY=
# keep|delete overrides the volumes' policies then). Not in `make test`.
ACCEPTANCE_KEEP ?=
ACCEPTANCE_VOLUME_POLICY ?=
# seconds one playbook run may take (a create on your cloud: tens of minutes)
ACCEPTANCE_TIMEOUT ?= 7200
.PHONY: acceptance
acceptance:       ## the acceptance run on DEFINITION's cluster (report in build/acceptance/<cluster>)
	@test -x .venv/bin/python || { echo "make acceptance: no .venv here; run make setup (podman) or make vm-setup (libvirt) first"; exit 1; }
	$(ENV) GRIDCLOUD_DEFINITION=$(DEFINITION) GRIDCLOUD_ACCEPTANCE_KEEP=$(ACCEPTANCE_KEEP) \
	  GRIDCLOUD_ACCEPTANCE_VOLUME_POLICY=$(ACCEPTANCE_VOLUME_POLICY) \
	  GRIDCLOUD_ACCEPTANCE_TIMEOUT=$(ACCEPTANCE_TIMEOUT) \
	  python -m pytest -v -rs -p no:cacheprovider tests/acceptance

# The main job on VMs (examples/libvirt/cluster.yml, VM_DEFINITION to use another): 1 frontend +
# 2 workers with kernel NFS, SLURM with cgroups, the ARC CE and aCT (with ACT_SOURCE). Not in
# `make test`: under TCG a create takes tens of minutes (docs/libvirt-provider.md has figures).
VM_DEFINITION ?= examples/libvirt/cluster.yml
.PHONY: vm-demo vm-demo-destroy vm-test
vm-demo: vm-setup ## the main job on VMs: set up libvirt, bring up the VM cluster, smoke-test it
	$(ENV) ansible-playbook -i $(VM_DEFINITION) gridcloud.arc_cluster.create

vm-demo-destroy:  ## remove the VM cluster (volumes follow their policy)
	$(ENV) ansible-playbook -i $(VM_DEFINITION) gridcloud.arc_cluster.destroy

# Under TCG with other work on the machine a create of the VM example took more than 2 hours
# (2026-12-01), so one playbook run may take 6 hours here.
vm-test: vm-setup ## the acceptance run on VMs (the VM example; its volumes deleted at the end)
	$(MAKE) acceptance DEFINITION=$(VM_DEFINITION) ACCEPTANCE_VOLUME_POLICY=delete \
	  ACCEPTANCE_TIMEOUT=21600
