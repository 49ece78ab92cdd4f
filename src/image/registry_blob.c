/* A registry blob as a pull stream: libcurl's multi interface is driven from the
 * reader, so a layer is unpacked while it downloads, with no temporary file. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "image/libs.h"
#include "image/registry.h"

struct blob_stream {
	struct registry *r;
	CURLM *multi;
	struct curl_slist *hdrs;
	char url[1024];
	char *buf;
	size_t len, cap;
	long long received;
	int done;
	long status;
	CURLcode result;
};

static size_t blob_write(char *ptr, size_t size, size_t nm, void *arg)
{
	struct blob_stream *s = arg;
	size_t n = size * nm;
	if (!s->status)
		curl_easy_getinfo(s->r->curl, CURLINFO_RESPONSE_CODE, &s->status);
	if (s->status != 200)
		return 0; /* an error page is no layer */
	if (s->len + n > s->cap) {
		size_t cap = (s->len + n) * 2;
		char *p = realloc(s->buf, cap);
		if (!p)
			return 0;
		s->buf = p;
		s->cap = cap;
	}
	memcpy(s->buf + s->len, ptr, n);
	s->len += n;
	s->received += (long long)n;
	return n;
}

struct blob_stream *registry_blob_open(struct registry *r, const char *digest, struct husk_err *err)
{
	struct blob_stream *s = calloc(1, sizeof *s);
	if (!s || !(s->multi = curl_multi_init())) {
		free(s);
		husk_error(err, ENOMEM, "libcurl");
		return NULL;
	}
	s->r = r;
	snprintf(s->url, sizeof s->url, "%s/v2/%s/blobs/%s", r->base, r->repository, digest);
	CURL *c = r->curl;
	curl_easy_reset(c);
	if (r->token) {
		char h[4200];
		snprintf(h, sizeof h, "Authorization: Bearer %.4000s", r->token);
		s->hdrs = curl_slist_append(NULL, h);
	}
	curl_easy_setopt(c, CURLOPT_URL, s->url);
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
	curl_easy_setopt(c, CURLOPT_MAXREDIRS, 10L);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "husk/" HUSK_VERSION);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, s->hdrs);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, blob_write);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, s);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 30L);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_BUFFERSIZE, 512L * 1024);
	if (r->insecure) {
		curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
	}
	curl_multi_add_handle(s->multi, c);
	return s;
}

ssize_t registry_blob_read(void *arg, const void **buf)
{
	struct blob_stream *s = arg;
	s->len = 0;
	while (!s->len && !s->done) {
		int running = 0;
		if (curl_multi_perform(s->multi, &running) != CURLM_OK) {
			s->done = 1;
			s->result = CURLE_RECV_ERROR;
			break;
		}
		if (!running) {
			int left;
			CURLMsg *m = curl_multi_info_read(s->multi, &left);
			s->result = m && m->msg == CURLMSG_DONE ? m->data.result : CURLE_OK;
			s->done = 1;
			break;
		}
		if (!s->len)
			curl_multi_poll(s->multi, NULL, 0, 1000, NULL);
	}
	*buf = s->buf;
	if (s->len)
		return (ssize_t)s->len;
	if (s->result != CURLE_OK || (s->status && s->status != 200)) {
		errno = EIO;
		return -1;
	}
	return 0;
}

long long registry_blob_received(const struct blob_stream *s)
{
	return s->received;
}

int registry_blob_close(struct blob_stream *s, struct husk_err *err)
{
	int r = 0;
	if (!s->status)
		curl_easy_getinfo(s->r->curl, CURLINFO_RESPONSE_CODE, &s->status);
	if (s->status != 200)
		r = husk_error(err, 0, "GET %s: HTTP %ld", s->url, s->status);
	else if (!s->done || s->result != CURLE_OK)
		r = husk_error(err, 0, "GET %s: %s", s->url, s->done ?
			       curl_easy_strerror(s->result) : "not read to the end");
	curl_multi_remove_handle(s->multi, s->r->curl);
	curl_multi_cleanup(s->multi);
	curl_slist_free_all(s->hdrs);
	free(s->buf);
	free(s);
	return r;
}
