/* --security-opt seccomp=PROFILE.json: docker's profile format (defaultAction,
 * archMap, syscalls[] with names, action, errnoRet, args, includes, excludes) and the
 * OCI runtime-spec's linux.seccomp (architectures, flags). As docker and runc do,
 * syscalls libseccomp does not know are skipped (they belong to other kernels or
 * architectures); anything malformed is an error naming the file and the key. */
#include <ctype.h>
#include <errno.h>
#include <seccomp.h>
#include <json-c/json.h>
#include <linux/seccomp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/utsname.h>

#include "linux/security/seccomp/profile.h"
#include "util/cleanup.h"
#include "util/input_limits.h"
#include "util/json.h"

#define PROFILE_MAX HUSK_PROFILE_MAX

struct profile {
	const char *path;
	uint64_t caps;
	scmp_filter_ctx ctx;
	uint32_t default_action;
	struct husk_err *err;
};

__attribute__((format(printf, 3, 4)))
static int bad(struct profile *p, const char *key, const char *fmt, ...)
{
	char why[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why, sizeof why, fmt, ap);
	va_end(ap);
	return husk_error(p->err, 0, "invalid seccomp profile '%s': %s: %s", p->path, key, why);
}

/* The text, parsed; a syntax error names its line. */
static json_object *parse_text(struct profile *p, const char *buf, size_t len)
{
	struct json_parse_error pe;
	json_object *root = json_parse_whole(buf, len, &pe);
	if (!root)
		husk_error(p->err, 0, "invalid seccomp profile '%s': line %d: %s", p->path, pe.line,
			   pe.why);
	return root;
}

/* The whole file, parsed. */
static json_object *read_profile(struct profile *p)
{
	cleanup_fclose FILE *f = fopen(p->path, "re");
	if (!f) {
		husk_error(p->err, errno, "seccomp profile '%s'", p->path);
		return NULL;
	}
	cleanup_free char *buf = malloc(PROFILE_MAX + 1);
	if (!buf) {
		husk_error(p->err, ENOMEM, "seccomp profile '%s'", p->path);
		return NULL;
	}
	size_t len = fread(buf, 1, PROFILE_MAX + 1, f);
	if (ferror(f)) {
		husk_error(p->err, errno, "seccomp profile '%s'", p->path);
		return NULL;
	}
	if (len > PROFILE_MAX) {
		husk_error(p->err, EFBIG, "seccomp profile '%s': more than husk reads (%d MiB)", p->path,
			   PROFILE_MAX >> 20);
		return NULL;
	}
	buf[len] = '\0';
	return parse_text(p, buf, len);
}

static bool is(json_object *o, enum json_type t) { return o && json_object_is_type(o, t); }

/* An optional array of strings; *n = 0 if absent or null. */
static int string_array(struct profile *p, json_object *o, const char *key, size_t *n)
{
	*n = 0;
	if (!o || json_object_is_type(o, json_type_null))
		return 0;
	if (!is(o, json_type_array))
		return bad(p, key, "expected an array of strings");
	*n = json_object_array_length(o);
	for (size_t i = 0; i < *n; i++)
		if (!is(json_object_array_get_idx(o, i), json_type_string))
			return bad(p, key, "element %zu is not a string", i);
	return 0;
}

static const char *elem(json_object *arr, size_t i)
{
	return json_object_get_string(json_object_array_get_idx(arr, i));
}

static int errno_value(struct profile *p, json_object *o, const char *key, int dflt, int *out)
{
	*out = dflt;
	if (!o)
		return 0;
	if (!is(o, json_type_int) || json_object_get_int64(o) < 0 || json_object_get_int64(o) > 4095)
		return bad(p, key, "expected an errno number (0..4095)");
	*out = (int)json_object_get_int64(o);
	return 0;
}

