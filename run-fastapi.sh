#!/usr/bin/env bash
# run-fastapi.sh — run the FastAPI app (app/main.py) in a husk container.
#
#   sudo ./run-fastapi.sh demo       setup, run in the background, curl it, tear down
#   sudo ./run-fastapi.sh --help     every command and option
#
# The lifecycle the tutorials ask for, each step done by husk with a kernel primitive:
#   setup     build husk, check the host, build the root filesystem
#   run       one container: namespaces, pivot_root, cgroup limits, a published port
#   teardown  remove whatever an earlier run left behind (idempotent)
set -Eeuo pipefail

# (parameter expansions and builtins instead of basename, dirname and date: a fork
# is not free, and `run` is on the clock of the start-up benchmark)
PROG=${0##*/}
readonly PROG
case ${BASH_SOURCE[0]} in
*/*) ROOT=${BASH_SOURCE[0]%/*} ;;
*) ROOT=. ;;
esac
[[ $ROOT == /* ]] || ROOT=$PWD/$ROOT
ROOT=${ROOT%/.}
readonly ROOT
HUSK=${HUSK:-$ROOT/build/husk}
HUSK_STATE_GIVEN=${HUSK_STATE:-}
HUSK_STATE=${HUSK_STATE:-/run/husk}   # husk's state directory (husk --root)
ROOTFS=${ROOTFS:-/var/lib/husk/rootfs-fastapi}   # outside the repository: 180 MB
USE_IMAGE=1   # run the rootfs as an image (husk import), not in place
IMAGE=        # localhost/husk-fastapi:<stamp of the rootfs>, set by image_name
APP_DIR=$ROOT/app
LOG_DIR=${LOG_DIR:-$ROOT/logs}
readonly NAME_PREFIX=fastapi-

# Defaults of `run`, each overridable by a flag.
MEMORY=256M
CPUS=1
PIDS=128
PORT=8000
NETWORK=bridge
METHOD=
ROOTLESS=0     # run --rootless: as the calling user, no sudo (issue #16)
LIMITS_GIVEN=0 # -m, --cpus or --pids on the command line
HEALTH_TIMEOUT=60

# Print the line and the command that failed: set -E makes functions and
# subshells inherit this trap.
on_err() {
	local status=$? line=$1 cmd=$2 file=${BASH_SOURCE[1]:-}
	# a line of scripts/lib/*.sh is named with its file
	[[ $file != */scripts/lib/* ]] || line="$line of ${file#"$ROOT"/}"
	printf '%s: error: line %s: "%s" exited with status %s\n' "$PROG" "$line" "$cmd" "$status" >&2
}
trap 'on_err "$LINENO" "$BASH_COMMAND"' ERR

usage() {
	cat <<EOF
usage: $PROG [OPTIONS] COMMAND

Run the FastAPI app in $APP_DIR inside a husk container.

Commands:
  setup      build husk if needed (meson + ninja), check the host (husk check),
             build the root filesystem if missing, check the app is in place
  run        start the app in a container in the foreground; Ctrl-C (SIGINT) or
             SIGTERM stops it and tears everything down; exits with the app's status
  teardown   stop and remove every container an earlier run left (${NAME_PREFIX}*):
             processes, cgroups, state; idempotent
  demo       setup; run in the background; wait for /health; curl /health and /;
             show the processes inside and the cgroup limits from the host; teardown.
             Exits 0 only if /health answered {"status":"ok"}
  status     list ${NAME_PREFIX}* containers, their health and limits
  help       this text (also -h, --help)

Options (for setup, run and demo):
  -m, --memory SIZE   memory limit (default $MEMORY)
      --cpus N        CPU quota in CPUs (default $CPUS)
      --pids N        maximum number of tasks (default $PIDS)
  -p, --port N        host port published to the app's port 8000 (default $PORT)
      --network MODE  bridge (default; the port is published with -p) or host
      --rootfs DIR    root filesystem (default $ROOTFS)
      --method M      how setup builds a missing rootfs: debootstrap (default) or copy
      --no-image      run the rootfs directory in place instead of as an image
      --name NAME     container name (run; default ${NAME_PREFIX}<timestamp>)
      --log FILE      container log (run; default logs/container_<timestamp>.log)
      --timeout S     how long demo waits for /health (default $HEALTH_TIMEOUT)
      --rootless      run: as the calling user, without sudo: the user's uid is root
                      in the container, the port goes through slirp4netns, state in
                      \$XDG_RUNTIME_DIR/husk; limits only when given (a host that
                      cannot delegate cgroups to a user refuses them, and says why)

setup imports the built rootfs once as an image (husk import), named
localhost/husk-fastapi:<stamp of the rootfs's marker>; run starts the app from it on an
overlayfs, so the built tree is never written and two runs do not share writes.

Environment: HUSK (husk binary, default build/husk), ROOTFS, LOG_DIR, HUSK_IMAGE_ROOT
(the image store, default /var/lib/husk).
Needs root (setup, teardown, and run without --rootless).
EOF
}

if [[ -t 2 ]]; then
	log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
else
	log() { printf '==> %s\n' "$*" >&2; }
fi
note() { printf '    %s\n' "$*" >&2; }
# die, ensure_packages
# shellcheck source=scripts/lib/common.sh
. "$ROOT/scripts/lib/common.sh"

need_root() {
	[[ $EUID -eq 0 ]] || die "this needs root (namespaces, cgroups, mounts): sudo $0 $*"
}

# Each command's functions, a file each in scripts/lib/, found from this script's own
# location (ROOT, from ${BASH_SOURCE[0]}).
# shellcheck source=scripts/lib/fastapi-setup.sh
. "$ROOT/scripts/lib/fastapi-setup.sh"     # setup: husk, host check, rootfs, image
# shellcheck source=scripts/lib/fastapi-run.sh
. "$ROOT/scripts/lib/fastapi-run.sh"       # run: the container in the foreground
# shellcheck source=scripts/lib/fastapi-teardown.sh
. "$ROOT/scripts/lib/fastapi-teardown.sh"  # teardown: what earlier runs left
# shellcheck source=scripts/lib/fastapi-status.sh
. "$ROOT/scripts/lib/fastapi-status.sh"    # status: containers, limits, /health
# shellcheck source=scripts/lib/fastapi-demo.sh
. "$ROOT/scripts/lib/fastapi-demo.sh"      # demo: all of it, shown

# --- main -------------------------------------------------------------------------

main() {
	local cmd=
	while (($#)); do
		case $1 in
		-h | --help | help) usage; exit 0 ;;
		-m | --memory) MEMORY=${2:?--memory needs a size}; LIMITS_GIVEN=1; shift 2 ;;
		--memory=*) MEMORY=${1#*=}; LIMITS_GIVEN=1; shift ;;
		--cpus) CPUS=${2:?--cpus needs a number}; LIMITS_GIVEN=1; shift 2 ;;
		--cpus=*) CPUS=${1#*=}; LIMITS_GIVEN=1; shift ;;
		--pids | --pids-limit) PIDS=${2:?--pids needs a number}; LIMITS_GIVEN=1; shift 2 ;;
		--pids=* | --pids-limit=*) PIDS=${1#*=}; LIMITS_GIVEN=1; shift ;;
		--rootless) ROOTLESS=1; shift ;;
		-p | --port) PORT=${2:?--port needs a number}; shift 2 ;;
		--port=*) PORT=${1#*=}; shift ;;
		--network) NETWORK=${2:?--network needs bridge or host}; shift 2 ;;
		--network=*) NETWORK=${1#*=}; shift ;;
		--rootfs) ROOTFS=${2:?--rootfs needs a directory}; shift 2 ;;
		--rootfs=*) ROOTFS=${1#*=}; shift ;;
		--no-image) USE_IMAGE=0; shift ;;
		--method) METHOD=${2:?--method needs debootstrap or copy}; shift 2 ;;
		--method=*) METHOD=${1#*=}; shift ;;
		--name) RUN_NAME=${2:?--name needs a name}; shift 2 ;;
		--name=*) RUN_NAME=${1#*=}; shift ;;
		--log) RUN_LOG=${2:?--log needs a file}; shift 2 ;;
		--log=*) RUN_LOG=${1#*=}; shift ;;
		--timeout) HEALTH_TIMEOUT=${2:?--timeout needs seconds}; shift 2 ;;
		--timeout=*) HEALTH_TIMEOUT=${1#*=}; shift ;;
		-*) usage >&2; die "unknown option: $1" ;;
		*) [[ -z $cmd ]] || die "one command at a time ('$cmd', then '$1')"; cmd=$1; shift ;;
		esac
	done
	[[ $NETWORK == bridge || $NETWORK == host ]] || die "--network: bridge or host, not '$NETWORK'"
	if ! [[ $PORT =~ ^[0-9]+$ ]] || ((PORT < 1 || PORT > 65535)); then
		die "--port: not a port: $PORT"
	fi
	[[ $HEALTH_TIMEOUT =~ ^[0-9]+$ ]] || die "--timeout: not a number of seconds: $HEALTH_TIMEOUT"
	[[ -z $METHOD || $METHOD == debootstrap || $METHOD == copy ]] ||
		die "--method: debootstrap or copy, not '$METHOD'"
	[[ $ROOTFS == /* ]] || ROOTFS=$PWD/$ROOTFS
	case $cmd in
	setup) cmd_setup ;;
	run) cmd_run ;;
	teardown) cmd_teardown ;;
	demo) cmd_demo ;;
	status) cmd_status ;;
	"") usage >&2; exit 2 ;;
	*) usage >&2; die "unknown command: $cmd" ;;
	esac
}

main "$@"
