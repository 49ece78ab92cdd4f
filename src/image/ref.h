/* Image references: NAME[:TAG|@DIGEST], [REGISTRY/]REPO... Pure (a fuzz target:
 * ref_parse). */
#pragma once
#include <stddef.h>

#include "image/digest.h"

#define DOCKER_HUB "registry-1.docker.io"

struct image_ref {
	char registry[256];   /* host[:port]; DOCKER_HUB when the name has none */
	char repository[256]; /* library/busybox on Docker Hub */
	char tag[128];        /* "latest" when neither tag nor digest is given */
	char digest[DIGEST_STR_LEN];
};

/* 0, or -1 with *why set. */
int ref_parse(const char *s, struct image_ref *r, const char **why);
/* NAME[:TAG] -> NAME:TAG ("latest" by default; a NAME@DIGEST is kept). 0, or -1 if
 * it does not fit in len. */
int ref_with_tag(const char *s, char *out, size_t len);
/* Does the last path component of s carry a :TAG or @DIGEST? */
int ref_has_tag(const char *s);