static int parse_action(struct profile *p, json_object *o, json_object *ret, const char *key,
			int dflt_errno, uint32_t *out)
{
	if (!is(o, json_type_string))
		return bad(p, key, o ? "expected a string" : "missing");
	const char *a = json_object_get_string(o);
	char rkey[160];
	snprintf(rkey, sizeof rkey, "%s (errnoRet)", key);
	int e;
	if (!strcmp(a, "SCMP_ACT_ALLOW"))
		*out = SCMP_ACT_ALLOW;
	else if (!strcmp(a, "SCMP_ACT_KILL") || !strcmp(a, "SCMP_ACT_KILL_THREAD"))
		*out = SCMP_ACT_KILL_THREAD;
	else if (!strcmp(a, "SCMP_ACT_KILL_PROCESS"))
		*out = SCMP_ACT_KILL_PROCESS;
	else if (!strcmp(a, "SCMP_ACT_TRAP"))
		*out = SCMP_ACT_TRAP;
	else if (!strcmp(a, "SCMP_ACT_LOG"))
		*out = SCMP_ACT_LOG;
	else if (!strcmp(a, "SCMP_ACT_ERRNO") || !strcmp(a, "SCMP_ACT_TRACE")) {
		if (errno_value(p, ret, rkey, dflt_errno, &e))
			return -1;
		*out = strcmp(a, "SCMP_ACT_ERRNO") ? SCMP_ACT_TRACE(e) : SCMP_ACT_ERRNO(e);
	} else if (!strcmp(a, "SCMP_ACT_NOTIFY"))
		return bad(p, key, "SCMP_ACT_NOTIFY is not supported by husk");
	else
		return bad(p, key, "unknown action '%s'", a);
	return 0;
}

/* "SCMP_ARCH_X86_64" -> libseccomp's token */
static int add_arch(struct profile *p, const char *name, const char *key)
{
	char lower[32];
	const char *n = strncmp(name, "SCMP_ARCH_", 10) ? name : name + 10;
	size_t i = 0;
	for (; n[i] && i < sizeof lower - 1; i++)
		lower[i] = (char)tolower((unsigned char)n[i]);
	lower[i] = '\0';
	uint32_t arch = seccomp_arch_resolve_name(lower);
	if (!arch)
		return bad(p, key, "unknown architecture '%s'", name);
	int r = seccomp_arch_add(p->ctx, arch);
	return r < 0 && r != -EEXIST ? bad(p, key, "architecture '%s': %s", name, strerror(-r)) : 0;
}

/* OCI "architectures" or docker's "archMap" (the native entry and its subs) */
static int parse_arches(struct profile *p, json_object *root)
{
	json_object *arches = NULL, *map = NULL;
	size_t n;
	if (json_object_object_get_ex(root, "architectures", &arches)) {
		if (string_array(p, arches, "architectures", &n))
			return -1;
		for (size_t i = 0; i < n; i++)
			if (add_arch(p, elem(arches, i), "architectures"))
				return -1;
		return 0;
	}
	if (!json_object_object_get_ex(root, "archMap", &map) || is(map, json_type_null))
		return seccomp_add_sub_arches(p->ctx) < 0 ? bad(p, "archMap", "cannot add") : 0;
	if (!is(map, json_type_array))
		return bad(p, "archMap", "expected an array");
	for (size_t i = 0; i < json_object_array_length(map); i++) {
		json_object *e = json_object_array_get_idx(map, i), *a = NULL, *subs = NULL;
		char key[64];
		snprintf(key, sizeof key, "archMap[%zu]", i);
		if (!is(e, json_type_object) || !json_object_object_get_ex(e, "architecture", &a) ||
		    !is(a, json_type_string))
			return bad(p, key, "expected {\"architecture\": ..., \"subArchitectures\": [...]}");
		const char *an = json_object_get_string(a);
		const char *tok = strncmp(an, "SCMP_ARCH_", 10) ? an : an + 10;
		char lower[32];
		size_t k = 0;
		for (; tok[k] && k < sizeof lower - 1; k++)
			lower[k] = (char)tolower((unsigned char)tok[k]);
		lower[k] = '\0';
		if (seccomp_arch_resolve_name(lower) != seccomp_arch_native())
			continue;
		json_object_object_get_ex(e, "subArchitectures", &subs);
		snprintf(key, sizeof key, "archMap[%zu].subArchitectures", i);
		if (string_array(p, subs, key, &n))
			return -1;
		for (size_t j = 0; j < n; j++)
			if (add_arch(p, elem(subs, j), key))
				return -1;
	}
	return 0;
}

