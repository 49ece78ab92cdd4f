#include "spec.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "util/input_limits.h"

void spec_init(struct husk_spec *s)
{
	memset(s, 0, sizeof *s);
	snprintf(s->state_root, sizeof s->state_root, "%s", HUSK_DEFAULT_STATE_ROOT);
	s->stop_timeout = 10;
	s->net = NET_BRIDGE;
}

static void free_strv(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

void spec_free(struct husk_spec *s)
{
	free(s->rootfs);
	for (size_t i = 0; i < s->n_volumes; i++) {
		free(s->volumes[i].host);
		free(s->volumes[i].ctr);
	}
	free(s->volumes);
	for (size_t i = 0; i < s->n_tmpfs; i++)
		free(s->tmpfs[i].ctr);
	free(s->tmpfs);
	if (s->argv_owned)
		for (size_t i = 0; s->argv && s->argv[i]; i++)
			free(s->argv[i]);
	free(s->argv); /* points into the caller's argv, unless argv_owned */
	free_strv(s->lower, s->n_lower);
	free(s->image);
	free(s->image_id);
	free(s->layer_root);
	free_strv(s->env, s->n_env);
	free(s->workdir);
	free(s->user);
	free(s->log_file);
	free(s->ports);
	free(s->sec.seccomp_profile);
	free_strv(s->sec.cap_add, s->sec.n_cap_add);
	free_strv(s->sec.cap_drop, s->sec.n_cap_drop);
	spec_oci_free(&s->oci);
	memset(s, 0, sizeof *s);
}

const char *spec_getenv(const struct husk_spec *s, const char *key)
{
	size_t klen = strlen(key);
	for (size_t i = 0; i < s->n_env; i++)
		if (!strncmp(s->env[i], key, klen) && s->env[i][klen] == '=')
			return s->env[i] + klen + 1;
	return NULL;
}

int spec_setenv(struct husk_spec *s, const char *kv, struct husk_err *err)
{
	const char *eq = strchr(kv, '=');
	if (!eq || !valid_env_name(kv, (size_t)(eq - kv)))
		return husk_error(err, 0, "invalid environment variable '%s': expected KEY=VALUE", kv);
	char *copy = strdup(kv);
	if (!copy)
		return husk_error(err, ENOMEM, "environment");
	size_t klen = (size_t)(eq - kv) + 1;
	for (size_t i = 0; i < s->n_env; i++)
		if (!strncmp(s->env[i], kv, klen)) {
			free(s->env[i]);
			s->env[i] = copy;
			return 0;
		}
	char **n = realloc(s->env, (s->n_env + 2) * sizeof *n);
	if (!n) {
		free(copy);
		return husk_error(err, ENOMEM, "environment");
	}
	s->env = n;
	s->env[s->n_env++] = copy;
	s->env[s->n_env] = NULL;
	return 0;
}

/* Adds KEY=VAL unless the user set KEY already. */
static int default_env(struct husk_spec *s, const char *key, const char *val,
		       struct husk_err *err)
{
	if (spec_getenv(s, key))
		return 0;
	char kv[512];
	snprintf(kv, sizeof kv, "%s=%s", key, val);
	return spec_setenv(s, kv, err);
}

/* an overlay root: the lower dirs must exist; the merged dir is in the state dir */
static int validate_overlay(struct husk_spec *s, struct husk_err *err)
{
	struct stat st;
	/* --userns auto: the host idmaps each layer under the overlay; a rootless husk's
	 * layers were unpacked with the container's own ids (linux/userns/rootless_ns.h):
	 * its child mounts the overlay inside its user namespace (linux/fs/overlay.h).
	 * keep-id maps other ids than those the layers were unpacked with */
	if (s->rootless && s->image && s->userns == USERNS_KEEP_ID)
		return husk_error(err, 0, "--userns keep-id with image %s: not supported (its layers "
				  "hold the ids of a namespace where you are uid 0; run without keep-id)",
				  s->image);
	for (size_t i = 0; i < s->n_lower; i++)
		if (stat(s->lower[i], &st) < 0 || !S_ISDIR(st.st_mode))
			return husk_error(err, errno ? errno : ENOTDIR, "%s layer '%s'",
					  s->image ? s->image : "overlay", s->lower[i]);
	free(s->rootfs);
	if (asprintf(&s->rootfs, "%s/%s/rootfs", s->state_root, s->name) < 0) {
		s->rootfs = NULL;
		return husk_error(err, ENOMEM, "rootfs");
	}
	return 0;
}

static int validate_rootfs(struct husk_spec *s, struct husk_err *err)
{
	struct stat st;
	if (s->n_lower)
		return validate_overlay(s, err);
	if (!s->rootfs)
		return husk_error(err, 0, "no ROOTFS given (see husk run --help)");
	if (stat(s->rootfs, &st) < 0)
		return husk_error(err, errno, "rootfs '%s'", s->rootfs);
	if (!S_ISDIR(st.st_mode))
		return husk_error(err, ENOTDIR, "rootfs '%s'", s->rootfs);
	char *real = realpath(s->rootfs, NULL);
	if (!real)
		return husk_error(err, errno, "rootfs '%s'", s->rootfs);
	if (!strcmp(real, "/")) {
		free(real);
		return husk_error(err, 0, "rootfs '%s': the host's / cannot be a container's root", s->rootfs);
	}
	free(s->rootfs);
	s->rootfs = real;
	return 0;
}

static int validate_mounts(struct husk_spec *s, struct husk_err *err)
{
	for (size_t i = 0; i < s->n_volumes; i++) {
		struct volume *v = &s->volumes[i];
		struct stat st;
		if (stat(v->host, &st) < 0)
			return husk_error(err, errno, "invalid --volume '%s:%s': host path '%s'",
					  v->host, v->ctr, v->host);
		if (strstr(v->ctr, "/../") || !strcmp(v->ctr, "/") ||
		    (strlen(v->ctr) >= 3 && !strcmp(v->ctr + strlen(v->ctr) - 3, "/..")))
			return husk_error(err, 0, "invalid --volume '%s:%s': bad container path '%s'",
					  v->host, v->ctr, v->ctr);
	}
	for (size_t i = 0; i < s->n_tmpfs; i++)
		if (strstr(s->tmpfs[i].ctr, "..") || !strcmp(s->tmpfs[i].ctr, "/"))
			return husk_error(err, 0, "invalid --tmpfs '%s': bad container path",
					  s->tmpfs[i].ctr);
	return 0;
}

/* more mounts, variables or arguments than a container takes (util/input_limits.h) */
static int validate_counts(const struct husk_spec *s, struct husk_err *err)
{
	size_t mounts = s->n_volumes + s->n_tmpfs + s->oci.n_mounts, args = 0, bytes = 0;
	if (mounts > HUSK_MAX_MOUNTS)
		return husk_error(err, E2BIG, "too many mounts: %zu (at most %d)", mounts, HUSK_MAX_MOUNTS);
	if (s->n_env > HUSK_MAX_ENV)
		return husk_error(err, E2BIG, "too many environment variables: %zu (at most %d)",
				  s->n_env, HUSK_MAX_ENV);
	for (; s->argv && s->argv[args]; args++)
		bytes += strlen(s->argv[args]) + 1;
	if (args > HUSK_MAX_ARGS)
		return husk_error(err, E2BIG, "too many arguments: %zu (at most %d)", args, HUSK_MAX_ARGS);
	for (size_t i = 0; i < s->n_env; i++)
		bytes += strlen(s->env[i]) + 1;
	if (bytes > HUSK_MAX_EXEC_BYTES)
		return husk_error(err, E2BIG, "the command and its environment take %zu bytes (at most %d)",
				  bytes, HUSK_MAX_EXEC_BYTES);
	return 0;
}

static int validate_network(const struct husk_spec *s, struct husk_err *err)
{
	if (s->n_ports && s->net != NET_BRIDGE && s->net != NET_SLIRP)
		return husk_error(err, 0, "invalid --publish: ports can only be published with "
				  "--network bridge or slirp4netns, not %s", s->net == NET_HOST ? "host" : "none");
	return 0;
}

static int validate_seccomp_opts(const struct husk_security *sec, struct husk_err *err)
{
	const char *profile = sec->seccomp_profile;
	if (profile && sec->seccomp_unconfined)
		return husk_error(err, 0, "invalid --security-opt: seccomp=unconfined and "
				  "seccomp=%s both given", profile);
	if (profile && !profile[0])
		return husk_error(err, 0, "invalid --security-opt 'seccomp=': no profile file given");
	return 0;
}

int spec_validate(struct husk_spec *s, struct husk_err *err)
{
	if (!s->name[0]) {
		unsigned char r[6];
		FILE *f = fopen("/dev/urandom", "re");
		if (!f || fread(r, 1, sizeof r, f) != sizeof r) {
			if (f)
				fclose(f);
			return husk_error(err, errno, "generating a container name");
		}
		fclose(f);
		snprintf(s->name, sizeof s->name, "husk-%02x%02x%02x%02x%02x%02x", r[0], r[1], r[2],
			 r[3], r[4], r[5]);
	}
	if (!valid_name(s->name))
		return husk_error(err, 0, "invalid --name '%s': use [a-zA-Z0-9][a-zA-Z0-9_.-]*, at most 64 bytes",
				  s->name);
	/* a bundle without "hostname" keeps the UTS namespace's, as runc does: a CRI pod's
	 * containers join the sandbox's and must not rename it */
	if (!s->hostname[0] && !s->oci.active)
		snprintf(s->hostname, sizeof s->hostname, "%s", s->name);
	if (s->hostname[0] && !valid_hostname(s->hostname))
		return husk_error(err, 0, "invalid --hostname '%s': use letters, digits, hyphens and dots (RFC 1123), at most 64 bytes",
				  s->hostname);
	if (s->state_root[0] != '/')
		return husk_error(err, 0, "invalid --root '%s': must be an absolute path", s->state_root);
	if (validate_counts(s, err) || validate_rootfs(s, err) || validate_mounts(s, err))
		return -1;
	if (s->workdir && s->workdir[0] != '/')
		return husk_error(err, 0, "invalid --workdir '%s': must be an absolute path", s->workdir);
	char mem[32], swap[32];
	format_size(s->res.memory, mem, sizeof mem);
	format_size(s->res.memory_swap, swap, sizeof swap);
	if (s->res.memory && s->res.memory < 6 * 1024 * 1024)
		return husk_error(err, 0, "invalid --memory '%s': the minimum is 6M", mem);
	if (s->res.memory_swap > 0 && s->res.memory_swap < s->res.memory)
		return husk_error(err, 0, "invalid --memory-swap '%s': must be at least --memory (%s)",
				  swap, mem);
	if (s->res.memory_swap > 0 && !s->res.memory)
		return husk_error(err, 0, "invalid --memory-swap: it needs --memory too");
	if (s->log_file && s->log_file[0] == '\0')
		return husk_error(err, 0, "invalid --log-file '': empty path");
	if (validate_network(s, err) || validate_seccomp_opts(&s->sec, err))
		return -1;

	if (default_env(s, "PATH", HUSK_DEFAULT_PATH, err) ||
	    (!s->oci.active && default_env(s, "HOSTNAME", s->hostname, err)) ||
	    (s->tty && default_env(s, "TERM", "xterm", err)))
		return -1;
	return 0;
}
