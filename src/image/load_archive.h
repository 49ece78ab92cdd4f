/* What husk load collects from one pass over an archive (load.c): its JSON members,
 * the layers unpacked into a staging dir, its symlinks; and the two formats that
 * interpret them (load_formats.c). Internal to husk load. */
#pragma once
#include <stdbool.h>
#include <stdint.h>

#include "image/load.h"
#include "image/libs.h"

struct staged_layer {
	char dir[PATH_MAX];
	char blob[DIGEST_STR_LEN]; /* of the member's bytes */
	char diff[DIGEST_STR_LEN]; /* of the uncompressed tar */
	int64_t size;
};

struct member {
	char *name;                 /* clean path in the archive */
	char *json;                 /* a JSON member: its bytes (NUL-terminated) */
	size_t len;
	struct staged_layer *layer; /* a layer member */
	char *alias;                /* a symlink / hard link: the clean path it names */
};

struct loaded {
	struct store *st;
	struct staging sg;
	struct member *m;
	size_t n;
	int layers;
};

int loaded_init(struct loaded *L, struct store *st, struct husk_err *err);
void loaded_free(struct loaded *L);
/* takes buf (malloc'ed) */
int loaded_add_json(struct loaded *L, const char *name, char *buf, size_t len);
struct staged_layer *loaded_add_layer(struct loaded *L, const char *name);
/* a symlink at name with target as stored (relative to name's directory) */
int loaded_add_alias(struct loaded *L, const char *name, const char *target, struct husk_err *err);
int loaded_add_alias_clean(struct loaded *L, const char *name, const char *target,
			   struct husk_err *err);
/* The member a path names, through aliases; NULL if none. */
const struct member *loaded_find(const struct loaded *L, const char *name);
const struct member *loaded_find_json(const struct loaded *L, const char *name);

int load_docker(struct loaded *L, load_report_fn report, void *arg, struct husk_err *err);
int load_oci(struct loaded *L, load_report_fn report, void *arg, struct husk_err *err);

/* dir/target with "." and ".." applied, never above the archive's root: 0, or -1
 * (pure) */
int archive_path_join(const char *dir, const char *target, char *out, size_t len);
