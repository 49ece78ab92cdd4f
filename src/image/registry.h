/* A client of the OCI distribution API over libcurl: GET of manifests and blobs
 * with docker's anonymous bearer-token handshake (a 401 with WWW-Authenticate:
 * Bearer realm=...,service=...,scope=... -> GET realm -> {"token": ...} -> retry). */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "util/error.h"

struct registry {
	char base[300];  /* https://host[:port] or http://... */
	char repository[256];
	char *token;     /* bearer token, once one was needed */
	bool insecure;   /* TLS unverified; falls back to plain http */
	void *curl;      /* CURL *, reused: one connection for every request */
};

int registry_open(struct registry *r, const char *host, const char *repository, bool plain_http,
		  bool insecure, struct husk_err *err);
void registry_close(struct registry *r);

/* GET /v2/<repo>/<kind>/<ref> into memory (at most 16 MiB). accept: the Accept
 * header or NULL. *content_type gets the response's type (caller frees). */
char *registry_get(struct registry *r, const char *kind, const char *ref, const char *accept,
		   size_t *len, char **content_type, struct husk_err *err);

/* A blob as a stream (a layer_read_fn over registry_blob_read). */
struct blob_stream;
struct blob_stream *registry_blob_open(struct registry *r, const char *digest, struct husk_err *err);
ssize_t registry_blob_read(void *stream, const void **buf);
/* 0 if the whole blob came with a 200; else -1 with err. Frees the stream. */
int registry_blob_close(struct blob_stream *s, struct husk_err *err);
/* bytes received so far */
long long registry_blob_received(const struct blob_stream *s);

/* WWW-Authenticate: Bearer realm="...",service="...",scope="..." -> the token URL
 * (realm?service=...&scope=...). Pure (a fuzz target). 0, or -1 if not Bearer. */
int www_authenticate_parse(const char *header, char *url, size_t len);
