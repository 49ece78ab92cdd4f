/* Unit tests for the image parsers: tar entry paths, symlink targets, whiteouts,
 * references, digests, configs, manifests, indexes, overlay options. */
#include <stdio.h>
#include <string.h>

#include "image/config.h"
#include "image/digest.h"
#include "image/manifest.h"
#include "image/ref.h"
#include "image/registry.h"
#include "image/load_archive.h"
#include "image/tarpath.h"
#include "linux/fs/overlay.h"

#include "check.h"

static const char *clean(const char *name)
{
	static char out[256];
	const char *why;
	return tar_path_clean(name, out, sizeof out, &why) ? NULL : out;
}

static void test_tar_paths(void)
{
	CHECK(!strcmp(clean("a/b"), "a/b"));
	CHECK(!strcmp(clean("./a//b/./"), "a/b"));
	CHECK(!strcmp(clean("./"), ""));
	CHECK(!strcmp(clean("."), ""));
	CHECK(!strcmp(clean("a..b/..c"), "a..b/..c"));
	CHECK(clean("/etc/passwd") == NULL);
	CHECK(clean("../x") == NULL);
	CHECK(clean("a/../../x") == NULL);
	CHECK(clean("a/..") == NULL);
	char small[4];
	const char *why;
	CHECK(tar_path_clean("abcd", small, sizeof small, &why) == -1);
	CHECK(tar_path_clean("abc", small, sizeof small, &why) == -1); /* needs the NUL and a spare */
	CHECK(tar_path_clean("ab", small, sizeof small, &why) == 0);

	CHECK(tar_symlink_check("a", "/etc/passwd", &why) == 0);
	CHECK(tar_symlink_check("usr/lib/x", "../../bin/sh", &why) == 0);
	CHECK(tar_symlink_check("usr/lib/x", "../../../bin/sh", &why) == -1);
	CHECK(tar_symlink_check("a", "../x", &why) == -1);
	CHECK(tar_symlink_check("a", "b/../../x", &why) == -1);
	CHECK(tar_symlink_check("a", ".", &why) == 0);
	CHECK(tar_symlink_check("a", "", &why) == -1);

	char parent[64];
	CHECK(!strcmp(tar_path_split("a/b/c", parent, sizeof parent), "c") && !strcmp(parent, "a/b"));
	CHECK(!strcmp(tar_path_split("c", parent, sizeof parent), "c") && !strcmp(parent, ""));

	const char *hidden = NULL;
	CHECK(tar_whiteout_kind(".wh..wh..opq", &hidden) == 1);
	CHECK(tar_whiteout_kind(".wh.passwd", &hidden) == 2 && !strcmp(hidden, "passwd"));
	CHECK(tar_whiteout_kind(".wh..wh.plnk", &hidden) == 3);
	CHECK(tar_whiteout_kind(".wh.", &hidden) == 3);
	CHECK(tar_whiteout_kind("passwd", &hidden) == 0);
}

static void test_refs(void)
{
	struct image_ref r;
	const char *why;
	CHECK(ref_parse("busybox", &r, &why) == 0 && !strcmp(r.registry, DOCKER_HUB) &&
	      !strcmp(r.repository, "library/busybox") && !strcmp(r.tag, "latest"));
	CHECK(ref_parse("127.0.0.1:22000/test/bb:1.0", &r, &why) == 0 &&
	      !strcmp(r.registry, "127.0.0.1:22000") && !strcmp(r.repository, "test/bb") &&
	      !strcmp(r.tag, "1.0"));
	CHECK(ref_parse("localhost/bb", &r, &why) == 0 && !strcmp(r.registry, "localhost"));
	CHECK(ref_parse("ghcr.io/o/n@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
			&r, &why) == 0 && r.digest[0] && !r.tag[0]);
	CHECK(ref_parse("Busybox", &r, &why) == -1);
	/* fuzz_ref: a registry with no repository, a registry with characters no host has */
	CHECK(ref_parse("x.io/", &r, &why) == -1);
	CHECK(ref_parse("dc3]ieki.ro/l.35", &r, &why) == -1 && strstr(why, "registry"));
	CHECK(ref_parse("bb:", &r, &why) == -1);
	CHECK(ref_parse("bb@sha256:12", &r, &why) == -1);
	CHECK(ref_parse("a//b", &r, &why) == -1);
	CHECK(ref_parse("", &r, &why) == -1);
	char out[64];
	CHECK(ref_with_tag("bb", out, sizeof out) == 0 && !strcmp(out, "bb:latest"));
	CHECK(ref_with_tag("host:5000/bb", out, sizeof out) == 0 && !strcmp(out, "host:5000/bb:latest"));
	CHECK(ref_with_tag("host:5000/bb:2", out, sizeof out) == 0 && !strcmp(out, "host:5000/bb:2"));
}

