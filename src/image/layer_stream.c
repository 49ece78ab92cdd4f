#include "image/layer_stream.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "image/inflate.h"
#include "image/libs.h"

#define SLOTS 8
#define SLOT_SIZE (128 * 1024)

struct slot {
	ssize_t len; /* > 0 bytes, 0 the end, -1 an error (ls->perr) */
	char data[SLOT_SIZE];
};

struct layer_stream {
	/* the producer's (the thread's; before it starts, open's) */
	layer_read_fn fn;
	void *arg;
	struct sha256 blob;
	struct archive *outer; /* libarchive's filters, "raw" format; NULL with gz */
	struct gz *gz;
	const void *first; /* the chunk read to tell gzip, still to be given to outer */
	ssize_t first_len;
	const uint8_t *in; /* gz: input not inflated yet */
	size_t in_len;
	bool in_end, out_end;
	struct husk_err perr;
	/* the reader's */
	struct sha256 diff;
	bool plain; /* no compression: the diff_id is the blob digest, hashed once */
	bool holding; /* the reader holds slot[tail % SLOTS] */
	bool ended;
	ssize_t end_len; /* once ended: 0, or -1 for an error */
	/* shared, under mu */
	pthread_mutex_t mu;
	pthread_cond_t cv;
	unsigned head, tail; /* slots filled, slots given back */
	bool stop, started;
	pthread_t thread;
	struct slot slot[SLOTS];
};

static ssize_t outer_read(struct archive *a, void *arg, const void **buf)
{
	(void)a;
	struct layer_stream *ls = arg;
	if (ls->first) { /* hashed when it was read */
		*buf = ls->first;
		ls->first = NULL;
		return ls->first_len;
	}
	ssize_t n = ls->fn(ls->arg, buf);
	if (n > 0)
		sha256_update(&ls->blob, *buf, (size_t)n);
	return n;
}

/* the next chunk of the input into ls->in (gz) */
static int gz_input(struct layer_stream *ls)
{
	const void *b;
	ssize_t n = ls->fn(ls->arg, &b);
	if (n < 0)
		return husk_error(&ls->perr, errno, "reading the layer");
	if (n == 0)
		ls->in_end = true;
	else
		sha256_update(&ls->blob, b, (size_t)n);
	ls->in = b;
	ls->in_len = (size_t)n;
	return 0;
}

/* up to cap bytes of the tar into out: the length, 0 at the end, -1 (ls->perr) */
static ssize_t produce(struct layer_stream *ls, char *out, size_t cap)
{
	if (ls->out_end)
		return 0;
	if (!ls->gz) {
		la_ssize_t n = archive_read_data(ls->outer, out, cap);
		if (n < 0)
			return husk_error(&ls->perr, 0, "reading the layer: %s",
					  archive_error_string(ls->outer));
		ls->out_end = n == 0;
		return n;
	}
	for (;;) {
		if (ls->in_len == 0 && !ls->in_end && gz_input(ls))
			return -1;
		bool done;
		ssize_t n = gz_inflate(ls->gz, &ls->in, &ls->in_len, ls->in_end, (uint8_t *)out,
				       cap, &done, &ls->perr);
		if (n < 0)
			return -1;
		ls->out_end = done;
		if (n > 0 || done)
			return n;
	}
}

/* the input after the end of the compressed stream: hashed into the blob digest */
static int rest(struct layer_stream *ls)
{
	const void *buf;
	ssize_t n;
	if (ls->gz) {
		while (!ls->in_end)
			if (gz_input(ls))
				return -1;
		return 0;
	}
	while ((n = ls->fn(ls->arg, &buf)) > 0)
		sha256_update(&ls->blob, buf, (size_t)n);
	return n < 0 ? husk_error(&ls->perr, errno, "reading the layer") : 0;
}

static void *producer(void *arg)
{
	struct layer_stream *ls = arg;
	for (;;) {
		pthread_mutex_lock(&ls->mu);
		while (ls->head - ls->tail == SLOTS && !ls->stop)
			pthread_cond_wait(&ls->cv, &ls->mu);
		bool stop = ls->stop;
		pthread_mutex_unlock(&ls->mu);
		if (stop)
			return NULL;
		struct slot *s = &ls->slot[ls->head % SLOTS];
		s->len = produce(ls, s->data, sizeof s->data);
		if (s->len == 0 && rest(ls))
			s->len = -1;
		pthread_mutex_lock(&ls->mu);
		ls->head++;
		pthread_cond_broadcast(&ls->cv);
		pthread_mutex_unlock(&ls->mu);
		if (s->len <= 0)
			return NULL;
	}
}

