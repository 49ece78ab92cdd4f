#include "util/parse.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int parse_int(const char *s, int64_t min, int64_t max, int64_t *out)
{
	if (!s || !*s || isspace((unsigned char)*s))
		return -1;
	errno = 0;
	char *end;
	long long v = strtoll(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

int parse_size(const char *s, int64_t *out)
{
	if (!s || !isdigit((unsigned char)*s))
		return -1;
	/* integer part, then an optional fraction ("1.5g"), then a unit */
	uint64_t whole = 0;
	const char *p = s;
	for (; isdigit((unsigned char)*p); p++) {
		if (whole > (UINT64_MAX - 9) / 10)
			return -1;
		whole = whole * 10 + (uint64_t)(*p - '0');
	}
	uint64_t frac = 0, frac_div = 1;
	if (*p == '.') {
		p++;
		if (!isdigit((unsigned char)*p))
			return -1;
		for (; isdigit((unsigned char)*p); p++) {
			if (frac_div >= 1000000000ULL)
				continue; /* ignore digits beyond nano precision */
			frac = frac * 10 + (uint64_t)(*p - '0');
			frac_div *= 10;
		}
	}
	uint64_t mult = 1;
	switch (tolower((unsigned char)*p)) {
	case '\0': break;
	case 'b': mult = 1; break;
	case 'k': mult = 1ULL << 10; break;
	case 'm': mult = 1ULL << 20; break;
	case 'g': mult = 1ULL << 30; break;
	case 't': mult = 1ULL << 40; break;
	default: return -1;
	}
	if (*p) {
		p++;
		/* accept "k", "kb", "kib" (case-insensitive) */
		if (mult > 1 && (*p == 'i' || *p == 'I'))
			p++;
		if (mult > 1 && (*p == 'b' || *p == 'B'))
			p++;
		if (*p)
			return -1;
	}
	if (frac && mult == 1)
		return -1; /* fractional bytes */
	if (whole > (uint64_t)INT64_MAX / mult)
		return -1;
	uint64_t v = whole * mult + frac * mult / frac_div;
	if (v > (uint64_t)INT64_MAX)
		return -1;
	*out = (int64_t)v;
	return 0;
}

static int parse_positive_decimal(const char *s, double *out)
{
	if (!s || !*s || isspace((unsigned char)*s) || *s == '+' || *s == '-')
		return -1;
	for (const char *p = s; *p; p++)
		if (!isdigit((unsigned char)*p) && *p != '.')
			return -1; /* no "inf", "nan", hex or exponents */
	errno = 0;
	char *end;
	double v = strtod(s, &end);
	if (errno || *end || !isfinite(v) || v <= 0)
		return -1;
	*out = v;
	return 0;
}

/* A positive decimal up to max, times scale, as a whole number of millicpus >= 1. */
static int millicpus_of(const char *s, double max, double scale, int64_t *millicpus)
{
	double v;
	if (parse_positive_decimal(s, &v) || v > max)
		return -1;
	int64_t m = llround(v * scale);
	if (m < 1)
		return -1;
	*millicpus = m;
	return 0;
}

int parse_cpus(const char *s, int64_t *millicpus)
{
	return millicpus_of(s, 4096, 1000, millicpus);
}

int parse_cpu_percent(const char *s, int64_t *millicpus)
{
	size_t n = s ? strlen(s) : 0;
	if (n < 2 || s[n - 1] != '%')
		return -1;
	char buf[32];
	if (n - 1 >= sizeof buf)
		return -1;
	memcpy(buf, s, n - 1);
	buf[n - 1] = '\0';
	return millicpus_of(buf, 409600, 10, millicpus);
}

bool valid_name(const char *s)
{
	size_t n = s ? strlen(s) : 0;
	if (n == 0 || n > 64 || !isalnum((unsigned char)s[0]))
		return false;
	for (size_t i = 1; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && !strchr("_.-", s[i]))
			return false;
	return true;
}

bool valid_hostname(const char *s)
{
	size_t n = s ? strlen(s) : 0;
	if (n == 0 || n > 64)
		return false;
	size_t label = 0;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (c == '.') {
			if (label == 0 || s[i - 1] == '-')
				return false;
			label = 0;
			continue;
		}
		if (!isalnum((unsigned char)c) && c != '-')
			return false;
		if (c == '-' && label == 0)
			return false;
		if (++label > 63)
			return false;
	}
	return label > 0 && s[n - 1] != '-';
}

bool valid_env_name(const char *s, size_t len)
{
	if (len == 0 || (!isalpha((unsigned char)s[0]) && s[0] != '_'))
		return false;
	for (size_t i = 1; i < len; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '_')
			return false;
	return true;
}

int parse_numeric_user(const char *s, int64_t *uid, int64_t *gid)
{
	char buf[64];
	if (strlen(s) >= sizeof buf)
		return 0;
	strcpy(buf, s);
	char *g = strchr(buf, ':');
	if (g)
		*g++ = '\0';
	if (parse_int(buf, 0, UINT32_MAX - 1, uid))
		return 0;
	*gid = -1;
	if (g && parse_int(g, 0, UINT32_MAX - 1, gid))
		return 0;
	return 1;
}

void format_size(int64_t bytes, char *buf, size_t len)
{
	static const char units[] = "kMGT";
	int u = -1;
	int64_t v = bytes;
	while (u < 3 && v >= 1024 && v % 1024 == 0) {
		v /= 1024;
		u++;
	}
	if (u < 0)
		snprintf(buf, len, "%lld", (long long)v);
	else
		snprintf(buf, len, "%lld%c", (long long)v, units[u]);
}

int parse_publish(const char *s, char *ip, size_t iplen, uint16_t *host_port,
		  uint16_t *ctr_port, int *proto, struct husk_err *err)
{
	char buf[128];
	if (strlen(s) >= sizeof buf)
		return husk_error(err, 0, "invalid --publish '%s': too long", s);
	strcpy(buf, s);
	*proto = 6; /* IPPROTO_TCP */
	char *slash = strrchr(buf, '/');
	if (slash) {
		*slash++ = '\0';
		if (!strcmp(slash, "udp"))
			*proto = 17; /* IPPROTO_UDP */
		else if (strcmp(slash, "tcp"))
			return husk_error(err, 0, "invalid --publish '%s': unknown protocol '%s' (tcp or udp)",
					  s, slash);
	}
	char *ports = buf;
	ip[0] = '\0';
	if (buf[0] == '[') {
		char *close = strchr(buf, ']');
		if (!close || close[1] != ':')
			return husk_error(err, 0, "invalid --publish '%s': expected [IP]:HOSTPORT:CTRPORT", s);
		*close = '\0';
		snprintf(ip, iplen, "%s", buf + 1);
		ports = close + 2;
	} else {
		char *last = strrchr(buf, ':');
		char *first = strchr(buf, ':');
		if (!first)
			return husk_error(err, 0, "invalid --publish '%s': expected [IP:]HOSTPORT:CTRPORT", s);
		if (first != last) {
			*first = '\0';
			snprintf(ip, iplen, "%s", buf);
			ports = first + 1;
			if (!ip[0])
				return husk_error(err, 0, "invalid --publish '%s': empty address", s);
		}
	}
	char *colon = strchr(ports, ':');
	if (!colon || strchr(colon + 1, ':'))
		return husk_error(err, 0, "invalid --publish '%s': expected [IP:]HOSTPORT:CTRPORT", s);
	*colon = '\0';
	int64_t hp, cp;
	if (parse_int(ports, 1, 65535, &hp))
		return husk_error(err, 0, "invalid --publish '%s': host port '%s' is not in 1..65535", s, ports);
	if (parse_int(colon + 1, 1, 65535, &cp))
		return husk_error(err, 0, "invalid --publish '%s': container port '%s' is not in 1..65535",
				  s, colon + 1);
	*host_port = (uint16_t)hp;
	*ctr_port = (uint16_t)cp;
	return 0;
}
