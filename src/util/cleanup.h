/* Scope-bound clean-up (as crun does): no leak on any return path. */
#pragma once
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static inline void cleanup_freep(void *p) { free(*(void **)p); }
static inline void cleanup_closep(int *fd) { if (*fd >= 0) close(*fd); }
static inline void cleanup_fclosep(FILE **f) { if (*f) fclose(*f); }

#define cleanup_free __attribute__((cleanup(cleanup_freep)))
#define cleanup_close __attribute__((cleanup(cleanup_closep)))
#define cleanup_fclose __attribute__((cleanup(cleanup_fclosep)))

/* Hands a value out of a cleanup-scoped variable. */
#define steal_fd(fd) ({ int _f = (fd); (fd) = -1; _f; })
#define steal_ptr(p) ({ __typeof__(p) _p = (p); (p) = NULL; _p; })

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