/* the outer stage: gzip to ISA-L, anything else to libarchive's filters */
static int open_outer(struct layer_stream *ls, struct husk_err *err)
{
	struct archive_entry *e;
	ssize_t n = ls->fn(ls->arg, &ls->first);
	if (n < 0)
		return husk_error(err, errno, "reading the layer");
	if (n > 0)
		sha256_update(&ls->blob, ls->first, (size_t)n);
	const uint8_t *magic = ls->first;
	if (n >= 2 && magic[0] == 0x1f && magic[1] == 0x8b && (ls->gz = gz_new())) {
		ls->in = ls->first;
		ls->in_len = (size_t)n;
		ls->first = NULL;
		return 0;
	}
	ls->first_len = n;
	if (n == 0) /* the end already: outer_read is not to read again */
		ls->first = "";
	if (!(ls->outer = archive_read_new()))
		return husk_error(err, ENOMEM, "libarchive");
	archive_read_support_filter_all(ls->outer);
	archive_read_support_format_raw(ls->outer);
	if (archive_read_open(ls->outer, ls, NULL, outer_read, NULL) != ARCHIVE_OK ||
	    archive_read_next_header(ls->outer, &e) != ARCHIVE_OK)
		return husk_error(err, 0, "reading the layer: %s", archive_error_string(ls->outer));
	ls->plain = archive_filter_count(ls->outer) == 1 &&
		    archive_filter_code(ls->outer, 0) == ARCHIVE_FILTER_NONE;
	return 0;
}

struct layer_stream *layer_stream_open(layer_read_fn fn, void *arg, struct husk_err *err)
{
	if (libs_need(HUSK_LIB_ARCHIVE, err))
		return NULL;
	struct layer_stream *ls = calloc(1, sizeof *ls); /* 1 MiB of slots */
	if (!ls) {
		husk_error(err, ENOMEM, "unpacking a layer");
		return NULL;
	}
	ls->fn = fn;
	ls->arg = arg;
	pthread_mutex_init(&ls->mu, NULL);
	pthread_cond_init(&ls->cv, NULL);
	if (sha256_init(&ls->blob) || sha256_init(&ls->diff)) {
		husk_error(err, ENOMEM, "sha256");
		goto fail;
	}
	if (open_outer(ls, err))
		goto fail;
	int r = pthread_create(&ls->thread, NULL, producer, ls);
	if (r) {
		husk_error(err, r, "starting the layer's reader thread");
		goto fail;
	}
	ls->started = true;
	return ls;
fail:
	layer_stream_close(ls);
	return NULL;
}

ssize_t layer_stream_read(struct layer_stream *ls, const void **buf)
{
	if (ls->ended)
		return ls->end_len;
	pthread_mutex_lock(&ls->mu);
	if (ls->holding) {
		ls->tail++;
		ls->holding = false;
		pthread_cond_broadcast(&ls->cv);
	}
	while (ls->head == ls->tail)
		pthread_cond_wait(&ls->cv, &ls->mu);
	pthread_mutex_unlock(&ls->mu);
	struct slot *s = &ls->slot[ls->tail % SLOTS];
	ls->holding = true;
	if (s->len <= 0) {
		ls->ended = true; /* the thread has ended */
		ls->end_len = s->len;
		return s->len;
	}
	if (!ls->plain)
		sha256_update(&ls->diff, s->data, (size_t)s->len);
	*buf = s->data;
	return s->len;
}

void layer_stream_error(struct layer_stream *ls, struct husk_err *err)
{
	if (ls->ended && ls->perr.set && !err->set)
		*err = ls->perr;
}

int layer_stream_finish(struct layer_stream *ls, char blob[DIGEST_STR_LEN],
			char diff[DIGEST_STR_LEN], struct husk_err *err)
{
	const void *buf;
	ssize_t n;
	while ((n = layer_stream_read(ls, &buf)) > 0)
		;
	if (n < 0) {
		layer_stream_error(ls, err);
		return -1;
	}
	pthread_join(ls->thread, NULL);
	ls->started = false;
	sha256_final(&ls->blob, blob);
	if (ls->plain)
		memcpy(diff, blob, DIGEST_STR_LEN);
	else
		sha256_final(&ls->diff, diff);
	return 0;
}

void layer_stream_close(struct layer_stream *ls)
{
	if (!ls)
		return;
	if (ls->started) {
		pthread_mutex_lock(&ls->mu);
		ls->stop = true;
		pthread_cond_broadcast(&ls->cv);
		pthread_mutex_unlock(&ls->mu);
		pthread_join(ls->thread, NULL);
	}
	sha256_discard(&ls->blob);
	sha256_discard(&ls->diff);
	if (ls->outer)
		archive_read_free(ls->outer);
	gz_free(ls->gz);
	pthread_mutex_destroy(&ls->mu);
	pthread_cond_destroy(&ls->cv);
	free(ls);
}
