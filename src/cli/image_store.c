/* Where the image commands find the store, and how the ones that write layers
 * reach it: as root directly; a rootless husk from a child in a user namespace of
 * the user's ids (linux/userns/rootless_ns.h), so that the layers keep their owners. */
#include <stdlib.h>

#include "cli/cli.h"
#include "image/store.h"
#include "linux/userns/rootless.h"
#include "linux/userns/rootless_ns.h"
#include "util/error.h"
#include "util/path.h"

const char *cli_image_root(const struct husk_global *g)
{
	/* --image-root, $HUSK_IMAGE_ROOT; else root's /var/lib/husk, a user's
	 * ~/.local/share/husk */
	static char root[sizeof ((struct store *)0)->root];
	if (g->image_root && g->image_root[0])
		return g->image_root;
	const char *env = getenv("HUSK_IMAGE_ROOT");
	if (env && env[0])
		return env;
	struct husk_err err = { 0 };
	if (!root[0] && (rootless() ? rootless_image_root(root, sizeof root, &err) :
				       path_format(root, sizeof root, &err, "image root", "%s",
						   HUSK_DEFAULT_IMAGE_ROOT)) < 0) {
		husk_error_print(&err); /* an image command has nothing to go on with */
		exit(HUSK_EXIT_FAILURE);
	}
	return root;
}

struct store_task {
	const char *root;
	cli_store_fn fn;
	void *arg;
};

static int store_task(void *p)
{
	const struct store_task *t = p;
	struct store st;
	struct husk_err err = { 0 };
	if (store_open(&st, t->root, true, &err) || t->fn(&st, t->arg, &err))
		return husk_error_print(&err);
	return 0;
}

int cli_store_run(const struct husk_global *g, cli_store_fn fn, void *arg)
{
	struct store_task t = { cli_image_root(g), fn, arg };
	if (!rootless())
		return store_task(&t);
	struct husk_err err = { 0 };
	int r = rootless_in_userns(store_task, &t, &err);
	return r < 0 ? husk_error_print(&err) : r;
}
