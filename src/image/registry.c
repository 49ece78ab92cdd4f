#include "image/registry.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "image/json_util.h"
#include "image/libs.h"
#include "util/cleanup.h"
#include "util/path.h"

#define MAX_DOC (16 << 20)

struct membuf {
	char *p;
	size_t n;
	int too_big;
};

static size_t mem_write(char *ptr, size_t size, size_t nm, void *arg)
{
	struct membuf *b = arg;
	size_t n = size * nm;
	if (b->n + n > MAX_DOC) {
		b->too_big = 1;
		return 0;
	}
	char *p = realloc(b->p, b->n + n + 1);
	if (!p)
		return 0;
	memcpy(p + b->n, ptr, n);
	b->p = p;
	b->n += n;
	p[b->n] = '\0';
	return n;
}

/* the WWW-Authenticate header of a 401 */
struct headers {
	char www_auth[1024];
	char content_type[128];
};

static size_t header_cb(char *ptr, size_t size, size_t nm, void *arg)
{
	struct headers *h = arg;
	size_t n = size * nm;
	char line[1100];
	snprintf(line, sizeof line, "%.*s", (int)(n < sizeof line - 1 ? n : sizeof line - 1), ptr);
	line[strcspn(line, "\r\n")] = '\0';
	if (!strncasecmp(line, "www-authenticate:", 17))
		snprintf(h->www_auth, sizeof h->www_auth, "%s", line + 17 + strspn(line + 17, " "));
	else if (!strncasecmp(line, "content-type:", 13))
		snprintf(h->content_type, sizeof h->content_type, "%s", line + 13 + strspn(line + 13, " "));
	return n;
}

static void quoted(const char *h, const char *key, char *out, size_t len)
{
	out[0] = '\0';
	size_t kl = strlen(key);
	for (const char *p = h; (p = strcasestr(p, key)); p += kl) {
		if (p != h && p[-1] != ' ' && p[-1] != ',')
			continue;
		if (p[kl] != '=' || p[kl + 1] != '"')
			continue;
		const char *v = p + kl + 2, *e = strchr(v, '"');
		if (!e)
			return;
		snprintf(out, len, "%.*s", (int)(e - v), v);
		return;
	}
}

int www_authenticate_parse(const char *header, char *url, size_t len)
{
	if (strncasecmp(header, "Bearer ", 7))
		return -1;
	char realm[512], service[256], scope[512];
	quoted(header, "realm", realm, sizeof realm);
	quoted(header, "service", service, sizeof service);
	quoted(header, "scope", scope, sizeof scope);
	if (!realm[0] || (strncmp(realm, "https://", 8) && strncmp(realm, "http://", 7)))
		return -1;
	int n = snprintf(url, len, "%s%s%s%s%s%s", realm, service[0] || scope[0] ? "?" : "",
			 service[0] ? "service=" : "", service,
			 scope[0] ? (service[0] ? "&scope=" : "scope=") : "", scope);
	return n < 0 || (size_t)n >= len ? -1 : 0;
}

int registry_open(struct registry *r, const char *host, const char *repository, bool plain_http,
		  bool insecure, struct husk_err *err)
{
	memset(r, 0, sizeof *r);
	if (libs_need(HUSK_LIB_CURL, err))
		return -1;
	static int inited;
	if (!inited++ && curl_global_init(CURL_GLOBAL_DEFAULT))
		return husk_error(err, 0, "libcurl: initialisation failed");
	snprintf(r->base, sizeof r->base, "%s://%s", plain_http ? "http" : "https", host);
	snprintf(r->repository, sizeof r->repository, "%s", repository);
	r->insecure = insecure;
	if (!(r->curl = curl_easy_init()))
		return husk_error(err, ENOMEM, "libcurl");
	return 0;
}

void registry_close(struct registry *r)
{
	if (r->curl)
		curl_easy_cleanup(r->curl);
	free(r->token);
	r->curl = NULL;
	r->token = NULL;
}

static struct curl_slist *auth_headers(struct registry *r, const char *accept)
{
	struct curl_slist *l = NULL;
	char h[4200];
	if (accept) {
		snprintf(h, sizeof h, "Accept: %s", accept);
		l = curl_slist_append(l, h);
	}
	if (r->token) {
		snprintf(h, sizeof h, "Authorization: Bearer %.4000s", r->token);
		l = curl_slist_append(l, h);
	}
	return l;
}

