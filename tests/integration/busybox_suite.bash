# busybox_suite.bash — the bats hooks of a file whose tests run husk on the shared
# busybox rootfs and check the host after each (core, process and cleanup.bats):
# `load busybox_suite` after `load helpers`.
# shellcheck shell=bash

setup_file() {
	busybox_setup_file
}

setup() {
	busybox_setup
}

teardown() {
	husk_teardown
}
