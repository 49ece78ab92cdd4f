#include "spec_oci.h"

#include <stdlib.h>
#include <string.h>

static void free_strv(char **v)
{
	for (size_t i = 0; v && v[i]; i++)
		free(v[i]);
	free(v);
}

static void free_strn(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static void free_kv(struct oci_kv *kv, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(kv[i].key);
		free(kv[i].value);
	}
	free(kv);
}

static void free_resources(struct oci_resources *r)
{
	free(r->cpus);
	free(r->mems);
	free(r->blkio_weight_dev);
	for (int i = 0; i < 4; i++)
		free(r->throttle[i]);
	free_kv(r->hugepages, r->n_hugepages);
	free_kv(r->network_prio, r->n_network_prio);
	free(r->devices);
	free_kv(r->unified, r->n_unified);
}

void spec_oci_free(struct husk_oci *o)
{
	free(o->bundle);
	free(o->oci_version);
	free(o->domainname);
	free_strv(o->args);
	free(o->additional_gids);
	free(o->rlimits);
	free(o->apparmor_profile);
	free(o->selinux_label);
	for (size_t i = 0; i < o->n_mounts; i++) {
		free(o->mounts[i].destination);
		free(o->mounts[i].type);
		free(o->mounts[i].source);
		free(o->mounts[i].data);
	}
	free(o->mounts);
	free_strn(o->masked_paths, o->n_masked_paths);
	free_strn(o->readonly_paths, o->n_readonly_paths);
	free(o->mount_label);
	for (size_t i = 0; i < o->n_namespaces; i++)
		free(o->namespaces[i].path);
	free(o->namespaces);
	free(o->uid_mappings);
	free(o->gid_mappings);
	for (size_t i = 0; i < o->n_devices; i++)
		free(o->devices[i].path);
	free(o->devices);
	free_resources(&o->res);
	free(o->cgroups_path);
	free_kv(o->sysctl, o->n_sysctl);
	free(o->seccomp_json);
	free(o->intel_rdt_closid);
	for (int k = 0; k < OCI_HOOK_KINDS; k++) {
		for (size_t i = 0; i < o->n_hooks[k]; i++) {
			free(o->hooks[k][i].path);
			free_strv(o->hooks[k][i].args);
			free_strv(o->hooks[k][i].env);
		}
		free(o->hooks[k]);
	}
	free_kv(o->annotations, o->n_annotations);
	free(o->pid_file);
	free(o->console_socket);
	free(o->config_text);
	memset(o, 0, sizeof *o);
}

const struct oci_namespace *spec_oci_namespace(const struct husk_oci *o, int type)
{
	for (size_t i = 0; i < o->n_namespaces; i++)
		if (o->namespaces[i].type == type)
			return &o->namespaces[i];
	return NULL;
}

const char *spec_oci_hook_name(enum oci_hook_kind k)
{
	static const char *const names[] = {
		[OCI_HOOK_PRESTART] = "prestart",
		[OCI_HOOK_CREATE_RUNTIME] = "createRuntime",
		[OCI_HOOK_CREATE_CONTAINER] = "createContainer",
		[OCI_HOOK_START_CONTAINER] = "startContainer",
		[OCI_HOOK_POSTSTART] = "poststart",
		[OCI_HOOK_POSTSTOP] = "poststop",
	};
	return k < OCI_HOOK_KINDS ? names[k] : "?";
}
