/* config.json: the file, the JSON syntax (errors say line and column) and the
 * top-level keys; each section has its own reader (config_*.c). */
#include "oci/config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "oci/config_internal.h"
#include "util/cleanup.h"
#include "util/input_limits.h"
#include "util/json.h"


int cfg_bad(struct cfg *c, const char *key, const char *fmt, ...)
{
	char why[300];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why, sizeof why, fmt, ap);
	va_end(ap);
	return husk_error(c->err, 0, "invalid %s: %s: %s", c->file, key, why);
}

bool cfg_is(json_object *o, enum json_type t) { return o && json_object_is_type(o, t); }

json_object *cfg_get(json_object *o, const char *key)
{
	json_object *v = NULL;
	if (!cfg_is(o, json_type_object) || !json_object_object_get_ex(o, key, &v))
		return NULL;
	return cfg_is(v, json_type_null) ? NULL : v;
}

char *cfg_strdup(struct cfg *c, const char *v)
{
	char *d = strdup(v);
	if (!d)
		husk_error(c->err, ENOMEM, "reading %s", c->file);
	return d;
}

int cfg_string(struct cfg *c, json_object *o, const char *member, const char *key, char **out)
{
	json_object *v = cfg_get(o, member);
	if (!v)
		return 0;
	if (!cfg_is(v, json_type_string))
		return cfg_bad(c, key, "expected a string");
	free(*out);
	*out = cfg_strdup(c, json_object_get_string(v));
	return *out ? 0 : -1;
}

int cfg_bool(struct cfg *c, json_object *o, const char *member, const char *key, bool *out)
{
	json_object *v = cfg_get(o, member);
	if (!v)
		return 0;
	if (!cfg_is(v, json_type_boolean))
		return cfg_bad(c, key, "expected true or false");
	*out = json_object_get_boolean(v);
	return 0;
}

int cfg_int(struct cfg *c, json_object *o, const char *member, const char *key, int64_t min,
	    int64_t max, int64_t *out)
{
	json_object *v = cfg_get(o, member);
	if (!v)
		return 0;
	if (!cfg_is(v, json_type_int))
		return cfg_bad(c, key, "expected an integer");
	errno = 0;
	int64_t x = json_object_get_int64(v);
	if (errno == ERANGE || x < min || x > max)
		return cfg_bad(c, key, "%s is out of range (%lld..%lld)", json_object_to_json_string(v),
			       (long long)min, (long long)max);
	*out = x;
	return 0;
}

int cfg_uint(struct cfg *c, json_object *o, const char *member, const char *key, uint64_t *out)
{
	json_object *v = cfg_get(o, member);
	if (!v)
		return 0;
	/* json-c keeps values above INT64_MAX as uint64 */
	if (!cfg_is(v, json_type_int) || json_object_get_int64(v) < 0)
		return cfg_bad(c, key, "expected an unsigned integer");
	*out = json_object_get_uint64(v);
	return 0;
}

int cfg_array(struct cfg *c, json_object *o, const char *member, const char *key,
	      json_object **out, size_t *n)
{
	json_object *v = cfg_get(o, member);
	*out = NULL;
	*n = 0;
	if (!v)
		return 0;
	if (!cfg_is(v, json_type_array))
		return cfg_bad(c, key, "expected an array");
	*out = v;
	*n = json_object_array_length(v);
	return 0;
}

int cfg_object(struct cfg *c, json_object *o, const char *member, const char *key,
	       json_object **out)
{
	json_object *v = cfg_get(o, member);
	*out = NULL;
	if (!v)
		return 0;
	if (!cfg_is(v, json_type_object))
		return cfg_bad(c, key, "expected an object");
	*out = v;
	return 0;
}

int cfg_strv(struct cfg *c, json_object *o, const char *member, const char *key, char ***out,
	     size_t *count)
{
	json_object *a;
	size_t n;
	if (cfg_array(c, o, member, key, &a, &n))
		return -1;
	if (!a)
		return 0;
	char **v = calloc(n + 1, sizeof *v);
	if (!v)
		return husk_error(c->err, ENOMEM, "reading %s", c->file);
	for (size_t i = 0; i < n; i++) {
		json_object *e = json_object_array_get_idx(a, i);
		if (!cfg_is(e, json_type_string) || !(v[i] = strdup(json_object_get_string(e)))) {
			for (size_t j = 0; j < i; j++)
				free(v[j]);
			free(v);
			return cfg_is(e, json_type_string) ? husk_error(c->err, ENOMEM, "reading %s", c->file)
							   : cfg_bad(c, key, "element %zu is not a string", i);
		}
	}
	/* a later copy of the key replaces the earlier one */
	for (size_t i = 0; *out && (*out)[i]; i++)
		free((*out)[i]);
	free(*out);
	*out = v;
	if (count)
		*count = n;
	return 0;
}

int cfg_kv(struct cfg *c, json_object *o, const char *member, const char *key,
	   struct oci_kv **out, size_t *n)
{
	json_object *obj;
	if (cfg_object(c, o, member, key, &obj))
		return -1;
	if (!obj)
		return 0;
	size_t len = (size_t)json_object_object_length(obj), i = 0;
	struct oci_kv *kv = calloc(len ? len : 1, sizeof *kv);
	if (!kv)
		return husk_error(c->err, ENOMEM, "reading %s", c->file);
	*out = kv;
	*n = 0;
	json_object_object_foreach(obj, k, v) {
		if (!cfg_is(v, json_type_string))
			return cfg_bad(c, key, "the value of '%s' is not a string", k);
		kv[i].key = strdup(k);
		kv[i].value = strdup(json_object_get_string(v));
		*n = ++i;
		if (!kv[i - 1].key || !kv[i - 1].value)
			return husk_error(c->err, ENOMEM, "reading %s", c->file);
	}
	return 0;
}

