#!/usr/bin/env bash
# docs/capture-demo.sh — record real terminal sessions for docs/walkthrough.md.
#
#   sudo docs/capture-demo.sh [--rootfs DIR]
#
# Types commands into a detached tmux session (a real terminal, so the scripts
# behave as they do for a person), waits for each to finish, and saves what the
# terminal shows, whole history included:
#   docs/demo-session.txt     ./run-fastapi.sh demo
#   docs/explain-session.txt  husk run --explain in a busybox rootfs
#   docs/bench-startup.txt    bench/fastapi-startup.sh --runs 5 (no terminal needed)
# They are then spliced into docs/walkthrough.md between their BEGIN/END markers.
# Nothing in those files is typed by hand; run this again to refresh them.
set -Eeuo pipefail

PROG=${0##*/}
readonly PROG
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
readonly ROOT
DOCS=$ROOT/docs
ROOTFS=${ROOTFS:-/var/lib/husk/rootfs-fastapi}
BUSYBOX=${BUSYBOX:-/var/lib/husk/busybox}
readonly PROMPT='root@host:~/husk# '
SOCK=husk-capture-$$
WIDTH=120

trap 'printf "%s: error: line %s: \"%s\" failed\n" "$PROG" "$LINENO" "$BASH_COMMAND" >&2' ERR

die() { printf '%s: %s\n' "$PROG" "$*" >&2; exit 1; }
log() { printf '==> %s\n' "$*" >&2; }

while (($#)); do
	case $1 in
	--rootfs) ROOTFS=${2:?}; shift 2 ;;
	-h | --help) sed -n '2,12s/^# \{0,1\}//p' "$0"; exit 0 ;;
	*) die "unknown argument: $1" ;;
	esac
done
[[ $EUID -eq 0 ]] || die "needs root (it runs the demo)"
command -v tmux >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -q tmux

# A tmux server of our own (-L), so that a user's tmux is never touched.
tmx() { tmux -L "$SOCK" "$@"; }
cleanup() { tmx kill-server 2>/dev/null || true; }
trap cleanup EXIT

# Untimed, uncaptured preparation: husk, the rootfs, a busybox rootfs.
log "preparing (setup, busybox rootfs) — not part of the recording"
"$ROOT/run-fastapi.sh" setup --rootfs "$ROOTFS" >&2
"$ROOT/scripts/build-rootfs.sh" "$BUSYBOX" --method busybox >&2

prompts() { tmx capture-pane -p -J -S - -t cap | grep -c "^$PROMPT" || true; }

# record FILE TIMEOUT COMMAND...: a fresh terminal, each COMMAND typed and run in
# turn, then the whole pane saved to FILE.
record() {
	local file=$1 timeout=$2 cmd n deadline conf
	shift 2
	conf=$(mktemp)
	printf 'set -g history-limit 100000\nset -g status off\n' >"$conf"
	tmx -f "$conf" new-session -d -s cap -x "$WIDTH" -y 50 -c "$ROOT" \
		env -i PATH="$PATH" TERM=xterm-256color HOME=/root PS1="$PROMPT" bash --noprofile --norc -i
	rm -f "$conf"
	wait_prompts 1 10
	n=1
	for cmd in "$@"; do
		log "running: $cmd"
		tmx send-keys -t cap -l "$cmd"
		tmx send-keys -t cap Enter
		n=$((n + 1))
		wait_prompts "$n" "$timeout"
	done
	# trailing spaces, trailing blank lines and the last (empty) prompt are left out
	tmx capture-pane -p -J -S - -E - -t cap | awk -v prompt="$PROMPT" '
		{ sub(/[ \t]+$/, ""); lines[NR] = $0 }
		END {
			n = NR
			while (n > 0 && lines[n] == "") n--
			if (n > 0 && lines[n] == substr(prompt, 1, length(prompt) - 1)) n--
			for (i = 1; i <= n; i++) print lines[i]
		}' >"$file"
	tmx kill-session -t cap
	log "saved $file ($(wc -l <"$file") lines)"
}

wait_prompts() { # wait_prompts N TIMEOUT: until the terminal shows N prompts
	local deadline=$((SECONDS + $2))
	until (($(prompts) >= $1)); do
		((SECONDS < deadline)) || die "timed out after $2 s waiting for the command to finish"
		sleep 0.2
	done
}

# splice NAME FILE: replace what is between <!-- BEGIN NAME --> and <!-- END NAME -->
# in walkthrough.md with FILE in a text block.
splice() {
	local name=$1 file=$2 doc=$DOCS/walkthrough.md tmp
	grep -q "<!-- BEGIN $name -->" "$doc" || die "$doc has no <!-- BEGIN $name --> marker"
	tmp=$(mktemp)
	awk -v name="$name" -v file="$file" '
		$0 == "<!-- BEGIN " name " -->" {
			print; print "```text"
			while ((getline line < file) > 0) print line
			print "```"; skip = 1; next
		}
		$0 == "<!-- END " name " -->" { skip = 0 }
		!skip { print }
	' "$doc" >"$tmp"
	cat "$tmp" >"$doc"
	rm -f "$tmp"
}

demo_cmd="./run-fastapi.sh demo"
[[ $ROOTFS == /var/lib/husk/rootfs-fastapi ]] || demo_cmd+=" --rootfs $ROOTFS"
record "$DOCS/demo-session.txt" 180 "$demo_cmd"

# shellcheck disable=SC2016 # $$ and $(hostname) are for the container's shell
record "$DOCS/explain-session.txt" 60 \
	"build/husk run --explain --name explain-demo --memory 64M --cpus 0.5 --pids-limit 32 $BUSYBOX /bin/sh -c 'echo \"hostname: \$(hostname), my PID: \$\$\"; ps; ip -4 addr show eth0; cat /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/memory.max 2>/dev/null'"

log "running: bench/fastapi-startup.sh --runs 5"
"$ROOT/bench/fastapi-startup.sh" --rootfs "$ROOTFS" --runs 5 >"$DOCS/bench-startup.txt"
cat "$DOCS/bench-startup.txt" >&2

splice demo-session "$DOCS/demo-session.txt"
splice bench "$DOCS/bench-startup.txt"
splice explain-session "$DOCS/explain-session.txt"
log "docs/walkthrough.md updated"