static int cap_bit(struct profile *p, const char *name, const char *key, uint64_t *bit)
{
	char lower[64];
	size_t i = 0;
	for (; name[i] && i < sizeof lower - 1; i++)
		lower[i] = (char)tolower((unsigned char)name[i]);
	lower[i] = '\0';
	cap_value_t v;
	if (cap_from_name(lower, &v) < 0 || v < 0 || v > 63)
		return bad(p, key, "unknown capability '%s'", name);
	*bit = UINT64_C(1) << v;
	return 0;
}

/* "5.10" <= this kernel? */
static bool kernel_at_least(const char *ver)
{
	struct utsname u;
	unsigned want_maj = 0, want_min = 0, maj = 0, min = 0;
	if (sscanf(ver, "%u.%u", &want_maj, &want_min) < 1 || uname(&u) < 0 ||
	    sscanf(u.release, "%u.%u", &maj, &min) < 2)
		return true;
	return maj > want_maj || (maj == want_maj && min >= want_min);
}

/* docker's includes/excludes: arches, caps, minKernel. *use = false skips the rule. */
static int rule_applies(struct profile *p, json_object *rule, const char *key, bool *use)
{
	static const char *const parts[] = { "includes", "excludes" };
	*use = true;
	for (int inc = 0; inc < 2; inc++) {
		json_object *o = NULL, *arches = NULL, *caps = NULL, *mk = NULL;
		char k[160];
		if (!json_object_object_get_ex(rule, parts[inc], &o) || is(o, json_type_null))
			continue;
		snprintf(k, sizeof k, "%s.%s", key, parts[inc]);
		if (!is(o, json_type_object))
			return bad(p, k, "expected an object");
		size_t na, nc;
		json_object_object_get_ex(o, "arches", &arches);
		json_object_object_get_ex(o, "caps", &caps);
		if (string_array(p, arches, k, &na) || string_array(p, caps, k, &nc))
			return -1;
		bool arch_match = false;
		for (size_t i = 0; i < na; i++)
			arch_match |= !strcmp(elem(arches, i), seccomp_go_arch());
		uint64_t held = 0, want = 0;
		for (size_t i = 0; i < nc; i++) {
			uint64_t b = 0;
			if (cap_bit(p, elem(caps, i), k, &b))
				return -1;
			want |= b;
			held |= b & p->caps;
		}
		if (inc == 0) {
			if ((na && !arch_match) || held != want)
				*use = false;
			if (json_object_object_get_ex(o, "minKernel", &mk)) {
				if (!is(mk, json_type_string))
					return bad(p, k, "minKernel: expected a string such as \"4.8\"");
				if (!kernel_at_least(json_object_get_string(mk)))
					*use = false;
			}
		} else if (arch_match || held) {
			*use = false;
		}
	}
	return 0;
}