int oci_read_file(const char *path, const char *what, char **out, size_t *len,
		  struct husk_err *err)
{
	cleanup_close int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (fd < 0)
		return husk_error(err, errno, "%s '%s'", what, path);
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
		return husk_error(err, fd < 0 ? errno : EINVAL, "%s '%s': not a regular file", what, path);
	if (st.st_size > HUSK_CONFIG_MAX)
		return husk_error(err, EFBIG, "%s '%s': %lld bytes, more than husk reads (%d MiB)", what,
				  path, (long long)st.st_size, HUSK_CONFIG_MAX >> 20);
	char *buf = malloc((size_t)st.st_size + 1);
	if (!buf)
		return husk_error(err, ENOMEM, "%s '%s'", what, path);
	size_t off = 0;
	while (off < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + off, (size_t)st.st_size - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		off += (size_t)n;
	}
	buf[off] = '\0';
	*out = buf;
	*len = off;
	return 0;
}

/* The text parsed whole: a syntax error names its line and column. */
static json_object *parse_json(const char *text, size_t len, const char *file,
			       struct husk_err *err)
{
	struct json_parse_error pe;
	json_object *root = json_parse_whole(text, len, &pe);
	if (root && json_object_is_type(root, json_type_object))
		return root;
	if (root) {
		json_object_put(root);
		pe = (struct json_parse_error){ "expected a JSON object", 0, 1, 1 };
	}
	husk_error(err, 0, "invalid %s: line %d, column %d: %s", file, pe.line, pe.col, pe.why);
	return NULL;
}

static int cfg_top(struct cfg *c, json_object *root)
{
	struct husk_spec *s = c->s;
	json_object *process, *linux_obj;
	cleanup_free char *hostname = NULL;
	if (cfg_string(c, root, "ociVersion", "ociVersion", &c->o->oci_version) ||
	    cfg_string(c, root, "hostname", "hostname", &hostname) ||
	    cfg_string(c, root, "domainname", "domainname", &c->o->domainname) ||
	    cfg_kv(c, root, "annotations", "annotations", &c->o->annotations, &c->o->n_annotations))
		return -1;
	if (!c->o->oci_version)
		return cfg_bad(c, "ociVersion", "missing");
	if (strncmp(c->o->oci_version, "1.", 2))
		return cfg_bad(c, "ociVersion", "'%s' is not a 1.x version of the runtime-spec",
			       c->o->oci_version);
	if (hostname && strlen(hostname) >= sizeof s->hostname)
		return cfg_bad(c, "hostname", "'%s' is longer than %zu bytes", hostname,
			       sizeof s->hostname - 1);
	if (hostname)
		snprintf(s->hostname, sizeof s->hostname, "%s", hostname);
	if (cfg_object(c, root, "process", "process", &process) ||
	    cfg_object(c, root, "linux", "linux", &linux_obj))
		return -1;
	if (!process)
		return cfg_bad(c, "process", "missing (husk runs a process from the config)");
	if (cfg_process(c, process) || cfg_root_mounts(c, root) || cfg_linux(c, linux_obj) ||
	    cfg_hooks(c, root))
		return -1;
	return 0;
}

int oci_config_parse(const char *text, size_t len, const char *file, const char *bundle,
		     struct husk_spec *s, struct husk_err *err)
{
	struct cfg c = { .file = file, .s = s, .o = &s->oci, .err = err };
	s->oci.active = true;
	if (!(s->oci.bundle = strdup(bundle)))
		return husk_error(err, ENOMEM, "bundle");
	json_object *root = parse_json(text, len, file, err);
	if (!root)
		return -1;
	int r = cfg_top(&c, root);
	json_object_put(root);
	return r;
}

int oci_config_load(const char *bundle, struct husk_spec *s, struct husk_err *err)
{
	char real[PATH_MAX], file[PATH_MAX + 16];
	struct stat st;
	if (!realpath(bundle, real))
		return husk_error(err, errno, "bundle '%s'", bundle);
	if (stat(real, &st) < 0 || !S_ISDIR(st.st_mode))
		return husk_error(err, ENOTDIR, "bundle '%s'", bundle);
	snprintf(file, sizeof file, "%s/config.json", real);
	cleanup_free char *text = NULL;
	size_t len = 0;
	if (oci_read_file(file, "bundle's config", &text, &len, err) ||
	    oci_config_parse(text, len, file, real, s, err))
		return -1;
	s->oci.config_text = steal_ptr(text);
	return 0;
}

int oci_process_parse(const char *text, size_t len, const char *file, struct husk_spec *s,
		      struct husk_err *err)
{
	struct cfg c = { .file = file, .s = s, .o = &s->oci, .err = err };
	json_object *root = parse_json(text, len, file, err);
	if (!root)
		return -1;
	int r = cfg_process(&c, root);
	json_object_put(root);
	return r;
}
