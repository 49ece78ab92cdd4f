/* libarchive, libcurl and libcrypto, opened with dlopen() on first use: husk run,
 * its monitor and the other commands that touch no image map none of them (every
 * shared object costs each start the dynamic loader's work, bench/README.md).
 * Include this header instead of <archive.h>, <curl/curl.h> or <openssl/evp.h>:
 * after it, each function used (archive_read_new ...) names a pointer in a table
 * that libs_need() fills; call libs_need() before the first of them. */
#pragma once
/* curl's type-checking macros would hide curl_easy_setopt() from the table */
#define CURL_DISABLE_TYPECHECK 1
#include <archive.h>
#include <archive_entry.h>
#include <curl/curl.h>
#include <openssl/evp.h>
#ifdef HUSK_HAVE_ISAL
#include <isa-l/igzip_lib.h>
#endif
#ifdef HUSK_HAVE_ZLIB
#include <zlib.h>
#endif

struct husk_err;

enum husk_lib {
	HUSK_LIB_ARCHIVE, HUSK_LIB_CURL, HUSK_LIB_CRYPTO, HUSK_LIB_ISAL, HUSK_LIB_ZLIB, HUSK_LIB_N
};

/* Opens the library and resolves its functions once; 0, or -1 with err set to one
 * line naming the library and the package to install (err NULL: printed instead). */
int libs_need(enum husk_lib lib, struct husk_err *err);
/* The same for a library husk can do without (ISA-L, zlib): -1 without a word. */
int libs_want(enum husk_lib lib);

#define LIBS_ARCHIVE(X) \
	X(archive_entry_atime) \
	X(archive_entry_atime_is_set) \
	X(archive_entry_atime_nsec) \
	X(archive_entry_filetype) \
	X(archive_entry_gid) \
	X(archive_entry_hardlink) \
	X(archive_entry_mtime) \
	X(archive_entry_mtime_nsec) \
	X(archive_entry_pathname) \
	X(archive_entry_perm) \
	X(archive_entry_rdev) \
	X(archive_entry_size) \
	X(archive_entry_symlink) \
	X(archive_entry_uid) \
	X(archive_entry_xattr_next) \
	X(archive_entry_xattr_reset) \
	X(archive_error_string) \
	X(archive_filter_code) \
	X(archive_filter_count) \
	X(archive_read_data) \
	X(archive_read_data_block) \
	X(archive_read_free) \
	X(archive_read_new) \
	X(archive_read_next_header) \
	X(archive_read_open) \
	X(archive_read_open_fd) \
	X(archive_read_support_filter_all) \
	X(archive_read_support_format_gnutar) \
	X(archive_read_support_format_raw) \
	X(archive_read_support_format_tar)
#define LIBS_CURL(X) \
	X(curl_easy_cleanup) \
	X(curl_easy_getinfo) \
	X(curl_easy_init) \
	X(curl_easy_perform) \
	X(curl_easy_reset) \
	X(curl_easy_setopt) \
	X(curl_easy_strerror) \
	X(curl_global_init) \
	X(curl_multi_add_handle) \
	X(curl_multi_cleanup) \
	X(curl_multi_info_read) \
	X(curl_multi_init) \
	X(curl_multi_perform) \
	X(curl_multi_poll) \
	X(curl_multi_remove_handle) \
	X(curl_slist_append) \
	X(curl_slist_free_all)
#define LIBS_CRYPTO(X) \
	X(EVP_DigestFinal_ex) \
	X(EVP_DigestInit_ex) \
	X(EVP_DigestUpdate) \
	X(EVP_MD_CTX_free) \
	X(EVP_MD_CTX_new) \
	X(EVP_sha256)

#ifdef HUSK_HAVE_ISAL
#define LIBS_ISAL(X) \
	X(isal_inflate) \
	X(isal_inflate_init) \
	X(isal_inflate_reset)
#else
#define LIBS_ISAL(X)
#endif

/* zlib's inflateInit2() is a macro calling inflateInit2_() */
#ifdef HUSK_HAVE_ZLIB
#define LIBS_ZLIB(X) \
	X(inflate) \
	X(inflateEnd) \
	X(inflateInit2_) \
	X(inflateReset)
#else
#define LIBS_ZLIB(X)
#endif

#define LIBS_FIELD(f) __typeof__(&f) p_##f;
struct libs_archive { LIBS_ARCHIVE(LIBS_FIELD) };
struct libs_curl { LIBS_CURL(LIBS_FIELD) };
struct libs_crypto { LIBS_CRYPTO(LIBS_FIELD) };
struct libs_isal { LIBS_ISAL(LIBS_FIELD) char unused; };
struct libs_zlib { LIBS_ZLIB(LIBS_FIELD) char unused; };
#undef LIBS_FIELD
extern struct libs_archive libs_archive;
extern struct libs_curl libs_curl;
extern struct libs_crypto libs_crypto;
extern struct libs_isal libs_isal;
extern struct libs_zlib libs_zlib;

