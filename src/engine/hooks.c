#include "engine/hooks.h"

#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/fs.h"
#include "util/log.h"
#include "util/reap.h"

struct json_object *hooks_state_json(const struct husk_spec *s, const char *status, pid_t pid)
{
	json_object *o = json_object_new_object(), *ann = json_object_new_object();
	const struct husk_oci *oci = &s->oci;
	json_object_object_add(o, "ociVersion",
			       json_object_new_string(oci->oci_version ? oci->oci_version : "1.0.2"));
	json_object_object_add(o, "id", json_object_new_string(s->name));
	json_object_object_add(o, "status", json_object_new_string(status));
	if (pid > 0)
		json_object_object_add(o, "pid", json_object_new_int(pid));
	json_object_object_add(o, "bundle", json_object_new_string(oci->bundle ? oci->bundle : ""));
	for (size_t i = 0; i < oci->n_annotations; i++)
		json_object_object_add(ann, oci->annotations[i].key,
				       json_object_new_string(oci->annotations[i].value));
	json_object_object_add(o, "annotations", ann);
	return o;
}

__attribute__((noreturn)) static void hook_child(const struct oci_hook *h, int in)
{
	static char *const empty[] = { NULL };
	char *argv0[] = { h->path, NULL };
	if (dup2(in, STDIN_FILENO) < 0)
		_exit(127);
	/* a hook gets default signals, whatever husk blocked for its own loops */
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	execve(h->path, h->args ? h->args : argv0, h->env ? h->env : empty);
	fprintf(stderr, "husk: hook %s: %s\n", h->path, strerror(errno));
	_exit(127);
}

static int run_one(const struct oci_hook *h, const char *name, size_t i, const char *state,
		   struct husk_err *err)
{
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0)
		return husk_error(err, errno, "%s hook %zu (%s): pipe", name, i, h->path);
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	pid_t pid = fork();
	if (pid < 0) {
		close(p[0]);
		close(p[1]);
		return husk_error(err, errno, "%s hook %zu (%s): fork", name, i, h->path);
	}
	if (pid == 0) {
		close(p[1]);
		hook_child(h, p[0]);
	}
	close(p[0]);
	/* a hook that does not read its stdin must not block us: SIGPIPE is ignored by
	 * the caller or this write fails with EPIPE, both fine */
	void (*old)(int) = signal(SIGPIPE, SIG_IGN);
	write_all(p[1], state, strlen(state));
	close(p[1]);
	signal(SIGPIPE, old);
	int status = 0, r = reap_within(pid, h->timeout > INT_MAX / 1000 ? INT_MAX : h->timeout * 1000, &status);
	/* --debug: how long each hook took (docker's networking is a prestart hook) */
	if (log_debug_enabled()) {
		struct timespec t1;
		clock_gettime(CLOCK_MONOTONIC, &t1);
		log_debugf("%s hook %zu (%s): ended after %.1f ms", name, i, h->path,
			   (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6);
	}
	if (r == 1)
		return husk_error(err, 0, "%s hook %zu (%s): timed out after %d s", name, i, h->path,
				  h->timeout);
	if (r < 0)
		return husk_error(err, errno, "%s hook %zu (%s): waitpid", name, i, h->path);
	if (WIFSIGNALED(status))
		return husk_error(err, 0, "%s hook %zu (%s): killed by signal %d", name, i, h->path,
				  WTERMSIG(status));
	if (WEXITSTATUS(status))
		return husk_error(err, 0, "%s hook %zu (%s): exit status %d", name, i, h->path,
				  WEXITSTATUS(status));
	return 0;
}

int hooks_run(const struct husk_spec *s, enum oci_hook_kind kind, const char *status,
	      pid_t pid, struct husk_err *err)
{
	if (!s->oci.n_hooks[kind])
		return 0;
	json_object *st = hooks_state_json(s, status, pid);
	const char *text = json_object_to_json_string_ext(st, JSON_C_TO_STRING_PLAIN);
	int r = 0;
	for (size_t i = 0; i < s->oci.n_hooks[kind] && !r; i++)
		r = run_one(&s->oci.hooks[kind][i], spec_oci_hook_name(kind), i, text, err);
	json_object_put(st);
	return r;
}

bool hooks_runtime_side(const struct husk_spec *s)
{
	return s->oci.n_hooks[OCI_HOOK_PRESTART] || s->oci.n_hooks[OCI_HOOK_CREATE_RUNTIME];
}

int hooks_run_runtime_side(const struct husk_spec *s, pid_t pid, struct husk_err *err)
{
	return hooks_run(s, OCI_HOOK_PRESTART, "created", pid, err) ||
	       hooks_run(s, OCI_HOOK_CREATE_RUNTIME, "creating", pid, err);
}
