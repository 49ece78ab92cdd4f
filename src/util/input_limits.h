/* How much outside input husk takes, in one place (issue #17, point 4): every reader
 * of a file or list that someone else wrote refuses more than this with one error
 * naming the limit, before it allocates or touches anything for it. */
#pragma once

/* files read whole */
#define HUSK_CONFIG_MAX (16 << 20)     /* an OCI bundle's config.json (runc: none; 16 MiB) */
#define HUSK_PROFILE_MAX (4 << 20)     /* a seccomp profile (docker's default is 30 KiB) */
#define HUSK_IMAGE_JSON_MAX (8 << 20)  /* a manifest, index or image config (registries: 4 MiB) */
#define HUSK_STATE_MAX (4 << 20)       /* a state.json (husk writes a few KiB) */
#define HUSK_PASSWD_LINE_MAX (1 << 20) /* a line of a container's /etc/passwd or /etc/group */

/* JSON nesting (json-c's default is 32): every tokener husk makes uses this depth */
#define HUSK_JSON_MAX_DEPTH 32

/* lists of a container's configuration */
#define HUSK_MAX_MOUNTS 1024  /* -v + --tmpfs + config.json mounts */
#define HUSK_MAX_ENV 8192     /* environment variables */
#define HUSK_MAX_ARGS 8192    /* the command and its arguments */
/* the command line and environment together, as execve(2) takes them (the kernel's
 * own limit is a quarter of the stack limit: 2 MiB at the default 8 MiB) */
#define HUSK_MAX_EXEC_BYTES (1 << 20)

/* a layer is refused when a file of it would leave less than this free on the
 * store's filesystem */
#define HUSK_LAYER_FREE_RESERVE (64LL << 20)
