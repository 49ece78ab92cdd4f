/* Image manifests, indexes and docker-save's manifest.json. Pure: parse bytes,
 * touch nothing (fuzz targets: manifest_parse, index_parse, docker_manifest_parse). */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "image/digest.h"
#include "util/error.h"

#define MT_OCI_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define MT_OCI_INDEX "application/vnd.oci.image.index.v1+json"
#define MT_OCI_CONFIG "application/vnd.oci.image.config.v1+json"
#define MT_OCI_LAYER "application/vnd.oci.image.layer.v1.tar"
#define MT_DOCKER_MANIFEST "application/vnd.docker.distribution.manifest.v2+json"
#define MT_DOCKER_LIST "application/vnd.docker.distribution.manifest.list.v2+json"

struct descriptor {
	char digest[DIGEST_STR_LEN];
	char media_type[128];
	int64_t size;
	char os[32], arch[32], variant[32]; /* platform, in an index */
	char ref_name[256];                 /* org.opencontainers.image.ref.name */
};

struct manifest {
	struct descriptor config;
	struct descriptor *layers;
	size_t n_layers;
};

struct image_index {
	struct descriptor *manifests;
	size_t n;
};

/* An OCI image manifest or a docker schema-2 manifest. */
int manifest_parse(const char *json, size_t len, struct manifest *m, struct husk_err *err);
void manifest_free(struct manifest *m);
/* An OCI index (index.json of a layout, too) or a docker manifest list. */
int index_parse(const char *json, size_t len, struct image_index *ix, struct husk_err *err);
void index_free(struct image_index *ix);
/* The entry for os/arch (variant ignored), or the only entry if it names no
 * platform; NULL if none fits. */
const struct descriptor *index_pick(const struct image_index *ix, const char *os, const char *arch);
/* Is this media type (or, when it is absent, this document) an index? */
bool manifest_is_index(const char *json, size_t len);

/* One image of docker-save's manifest.json. */
struct docker_manifest {
	char *config;    /* path in the archive */
	char **tags;     /* RepoTags, NULL-terminated (may be empty) */
	size_t n_tags;
	char **layers;   /* paths in the archive, bottom first */
	size_t n_layers;
};
int docker_manifest_parse(const char *json, size_t len, struct docker_manifest **out, size_t *n,
			  struct husk_err *err);
void docker_manifest_free(struct docker_manifest *d, size_t n);
