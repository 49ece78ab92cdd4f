/* A container's record, <root>/<name>/state.json (src/engine/state.c), as every
 * container command reads it (src/cli/record.c: the state, the status line) and as
 * husk exec rebuilds the container's process from it (spec_from_record, static in
 * src/cli/exec.c, which is compiled in here to reach it). The file is hostile when
 * another root-owned process, or a disk error, wrote it. */
#include "cli/exec.c"

#include <sys/stat.h>

#include "fuzz_common.h"

static char root[64], dir[96], file[128];

static void remove_root(void)
{
	unlink(file);
	rmdir(dir);
	rmdir(root);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!root[0]) {
		snprintf(root, sizeof root, "/dev/shm/husk-fuzz-state-XXXXXX");
		if (!mkdtemp(root))
			abort();
		snprintf(dir, sizeof dir, "%s/f", root);
		snprintf(file, sizeof file, "%s/state.json", dir);
		if (mkdir(dir, 0700) < 0)
			abort();
		atexit(remove_root);
	}
	FILE *f = fopen(file, "w");
	if (!f || fwrite(data, 1, size, f) != size || fclose(f))
		abort();
	struct husk_global g = { .state_root = root };
	struct ctr_record c;
	if (ctr_open(&g, "f", &c) < 0)
		abort();
	char buf[128];
	ctr_status_text(&c, buf, sizeof buf);
	format_time(state_get_int(c.rec, "created", 0), buf, sizeof buf);
	struct husk_spec spec;
	struct husk_err err = { 0 };
	spec_init(&spec);
	(void)spec_from_record(&spec, c.rec, &err);
	spec_free(&spec);
	ctr_close(&c);
	return 0;
}
