/* Capabilities. The container's set is resolved as docker's TweakCapabilities does:
 * --privileged: all; --cap-add ALL: all but the drops; --cap-drop ALL: only the adds;
 * otherwise the default 14 minus the drops plus the adds. "All" is what husk's own
 * bounding set holds: a capability husk does not have cannot be handed on. */
#include "linux/security/caps.h"

#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "util/explain.h"

static int last_cap(void)
{
	static int last = -1;
	if (last < 0) {
		last = (int)cap_max_bits() - 1;
		if (last < CAP_AUDIT_READ || last > 63)
			last = CAP_LAST_CAP < 63 ? CAP_LAST_CAP : 63;
	}
	return last;
}

/* What husk itself may hand on: its bounding set. */
static uint64_t bounding_set(void)
{
	static uint64_t bset;
	static bool known;
	if (!known) {
		for (int c = 0; c <= last_cap(); c++)
			if (prctl(PR_CAPBSET_READ, c) == 1)
				bset |= UINT64_C(1) << c;
		known = true;
	}
	return bset;
}

/* "net_admin", "CAP_NET_ADMIN", "Net_Admin" -> its number; "ALL" -> 64; -1 if unknown */
static int cap_number(const char *name)
{
	char buf[64] = "cap_";
	const char *p = name;
	if (!strncasecmp(p, "CAP_", 4))
		p += 4;
	if (!strcasecmp(p, "ALL"))
		return 64;
	size_t n = strlen(p);
	if (n == 0 || n >= sizeof buf - 4 || !isalpha((unsigned char)p[0]))
		return -1;
	for (size_t i = 0; i <= n; i++)
		buf[4 + i] = (char)tolower((unsigned char)p[i]);
	cap_value_t v;
	if (cap_from_name(buf, &v) < 0 || v < 0)
		return -1;
	return v;
}

/* Resolves one list into a mask; *all is set if it holds ALL. */
static int resolve_list(char **names, size_t n, const char *opt, uint64_t *mask, bool *all,
			struct husk_err *err)
{
	*mask = 0;
	*all = false;
	for (size_t i = 0; i < n; i++) {
		int c = cap_number(names[i]);
		if (c < 0)
			return husk_error(err, 0, "invalid %s '%s': unknown capability", opt, names[i]);
		if (c == 64) {
			*all = true;
			continue;
		}
		if (c > last_cap())
			return husk_error(err, 0, "invalid %s '%s': this kernel does not know it", opt,
					  names[i]);
		*mask |= UINT64_C(1) << c;
	}
	return 0;
}

int caps_resolve(const struct husk_security *sec, uint64_t *out, struct husk_err *err)
{
	uint64_t all = bounding_set(), add, drop;
	bool add_all, drop_all;
	if (resolve_list(sec->cap_add, sec->n_cap_add, "--cap-add", &add, &add_all, err) ||
	    resolve_list(sec->cap_drop, sec->n_cap_drop, "--cap-drop", &drop, &drop_all, err))
		return -1;
	for (size_t i = 0; i < sec->n_cap_add && !sec->privileged; i++) {
		int c = cap_number(sec->cap_add[i]);
		if (c < 64 && !(all & (UINT64_C(1) << c)))
			return husk_error(err, 0, "invalid --cap-add '%s': husk itself does not hold "
					  "this capability (not in its bounding set)", sec->cap_add[i]);
	}
	if (sec->privileged || add_all)
		*out = sec->privileged ? all : all & ~drop;
	else if (drop_all)
		*out = add;
	else
		*out = ((CAPS_DOCKER_DEFAULT & ~drop) | add) & all;
	return 0;
}

static int set_caps(uint64_t eff, uint64_t perm, uint64_t inh)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[2] = {
		{ (uint32_t)eff, (uint32_t)perm, (uint32_t)inh },
		{ (uint32_t)(eff >> 32), (uint32_t)(perm >> 32), (uint32_t)(inh >> 32) },
	};
	return capset(&h, d);
}

static int get_permitted(uint64_t *perm)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[2];
	if (capget(&h, d) < 0)
		return -1;
	*perm = d[0].permitted | ((uint64_t)d[1].permitted << 32);
	return 0;
}

static void explain_caps(uint64_t t, uint64_t mask, bool root)
{
	if (!explain_enabled)
		return;
	uint64_t done = explain_now();
	char list[1024] = "";
	size_t off = 0;
	for (int c = 0; c <= last_cap() && off < sizeof list; c++) {
		if (!(mask & (UINT64_C(1) << c)))
			continue;
		char *name = cap_to_name(c);
		off += (size_t)snprintf(list + off, sizeof list - off, ",+%s",
					name ? name + (strncmp(name, "cap_", 4) ? 0 : 4) : "?");
		cap_free(name);
	}
	/* the time of the step, not of naming the capabilities for this line */
	EXPLAIN(t + (explain_now() - done), "setpriv --bounding-set -all%s --inh-caps -all "
		"--ambient-caps -all%s", list,
		root ? "   # root: permitted = effective = bounding" :
		       "   # not root: permitted and effective empty");
}

bool caps_retain_sys_admin(uint64_t mask, bool seccomp, bool no_new_privs)
{
	/* the filter needs CAP_SYS_ADMIN to load unless no_new_privs is set */
	return seccomp && !no_new_privs && !(mask & (UINT64_C(1) << CAP_SYS_ADMIN));
}

int caps_apply(uint64_t mask, bool retain_sys_admin, struct husk_err *err)
{
	EXPLAIN_START(t);
	uint64_t perm;
	bool root = geteuid() == 0;
	/* setuid to a non-root user cleared the effective set; PR_CAPBSET_DROP needs
	 * CAP_SETPCAP there, so raise what is still permitted first */
	if (get_permitted(&perm) < 0 || set_caps(perm, perm, 0) < 0)
		return husk_error(err, errno, "capset (raising the permitted set)");
	for (int c = 0; c <= last_cap(); c++)
		if (!(mask & (UINT64_C(1) << c)) && prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0 &&
		    errno != EINVAL)
			return husk_error(err, errno, "prctl(PR_CAPBSET_DROP, %d)", c);
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
		return husk_error(err, errno, "prctl(PR_CAP_AMBIENT_CLEAR_ALL)");
	uint64_t admin = retain_sys_admin ? UINT64_C(1) << CAP_SYS_ADMIN : 0;
	uint64_t final = (root ? mask : 0) | (admin & perm);
	if (set_caps(final, final, 0) < 0)
		return husk_error(err, errno, "capset");
	explain_caps(t, mask, root);
	return 0;
}

int caps_drop_retained(uint64_t mask, struct husk_err *err)
{
	uint64_t final = geteuid() == 0 ? mask : 0;
	if (set_caps(final, final, 0) < 0)
		return husk_error(err, errno, "capset (dropping CAP_SYS_ADMIN after seccomp)");
	return 0;
}
