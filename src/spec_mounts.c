/* -v and --tmpfs as users write them, into the spec's mount types (spec_mounts.h). */
#include "spec_mounts.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "util/parse.h"

int parse_volume(const char *s, struct volume *v, struct husk_err *err)
{
	memset(v, 0, sizeof *v);
	char *copy = strdup(s);
	if (!copy)
		return husk_error(err, errno, "invalid --volume '%s'", s);
	char *host = copy, *ctr = strchr(copy, ':');
	char *opt = ctr ? strchr(ctr + 1, ':') : NULL;
	if (!ctr) {
		free(copy);
		return husk_error(err, 0, "invalid --volume '%s': expected HOST:CONTAINER[:ro]", s);
	}
	*ctr++ = '\0';
	if (opt)
		*opt++ = '\0';
	if (host[0] != '/' || ctr[0] != '/') {
		free(copy);
		return husk_error(err, 0, "invalid --volume '%s': both paths must be absolute", s);
	}
	if (opt && strcmp(opt, "ro") && strcmp(opt, "rw")) {
		husk_error(err, 0, "invalid --volume '%s': unknown option '%s' (ro or rw)", s, opt);
		free(copy);
		return -1;
	}
	v->readonly = opt && !strcmp(opt, "ro");
	v->host = strdup(host);
	v->ctr = strdup(ctr);
	free(copy);
	if (!v->host || !v->ctr)
		return husk_error(err, ENOMEM, "invalid --volume '%s'", s);
	return 0;
}

/* size=, mode= of --tmpfs s (list is its part after the colon) */
static int tmpfs_options(const char *list, const char *s, struct tmpfs_mount *t,
			 struct husk_err *err)
{
	char opts[256];
	if (strlen(list) >= sizeof opts)
		return husk_error(err, 0, "invalid --tmpfs '%s': options too long", s);
	strcpy(opts, list);
	char *save = NULL;
	for (char *o = strtok_r(opts, ",", &save); o; o = strtok_r(NULL, ",", &save)) {
		int64_t v;
		if (!strncmp(o, "size=", 5)) {
			if (parse_size(o + 5, &v) || v == 0)
				return husk_error(err, 0, "invalid --tmpfs '%s': bad size '%s'", s, o + 5);
			t->size = v;
		} else if (!strncmp(o, "mode=", 5)) {
			char *end;
			errno = 0;
			unsigned long m = strtoul(o + 5, &end, 8);
			if (errno || *end || !o[5] || m > 07777)
				return husk_error(err, 0, "invalid --tmpfs '%s': bad mode '%s'", s, o + 5);
			t->mode = (unsigned)m;
		} else {
			return husk_error(err, 0, "invalid --tmpfs '%s': unknown option '%s' (size=, mode=)", s, o);
		}
	}
	return 0;
}

int parse_tmpfs(const char *s, struct tmpfs_mount *t, struct husk_err *err)
{
	memset(t, 0, sizeof *t);
	t->mode = 01777;
	const char *colon = strchr(s, ':');
	size_t plen = colon ? (size_t)(colon - s) : strlen(s);
	if (plen == 0 || s[0] != '/')
		return husk_error(err, 0, "invalid --tmpfs '%s': the path must be absolute", s);
	t->ctr = strndup(s, plen);
	if (!t->ctr)
		return husk_error(err, ENOMEM, "invalid --tmpfs '%s'", s);
	if (!colon || tmpfs_options(colon + 1, s, t, err) == 0)
		return 0;
	free(t->ctr); /* a refused value leaves nothing allocated, as parse_volume's */
	t->ctr = NULL;
	return -1;
}
