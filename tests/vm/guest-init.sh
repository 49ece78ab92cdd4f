#!/bin/sh
# shellcheck shell=dash
# /init of the husk test VM (busybox sh). tests/vm/run.sh packs it into the initramfs.
#
# Stage 1 copies the initramfs into a tmpfs and switch_roots into it: pivot_root(2)
# refuses to move the initial ramfs (it has no parent mount), and husk uses pivot_root.
# Stage 2 mounts /proc, /sys, /dev and the cgroup hierarchies of the mode named on the
# kernel command line (husk_mode=v2|v1|hybrid), loads the kernel modules listed in
# /lib/modules/$(uname -r)/load.list, runs /guest-test.sh (and the clone3 benchmark when
# husk_bench=N), prints a summary line on the serial console and powers off.
export PATH=/usr/local/bin:/usr/bin:/usr/sbin:/bin:/sbin

# Only the VM's kernel may run this: on a host it would install busybox links into
# /usr/bin, copy the whole host into a tmpfs and move /dev and /proc.
if [ "$$" -ne 1 ]; then
	echo "guest-init.sh: refused: this is the test VM's /init (tests/vm/run.sh packs it" \
		"into an initramfs) and runs only as PID 1, not as PID $$" >&2
	exit 1
fi

if [ "${1:-}" != stage2 ]; then
	# one symlink per busybox applet (quicker here than on the host, one fork each)
	/bin/busybox --install -s
	mount -t proc proc /proc
	mount -t devtmpfs devtmpfs /dev
	exec </dev/console >/dev/console 2>&1
	mkdir -p /newroot
	mount -t tmpfs -o mode=0755 newroot /newroot
	for e in /* /.[!.]*; do
		[ -e "$e" ] || continue
		case $e in
		/newroot | /proc | /dev | /sys) mkdir -p "/newroot$e" ;;
		*) cp -a "$e" /newroot/ ;;
		esac
	done
	mount --move /dev /newroot/dev
	mount --move /proc /newroot/proc
	# on failure the shell exits, the kernel panics (panic=-1) and qemu stops (-no-reboot)
	exec switch_root /newroot /init stage2
fi

# stage 1 moved /proc and /dev here (busybox-static has no mountpoint applet)
[ -e /proc/mounts ] || mount -t proc proc /proc
grep -q '^[^ ]* /dev ' /proc/mounts || mount -t devtmpfs devtmpfs /dev
mount -t sysfs sysfs /sys
# what udev or systemd would add to devtmpfs (bash's <(...) needs /dev/fd)
[ -e /dev/fd ] || ln -s /proc/self/fd /dev/fd
[ -e /dev/stdin ] || ln -s /proc/self/fd/0 /dev/stdin
[ -e /dev/stdout ] || ln -s /proc/self/fd/1 /dev/stdout
[ -e /dev/stderr ] || ln -s /proc/self/fd/2 /dev/stderr
mkdir -p /dev/pts /dev/shm /run /tmp
mount -t devpts devpts /dev/pts
mount -t tmpfs -o mode=1777 shm /dev/shm
mount -t tmpfs -o mode=0755 run /run
mount -t tmpfs -o mode=1777 tmp /tmp
# keep the kernel's OOM reports and other notes off the console the host parses
dmesg -n 1
hostname husk-vm
ip link set lo up # as on any host (published ports are reached through 127.0.0.1)

MODE=v2
BENCH=0
# shellcheck disable=SC2013 # words, not lines
for w in $(cat /proc/cmdline); do
	case $w in
	husk_mode=*) MODE=${w#husk_mode=} ;;
	husk_bench=*) BENCH=${w#husk_bench=} ;;
	esac
done
export MODE BENCH

# v1 as a systemd host has it: the three limit controllers, plus devices (husk puts
# its device rules there and refuses to start without it unless --privileged) and
# freezer (husk stops every process of a container at once with it)
setup_v1() {
	mount -t tmpfs -o mode=0755 cgroup /sys/fs/cgroup
	for c in memory cpu,cpuacct pids devices freezer; do
		mkdir -p "/sys/fs/cgroup/$c"
		mount -t cgroup -o "$c" cgroup "/sys/fs/cgroup/$c"
	done
	# the names systemd gives the co-mounted pair
	ln -s cpu,cpuacct /sys/fs/cgroup/cpu
	ln -s cpu,cpuacct /sys/fs/cgroup/cpuacct
}

case $MODE in
v2)
	mount -t cgroup2 -o nsdelegate cgroup2 /sys/fs/cgroup
	;;
v1)
	setup_v1
	;;
hybrid)
	setup_v1
	mkdir -p /sys/fs/cgroup/unified
	mount -t cgroup2 -o nsdelegate cgroup2 /sys/fs/cgroup/unified
	;;
*)
	echo "husk-vm: unknown husk_mode=$MODE"
	MODE=unknown
	;;
esac

# a rootfs of run.sh's own (no scripts/build-rootfs.sh) gets its applet links here
RFS=/var/lib/husk-vm/rootfs
if [ -e $RFS/.husk-vm-links ]; then
	chroot $RFS /bin/busybox --install -s
	rm $RFS/.husk-vm-links
fi

# the modules run.sh lists, dependencies first; the others load on demand
# (the kernel runs /sbin/modprobe, busybox's, which reads modules.dep and .alias)
MODDIR=/lib/modules/$(uname -r)
if [ -f "$MODDIR/load.list" ]; then
	while read -r ko; do
		[ -n "$ko" ] || continue
		name=${ko##*/}
		name=${name%.ko}
		# already loaded: nothing to do
		grep -q "^$name " /proc/modules && continue
		insmod "$MODDIR/$ko" || echo "husk-vm: insmod $ko failed"
	done <"$MODDIR/load.list"
fi

echo "husk-vm: kernel $(uname -r), cgroup mode $MODE, $(nproc) CPUs, $(awk '/MemTotal/ {print $2 / 1024 " MiB"}' /proc/meminfo), up $(cut -d' ' -f1 /proc/uptime) s"
# every test has its own time-outs; this one only keeps a hung test from eating
# the host's whole budget with no summary
timeout -s KILL "${HUSK_VM_TEST_TIMEOUT:-150}" sh /guest-test.sh "$MODE"
rc=$?
[ "$rc" -eq 137 ] && echo "husk-vm: guest-test.sh timed out"
if [ -s /husk-src/bats.list ] &&
	{ ! grep -q . /husk-src/bats.modes 2>/dev/null || grep -qx "$MODE" /husk-src/bats.modes; }; then
	# husk's own bats files (run.sh --bats); "bats: " keeps their TAP apart from ours
	echo "bats: husk-vm: running $(tr '\n' ' ' </husk-src/bats.list)"
	# shellcheck disable=SC2046 # one file per word
	(cd /husk-src && HOME=/root HUSK=/husk-src/build/husk CI=true \
		timeout -s KILL "${HUSK_VM_BATS_TIMEOUT:-3600}" bats --tap $(cat bats.list) 2>&1) | sed 's/^/bats: /'
	echo "bats: husk-vm: bats done, up $(cut -d' ' -f1 /proc/uptime) s"
fi
if [ "$BENCH" != 0 ] && [ -x /bench/vm-clone3.sh ]; then
	sh /bench/vm-clone3.sh "$BENCH"
fi
echo "husk-vm: done, up $(cut -d' ' -f1 /proc/uptime) s"
sync
poweroff -f
