/* A container's writable layer: the overlay's upper and work dirs. They live on disk,
 * in the image store's containers/ directory, not in the state dir: the state root
 * (/run/husk) is a tmpfs of 10% of RAM on Debian and Ubuntu, which a container's
 * writes would fill, and the host's /run with it (docker and podman keep theirs in
 * /var/lib as well). The state dir holds a symlink `layer` to it, the layer dir one
 * back (`state`), so that one orphaned by a crash or a reboot (the state root is
 * gone then) is found and removed. */
#ifndef HUSK_ENGINE_LAYER_DIR_H
#define HUSK_ENGINE_LAYER_DIR_H

#include "util/error.h"

/* in the state root, beside .lock: removed with it */
#define LAYER_DIR_GC_STAMP ".layers-gc"

/* Unless STATE_DIR/layer exists (a restart: the same layer again): LAYER_ROOT/
 * NAME-XXXXXXXX, 0700, with its `state` link to STATE_DIR, and STATE_DIR/layer to
 * it. The orphans of LAYER_ROOT are removed first, by the first such run of each
 * state root, boot and layer root (LAYER_DIR_GC_STAMP in the state root says which
 * looked last). */
int layer_dir_ensure(const char *layer_root, const char *state_dir, const char *name,
		     struct husk_err *err);
/* The layer STATE_DIR/layer names, removed (a rootless one's subuid files too). */
void layer_dir_remove(const char *state_dir);
/* Removes each layer dir of LAYER_ROOT whose state dir is gone, or names another. */
void layer_dir_gc(const char *layer_root);

#endif