static void test_digests(void)
{
	char d[DIGEST_STR_LEN];
	CHECK(sha256_buffer("abc", 3, d) == 0 &&
	      !strcmp(d, "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"));
	CHECK(digest_valid(d));
	/* sha256_buffer (image/sha256_small.c) against libcrypto's streaming hasher, on
	 * every length across the one- and two-block padding cases and a long buffer */
	static unsigned char buf[70000];
	for (size_t i = 0; i < sizeof buf; i++)
		buf[i] = (unsigned char)(i * 131 + (i >> 7));
	int same = 1;
	for (size_t n = 0; n <= 300 + 1; n++) {
		size_t len = n <= 300 ? n : sizeof buf;
		char a[DIGEST_STR_LEN], b[DIGEST_STR_LEN];
		struct sha256 h;
		if (sha256_buffer(buf, len, a) || sha256_init(&h)) {
			same = 0;
			break;
		}
		sha256_update(&h, buf, len);
		sha256_final(&h, b);
		same &= !strcmp(a, b);
	}
	CHECK(same);
	CHECK(!digest_valid("sha256:BA7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"));
	CHECK(!digest_valid("sha512:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"));
	CHECK(!digest_valid("sha256:ba78"));
}

#define D1 "sha256:1111111111111111111111111111111111111111111111111111111111111111"
#define D2 "sha256:2222222222222222222222222222222222222222222222222222222222222222"

static void test_config(void)
{
	struct image_config c;
	struct husk_err e = { 0 };
	const char *j = "{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{\"Entrypoint\":[\"/e\"],"
			"\"Cmd\":[\"a\",\"b\"],\"Env\":[\"A=1\"],\"WorkingDir\":\"/w\",\"User\":\"1:2\"},"
			"\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"" D1 "\",\"" D2 "\"]}}";
	CHECK(image_config_parse(j, strlen(j), &c, &e) == 0);
	CHECK(c.n_entrypoint == 1 && c.n_cmd == 2 && !strcmp(c.cmd[1], "b") && c.n_env == 1);
	CHECK(!strcmp(c.workdir, "/w") && !strcmp(c.user, "1:2") && c.n_diff_ids == 2);
	image_config_free(&c);
	const char *bad[] = {
		"{}", "[]", "{\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"sha256:12\"]}}",
		"{\"config\":{\"Env\":[\"NOEQUALS\"]},\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]}}",
		"{\"config\":{\"Cmd\":\"sh\"},\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]}}",
		"{\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]}} trailing", "{\"a\":",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		memset(&e, 0, sizeof e);
		CHECK(image_config_parse(bad[i], strlen(bad[i]), &c, &e) == -1 && e.set);
	}
}