#define archive_entry_atime (*libs_archive.p_archive_entry_atime)
#define archive_entry_atime_is_set (*libs_archive.p_archive_entry_atime_is_set)
#define archive_entry_atime_nsec (*libs_archive.p_archive_entry_atime_nsec)
#define archive_entry_filetype (*libs_archive.p_archive_entry_filetype)
#define archive_entry_gid (*libs_archive.p_archive_entry_gid)
#define archive_entry_hardlink (*libs_archive.p_archive_entry_hardlink)
#define archive_entry_mtime (*libs_archive.p_archive_entry_mtime)
#define archive_entry_mtime_nsec (*libs_archive.p_archive_entry_mtime_nsec)
#define archive_entry_pathname (*libs_archive.p_archive_entry_pathname)
#define archive_entry_perm (*libs_archive.p_archive_entry_perm)
#define archive_entry_rdev (*libs_archive.p_archive_entry_rdev)
#define archive_entry_size (*libs_archive.p_archive_entry_size)
#define archive_entry_symlink (*libs_archive.p_archive_entry_symlink)
#define archive_entry_uid (*libs_archive.p_archive_entry_uid)
#define archive_entry_xattr_next (*libs_archive.p_archive_entry_xattr_next)
#define archive_entry_xattr_reset (*libs_archive.p_archive_entry_xattr_reset)
#define archive_error_string (*libs_archive.p_archive_error_string)
#define archive_filter_code (*libs_archive.p_archive_filter_code)
#define archive_filter_count (*libs_archive.p_archive_filter_count)
#define archive_read_data (*libs_archive.p_archive_read_data)
#define archive_read_data_block (*libs_archive.p_archive_read_data_block)
#define archive_read_free (*libs_archive.p_archive_read_free)
#define archive_read_new (*libs_archive.p_archive_read_new)
#define archive_read_next_header (*libs_archive.p_archive_read_next_header)
#define archive_read_open (*libs_archive.p_archive_read_open)
#define archive_read_open_fd (*libs_archive.p_archive_read_open_fd)
#define archive_read_support_filter_all (*libs_archive.p_archive_read_support_filter_all)
#define archive_read_support_format_gnutar (*libs_archive.p_archive_read_support_format_gnutar)
#define archive_read_support_format_raw (*libs_archive.p_archive_read_support_format_raw)
#define archive_read_support_format_tar (*libs_archive.p_archive_read_support_format_tar)
#define curl_easy_cleanup (*libs_curl.p_curl_easy_cleanup)
#undef curl_easy_getinfo /* curl.h's own same-name macro */
#define curl_easy_getinfo (*libs_curl.p_curl_easy_getinfo)
#define curl_easy_init (*libs_curl.p_curl_easy_init)
#define curl_easy_perform (*libs_curl.p_curl_easy_perform)
#define curl_easy_reset (*libs_curl.p_curl_easy_reset)
#undef curl_easy_setopt /* curl.h's own same-name macro */
#define curl_easy_setopt (*libs_curl.p_curl_easy_setopt)
#define curl_easy_strerror (*libs_curl.p_curl_easy_strerror)
#define curl_global_init (*libs_curl.p_curl_global_init)
#define curl_multi_add_handle (*libs_curl.p_curl_multi_add_handle)
#define curl_multi_cleanup (*libs_curl.p_curl_multi_cleanup)
#define curl_multi_info_read (*libs_curl.p_curl_multi_info_read)
#define curl_multi_init (*libs_curl.p_curl_multi_init)
#define curl_multi_perform (*libs_curl.p_curl_multi_perform)
#define curl_multi_poll (*libs_curl.p_curl_multi_poll)
#define curl_multi_remove_handle (*libs_curl.p_curl_multi_remove_handle)
#define curl_slist_append (*libs_curl.p_curl_slist_append)
#define curl_slist_free_all (*libs_curl.p_curl_slist_free_all)
#define isal_inflate (*libs_isal.p_isal_inflate)
#define isal_inflate_init (*libs_isal.p_isal_inflate_init)
#define isal_inflate_reset (*libs_isal.p_isal_inflate_reset)
#define inflate (*libs_zlib.p_inflate)
#define inflateEnd (*libs_zlib.p_inflateEnd)
#define inflateInit2_ (*libs_zlib.p_inflateInit2_)
#define inflateReset (*libs_zlib.p_inflateReset)
#define EVP_DigestFinal_ex (*libs_crypto.p_EVP_DigestFinal_ex)
#define EVP_DigestInit_ex (*libs_crypto.p_EVP_DigestInit_ex)
#define EVP_DigestUpdate (*libs_crypto.p_EVP_DigestUpdate)
#define EVP_MD_CTX_free (*libs_crypto.p_EVP_MD_CTX_free)
#define EVP_MD_CTX_new (*libs_crypto.p_EVP_MD_CTX_new)
#define EVP_sha256 (*libs_crypto.p_EVP_sha256)
