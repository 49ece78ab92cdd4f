/* /etc/subuid and /etc/subgid: "NAME:START:COUNT" or "UID:START:COUNT" lines that
 * give a user host ids of its own (shadow's subid files, read by newuidmap). */
#pragma once
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct subid_range {
	uint32_t start;
	uint32_t count;
};

/* The ranges of the user (by name or by uid) in the text of a subid file, in file
 * order; returns how many were found (at most max); malformed lines are skipped. */
size_t subid_parse(const char *text, const char *name, uid_t uid, struct subid_range *out,
		   size_t max);
/* The same, reading the file at path (0 when it does not exist). */
size_t subid_lookup(const char *path, const char *name, uid_t uid, struct subid_range *out,
		    size_t max);