static void test_manifests(void)
{
	struct manifest m;
	struct husk_err e = { 0 };
	const char *j = "{\"schemaVersion\":2,\"mediaType\":\"" MT_DOCKER_MANIFEST "\",\"config\":"
			"{\"digest\":\"" D1 "\",\"size\":10},\"layers\":[{\"digest\":\"" D2 "\",\"size\":5}]}";
	CHECK(manifest_parse(j, strlen(j), &m, &e) == 0 && m.n_layers == 1 && m.layers[0].size == 5);
	manifest_free(&m);
	CHECK(!manifest_is_index(j, strlen(j)));
	const char *ix = "{\"manifests\":[{\"digest\":\"" D1 "\",\"platform\":{\"os\":\"linux\","
			 "\"architecture\":\"arm64\"}},{\"digest\":\"" D2 "\",\"platform\":{\"os\":"
			 "\"linux\",\"architecture\":\"amd64\"}}]}";
	struct image_index x;
	CHECK(manifest_is_index(ix, strlen(ix)));
	CHECK(index_parse(ix, strlen(ix), &x, &e) == 0 && x.n == 2);
	const struct descriptor *d = index_pick(&x, "linux", "amd64");
	CHECK(d && !strcmp(d->digest, D2));
	CHECK(index_pick(&x, "linux", "s390x") == NULL);
	index_free(&x);
	struct docker_manifest *dm;
	size_t n;
	const char *dj = "[{\"Config\":\"c.json\",\"RepoTags\":[\"a:1\"],\"Layers\":[\"l/layer.tar\"]}]";
	CHECK(docker_manifest_parse(dj, strlen(dj), &dm, &n, &e) == 0 && n == 1 &&
	      !strcmp(dm[0].layers[0], "l/layer.tar") && dm[0].n_tags == 1);
	docker_manifest_free(dm, n);
	memset(&e, 0, sizeof e);
	CHECK(docker_manifest_parse("[]", 2, &dm, &n, &e) == -1);
	memset(&e, 0, sizeof e);
	const char *badm = "{\"config\":{\"digest\":\"sha256:xyz\"},\"layers\":[]}";
	CHECK(manifest_parse(badm, strlen(badm), &m, &e) == -1);
}

static void test_overlay_options(void)
{
	char *lower[] = { "/s/layers/aa", "/s/layers/bb" };
	char out[256];
	CHECK(overlay_options(lower, 2, "/u", "/w", NULL, out, sizeof out) == 0 &&
	      !strcmp(out, "lowerdir=/s/layers/aa:/s/layers/bb,upperdir=/u,workdir=/w"));
	CHECK(overlay_options(lower, 2, "/u", "/w", "/s/layers", out, sizeof out) == 0 &&
	      !strcmp(out, "lowerdir=aa:bb,upperdir=/u,workdir=/w"));
	CHECK(overlay_options(lower, 2, "/u", "/w", NULL, out, 20) == -1);
}

static void test_auth_and_paths(void)
{
	char url[256];
	CHECK(www_authenticate_parse("Bearer realm=\"https://auth.docker.io/token\",service=\"registry.docker.io\","
				     "scope=\"repository:library/busybox:pull\"", url, sizeof url) == 0 &&
	      !strcmp(url, "https://auth.docker.io/token?service=registry.docker.io&scope=repository:library/busybox:pull"));
	CHECK(www_authenticate_parse("Bearer realm=\"https://ghcr.io/token\"", url, sizeof url) == 0 &&
	      !strcmp(url, "https://ghcr.io/token"));
	CHECK(www_authenticate_parse("Basic realm=\"x\"", url, sizeof url) == -1);
	CHECK(www_authenticate_parse("Bearer realm=\"file:///etc/passwd\"", url, sizeof url) == -1);
	CHECK(www_authenticate_parse("Bearer realm=\"https://a", url, sizeof url) == -1);
	CHECK(www_authenticate_parse("Bearer realm=\"https://a/t\",service=\"s\"", url, 8) == -1);

	char out[64];
	CHECK(archive_path_join("abc", "../def/layer.tar", out, sizeof out) == 0 && !strcmp(out, "def/layer.tar"));
	CHECK(archive_path_join("", "./x//y", out, sizeof out) == 0 && !strcmp(out, "x/y"));
	CHECK(archive_path_join("a", "../../x", out, sizeof out) == -1);
	CHECK(archive_path_join("a/b", "/c", out, sizeof out) == 0 && !strcmp(out, "c"));
}

int main(void)
{
	test_auth_and_paths();
	test_tar_paths();
	test_refs();
	test_digests();
	test_config();
	test_manifests();
	test_overlay_options();
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
