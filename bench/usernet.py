#!/usr/bin/env python3
"""bench/usernet.py — the measurement of bench/usernet.sh (read its header).

`usernet.py drive CONFIG` runs as the benchmark's unprivileged user, in the network
namespace usernet.sh made; `usernet.py probe` is the process it puts inside each user +
network namespace it makes (`unshare --user --map-root-user --net`): it answers JSON
requests on stdin (connect, spawn a server, run a client, round trips)."""
import ctypes, json, os, select, signal, socket, statistics, subprocess, sys, time

DEVNULL = subprocess.DEVNULL


def rtt(host, port, n):
    s = socket.create_connection((host, port), timeout=10)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    msg, lat = b"x" * 64, []
    for i in range(n + 100):
        t = time.perf_counter_ns()
        s.sendall(msg)
        got = 0
        while got < 64:
            b = s.recv(64 - got)
            if not b:
                raise OSError("the echo server closed the connection")
            got += len(b)
        if i >= 100:  # warm-up
            lat.append((time.perf_counter_ns() - t) / 1000)
    s.close()
    lat.sort()
    return {"p50": lat[len(lat) // 2], "p99": lat[int(len(lat) * 0.99)]}


def connect_until(host, port, timeout):
    end = time.monotonic() + timeout
    while True:
        s = socket.socket()
        s.settimeout(2)
        try:
            s.connect((host, port))
            return time.monotonic_ns()
        except OSError:
            if time.monotonic() > end:
                raise
            time.sleep(0.0002)
        finally:
            s.close()


def probe():
    kids = []
    print("ready", flush=True)
    for line in sys.stdin:
        req = json.loads(line)
        op = req["op"]
        try:
            if op == "connect":
                r = {"t": connect_until(req["host"], req["port"], 10)}
            elif op == "spawn":
                with open(req["log"], "ab") as log:
                    kids.append(subprocess.Popen(req["argv"], stdin=DEVNULL, stdout=log, stderr=log))
                r = {"pid": kids[-1].pid}
            elif op == "run":
                p = subprocess.run(req["argv"], stdin=DEVNULL, capture_output=True, text=True, timeout=300)
                r = {"rc": p.returncode, "out": p.stdout, "err": p.stderr[-2000:]}
            elif op == "rtt":
                r = rtt(req["host"], req["port"], req["n"])
            else:
                r = {"error": "unknown request " + op}
        except Exception as e:  # the driver reports it
            r = {"error": f"{op}: {e}"}
        print(json.dumps(r), flush=True)
    for p in kids:
        p.terminate()
    for p in kids:
        try:
            p.wait(5)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


if sys.argv[1] == "probe":
    probe()
    sys.exit(0)

LIBC = ctypes.CDLL(None, use_errno=True)
C = json.load(open(sys.argv[2]))
W, P, D = C["work"], C["ports"], C["duration"]
LOGS = W + "/logs"
FWD = (P["in_http"], P["in_iperf"], P["in_echo"])
GW = "10.0.2.2"
TICK = os.sysconf("SC_CLK_TCK")
now = time.monotonic_ns
KEEP = set()  # children reap_zombies leaves to their owners


def log(msg):
    print(f"==> {msg} (load {open('/proc/loadavg').read().split()[0]})", file=sys.stderr, flush=True)


def tail(path):
    try:
        return " | ".join(open(path, errors="replace").read().strip().splitlines()[-3:])
    except OSError:
        return "no log"


class NS:
    """An unprivileged user + network namespace, lo up, a probe inside."""

    def __init__(self):
        self.p = subprocess.Popen(["unshare", "--user", "--map-root-user", "--net", "sh", "-c",
                                   'ip link set lo up && exec python3 -u "$0" probe', sys.argv[0]],
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        if self.p.stdout.readline().strip() != "ready":
            raise RuntimeError("the namespace's probe did not start")
        self.pid = self.p.pid

    def call(self, **req):
        self.p.stdin.write(json.dumps(req) + "\n")
        self.p.stdin.flush()
        line = self.p.stdout.readline()
        if not line:
            raise RuntimeError("the namespace's probe died")
        r = json.loads(line)
        if "error" in r:
            raise RuntimeError(r["error"])
        return r

    def close(self):
        self.p.stdin.close()
        try:
            self.p.wait(10)
        except subprocess.TimeoutExpired:  # busy: it and its servers go at once
            for p in procs(self.pid):
                os.kill(p, signal.SIGKILL)
            self.p.wait()


def spawn(argv, logfile):
    # default dispositions and an empty mask, as a C parent (husk) gives: pasta (2023-03)
    # dies "Couldn't install signal handlers" with the SIGPIPE that python3 ignores
    return os.posix_spawnp(argv[0], argv, os.environ, setsigmask=(), setsigdef=(signal.SIGPIPE, signal.SIGXFSZ), file_actions=[
        (os.POSIX_SPAWN_OPEN, 0, "/dev/null", os.O_RDONLY, 0),
        (os.POSIX_SPAWN_OPEN, 1, "/dev/null", os.O_WRONLY, 0),
        (os.POSIX_SPAWN_OPEN, 2, logfile, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)])


def reap(pid, timeout):
    """Wait for PID (SIGKILL after TIMEOUT s); its user+sys CPU in seconds."""
    end = time.monotonic() + timeout
    while True:
        p, _, ru = os.wait4(pid, os.WNOHANG)
        if p == pid:
            return ru.ru_utime + ru.ru_stime
        if time.monotonic() > end:
            os.kill(pid, signal.SIGKILL)
            return reap(pid, 60)
        time.sleep(0.0002)


def procs(pid):
    """PID and its descendants."""
    kids = {}
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                st = open(f"/proc/{d}/stat").read()
            except OSError:
                continue
            kids.setdefault(int(st.rsplit(")", 1)[1].split()[1]), []).append(int(d))
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo += kids.get(p, [])
    return out


def mem_of(pids):
    pss = rss = 0
    for p in pids:
        try:
            for line in open(f"/proc/{p}/smaps_rollup"):
                k = line.split()
                if k[0] == "Pss:":
                    pss += int(k[1])
                elif k[0] == "Rss:":
                    rss += int(k[1])
        except (FileNotFoundError, ProcessLookupError):
            pass
    return {"pss": pss, "rss": rss}


def mem(pid):
    """PSS and RSS (KiB) of PID's process tree, read by the root side: pasta makes itself
    not dumpable, so its user cannot read its smaps."""
    MEM[0].sendall(json.dumps(procs(pid)).encode() + b"\n")
    return json.loads(MEM[1].readline())


def root_side():
    """Started as root: fork; the child becomes the user (argv 3, 4) and runs the
    measurement, this process answers its memory requests and exits with its status."""
    uid, gid = int(sys.argv[3]), int(sys.argv[4])
    a, b = socket.socketpair()
    pid = os.fork()
    if pid == 0:
        a.close()
        os.setgroups([])
        os.setresgid(gid, gid, gid)
        os.setresuid(uid, uid, uid)
        LIBC.prctl(4, 1, 0, 0, 0)  # PR_SET_DUMPABLE, cleared by the uid change
        LIBC.prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER: pasta's daemon stays ours
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # the finally clauses stop everything
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # the script's TERM comes through the parent
        return b, b.makefile("rb")
    b.close()
    LIBC.prctl(36, 1, 0, 0, 0)  # what the measurement leaves comes here, not to init
    def forward(*_):  # the measurement stops its helpers itself
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, forward)
    for line in a.makefile("rb"):
        a.sendall(json.dumps(mem_of(json.loads(line))).encode() + b"\n")
    _, status = os.waitpid(pid, 0)
    for _ in range(100):  # kill and reap anything left
        left = [int(d) for d in os.listdir("/proc") if d.isdigit() and ppid(d) == os.getpid()]
        if not left:
            break
        for p in left:
            try:
                os.kill(p, signal.SIGKILL)
                os.waitpid(p, os.WNOHANG)
            except (ProcessLookupError, ChildProcessError):
                pass
        time.sleep(0.05)
    sys.exit(os.waitstatus_to_exitcode(status))


def ppid(d):
    try:
        return int(open(f"/proc/{d}/stat").read().rsplit(")", 1)[1].split()[1])
    except (OSError, ValueError):
        return None


def cpu(pid):
    t = 0
    for p in procs(pid):
        try:
            f = open(f"/proc/{p}/stat").read().rsplit(")", 1)[1].split()
            t += int(f[11]) + int(f[12])
        except OSError:
            pass
    return t / TICK


class Slirp:
    name = "slirp4netns"

    def __init__(self, ns, fwd=()):
        self.api = W + "/slirp4netns.sock"
        if os.path.exists(self.api):
            os.unlink(self.api)
        ex_r, self.ex_w = os.pipe()
        rd_r, rd_w = os.pipe()
        os.set_inheritable(ex_r, True)
        os.set_inheritable(rd_w, True)
        # husk's command line (src/linux/net/slirp.c) but for --disable-host-loopback
        argv = ["slirp4netns", "--configure", "--mtu=65520", f"--exit-fd={ex_r}", f"--ready-fd={rd_w}",
                f"--api-socket={self.api}", str(ns.pid), "tap0"]
        self.t0 = now()
        self.pid = spawn(argv, LOGS + "/slirp4netns.log")
        os.close(ex_r)
        os.close(rd_w)
        ok = select.select([rd_r], [], [], 10)[0] and os.read(rd_r, 1)
        self.t_ready = now()
        os.close(rd_r)
        if not ok:
            self.stop()
            raise RuntimeError("slirp4netns did not get ready: " + tail(LOGS + "/slirp4netns.log"))
        for port in fwd:
            self.hostfwd(port)

    def hostfwd(self, port):
        req = {"execute": "add_hostfwd", "arguments": {"proto": "tcp", "host_addr": "127.0.0.1",
                                                       "host_port": port, "guest_port": port}}
        with socket.socket(socket.AF_UNIX) as s:
            s.connect(self.api)
            s.sendall(json.dumps(req).encode())
            s.shutdown(socket.SHUT_WR)
            reply = s.recv(4096)
        if b'"return"' not in reply:
            raise RuntimeError(f"slirp4netns add_hostfwd {port}: {reply!r}")

    def stop(self):
        t = now()
        os.close(self.ex_w)
        self.cpu = reap(self.pid, 2)
        self.t_stop = now() - t


class Pasta:
    name = "pasta"

    def __init__(self, ns, fwd=()):
        pidf = W + "/pasta.pid"
        if os.path.exists(pidf):
            os.unlink(pidf)
        argv = ["pasta", "--config-net", "-4", "-q", "-I", "tap0", "-a", "10.0.2.100", "-n", "24", "-g", GW,
                "-m", "65520", "-u", "none", "-T", "none", "-U", "none", "-P", pidf]
        argv += [a for p in fwd for a in ("-t", f"127.0.0.1/{p}")] or ["-t", "none"]
        argv.append(str(ns.pid))
        self.t0 = now()
        parent = spawn(argv, LOGS + "/pasta.log")
        _, status, ru = os.wait4(parent, 0)  # it exits when its daemon is ready
        self.t_ready = now()
        self.cpu0 = ru.ru_utime + ru.ru_stime
        if status != 0:
            raise RuntimeError(f"pasta exited with status {status}: " + tail(LOGS + "/pasta.log"))
        self.pid = int(open(pidf).read())

    def stop(self):
        t = now()
        os.kill(self.pid, signal.SIGTERM)
        self.cpu = self.cpu0 + reap(self.pid, 2)
        self.t_stop = now() - t


def find_slirp(present=True, timeout=10):
    end = time.monotonic() + timeout
    while True:
        reap_zombies()  # a husk monitor that exited is this subreaper's to reap
        mine = []
        for d in os.listdir("/proc"):
            try:
                if d.isdigit() and os.stat(f"/proc/{d}").st_uid == os.getuid() and \
                        open(f"/proc/{d}/comm").read().strip() == "slirp4netns":
                    mine.append(int(d))
            except OSError:
                pass
        if present and len(mine) == 1:
            return mine[0]
        if not present and not mine:
            return None
        if time.monotonic() > end:
            raise RuntimeError(f"slirp4netns processes of the user: {mine}")
        time.sleep(0.05)


class Husk:
    name = "husk"

    def __init__(self):
        cmd = (f"iperf3 -s -p {P['in_iperf']} & health {P['in_http']} & "
               f"socat TCP-LISTEN:{P['in_echo']},fork,reuseaddr PIPE & wait")
        # no seccomp filter: the other servers run without one, and the network is measured
        argv = [C["husk"], "run", "-d", "--name", C["name"], "--network", "slirp4netns",
                "--security-opt", "seccomp=unconfined"]
        argv += [a for p in FWD for a in ("-p", f"127.0.0.1:{p}:{p}")]
        r = subprocess.run(argv + [C["rootfs"], "/bin/sh", "-c", cmd], stdin=DEVNULL, capture_output=True, text=True)
        if r.returncode != 0:
            raise RuntimeError(f"husk run failed ({r.returncode}): {r.stderr.strip()}")
        self.pid = find_slirp()

    def stop(self):
        subprocess.run([C["husk"], "rm", "-f", C["name"]], stdin=DEVNULL, stdout=DEVNULL, stderr=DEVNULL)
        find_slirp(present=False)


def reap_zombies():
    """Reap exited children this driver did not spawn (orphans it inherited)."""
    for d in os.listdir("/proc"):
        try:
            st = open(f"/proc/{d}/stat").read().rsplit(")", 1)[1].split() if d.isdigit() else None
        except OSError:
            continue
        if st and st[0] == "Z" and int(st[1]) == os.getpid() and int(d) not in KEEP:
            try:
                os.waitpid(int(d), os.WNOHANG)
            except ChildProcessError:
                pass


def inbound_ready(timeout=30):
    """The published HTTP and echo servers answer through the helper."""
    end = time.monotonic() + timeout
    while True:
        try:
            with socket.create_connection(("127.0.0.1", P["in_http"]), timeout=1) as s:
                s.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
                if b" 200 " not in s.recv(4096):
                    raise OSError("no 200")
            with socket.create_connection(("127.0.0.1", P["in_echo"]), timeout=1) as s:
                s.sendall(b"ping")
                if s.recv(4) != b"ping":
                    raise OSError("no echo")
            return
        except OSError:
            if time.monotonic() > end:
                raise RuntimeError("the published ports did not answer")
            time.sleep(0.05)


def iperf(run, host, port, pid, reverse=False):
    argv = ["iperf3", "-c", host, "-p", str(port), "-t", str(D), "-J"] + (["-R"] if reverse else [])
    for attempt in range(5):
        c0 = cpu(pid)
        rc, out, err = run(argv)
        c1 = cpu(pid)
        if rc == 0:
            e = json.loads(out)["end"]
            s = e["sum_received"]
            return {"gbit": s["bits_per_second"] / 1e9, "cpu_s_per_gb": (c1 - c0) / (s["bytes"] / 1e9),
                    "retransmits": e["sum_sent"].get("retransmits")}
        time.sleep(0.3)
    raise RuntimeError(f"iperf3 {' '.join(argv)}: {out[-500:]} {err[-500:]}")


def run_local(argv):
    p = subprocess.run(argv, stdin=DEVNULL, capture_output=True, text=True, timeout=300)
    return p.returncode, p.stdout, p.stderr


def wrk(pid):
    out = subprocess.run(["wrk", "-t1", "-c8", f"-d{D}s", "--latency", f"http://127.0.0.1:{P['in_http']}/health"],
                         stdin=DEVNULL, capture_output=True, text=True, timeout=300).stdout
    ms = lambda v: float(v[:-2]) / 1000 if v.endswith("us") else float(v[:-2]) if v.endswith("ms") else float(v[:-1]) * 1000
    r = {}
    for line in out.splitlines():
        f = line.split()
        if f[:1] == ["Requests/sec:"]:
            r["rps"] = float(f[1])
        elif f[:1] == ["50%"]:
            r["p50_ms"] = ms(f[1])
        elif f[:1] == ["99%"]:
            r["p99_ms"] = ms(f[1])
        elif "errors" in line or "Non-2xx" in line:
            r["errors"] = line.strip()
    if "rps" not in r:
        raise RuntimeError("wrk: " + out[-500:])
    return r


def inbound(pid):
    m = {"in_up": iperf(run_local, "127.0.0.1", P["in_iperf"], pid),
         "in_down": iperf(run_local, "127.0.0.1", P["in_iperf"], pid, reverse=True),
         "http": wrk(pid), "in_rtt": rtt("127.0.0.1", P["in_echo"], C["trips"])}
    return m


def servers(ns):
    for argv in (["iperf3", "-s", "-p", str(P["in_iperf"])], [C["health"], str(P["in_http"])],
                 ["socat", f"TCP-LISTEN:{P['in_echo']},fork,reuseaddr", "PIPE"]):
        ns.call(op="spawn", argv=argv, log=LOGS + "/ns-servers.log")


def traffic_round(variant):
    if variant == "husk":
        h = Husk()
        try:
            inbound_ready()
            m = {"mem_idle": mem(h.pid)}
            m.update(inbound(h.pid))
            m["mem_after"] = mem(h.pid)
        finally:
            h.stop()
        return m
    ns = NS()
    try:
        servers(ns)
        h = (Slirp if variant == "slirp4netns" else Pasta)(ns, FWD)
        try:
            inbound_ready()
            m = {"mem_idle": mem(h.pid)}
            def in_ns(argv):
                r = ns.call(op="run", argv=argv)
                return r["rc"], r["out"], r["err"]
            m["out_up"] = iperf(in_ns, GW, P["out_iperf"], h.pid)
            m["out_down"] = iperf(in_ns, GW, P["out_iperf"], h.pid, reverse=True)
            m["out_rtt"] = ns.call(op="rtt", host=GW, port=P["out_echo"], n=C["trips"])
            m.update(inbound(h.pid))
            m["mem_after"] = mem(h.pid)
        finally:
            h.stop()
    finally:
        ns.close()
    return m


def startup_run(cls):
    ns = NS()
    try:
        h = cls(ns)
        try:
            t_conn = ns.call(op="connect", host=GW, port=P["out_echo"])["t"]
        finally:
            h.stop()
    finally:
        ns.close()
    return {"ready_ms": (h.t_ready - h.t0) / 1e6, "conn_ms": (t_conn - h.t0) / 1e6,
            "stop_ms": h.t_stop / 1e6, "cpu_ms": h.cpu * 1000}


def husk_startup(runs):
    res = {"slirp4netns": [], "none": []}
    for i in range(runs + 3):
        for net in (("slirp4netns", "none") if i % 2 == 0 else ("none", "slirp4netns")):
            t = time.perf_counter()
            rc = subprocess.run([C["husk"], "run", "--rm", "--network", net, C["rootfs"], "/bin/true"],
                                stdin=DEVNULL, stdout=DEVNULL, stderr=DEVNULL).returncode
            t = (time.perf_counter() - t) * 1000
            if rc != 0:
                raise RuntimeError(f"husk run --network {net} exited {rc}")
            if i >= 3:
                res[net].append(t)
    return res


def host_servers():
    kids = []
    with open(LOGS + "/host-servers.log", "ab") as lg:
        for argv in (["iperf3", "-s", "-B", "127.0.0.1", "-p", str(P["out_iperf"])],
                     ["socat", f"TCP-LISTEN:{P['out_echo']},bind=127.0.0.1,fork,reuseaddr", "PIPE"]):
            kids.append(subprocess.Popen(argv, stdin=DEVNULL, stdout=lg, stderr=lg))
    for port in (P["out_iperf"], P["out_echo"]):
        connect_until("127.0.0.1", port, 10)
    return kids


def main():
    variants = ["slirp4netns", "pasta"] + (["husk"] if C["husk"] else [])
    R = {"loadavg_before": open("/proc/loadavg").read().split()[:3], "startup": {"slirp4netns": [], "pasta": []},
         "rounds": {v: [] for v in variants}}
    kids = host_servers()
    KEEP.update(k.pid for k in kids)
    try:
        log(f"start-up: {C['runs']} runs of each helper, alternating (3 warm-up runs)")
        for i in range(C["runs"] + 3):
            for cls in ((Slirp, Pasta) if i % 2 == 0 else (Pasta, Slirp)):
                m = startup_run(cls)
                if i >= 3:
                    R["startup"][cls.name].append(m)
        if C["husk"]:
            log(f"start-up: husk run --rm --network slirp4netns vs --network none, {C['runs']} each")
            R["husk_startup"] = husk_startup(C["runs"])
        for r in range(C["rounds"]):
            order = variants[r % len(variants):] + variants[:r % len(variants)]
            log(f"traffic round {r + 1}/{C['rounds']}: {', '.join(order)}; iperf3 and wrk {D} s each")
            for v in order:
                R["rounds"][v].append(traffic_round(v))
                reap_zombies()
    finally:
        for k in kids:
            k.terminate()
            k.wait()
        reap_zombies()
    R["loadavg_after"] = open("/proc/loadavg").read().split()[:3]
    json.dump(R, open(W + "/results.json", "w"), indent=1)
    report(R, variants)


def report(R, variants):
    med = statistics.median
    su = {v: {k: [x[k] for x in R["startup"][v]] for k in R["startup"][v][0]} for v in ("slirp4netns", "pasta")}
    def rnd(v, *path):
        out = []
        for m in R["rounds"][v]:
            for k in path:
                m = m[k]
            out.append(m)
        return out
    rows = [("start-up: spawn → ready signal (ms)", lambda v: med(su[v]["ready_ms"]) if v in su else None, 2),
            ("start-up: spawn → first TCP connection to the host (ms)", lambda v: med(su[v]["conn_ms"]) if v in su else None, 2),
            ("stop: exit-fd closed / SIGTERM → reaped (ms)", lambda v: med(su[v]["stop_ms"]) if v in su else None, 2),
            ("helper CPU over a start-up, 1 connection and stop (ms)", lambda v: med(su[v]["cpu_ms"]) if v in su else None, 2)]
    mm = lambda xs: None if None in xs else med(xs)
    for k, label in (("pss", "PSS"), ("rss", "RSS")):
        rows.append((f"memory idle (the published ports answered once), {label} (KiB)",
                     lambda v, k=k: mm(rnd(v, "mem_idle", k)), 0))
    for key, label in (("out_up", "outbound, namespace → host loopback"), ("out_down", "outbound, host → namespace (-R)"),
                       ("in_up", "inbound -p, host → namespace"), ("in_down", "inbound -p, namespace → host (-R)")):
        rows.append((f"{label}, iperf3 (Gbit/s)", lambda v, key=key: med(rnd(v, key, "gbit")) if key in R["rounds"][v][0] else None, 2))
        rows.append(("  its helper's CPU (s per GB)", lambda v, key=key: med(rnd(v, key, "cpu_s_per_gb")) if key in R["rounds"][v][0] else None, 3))
        rows.append(("  TCP retransmits of the sender, all rounds", lambda v, key=key: sum(x or 0 for x in rnd(v, key, "retransmits"))
                     if key in R["rounds"][v][0] else None, 0))
    for key, label in (("out_rtt", "outbound"), ("in_rtt", "inbound -p")):
        for q in ("p50", "p99"):
            rows.append((f"{label} 64-byte TCP round trip, {q} (µs)", lambda v, key=key, q=q: med(rnd(v, key, q)) if key in R["rounds"][v][0] else None, 1))
    rows.append(("inbound -p HTTP, wrk -t1 -c8 keep-alive (requests/s)", lambda v: med(rnd(v, "http", "rps")), 0))
    for q in ("p50_ms", "p99_ms"):
        rows.append((f"  latency {q[:3]} (ms)", lambda v, q=q: med(rnd(v, "http", q)), 3))
    for k, label in (("pss", "PSS"), ("rss", "RSS")):
        rows.append((f"memory after the traffic, {label} (KiB)", lambda v, k=k: mm(rnd(v, "mem_after", k)), 0))
    husk = "husk" in variants
    print("| measure | slirp4netns | pasta | pasta / slirp4netns" + (" | husk (its slirp4netns) | husk / slirp4netns |" if husk else " |"))
    print("|---|---:|---:|---:" + ("|---:|---:|" if husk else "|"))
    fmt = lambda x, d: "—" if x is None else f"{x:,.{d}f}"
    ratio = lambda a, b: "—" if a is None or b is None or b == 0 else f"{a / b:.2f}"
    for label, f, d in rows:
        s, p = f("slirp4netns"), f("pasta")
        line = f"| {label} | {fmt(s, d)} | {fmt(p, d)} | {ratio(p, s)}"
        if husk:
            h = f("husk")
            line += f" | {fmt(h, d)} | {ratio(h, s)}"
        print(line + " |")
    if husk:
        hs = R["husk_startup"]
        a, b = med(hs["slirp4netns"]), med(hs["none"])
        plain = med([x["ready_ms"] + x["stop_ms"] for x in R["startup"]["slirp4netns"]])
        print()
        print("| husk run --rm ROOTFS /bin/true (rootless, median ms) | --network slirp4netns | --network none | difference | plain slirp4netns: ready + stop |")
        print("|---|---:|---:|---:|---:|")
        print(f"| {len(hs['none'])} runs each, alternating | {a:.2f} | {b:.2f} | {a - b:+.2f} | {plain:.2f} |")
    print()
    for v in variants:
        per = []
        for key in ("out_up", "out_down", "in_up", "in_down"):
            if key in R["rounds"][v][0]:
                per.append(f"{key} " + "/".join(f"{x:.2f}" for x in rnd(v, key, "gbit")))
        per.append("http " + "/".join(f"{x:.0f}" for x in rnd(v, "http", "rps")))
        per.append("in_rtt p50 " + "/".join(f"{x:.0f}" for x in rnd(v, "in_rtt", "p50")))
        print(f"  {v}, per round: " + "; ".join(per))
    for v in su:
        print(f"  {v} start-up, ready ms: min {min(su[v]['ready_ms']):.2f}, max {max(su[v]['ready_ms']):.2f}; "
              f"first connection ms: min {min(su[v]['conn_ms']):.2f}, max {max(su[v]['conn_ms']):.2f}")
    print(f"  load average before: {' '.join(R['loadavg_before'])}, after: {' '.join(R['loadavg_after'])}")


MEM = root_side()
main()