static int parse_arg(struct profile *p, json_object *a, const char *key, struct scmp_arg_cmp *c)
{
	static const struct { const char *name; enum scmp_compare op; } ops[] = {
		{ "SCMP_CMP_NE", SCMP_CMP_NE }, { "SCMP_CMP_LT", SCMP_CMP_LT },
		{ "SCMP_CMP_LE", SCMP_CMP_LE }, { "SCMP_CMP_EQ", SCMP_CMP_EQ },
		{ "SCMP_CMP_GE", SCMP_CMP_GE }, { "SCMP_CMP_GT", SCMP_CMP_GT },
		{ "SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ },
	};
	json_object *idx = NULL, *val = NULL, *val2 = NULL, *op = NULL;
	if (!is(a, json_type_object))
		return bad(p, key, "expected {\"index\", \"value\", \"op\"}");
	json_object_object_get_ex(a, "index", &idx);
	json_object_object_get_ex(a, "value", &val);
	json_object_object_get_ex(a, "valueTwo", &val2);
	json_object_object_get_ex(a, "op", &op);
	if (!is(idx, json_type_int) || json_object_get_int64(idx) < 0 || json_object_get_int64(idx) > 5)
		return bad(p, key, "index: expected 0..5");
	if (!is(val, json_type_int) || (val2 && !is(val2, json_type_int)))
		return bad(p, key, "value: expected a number");
	if (!is(op, json_type_string))
		return bad(p, key, "op: expected a string such as SCMP_CMP_EQ");
	memset(c, 0, sizeof *c);
	c->arg = (unsigned)json_object_get_int64(idx);
	c->datum_a = json_object_get_uint64(val);
	c->datum_b = val2 ? json_object_get_uint64(val2) : 0;
	for (size_t i = 0; i < ARRAY_SIZE(ops); i++)
		if (!strcmp(json_object_get_string(op), ops[i].name)) {
			c->op = ops[i].op;
			return 0;
		}
	return bad(p, key, "op: unknown operator '%s'", json_object_get_string(op));
}

static int add_rule(struct profile *p, const char *name, uint32_t action,
		    struct scmp_arg_cmp *c, unsigned n, bool split, const char *key)
{
	int nr = seccomp_syscall_resolve_name(name);
	if (nr == __NR_SCMP_ERROR || action == p->default_action)
		return 0; /* unknown here, or nothing to add */
	int r = 0;
	if (!split)
		r = seccomp_rule_add_array(p->ctx, action, nr, n, c);
	/* two conditions on one argument: one rule each (an "or"), as runc does */
	for (unsigned i = 0; split && i < n && r >= 0; i++)
		r = seccomp_rule_add_array(p->ctx, action, nr, 1, &c[i]);
	if (r < 0 && r != -EDOM)
		return bad(p, key, "rule for '%s': %s", name, strerror(-r));
	return 0;
}

static int parse_syscall(struct profile *p, json_object *rule, size_t idx)
{
	char key[64];
	snprintf(key, sizeof key, "syscalls[%zu]", idx);
	if (!is(rule, json_type_object))
		return bad(p, key, "expected an object");
	bool use;
	if (rule_applies(p, rule, key, &use) || !use)
		return use ? -1 : 0;
	json_object *names = NULL, *name = NULL, *action = NULL, *ret = NULL, *args = NULL;
	json_object_object_get_ex(rule, "names", &names);
	json_object_object_get_ex(rule, "name", &name);
	json_object_object_get_ex(rule, "action", &action);
	json_object_object_get_ex(rule, "errnoRet", &ret);
	json_object_object_get_ex(rule, "args", &args);
	char k[128];
	uint32_t act;
	snprintf(k, sizeof k, "%s.action", key);
	if (parse_action(p, action, ret, k, EPERM, &act))
		return -1;
	struct scmp_arg_cmp c[6];
	unsigned n = 0, seen = 0;
	bool split = false;
	if (args && !is(args, json_type_null)) {
		if (!is(args, json_type_array) || json_object_array_length(args) > 6)
			return bad(p, key, "args: expected an array of at most 6 conditions");
		for (size_t i = 0; i < json_object_array_length(args); i++, n++) {
			snprintf(k, sizeof k, "%s.args[%zu]", key, i);
			if (parse_arg(p, json_object_array_get_idx(args, i), k, &c[n]))
				return -1;
			split |= (seen >> c[n].arg) & 1;
			seen |= 1u << c[n].arg;
		}
	}
	size_t nn;
	snprintf(k, sizeof k, "%s.names", key);
	if (string_array(p, names, k, &nn))
		return -1;
	if (!nn && !is(name, json_type_string))
		return bad(p, key, "no \"names\"");
	for (size_t i = 0; i < nn; i++)
		if (add_rule(p, elem(names, i), act, c, n, split, key))
			return -1;
	return nn ? 0 : add_rule(p, json_object_get_string(name), act, c, n, split, key);
}

static int parse_flags(struct profile *p, json_object *root, unsigned *flags)
{
	json_object *o = NULL;
	size_t n;
	*flags = 0;
	if (!json_object_object_get_ex(root, "flags", &o) || string_array(p, o, "flags", &n))
		return o ? -1 : 0;
	for (size_t i = 0; i < n; i++) {
		const char *f = elem(o, i);
		if (!strcmp(f, "SECCOMP_FILTER_FLAG_LOG"))
			*flags |= SECCOMP_FILTER_FLAG_LOG;
		else if (!strcmp(f, "SECCOMP_FILTER_FLAG_SPEC_ALLOW"))
			*flags |= SECCOMP_FILTER_FLAG_SPEC_ALLOW;
		else if (strcmp(f, "SECCOMP_FILTER_FLAG_TSYNC")) /* one thread: nothing to do */
			return bad(p, "flags", "unknown flag '%s'", f);
	}
	return 0;
}

static int parse_profile(struct profile *p, json_object *root, unsigned *flags)
{
	json_object *da = NULL, *der = NULL, *sys = NULL, *lp = NULL;
	int dflt_errno;
	if (!is(root, json_type_object))
		return bad(p, "(top level)", "expected a JSON object");
	json_object_object_get_ex(root, "defaultAction", &da);
	json_object_object_get_ex(root, "defaultErrnoRet", &der);
	if (errno_value(p, der, "defaultErrnoRet", EPERM, &dflt_errno) ||
	    parse_action(p, da, der, "defaultAction", EPERM, &p->default_action))
		return -1;
	if (json_object_object_get_ex(root, "listenerPath", &lp) && is(lp, json_type_string) &&
	    json_object_get_string_len(lp))
		return bad(p, "listenerPath", "seccomp notification is not supported by husk");
	if (!(p->ctx = seccomp_init(p->default_action)))
		return bad(p, "defaultAction", "libseccomp refused it");
	if (parse_arches(p, root) || parse_flags(p, root, flags))
		return -1;
	if (!json_object_object_get_ex(root, "syscalls", &sys) || is(sys, json_type_null))
		return 0;
	if (!is(sys, json_type_array))
		return bad(p, "syscalls", "expected an array");
	for (size_t i = 0; i < json_object_array_length(sys); i++)
		if (parse_syscall(p, json_object_array_get_idx(sys, i), i))
			return -1;
	return 0;
}

static int profile_from(struct profile *p, json_object *root, scmp_filter_ctx *ctx,
			unsigned *flags)
{
	if (parse_profile(p, root, flags)) {
		if (p->ctx)
			seccomp_release(p->ctx);
		return -1;
	}
	*ctx = p->ctx;
	return 0;
}

int seccomp_json_profile_text(const char *text, const char *name, uint64_t caps,
			      scmp_filter_ctx *ctx, unsigned *flags, struct husk_err *err)
{
	struct profile p = { .path = name, .caps = caps, .err = err };
	cleanup_json json_object *root = parse_text(&p, text, strlen(text));
	return root ? profile_from(&p, root, ctx, flags) : -1;
}

int seccomp_json_profile(const char *path, uint64_t caps, scmp_filter_ctx *ctx,
			 unsigned *flags, struct husk_err *err)
{
	struct profile p = { .path = path, .caps = caps, .err = err };
	cleanup_json json_object *root = read_profile(&p);
	if (!root)
		return -1;
	if (parse_profile(&p, root, flags)) {
		if (p.ctx)
			seccomp_release(p.ctx);
		return -1;
	}
	*ctx = p.ctx;
	return 0;
}
