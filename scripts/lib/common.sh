# shellcheck shell=bash
# scripts/lib/common.sh — what run-fastapi.sh and scripts/build-rootfs.sh share. Sourced,
# not run. The sourcing script defines PROG and log(); this file defines die and
# ensure_packages.

die() {
	printf '%s: %s\n' "$PROG" "$*" >&2
	exit 1
}

# ensure_packages PKG...: apt-get install the Debian/Ubuntu packages that are not
# installed (dpkg-query knows), updating the package lists only if that fails.
ensure_packages() {
	local missing=() p
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
			missing+=("$p")
	done
	((${#missing[@]})) || return 0
	[[ $EUID -eq 0 ]] || die "installing ${missing[*]} needs root (try: sudo $PROG ...)"
	log "installing missing packages: ${missing[*]}"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >&2 ||
		{ apt-get update -q >&2 &&
			DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >&2; }
}
