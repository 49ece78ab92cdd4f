/* The image config (OCI image-spec config / docker's image JSON): what `husk run
 * IMAGE` takes from it, and the layers' diff_ids. Pure: parses bytes, touches
 * nothing (a fuzz target: image_config_parse). */
#pragma once
#include <stdbool.h>
#include <stddef.h>

#include "util/error.h"

struct image_config {
	char **entrypoint; /* NULL-terminated; NULL when the image sets none */
	size_t n_entrypoint;
	char **cmd;
	size_t n_cmd;
	char **env;
	size_t n_env;
	char *workdir; /* NULL or "" = unset */
	char *user;
	char **diff_ids; /* rootfs.diff_ids, bottom layer first, each a valid digest */
	size_t n_diff_ids;
	char *created; /* RFC 3339, or NULL */
	char *architecture;
	char *os;
};

int image_config_parse(const char *json, size_t len, struct image_config *c, struct husk_err *err);
void image_config_free(struct image_config *c);
