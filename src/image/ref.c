#include "image/ref.h"

#include <stdio.h>
#include <string.h>

int ref_has_tag(const char *s)
{
	const char *slash = strrchr(s, '/');
	const char *last = slash ? slash + 1 : s;
	return strchr(last, ':') || strchr(s, '@');
}

int ref_with_tag(const char *s, char *out, size_t len)
{
	int n = snprintf(out, len, ref_has_tag(s) ? "%s" : "%s:latest", s);
	return n < 0 || (size_t)n >= len ? -1 : 0;
}

static int valid_component(const char *s, size_t n)
{
	if (!n)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
		      c == '-'))
			return 0;
	}
	return 1;
}

static int valid_repository(const char *s)
{
	if (!*s)
		return 0; /* "registry.io/" names no repository */
	while (*s) {
		size_t n = strcspn(s, "/");
		if (!valid_component(s, n))
			return 0;
		s += n;
		if (*s == '/' && !*++s)
			return 0;
	}
	return 1;
}

/* host[:port] or [IPv6][:port]: nothing else may go into a registry's URL */
static int valid_registry(const char *s)
{
	static const char host[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-";
	size_t n;
	if (s[0] == '[') {
		n = 1 + strspn(s + 1, "0123456789abcdefABCDEF:.");
		if (n == 1 || s[n] != ']')
			return 0;
		n++;
	} else {
		n = strspn(s, host);
	}
	if (n == 0)
		return 0;
	if (s[n] == ':')
		n += 1 + strspn(s + n + 1, "0123456789");
	return s[n] == '\0' && s[n - 1] != ':';
}

/* splits off @DIGEST and :TAG from name (in place) */
static int split_tag(char *name, struct image_ref *r, const char **why)
{
	char *at = strchr(name, '@');
	if (at) {
		*at = '\0';
		if (!digest_valid(at + 1)) {
			*why = "the digest is not sha256:<64 hex digits>";
			return -1;
		}
		snprintf(r->digest, sizeof r->digest, "%s", at + 1);
	}
	char *slash = strrchr(name, '/');
	char *colon = strrchr(slash ? slash : name, ':');
	if (colon) {
		*colon = '\0';
		size_t n = strlen(colon + 1);
		if (!n || n >= sizeof r->tag || strspn(colon + 1, "abcdefghijklmnopqrstuvwxyz"
				"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") != n) {
			*why = "bad tag";
			return -1;
		}
		memcpy(r->tag, colon + 1, n + 1);
	} else if (!at) {
		snprintf(r->tag, sizeof r->tag, "latest");
	}
	return 0;
}

int ref_parse(const char *s, struct image_ref *r, const char **why)
{
	char buf[512];
	memset(r, 0, sizeof *r);
	if (!s || !s[0] || strlen(s) >= sizeof buf) {
		*why = "empty or too long";
		return -1;
	}
	snprintf(buf, sizeof buf, "%s", s);
	if (split_tag(buf, r, why))
		return -1;
	char *name = buf;
	char *slash = strchr(name, '/');
	/* a first component with '.', ':' or "localhost" names a registry (docker's rule) */
	if (slash && (memchr(name, '.', (size_t)(slash - name)) ||
		      memchr(name, ':', (size_t)(slash - name)) ||
		      !strncmp(name, "localhost/", 10))) {
		*slash = '\0';
		if (strlen(name) >= sizeof r->registry) {
			*why = "registry name too long";
			return -1;
		}
		if (!valid_registry(name)) {
			*why = "bad registry name (letters, digits, '.', '-', ':PORT', [IPv6])";
			return -1;
		}
		snprintf(r->registry, sizeof r->registry, "%s", name);
		name = slash + 1;
	} else {
		snprintf(r->registry, sizeof r->registry, DOCKER_HUB);
	}
	if (!strcmp(r->registry, "docker.io") || !strcmp(r->registry, "index.docker.io"))
		snprintf(r->registry, sizeof r->registry, DOCKER_HUB);
	if (!valid_repository(name)) {
		*why = "bad repository name (lower-case letters, digits, '.', '_', '-', '/')";
		return -1;
	}
	int n = snprintf(r->repository, sizeof r->repository, "%s%s",
			 !strcmp(r->registry, DOCKER_HUB) && !strchr(name, '/') ? "library/" : "", name);
	if (n < 0 || (size_t)n >= sizeof r->repository) {
		*why = "repository name too long";
		return -1;
	}
	return 0;
}
