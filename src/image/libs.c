#include "image/libs.h"

#include <dlfcn.h>
#include <stdio.h>

#include "util/error.h"

struct libs_archive libs_archive;
struct libs_curl libs_curl;
struct libs_crypto libs_crypto;
struct libs_isal libs_isal;
struct libs_zlib libs_zlib;

struct sym {
	const char *name;
	void **slot;
};

/* The names are strings taken before the macros of libs.h rename them. */
#define LIBS_SYM(f) { #f, (void **)&TABLE.p_##f },
#define TABLE libs_archive
static const struct sym archive_syms[] = { LIBS_ARCHIVE(LIBS_SYM) { 0, 0 } };
#undef TABLE
#define TABLE libs_curl
static const struct sym curl_syms[] = { LIBS_CURL(LIBS_SYM) { 0, 0 } };
#undef TABLE
#define TABLE libs_crypto
static const struct sym crypto_syms[] = { LIBS_CRYPTO(LIBS_SYM) { 0, 0 } };
#undef TABLE
#define TABLE libs_isal
static const struct sym isal_syms[] = { LIBS_ISAL(LIBS_SYM) { 0, 0 } };
#undef TABLE
#define TABLE libs_zlib
static const struct sym zlib_syms[] = { LIBS_ZLIB(LIBS_SYM) { 0, 0 } };
#undef TABLE

static const struct lib {
	const char *soname, *package;
	const struct sym *syms;
} libs[] = {
	[HUSK_LIB_ARCHIVE] = { "libarchive.so.13", "libarchive13", archive_syms },
	[HUSK_LIB_CURL] = { "libcurl.so.4", "libcurl4", curl_syms },
	[HUSK_LIB_CRYPTO] = { "libcrypto.so.3", "libssl3", crypto_syms },
	[HUSK_LIB_ISAL] = { "libisal.so.2", "libisal2", isal_syms },
	[HUSK_LIB_ZLIB] = { "libz.so.1", "zlib1g", zlib_syms },
};

/* why: dlerror()'s text, which names the library */
static int fail(struct husk_err *err, const struct lib *l, const char *why)
{
	struct husk_err own = { 0 };
	husk_error(err ? err : &own, 0, "%s (install the %s package)",
		   why ? why : l->soname, l->package);
	if (!err)
		husk_error_print(&own);
	return -1;
}

/* 0 when open; else -1 with why (NULL: dlerror()'s) or the missing symbol in sym */
static int open_lib(enum husk_lib lib, const char **why, char *sym, size_t len)
{
	static void *handle[HUSK_LIB_N];
	const struct lib *l = &libs[lib];
	if (handle[lib])
		return 0;
	void *h = dlopen(l->soname, RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		*why = dlerror();
		return -1;
	}
	for (const struct sym *s = l->syms; s->name; s++) {
		if (!(*s->slot = dlsym(h, s->name))) {
			snprintf(sym, len, "%s: no symbol %s", l->soname, s->name);
			*why = sym;
			dlclose(h);
			return -1;
		}
	}
	handle[lib] = h;
	return 0;
}

int libs_need(enum husk_lib lib, struct husk_err *err)
{
	const char *why = NULL;
	char sym[160];
	return open_lib(lib, &why, sym, sizeof sym) ? fail(err, &libs[lib], why) : 0;
}

int libs_want(enum husk_lib lib)
{
	static int tried[HUSK_LIB_N]; /* 1 open, -1 not there */
	const char *why;
	char sym[160];
	if (!tried[lib])
		tried[lib] = open_lib(lib, &why, sym, sizeof sym) ? -1 : 1;
	return tried[lib] == 1 ? 0 : -1;
}