static void setup(struct registry *r, const char *url, struct curl_slist *hdrs, struct headers *h)
{
	CURL *c = r->curl;
	curl_easy_reset(c);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
	curl_easy_setopt(c, CURLOPT_MAXREDIRS, 10L);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "husk/" HUSK_VERSION);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, header_cb);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, h);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 30L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	if (r->insecure) {
		curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
	}
}

/* one GET into memory; returns the HTTP status, or -1 */
static long get_once(struct registry *r, const char *url, const char *accept, struct membuf *b,
		     struct headers *h, struct husk_err *err)
{
	struct curl_slist *hdrs = auth_headers(r, accept);
	setup(r, url, hdrs, h);
	curl_easy_setopt(r->curl, CURLOPT_WRITEFUNCTION, mem_write);
	curl_easy_setopt(r->curl, CURLOPT_WRITEDATA, b);
	CURLcode rc = curl_easy_perform(r->curl);
	curl_slist_free_all(hdrs);
	long status = 0;
	curl_easy_getinfo(r->curl, CURLINFO_RESPONSE_CODE, &status);
	if (rc != CURLE_OK) {
		husk_error(err, 0, "GET %s: %s", url, b->too_big ? "response too large" :
			   curl_easy_strerror(rc));
		err->errnum = (int)rc;
		return -1;
	}
	return status;
}

static int fetch_token(struct registry *r, const char *www_auth, struct husk_err *err)
{
	char url[2048];
	if (www_authenticate_parse(www_auth, url, sizeof url))
		return husk_error(err, 0, "%s: unsupported authentication '%s'", r->base, www_auth);
	free(r->token);
	r->token = NULL;
	struct membuf b = { 0 };
	struct headers h = { 0 };
	long st = get_once(r, url, NULL, &b, &h, err);
	cleanup_free char *body = b.p;
	if (st < 0)
		return -1;
	if (st != 200)
		return husk_error(err, 0, "token from %s: HTTP %ld (anonymous pull refused?)", url, st);
	struct husk_err e2 = { 0 };
	json_object *o = body ? json_parse_buf(body, b.n, "token", &e2) : NULL;
	const char *t = json_str(o, "token") ?: json_str(o, "access_token");
	if (t)
		r->token = strdup(t);
	json_object_put(o);
	return r->token ? 0 : husk_error(err, 0, "token from %s: no token in the answer", url);
}

/* https failed at the TLS layer with --insecure: the registry speaks plain http */
static bool fall_back_to_http(struct registry *r, struct husk_err *err)
{
	if (!r->insecure || strncmp(r->base, "https://", 8))
		return false;
	int rc = err->errnum;
	if (rc != CURLE_SSL_CONNECT_ERROR && rc != CURLE_RECV_ERROR && rc != CURLE_SEND_ERROR)
		return false;
	char host[sizeof r->base];
	snprintf(host, sizeof host, "%s", r->base + 8);
	/* "http://" is shorter than the "https://" it replaces: it fits */
	if (!path_fits(r->base, sizeof r->base, "http://%s", host))
		return false;
	memset(err, 0, sizeof *err);
	return true;
}

char *registry_get(struct registry *r, const char *kind, const char *ref, const char *accept,
		   size_t *len, char **content_type, struct husk_err *err)
{
	for (int attempt = 0; attempt < 3; attempt++) {
		char url[1024];
		snprintf(url, sizeof url, "%s/v2/%s/%s/%s", r->base, r->repository, kind, ref);
		struct membuf b = { 0 };
		struct headers h = { 0 };
		long st = get_once(r, url, accept, &b, &h, err);
		if (st < 0 && fall_back_to_http(r, err))
			continue;
		if (st == 401 && h.www_auth[0] && !r->token) {
			free(b.p);
			if (fetch_token(r, h.www_auth, err))
				return NULL;
			continue;
		}
		if (st != 200) {
			free(b.p);
			if (st > 0)
				husk_error(err, 0, "GET %s: HTTP %ld%s", url, st, st == 404 ? " (no such image or tag)" : "");
			return NULL;
		}
		*len = b.n;
		if (content_type)
			*content_type = strdup(h.content_type);
		if (!b.p)
			b.p = calloc(1, 1);
		return b.p;
	}
	husk_error(err, 0, "GET %s/v2/%s/%s/%s: authentication failed", r->base, r->repository, kind, ref);
	return NULL;
}
