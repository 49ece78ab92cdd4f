# oci_helpers.bash — what the OCI face's bats files (oci.bats, oci_ns_path.bats)
# share: a bundle with a private rootfs copy, a state root of the test's own, husk
# called as an engine calls it, and a teardown that deletes every container named.
#
#   oci_setup          husk_setup; $BUNDLE (with rootfs/), $OCI_ROOT
#   oci_teardown       delete --force of each name the test made (in $OCI_ROOT and
#                      the default root), then husk_teardown
#   oci ARGS...        husk --root $OCI_ROOT [$OCI_GLOBAL] ARGS
#   oci_create ID ...  husk create --bundle $BUNDLE ID, its stdio in files
#   create_err ID      what that create said

load helpers

oci_setup() {
	husk_setup
	BUNDLE=$BATS_TEST_TMPDIR/bundle
	mkdir -p "$BUNDLE"
	rootfs_copy "$BUNDLE/rootfs" >/dev/null
	OCI_ROOT=$BATS_TEST_TMPDIR/state
}

oci_teardown() {
	local rc=0 n
	if [[ -s $BATS_TEST_TMPDIR/.husk-names ]]; then
		while read -r n; do
			"$HUSK" --root "$OCI_ROOT" delete --force "$n" >/dev/null 2>&1 || true
			"$HUSK" delete --force "$n" >/dev/null 2>&1 || true
		done <"$BATS_TEST_TMPDIR/.husk-names"
	fi
	husk_teardown || rc=$?
	return "$rc"
}

# oci: husk with this test's state root, as an engine passes it
oci() { "$HUSK" --root "$OCI_ROOT" ${OCI_GLOBAL:+"$OCI_GLOBAL"} "$@"; }

# oci_create ID [OPTIONS...]: husk create --bundle $BUNDLE, the container's stdio in
# files as an engine gives it its pipes ($BATS_TEST_TMPDIR/ID.out, ID.err: husk's own
# messages are on that stderr too). A process holding bats' pipe would hang `run`.
oci_create() {
	local id=$1 rc=0
	shift
	oci create --bundle "$BUNDLE" "$@" "$id" </dev/null >"$BATS_TEST_TMPDIR/$id.out" \
		2>"$BATS_TEST_TMPDIR/$id.err" || rc=$?
	# why, in the TAP stream (the file stays for the tests that read it)
	((rc == 0)) || sed 's/^/# create said: /' "$BATS_TEST_TMPDIR/$id.err" >&3
	return "$rc"
}

# create_err ID: what husk create said (one line expected)
create_err() { cat "$BATS_TEST_TMPDIR/$1.err"; }
