/* Parsers for the values users type: sizes, CPU amounts, names, env, ports.
 * Each returns 0 on success and -1 with a message naming the value. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/error.h"

/* "100M", "1g", "512k", "4096", "1.5G": 1024-based like docker. */
int parse_size(const char *s, int64_t *out);
/* "0.5", "2": CPUs as docker's --cpus; stored as millicpus (0.5 -> 500). */
int parse_cpus(const char *s, int64_t *millicpus);
/* "50%" (the tutorials' --cpu=50%): percent of one CPU -> millicpus. */
int parse_cpu_percent(const char *s, int64_t *millicpus);
/* Decimal integer in [min, max]. */
int parse_int(const char *s, int64_t min, int64_t max, int64_t *out);

/* docker's container name rule [a-zA-Z0-9][a-zA-Z0-9_.-]*, 1..64 bytes. */
bool valid_name(const char *s);
/* RFC 1123 host name: labels of letters, digits, hyphens, joined by dots; <= 64 bytes. */
bool valid_hostname(const char *s);
/* Environment variable name: [A-Za-z_][A-Za-z0-9_]* */
bool valid_env_name(const char *s, size_t len);

/* "UID[:GID]" numeric parts; returns 1 if the string is numeric, 0 if it is a name. */
int parse_numeric_user(const char *s, int64_t *uid, int64_t *gid);

/* Formats bytes like the user wrote them: 52428800 -> "50M". */
void format_size(int64_t bytes, char *buf, size_t len);

/* "[IP:]HOSTPORT:CTRPORT[/tcp|/udp]"; IPv6 in brackets. ip gets "" when absent. */
int parse_publish(const char *s, char *ip, size_t iplen, uint16_t *host_port,
		  uint16_t *ctr_port, int *proto, struct husk_err *err);
